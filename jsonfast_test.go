package session

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// label is a named string, as a key and as a value.
type label string

// kinds has a field of every kind the JSON fast path decodes, and names
// that only fold to one another.
type kinds struct {
	B     bool                 `json:"b"`
	I     int                  `json:"i"`
	I8    int8                 `json:"i8"`
	I16   int16                `json:"i16"`
	I32   int32                `json:"i32"`
	I64   int64                `json:"i64"`
	U     uint                 `json:"u"`
	U8    uint8                `json:"u8"`
	U16   uint16               `json:"u16"`
	U32   uint32               `json:"u32"`
	U64   uint64               `json:"u64"`
	UP    uintptr              `json:"up"`
	F32   float32              `json:"f32"`
	F64   float64              `json:"f64"`
	S     string               `json:"s"`
	Name  label                `json:"name"`
	P     *int                 `json:"p"`
	L     []int                `json:"l"`
	LU    []testUser           `json:"lu"`
	LP    []*testUser          `json:"lp"`
	LL    [][]string           `json:"ll"`
	M     map[string]int       `json:"m"`
	MU    map[label]*testUser  `json:"mu"`
	ML    map[string][]float32 `json:"ml"`
	Next  *kinds               `json:"next,omitempty"`
	K     int                  `json:"k"` // "\u212a" (Kelvin) folds to it
	Lower int                  `json:"a"`
	Upper int                  `json:"A"`
	Snake int                  `json:"snake_case,omitempty,omitzero"`
	Dash  int                  `json:"-,"`
	Skip  int                  `json:"-"`
	NoTag int
	Space int `json:"a b"`
	Punct int `json:"<&>"`
	Bad   int `json:"bad,"`
	_     int
}

// kindsDefaults are kinds' defaults in the tests: none, and references
// that json.Unmarshal decodes into (pointers, slice elements) or adds to
// (maps).
func kindsDefaults() []kinds {
	seven := 7
	return []kinds{{}, {
		B: true, I: 3, F64: 1.5, S: "def", Name: "n", P: &seven, L: []int{1, 2},
		LU: []testUser{{ID: 1, Email: "keep", Roles: []string{"r"}}}, LP: []*testUser{{ID: 1, Email: "keep"}},
		LL: [][]string{{"a", "b"}, nil}, M: map[string]int{"a": 1}, MU: map[label]*testUser{"x": {ID: 1, Email: "keep"}},
		ML: map[string][]float32{"f": {1}}, Next: &kinds{I: 5, S: "deep", L: []int{9}},
	}}
}

// staleKinds makes a kinds whose slices have elements, not zero, past
// their length: json.Unmarshal decodes into those too.
func staleKinds() kinds {
	lu := []testUser{{ID: 1, Email: "a"}, {ID: 2, Email: "stale", Roles: []string{"s"}}, {ID: 3}}
	lp := []*testUser{{ID: 1}, {Email: "stale"}}
	return kinds{LU: lu[:1], LP: lp[:1], L: []int{1, 2, 3}[:0], LL: [][]string{{"x"}, {"stale", "y"}}[:1]}
}

// kindsInputs aim at the fast path's rules for every kind.
var kindsInputs = []string{
	`{"b":true,"i":-1,"i8":-128,"i16":32767,"i32":-2147483648,"i64":9223372036854775807,"u":1,"u8":255,"u16":65535,` +
		`"u32":4294967295,"u64":18446744073709551615,"up":7,"f32":1.5,"f64":-2.5e-3,"s":"é","name":"n","p":3,"l":[1,2,3],` +
		`"lu":[{"id":1,"roles":["a"]}],"lp":[{"email":"e"},null],"ll":[["a"],[],null],"m":{"a":2,"b":3},"mu":{"x":{"id":2}},` +
		`"ml":{"f":[0.1,1e-46]},"next":{"i":1,"next":{"s":"x"}},"k":1,"a":2,"A":3,"snake_case":4,"-":5,"NoTag":6,"a b":7,"<&>":8,"bad":9}`,
	// integers at and past the bounds of every kind:
	`{"i8":127}`, `{"i8":128}`, `{"i8":-129}`, `{"i16":-32768}`, `{"i16":32768}`, `{"i32":2147483647}`, `{"i32":2147483648}`,
	`{"i64":-9223372036854775808}`, `{"i64":9223372036854775808}`, `{"u8":256}`, `{"u8":-1}`, `{"u8":-0}`, `{"u16":65536}`,
	`{"u32":4294967296}`, `{"u64":18446744073709551616}`, `{"u":-1}`, `{"up":18446744073709551615}`, `{"up":-3}`,
	`{"i":1.5}`, `{"u":1e3}`, `{"i8":1E1}`, `{"u64":0}`, `{"u64":00}`,
	// floats: their grammar, range and rounding:
	`{"f32":3.4028235e38}`, `{"f32":3.5e38}`, `{"f32":-3.5e38}`, `{"f32":1e-46}`, `{"f32":0.1}`, `{"f32":16777217}`,
	`{"f64":1e308}`, `{"f64":1e309}`, `{"f64":-0}`, `{"f64":-0.0e-0}`, `{"f64":5e-324}`, `{"f64":1e-400}`, `{"f64":7}`,
	`{"f64":0.1e+1}`, `{"f64":1.}`, `{"f64":.1}`, `{"f64":1e}`, `{"f64":1e+}`, `{"f64":-}`, `{"f64":Infinity}`, `{"f64":NaN}`,
	`{"f64":0x10}`, `{"f64":1_0}`, `{"f64":"1"}`, `{"f64":12345678901234567890123456789}`, `{"f64":1.7976931348623157e308}`,
	// bools and type mismatches:
	`{"b":false}`, `{"b":"true"}`, `{"b":1}`, `{"b":tru}`, `{"b":truex}`, `{"s":1}`, `{"s":true}`, `{"name":["n"]}`,
	`{"p":"3"}`, `{"p":{}}`, `{"l":{}}`, `{"l":[1,"2"]}`, `{"m":[]}`, `{"m":{"a":"1"}}`, `{"lu":[1]}`, `{"next":[]}`,
	// null into every kind, over the defaults:
	`{"b":null,"i":null,"u":null,"f64":null,"s":null,"name":null,"p":null,"l":null,"lu":null,"lp":null,"ll":null,` +
		`"m":null,"mu":null,"ml":null,"next":null}`,
	`{"lu":[null],"lp":[null,null],"ll":[null],"m":{"a":null},"mu":{"x":null},"ml":{"f":null},"next":{"next":null}}`,
	// slices: shorter, longer, empty, into present elements and past them:
	`{"l":[]}`, `{"l":[5]}`, `{"l":[5,6,7,8]}`, `{"lu":[{"email":"a"},{"id":2},{"roles":[]},{"id":4}]}`, `{"lu":[]}`,
	`{"lp":[{"id":2},{"id":3},{"id":4}]}`, `{"ll":[["z"],["q"],[]]}`, `{"ll":[[],[[]]]}`, `{"l":[1,2],"l":[3]}`,
	// maps: added to, values decoded from zero, duplicate keys:
	`{"m":{"b":2}}`, `{"m":{}}`, `{"mu":{"x":{"email":"e"}}}`, `{"mu":{"y":{}},"mu":{"z":null}}`, `{"m":{"a":1,"a":2}}`,
	`{"ml":{"f":[2],"g":[]}}`, `{"mu":{"x":{"id":1},"y":{"email":"e"}}}`, `{"ml":{"f":[1,2],"g":[3]}}`, `{"m":{"":1}}`, `{"m":{"é":1}}`, `{"m":{"a\u0062":1}}`,
	// names: exact, folded, loose, skipped, unknown:
	`{"A":1,"a":2}`, `{"K":1}`, "{\"\xe2\x84\xaa\":1}", `{"SNAKE_CASE":1}`, `{"snakecase":1}`, `{"snake-case":1}`,
	`{"notag":1}`, `{"NOTAG":1}`, `{"Skip":1}`, `{"skip":1}`, `{"Dash":1}`, `{"hidden":1}`, `{"A B":1}`, `{"Bad":1}`,
	`{"unknown":1,"b":true}`, `{"Unknown":{"i":1}}`, `{"i":1,"I":2}`, `{"I":2,"i":1}`, "{\"\xc3\xa9\":1}",
	// recursion through a pointer, and depth:
	`{"next":{"next":{"next":{"i":3}}}}`, `{"next":` + strings.Repeat(`{"next":`, maxFastDepth) + `{}` + strings.Repeat("}", maxFastDepth+1),
	`{"ll":` + strings.Repeat("[", maxFastDepth) + strings.Repeat("]", maxFastDepth) + `}`,
}

// node is a recursive type: through a slice, a pointer and a map.
type node struct {
	Val  int             `json:"v"`
	Kids []node          `json:"kids"`
	Next *node           `json:"next"`
	By   map[string]node `json:"by"`
}

var nodeInputs = []string{
	`{"v":1,"kids":[{"v":2,"kids":[{"v":3}]},{"next":{"v":4}}],"next":{"v":5,"by":{"a":{"v":6}}},"by":{"b":{"kids":[]}}}`,
	`{"kids":[` + strings.Repeat(`{"kids":[`, 20) + strings.Repeat("]}", 20) + "]}",
	`{"next":` + strings.Repeat(`{"next":`, 40) + "null" + strings.Repeat("}", 41),
}

// TestJSONPlanTypes: the fast path takes the simple types, and leaves to
// encoding/json any type it could decode differently.
func TestJSONPlanTypes(t *testing.T) {
	for _, c := range []struct {
		t    reflect.Type
		want bool
	}{
		{reflect.TypeFor[testData](), true},
		{reflect.TypeFor[benchData](), true},
		{reflect.TypeFor[kinds](), true},
		{reflect.TypeFor[node](), true},
		{reflect.TypeFor[tree](), true},
		{reflect.TypeFor[int](), true},
		{reflect.TypeFor[*testUser](), true},
		{reflect.TypeFor[map[label][]int](), true},
		{reflect.TypeFor[struct{ a, b keeper }](), true}, // unexported: encoding/json ignores them
		{reflect.TypeFor[struct {
			A keeper `json:"-"`
		}](), true},
		{reflect.TypeFor[time.Time](), false},
		{reflect.TypeFor[struct{ At time.Time }](), false},
		{reflect.TypeFor[time.Duration](), true},
		{reflect.TypeFor[keeper](), false},
		{reflect.TypeFor[struct{ K []keeper }](), false},
		{reflect.TypeFor[recursive](), false},
		{reflect.TypeFor[valueUnmarshaler](), false},
		{reflect.TypeFor[map[textKey]int](), false},
		{reflect.TypeFor[map[string]*textKeeper](), false},
		{reflect.TypeFor[map[int]string](), false},
		{reflect.TypeFor[struct{ V any }](), false},
		{reflect.TypeFor[json.Number](), false},
		{reflect.TypeFor[json.RawMessage](), false},
		{reflect.TypeFor[[]byte](), false},
		{reflect.TypeFor[[]label](), true},
		{reflect.TypeFor[[2]int](), false},
		{reflect.TypeFor[**int](), false},
		{reflect.TypeFor[complex128](), false},
		{reflect.TypeFor[chan int](), false},
		{reflect.TypeFor[func()](), false},
		{reflect.TypeFor[struct{ testUser }](), false},
		{reflect.TypeFor[struct{ *testUser }](), false},
		{reflect.TypeFor[struct {
			N int `json:",string"`
		}](), false},
		{reflect.TypeFor[struct {
			N int `json:",inline"`
		}](), false},
		{reflect.StructOf([]reflect.StructField{ // built so, as vet rightly rejects it in source
			{Name: "N", Type: reflect.TypeFor[int](), Tag: `json:"n"`},
			{Name: "M", Type: reflect.TypeFor[int](), Tag: `json:"n"`},
		}), false},
		{reflect.TypeFor[struct {
			N int
			M int `json:"N"`
		}](), false},
		{reflect.TypeFor[struct {
			N int `json:"'n'"`
		}](), false},
		{reflect.TypeFor[struct {
			N int `json:"é"`
		}](), false},
		{reflect.TypeFor[struct{ Ä int }](), false},
	} {
		if got := newJSONPlan(c.t) != nil; got != c.want {
			t.Errorf("newJSONPlan(%v) accepted = %v, want %v", c.t, got, c.want)
		}
	}
}

type valueUnmarshaler int

func (valueUnmarshaler) UnmarshalJSON([]byte) error { return nil }

type textKey string

func (*textKey) UnmarshalText([]byte) error { return nil }

// TestJSONFastPathRuns: the fast path takes the session of the benchmarks
// and other plain inputs, so that dataDecoder never starts again from
// fresh defaults for them; and it leaves to encoding/json what it must.
func TestJSONFastPathRuns(t *testing.T) {
	bench, err := json.Marshal(benchData{Count: 1, User: &benchUser{ID: 42, Email: "user@example.com", Roles: []string{"admin", "staff"}}})
	if err != nil {
		t.Fatal(err)
	}
	accepted := []string{string(bench), `{"count":1}`, `null`, `{}`, " {\n\t\"user\" : {\"roles\":[]} }\r\n",
		`{"user":{"email":"é"},"other":[1,{"x":null}]}`, `{"user":{"id":1},"user":{"roles":["a"]}}`}
	declined := []string{`{"user":{"email":"a\"b"}}`, `{"COUNT":1}`, `{"count":1.5}`, `{"count":"1"}`, `{"count":1}x`, ``,
		"{\"user\":{\"email\":\"\xff\"}}", `{"x":` + strings.Repeat("[", maxFastDepth) + strings.Repeat("]", maxFastDepth) + `}`}
	plan := newJSONPlan(reflect.TypeFor[benchData]())
	if plan == nil {
		t.Fatal("no fast path for the benchmarks' session")
	}
	for _, in := range accepted {
		var d benchData
		if !plan.decode([]byte(in), reflect.ValueOf(&d).Elem()) {
			t.Errorf("fast path declined %q", in)
		}
	}
	for _, in := range declined {
		var d benchData
		if plan.decode([]byte(in), reflect.ValueOf(&d).Elem()) {
			t.Errorf("fast path took %q", in)
		}
	}

	// Every kind, at the bounds of its range.
	kindsPlan := newJSONPlan(reflect.TypeFor[kinds]())
	for _, in := range []string{kindsInputs[0], `{"i64":-9223372036854775808,"i":-9223372036854775808}`, `{"u":18446744073709551615}`} {
		var k kinds
		if !kindsPlan.decode([]byte(in), reflect.ValueOf(&k).Elem()) {
			t.Errorf("fast path declined %.60q", in)
		}
	}

	// Through dataDecoder: fresh is called only when the fast path gives
	// up and the decode starts again.
	var calls int
	decode := dataDecoder(JSON{}, func() benchData { calls++; return benchData{} })
	for _, in := range accepted {
		var d benchData
		if err := decode([]byte(in), &d); err != nil || calls != 0 {
			t.Fatalf("%q: %v, %d decodes started again", in, err, calls)
		}
	}
	var d benchData
	if _ = decode([]byte(declined[0]), &d); calls == 0 {
		t.Fatalf("%q: the fast path did not give up", declined[0])
	}
	if testing.Short() {
		return
	}
	allocs := testing.AllocsPerRun(100, func() {
		var d benchData
		_ = decode(bench, &d)
	})
	// The user, the email, the roles' array and two roles: the decode
	// allocates nothing of its own (d escapes too, in the benchmark).
	if allocs > 6 {
		t.Errorf("%v allocations to decode the benchmarks' session, want at most 6", allocs)
	}
}

// TestJSONFastKinds: over every kind, whatever the defaults (even stale
// elements past a slice's length), the decode is json.Unmarshal's.
func TestJSONFastKinds(t *testing.T) {
	fresheners := []func() kinds{staleKinds}
	for _, def := range kindsDefaults() {
		fresh, err := copier(def, JSON{})
		if err != nil {
			t.Fatal(err)
		}
		fresheners = append(fresheners, fresh)
	}
	for _, fresh := range fresheners {
		decode := dataDecoder(JSON{}, fresh)
		for _, in := range append(kindsInputs, jsonInputs...) {
			checkDecodeMatches(t, decode, fresh, in)
		}
	}
	fresh := func() node { return node{Val: 1, Kids: []node{{Val: 2}}, Next: &node{Val: 3}} }
	decode := dataDecoder(JSON{}, fresh)
	for _, in := range append(nodeInputs, jsonInputs...) {
		checkDecodeMatches(t, decode, fresh, in)
	}
}

// fastCheck decodes one input with the fast path into one type, and checks
// it against json.Unmarshal if the fast path accepted it.
type fastCheck func(t *testing.T, in []byte) (accepted bool)

func fastCheckFor[T any](fresh func() T) fastCheck {
	plan := newJSONPlan(reflect.TypeFor[T]())
	return func(t *testing.T, in []byte) bool {
		t.Helper()
		buf := bytes.Clone(in)
		got := fresh()
		if !plan.decode(buf, reflect.ValueOf(&got).Elem()) {
			return false
		}
		want := fresh()
		if err := json.Unmarshal(in, &want); err != nil {
			t.Fatalf("input %.80q: the fast path accepted it, json.Unmarshal: %v", in, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("input %.80q: the fast path made %+v, json.Unmarshal %+v", in, got, want)
		}
		// Nothing decoded may refer to the input.
		for i := range buf {
			buf[i] = '#'
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("input %.80q: the decoded value changed with the input", in)
		}
		return true
	}
}

// fastChecks are the types and defaults the fuzz target tries.
func fastChecks(tb testing.TB) []fastCheck {
	var checks []fastCheck
	for _, def := range []testData{{}, {Count: 9, User: &testUser{ID: 1, Email: "d", Roles: []string{"r"}}, Tags: map[string]string{"d": "1"}}} {
		fresh, err := copier(def, JSON{})
		if err != nil {
			tb.Fatal(err)
		}
		checks = append(checks, fastCheckFor(fresh))
	}
	for _, def := range kindsDefaults() {
		fresh, err := copier(def, JSON{})
		if err != nil {
			tb.Fatal(err)
		}
		checks = append(checks, fastCheckFor(fresh))
	}
	return append(checks, fastCheckFor(staleKinds), fastCheckFor(func() node { return node{Next: &node{Val: 3}} }))
}

// FuzzJSONFastPath: whenever the fast path accepts an input, json.Unmarshal
// accepts it too and makes the same value. (That dataDecoder then falls back
// correctly is FuzzDataDecoder's job.)
func FuzzJSONFastPath(f *testing.F) {
	for _, list := range [][]string{jsonInputs, kindsInputs, nodeInputs} {
		for _, in := range list {
			if len(in) < 1000 {
				f.Add([]byte(in))
			}
		}
	}
	checks := fastChecks(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, check := range checks {
			check(t, in)
		}
	})
}

// TestJSONFastSeedsAccepted: the fuzz target's seeds reach the fast path's
// decoding for every type it tries, not only its refusals.
func TestJSONFastSeedsAccepted(t *testing.T) {
	seeds := append(append(append([]string{}, jsonInputs...), kindsInputs...), nodeInputs...)
	for i, check := range fastChecks(t) {
		n := 0
		for _, in := range seeds {
			if check(t, []byte(in)) {
				n++
			}
		}
		if n < 10 {
			t.Errorf("check %d: the fast path accepted %d seeds", i, n)
		}
	}
}
