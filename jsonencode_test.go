package session

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// omits has fields tagged omitempty, omitzero and both, of every kind the
// JSON writer takes.
type omits struct {
	B   bool           `json:"b,omitempty"`
	I   int            `json:"i,omitempty"`
	I8  int8           `json:"i8,omitempty"`
	U   uint           `json:"u,omitempty"`
	UP  uintptr        `json:"up,omitempty"`
	F32 float32        `json:"f32,omitempty"`
	F64 float64        `json:"f64,omitempty"`
	S   string         `json:"s,omitempty"`
	N   label          `json:"n,omitempty"`
	P   *int           `json:"p,omitempty"`
	PU  *testUser      `json:"pu,omitempty"`
	L   []int          `json:"l,omitempty"`
	M   map[string]int `json:"m,omitempty"`
	St  testUser       `json:"st,omitempty"` // a struct is never empty
	ZB  bool           `json:"zb,omitzero"`
	ZI  int64          `json:"zi,omitzero"`
	ZU  uint16         `json:"zu,omitzero"`
	ZF  float64        `json:"zf,omitzero"` // -0.0 is not zero
	ZF3 float32        `json:"zf3,omitzero"`
	ZS  string         `json:"zs,omitzero"`
	ZP  *int           `json:"zp,omitzero"`
	ZL  []int          `json:"zl,omitzero"` // an empty slice is not zero
	ZM  map[string]int `json:"zm,omitzero"`
	ZSt testUser       `json:"zst,omitzero"` // zero when every field is
	ZSp struct {
		A int
		b []string
	} `json:"zsp,omitzero"` // an unexported field counts too
	EZ  []string `json:"ez,omitempty,omitzero"`
	EZF float64  `json:",omitempty,omitzero"`
	Z   zeroish  `json:"z"` // its IsZero only counts under omitzero
}

// zeroish has the IsZero method that json.Marshal asks for omitzero.
type zeroish int

func (z zeroish) IsZero() bool { return z < 0 }

// Types the writer leaves to json.Marshal.
type (
	valueMarshaler int
	ptrMarshaler   struct{ N int }
	textValue      string
	ptrText        int
	jsonToValue    int
	ptrJSONTo      int
	ptrZeroish     int
)

func (valueMarshaler) MarshalJSON() ([]byte, error) { return []byte(`"value"`), nil }
func (*ptrMarshaler) MarshalJSON() ([]byte, error)  { return []byte(`"pointer"`), nil }
func (t textValue) MarshalText() ([]byte, error)    { return []byte("text:" + t), nil }
func (*ptrText) MarshalText() ([]byte, error)       { return []byte("ptr"), nil }

// MarshalJSONTo has the name JSON v2 looks for; its signature matters not
// to the writer, which refuses the name.
func (jsonToValue) MarshalJSONTo(struct{}) error { return nil }
func (*ptrJSONTo) MarshalJSONTo(struct{}) error  { return nil }
func (*ptrZeroish) IsZero() bool                 { return true }

// TestJSONEncodePlanTypes: the writer leaves to json.Marshal any type that
// has a say in its own encoding, at any depth, and the types the reader
// refuses. (That it takes the types of the tests, TestJSONEncodeMatches
// checks value by value.)
func TestJSONEncodePlanTypes(t *testing.T) {
	for _, c := range []struct {
		t    reflect.Type
		want bool
	}{
		{reflect.TypeFor[omits](), true},
		{reflect.TypeFor[time.Duration](), true}, // its String is not for JSON
		{reflect.TypeFor[struct {
			Z ptrZeroish `json:"z"`
		}](), true}, // IsZero without omitzero
		{reflect.TypeFor[valueMarshaler](), false},
		{reflect.TypeFor[*valueMarshaler](), false},
		{reflect.TypeFor[[]valueMarshaler](), false},
		{reflect.TypeFor[ptrMarshaler](), false},
		{reflect.TypeFor[struct{ P ptrMarshaler }](), false},
		{reflect.TypeFor[struct{ P *ptrMarshaler }](), false},
		{reflect.TypeFor[map[string]ptrMarshaler](), false},
		{reflect.TypeFor[struct{ T textValue }](), false},
		{reflect.TypeFor[map[textValue]int](), false},
		{reflect.TypeFor[[]ptrText](), false},
		{reflect.TypeFor[struct{ J jsonToValue }](), false},
		{reflect.TypeFor[[]ptrJSONTo](), false},
		{reflect.TypeFor[struct {
			Z zeroish `json:"z,omitzero"`
		}](), false},
		{reflect.TypeFor[struct {
			Z *zeroish `json:"z,omitzero"`
		}](), false},
		{reflect.TypeFor[struct {
			Z ptrZeroish `json:"z,omitempty,omitzero"`
		}](), false},
		{reflect.TypeFor[time.Time](), false},
		{reflect.TypeFor[struct{ V any }](), false},
		{reflect.TypeFor[json.RawMessage](), false},
		{reflect.TypeFor[[]byte](), false},
		{reflect.TypeFor[[2]int](), false},
	} {
		if got := newJSONEncodePlan(c.t) != nil; got != c.want {
			t.Errorf("newJSONEncodePlan(%v) accepted = %v, want %v", c.t, got, c.want)
		}
	}
}

// encodeCheck compares what dataEncoder makes of values of one type with
// json.Marshal's output.
type encodeCheck[T any] struct {
	plan   *jsonPlan
	encode func(*T) ([]byte, error)
}

func newEncodeCheck[T any]() *encodeCheck[T] {
	return &encodeCheck[T]{plan: newJSONEncodePlan(reflect.TypeFor[T]()), encode: dataEncoder[T](JSON{})}
}

// check fails t unless the encoder's bytes and error for v are
// json.Marshal's, and reports whether the writer took v itself.
func (c *encodeCheck[T]) check(t *testing.T, v T) (fast bool) {
	t.Helper()
	want, wantErr := json.Marshal(v)
	got, err := c.encode(&v)
	if !bytes.Equal(got, want) || fmt.Sprint(err) != fmt.Sprint(wantErr) {
		t.Fatalf("%T %+v: encoded %q (error %v), json.Marshal %q (error %v)", v, v, got, err, want, wantErr)
	}
	if c.plan == nil {
		return false
	}
	// After other bytes, as an append must.
	b, ok := c.plan.appendJSON([]byte("prefix"), reflect.ValueOf(&v).Elem(), 0)
	if ok && (wantErr != nil || string(b) != "prefix"+string(want)) {
		t.Fatalf("%T %+v: the writer made %q, json.Marshal %q (error %v)", v, v, b, want, wantErr)
	}
	return ok
}

// encodeCase is one value of the table test, and whether the writer must
// take it (else json.Marshal encodes it).
type encodeCase struct {
	name string
	fast bool
	run  func(t *testing.T) bool
}

func encCase[T any](name string, v T, fast bool) encodeCase {
	return encodeCase{name, fast, func(t *testing.T) bool { return newEncodeCheck[T]().check(t, v) }}
}

// specialStrings hold every byte that json.Marshal escapes, and UTF-8
// valid, invalid, cut short, and the line separators JavaScript breaks on.
// The writer leaves strings of invalid UTF-8 to json.Marshal.
var specialStrings = func() []string {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	s := []string{"", "plain", string(all), string(all[:utf8.RuneSelf]), `"`, `\`, `\"`, "<script>&amp;</script>", "\x7f", "\x00", "\x1f",
		"\b\f\n\r\t", "é", "日本語", "😀", "\u2028", "\u2029", "a\u2028b\u2029c", "\u2027\u202a", "\ufffd", "\xff",
		"\xc3", "a\xc3", "\xc3(", "\xe2\x80", "\xe2\x80\xa8\xe2", "\xed\xa0\x80", "\xed\xbf\xbf", "\xf4\x90\x80\x80",
		"\xf0\x9f\x98", "\xc0\xaf", "x\xffy\xfez", "\U0010ffff", "\\u0041", "</", "{}[],:"}
	for c := range 0x80 {
		s = append(s, "a"+string(rune(c))+"b")
	}
	return s
}()

// encodeFloats cross the bounds of json.Marshal's two formats, in float32
// and float64, and the trimmed exponents.
var encodeFloats = []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 0.2, 1.0 / 3, -2.5, 100, 1e6, 123456789.125, 1e20,
	1e21, -1e21, math.Nextafter(1e21, 0), 1.5e21, 1e22, 1e100, math.MaxFloat64, -math.MaxFloat64, 1e-6, -1e-6,
	math.Nextafter(1e-6, 0), math.Nextafter(1e-6, 1), 9.99e-7, 1e-7, 1.5e-7, 1e-9, 1e-10, 1.234e-10, 1e-100, 1e-300,
	5e-324, 12345678901234567890, math.MaxInt64, math.MaxFloat32, math.SmallestNonzeroFloat32, 16777217, 3.4e38,
	float64(math.Nextafter32(1e21, 0)), float64(math.Nextafter32(1e21, 2e21)), float64(float32(1e21)),
	float64(math.Nextafter32(1e-6, 0)), float64(math.Nextafter32(1e-6, 1)), float64(float32(1e-6)), float64(float32(0.1))}

// encodeCases are the table test's values; with the fuzz target's seeds.
func encodeCases() []encodeCase {
	user := &testUser{ID: 7, Email: "a@b.c", Roles: []string{"admin", "staff"}}
	cases := []encodeCase{
		encCase("testData zero", testData{}, true),
		encCase("testData full", testData{Count: -5, User: user, Tags: map[string]string{"b": "1", "a": "2", "": "x"}}, true),
		encCase("testData empty user", testData{User: &testUser{}}, true),
		encCase("testData empty roles and tags", testData{User: &testUser{Roles: []string{}}, Tags: map[string]string{}}, true),
		encCase("bench", benchData{Count: 1, User: &benchUser{ID: 42, Email: "user@example.com", Roles: []string{"admin", "staff"}}}, true),
		encCase("bench nil roles", benchData{User: &benchUser{}}, true),
		encCase("bench empty roles", benchData{User: &benchUser{Roles: []string{}}}, true),
		encCase("bench zero", benchData{}, true),
		encCase("kinds zero", kinds{}, true),
		encCase("kinds stale", staleKinds(), true),
		encCase("kinds full", fullKinds(), true),
		encCase("omits zero", omits{}, true),
		encCase("omits full", fullOmits(), true),
		encCase("omits empty", emptyOmits(), true),
		encCase("omits -0 under omitzero", omits{ZF: math.Copysign(0, -1), ZF3: float32(math.Copysign(0, -1))}, true),
		encCase("omits -0 under omitempty", omits{F64: math.Copysign(0, -1)}, false),
		encCase("omits -0 float32 under omitempty", omits{F32: float32(math.Copysign(0, -1))}, false),
		encCase("omits -0 under both", omits{EZF: math.Copysign(0, -1)}, false),
		encCase("omits NaN", omits{F64: math.NaN()}, false),
		encCase("node", node{Val: 1, Kids: []node{{Val: 2, Kids: []node{}}, {Next: &node{Val: 3}}},
			By: map[string]node{"z": {Val: 4}, "a": {By: map[string]node{}}}}, true),
		encCase("node chain at the depth bound", nodeChain(maxFastDepth), true),
		encCase("node chain past the depth bound", nodeChain(maxFastDepth+1), false),
		encCase("node chain deep", nodeChain(300), false),
		encCase("node cycle through a pointer", nodeCycle(), false),
		encCase("node cycle through a slice", nodeSliceCycle(), false),
		encCase("kinds cycle", kindsCycle(), false),
		encCase("tree", tree{Left: &tree{Items: []tree{{}}}, Right: &tree{}}, true),
		encCase("int", -42, true),
		encCase("bool", true, true),
		encCase("uintptr", uintptr(math.MaxUint64), true),
		encCase("int8", int8(math.MinInt8), true),
		encCase("nil pointer", (*testUser)(nil), true),
		encCase("pointer", user, true),
		encCase("nil slice", []string(nil), true),
		encCase("empty slice", []string{}, true),
		encCase("nested slices", [][]int{nil, {}, {1, -2}}, true),
		encCase("nil map", map[string]int(nil), true),
		encCase("empty map", map[string]int{}, true),
		encCase("map of nil and empty", map[label][]int{"nil": nil, "empty": {}, "one": {1}}, true),
		encCase("map of pointers", map[string]*testUser{"nil": nil, "u": user}, true),
		encCase("map of maps", map[string]map[string]bool{"b": {"y": true, "x": false}, "a": nil}, true),
		encCase("duration", time.Duration(-1500), true),
		// Left to json.Marshal, whatever the value.
		encCase("marshaler in a struct", struct{ P ptrMarshaler }{}, false),
		encCase("marshaler behind a pointer", struct{ P *ptrMarshaler }{&ptrMarshaler{}}, false),
		encCase("text key", map[textValue]int{"a": 1}, false),
		encCase("IsZero under omitzero", struct {
			Z zeroish `json:"z,omitzero"`
		}{-1}, false),
		encCase("IsZero without omitzero", struct {
			Z zeroish `json:"z"`
		}{-1}, true),
	}
	keys, validKeys := map[string]int{}, map[string]int{}
	for i, s := range specialStrings {
		valid := utf8.ValidString(s)
		cases = append(cases,
			encCase(fmt.Sprint("string ", i), s, valid),
			encCase(fmt.Sprint("string in a struct ", i), testData{User: &testUser{Email: s, Roles: []string{s, s}}, Tags: map[string]string{s: s, "k": s}}, valid),
			encCase(fmt.Sprint("string kinds ", i), kinds{S: s, Name: label(s), MU: map[label]*testUser{label(s): nil, label(s + s): {}}}, valid),
			encCase(fmt.Sprint("string key ", i), map[string]int{s: 1, "k": 2}, valid))
		keys[s] = i
		if valid {
			validKeys[s] = i
		}
	}
	// The map keys all at once: sorted by their bytes, not their escapes.
	cases = append(cases, encCase("special keys", keys, false), encCase("valid special keys", validKeys, true))
	for i, f := range encodeFloats {
		fits := !math.IsInf(float64(float32(f)), 0) // else json.Marshal's error
		cases = append(cases,
			encCase(fmt.Sprint("float64 ", i), f, true), encCase(fmt.Sprint("float32 ", i), float32(f), fits),
			encCase(fmt.Sprint("float64 negated ", i), -f, true), encCase(fmt.Sprint("float32 negated ", i), -float32(f), fits),
			encCase(fmt.Sprint("float kinds ", i), kinds{F32: float32(f), F64: f, ML: map[string][]float32{"f": {float32(f), -float32(f)}}}, fits))
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		cases = append(cases, encCase(fmt.Sprint(f), f, false), encCase(fmt.Sprint("float32 ", f), float32(f), false),
			encCase(fmt.Sprint("slice ", f), []float64{1, f}, false), encCase(fmt.Sprint("map ", f), map[string]float32{"a": 1, "b": float32(f)}, false))
	}
	return cases
}

// fullKinds sets every field of kinds, at the ends of their ranges.
func fullKinds() kinds {
	p := -1
	return kinds{
		B: true, I: math.MinInt, I8: math.MinInt8, I16: math.MaxInt16, I32: math.MinInt32, I64: math.MaxInt64,
		U: math.MaxUint, U8: math.MaxUint8, U16: math.MaxUint16, U32: math.MaxUint32, U64: math.MaxUint64, UP: 1,
		F32: math.MaxFloat32, F64: -math.SmallestNonzeroFloat64, S: "s", Name: "<n>", P: &p, L: []int{},
		LU: []testUser{{}, {ID: 1, Roles: []string{}}}, LP: []*testUser{nil, {Email: "e"}}, LL: [][]string{nil, {}, {"a", ""}},
		M: map[string]int{"b": 2, "a": 1, "A": 0, "é": 3, "": 4}, MU: map[label]*testUser{"x": nil, "y": {ID: 2}},
		ML: map[string][]float32{"f": nil, "g": {}, "h": {0.1, 1e-7}}, Next: &kinds{Next: &kinds{S: "deep"}},
		K: 1, Lower: 2, Upper: 3, Snake: 4, Dash: 5, Skip: 6, NoTag: 7, Space: 8, Punct: 9, Bad: 10,
	}
}

// fullOmits sets every field of omits: none is omitted.
func fullOmits() omits {
	one := 1
	o := omits{B: true, I: -1, I8: 1, U: 1, UP: 1, F32: 0.5, F64: -1e-7, S: "s", N: "n", P: &one, PU: &testUser{}, L: []int{0},
		M: map[string]int{"": 0}, St: testUser{ID: 1}, ZB: true, ZI: 1, ZU: 1, ZF: 1e21, ZF3: 1, ZS: "z", ZP: &one, ZL: []int{},
		ZM: map[string]int{}, ZSt: testUser{Roles: []string{}}, EZ: []string{""}, EZF: 2, Z: -1}
	o.ZSp.b = []string{}
	return o
}

// emptyOmits sets values that are empty but not zero, or zero but not
// empty.
func emptyOmits() omits {
	zero := 0
	return omits{P: &zero, PU: &testUser{}, L: []int{}, M: map[string]int{}, ZP: &zero, ZL: []int{}, ZM: map[string]int{},
		ZSt: testUser{Roles: []string{}}, EZ: []string{}}
}

// nodeChain returns n nodes, each the next of the one before.
func nodeChain(n int) node {
	head := node{Val: n}
	for i := n - 1; i > 0; i-- {
		next := head
		head = node{Val: i, Next: &next}
	}
	return head
}

func nodeCycle() node {
	n := &node{Val: 1}
	n.Next = &node{Next: n}
	return *n
}

func nodeSliceCycle() node {
	n := node{Kids: make([]node, 1)}
	n.Kids[0].Kids = n.Kids
	return n
}

func kindsCycle() kinds {
	k := &kinds{}
	k.Next = k
	return *k
}

// TestJSONEncodeMatches: the encoder's bytes and errors are json.Marshal's
// for every value of the table, and the writer, not json.Marshal, makes
// those it must.
func TestJSONEncodeMatches(t *testing.T) {
	for _, c := range encodeCases() {
		if fast := c.run(t); fast != c.fast {
			t.Errorf("%s: the writer took it = %v, want %v", c.name, fast, c.fast)
		}
	}
}

// TestJSONEncodeSizes: the size of the previous output, which sizes the
// next slice, does not change what is written, as sessions grow and
// shrink, encoded from parallel requests.
func TestJSONEncodeSizes(t *testing.T) {
	c := newEncodeCheck[testData]()
	values := []testData{{}, {Tags: map[string]string{"k": strings.Repeat("v", 5000)}}, {Count: 1}, {User: &testUser{Email: "<>"}}}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				for _, v := range values {
					want, _ := json.Marshal(v)
					if got, err := c.encode(&v); err != nil || !bytes.Equal(got, want) {
						t.Errorf("encoded %q (error %v), want %q", got, err, want)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

// TestJSONEncodeOneAllocation: the session of the benchmarks is encoded
// by the writer, into a single allocation, the result.
func TestJSONEncodeOneAllocation(t *testing.T) {
	d := benchData{Count: 1, User: &benchUser{ID: 42, Email: "user@example.com", Roles: []string{"admin", "staff"}}}
	c := newEncodeCheck[benchData]()
	if !c.check(t, d) {
		t.Fatal("the writer did not take the benchmarks' session")
	}
	if testing.Short() {
		return
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := c.encode(&d); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 1 {
		t.Errorf("%v allocations to encode the benchmarks' session, want 1", allocs)
	}
}

// TestJSONEncodeOtherSerializer: a Serializer other than JSON is called
// as it is, even for a type the writer takes.
func TestJSONEncodeOtherSerializer(t *testing.T) {
	encode := dataEncoder[benchData](upperJSON{})
	got, err := encode(&benchData{User: &benchUser{Email: "a"}})
	if err != nil || string(got) != `{"COUNT":0,"USER":{"ID":0,"EMAIL":"A","ROLES":NULL}}` {
		t.Errorf("encoded %q, %v", got, err)
	}
}

// upperJSON is a Serializer that is not JSON{}.
type upperJSON struct{}

func (upperJSON) Marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	return bytes.ToUpper(b), err
}

func (upperJSON) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// FuzzJSONEncode: the encoder's bytes and errors are json.Marshal's for
// values decoded from the input by json.Unmarshal, and for values built
// from the fuzzed string, float and integer.
func FuzzJSONEncode(f *testing.F) {
	for _, list := range [][]string{jsonInputs, kindsInputs, nodeInputs} {
		for _, in := range list {
			if len(in) < 1000 {
				f.Add([]byte(in), "s", 1.5, int64(1))
			}
		}
	}
	for i, s := range specialStrings[:35] {
		f.Add([]byte(`{"s":"`+s+`"}`), s, encodeFloats[i%len(encodeFloats)], int64(i-17))
	}
	for _, x := range []float64{math.NaN(), math.Inf(-1), math.Copysign(0, -1), 1e21, 1e-7} {
		f.Add([]byte(`{}`), "", x, int64(math.MinInt64))
	}
	data, every, nodes, omitted := newEncodeCheck[testData](), newEncodeCheck[kinds](), newEncodeCheck[node](), newEncodeCheck[omits]()
	f.Fuzz(func(t *testing.T, in []byte, s string, x float64, n int64) {
		fuzzDecoded(t, data, in)
		fuzzDecoded(t, every, in)
		fuzzDecoded(t, nodes, in)
		fuzzDecoded(t, omitted, in)
		y := float32(x)
		if math.IsInf(float64(y), 0) && !math.IsInf(x, 0) {
			y = float32(n) // an overflowing float32 is tried in the next case anyway
		}
		every.check(t, fullKindsFrom(s, x, y, n))
		data.check(t, testData{Count: int(n), User: &testUser{Email: s, Roles: []string{s}}, Tags: map[string]string{s: s, "": ""}})
		omitted.check(t, omits{I: int(n), F32: y, F64: x, S: s, N: label(s), ZF: x, ZF3: y, ZS: s, EZF: x, ZI: n,
			M: map[string]int{s: int(n)}, EZ: []string{s}})
	})
}

// fullKindsFrom fills kinds' fields from the fuzzed values.
func fullKindsFrom(s string, x float64, y float32, n int64) kinds {
	return kinds{
		I: int(n), I8: int8(n), I16: int16(n), I32: int32(n), I64: n, U: uint(n), U8: uint8(n), U16: uint16(n),
		U32: uint32(n), U64: uint64(n), UP: uintptr(n), F32: y, F64: x, S: s, Name: label(s), L: []int{int(n)},
		LU: []testUser{{Email: s}}, LL: [][]string{{s, s}}, M: map[string]int{s: 1, s + "x": 2, "x" + s: 3},
		MU: map[label]*testUser{label(s): {Email: s}}, ML: map[string][]float32{s: {y, -y}}, Next: &kinds{S: s, F64: -x},
	}
}

// fuzzDecoded checks the value json.Unmarshal makes of in, if it makes one.
func fuzzDecoded[T any](t *testing.T, c *encodeCheck[T], in []byte) {
	t.Helper()
	var v T
	if json.Unmarshal(in, &v) == nil {
		c.check(t, v)
	}
}
