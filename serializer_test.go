package session

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// jsonInputs are session data as a cookie or record might carry them: valid,
// with bytes around the value, of the wrong type, malformed, too deep.
var jsonInputs = []string{
	`{"count":1}`, `{"count":2,"user":{"id":7,"email":"a@b.c","roles":["x","y"]},"tags":{"k":"v"}}`,
	`{"user":{"roles":[]}}`, `{"tags":{}}`, `{}`, `null`, ` {"count":3}`, `{"count":3} `, "{\"count\":3}\n",
	`{"count":3}x`, `{"count":3}{"count":4}`, `{"count":"x"}`, `{"user":{"roles":[1]}}`, `{"user":[]}`,
	`{"count":1,"count":2}`, `{"unknown":[1,2,{"a":null}],"count":5}`, `{"count":1e400}`, `{"count":`,
	`[]`, `1`, `"s"`, ``, ` `, `{"count":1`, `{"tags":{"a":1}}`, `{"user":null}`, `{"user":{"email":"\u00e9\ud83d\ude00"}}`,
	strings.Repeat(`{"tags":`, 5000), strings.Repeat("[", 100000), `{"count":1}` + strings.Repeat(" ", maxReusedJSON),
	// The JSON fast path's rules (jsonfast.go), one group each. Escapes,
	// in values and keys, which it leaves to encoding/json:
	`{"user":{"email":"a\"b"}}`, `{"user":{"email":"\u0041\/"}}`, `{"tags":{"k\n":"v"}}`, `{"co\u0075nt":5}`, `{"user":{"email":"\x"}}`,
	// control characters, invalid and valid UTF-8:
	"{\"user\":{\"email\":\"a\tb\"}}", "{\"tags\":{\"\x01\":\"v\"}}", "{\"user\":{\"email\":\"\xff\"}}",
	"{\"user\":{\"email\":\"\xed\xa0\x80\"}}", "{\"user\":{\"email\":\"\xc3\"}}", "{\"tags\":{\"\xc3\":\"v\"}}",
	"{\"user\":{\"email\":\"\xc3\xa9\xef\xbf\xbd\xf0\x9f\x98\x80\"}}", "{\"x\xff\":1,\"count\":2}",
	// keys that match a field only case-insensitively (ſ folds to s):
	`{"COUNT":4}`, `{"Count":4,"count":5}`, `{"count":5,"Count":4}`, `{"user":{"ID":3,"Email":"x","ROLES":["r"]}}`,
	`{"co_unt":1}`, `{"cou-nt":1}`, "{\"tag\xc5\xbf\":{\"a\":\"b\"}}", "{\"\xe2\x84\xaa\":1}", `{"counts":1,"user ":{}}`,
	// null into each kind:
	`{"count":null}`, `{"user":{"id":null,"email":null,"roles":null}}`, `{"tags":null}`, `{"tags":{"a":null}}`, `{"user":null,"count":1}`,
	`nul`, `nulls`, `{"count":nul}`, `{"user":{"email":nulL}}`,
	// integers that do not fit, or are not integers, or not JSON:
	`{"count":9223372036854775807}`, `{"count":9223372036854775808}`, `{"count":-9223372036854775808}`,
	`{"count":-9223372036854775809}`, `{"count":18446744073709551615}`, `{"count":18446744073709551616}`,
	`{"count":99999999999999999999999}`, `{"count":-0}`, `{"count":0}`, `{"count":1.0}`, `{"count":1e2}`, `{"count":1E+0}`,
	`{"count":01}`, `{"count":-}`, `{"count":+1}`, `{"count":.5}`, `{"count":1.}`, `{"count":1e}`, `{"count":-01}`, `{"count":0x1}`,
	`{"count":true}`, `{"count":"1"}`, `{"count":[]}`, `{"count":{}}`, `{"user":{"email":1}}`, `{"user":"x"}`, `{"tags":[]}`, `{"tags":{"a":{}}}`,
	// unknown keys, whose values must still be valid:
	`{"x":{"y":[1,-2.5e-3,"a",true,false,null,{"z":[]},[]]},"count":2}`, `{"x":[1,]}`, `{"x":[,1]}`, `{"x":tru}`, `{"x":nulll}`,
	"{\"x\":\"\x01\"}", `{"x":{"a" 1}}`, `{"x":{"a":1,}}`, `{"x":{1:1}}`, `{"x":01}`, `{"x":1.e3}`, `{"x":"\q"}`, `{"x":}`,
	// duplicate keys: the last wins, decoded over what the first left:
	`{"user":{"id":1,"roles":["a"]},"user":{"email":"e"}}`, `{"user":{"roles":["a","b","c"],"roles":["d"]}}`,
	`{"user":{"roles":["a"],"roles":["b","c","d"]}}`, `{"tags":{"a":"1"},"tags":{"b":"2"}}`, `{"tags":{"a":"1","a":"2"}}`,
	`{"user":{"id":1},"user":null,"user":{"email":"e"}}`, `{"user":{"roles":["a"]},"user":{"roles":[]}}`,
	// whitespace everywhere, and bytes that are not whitespace:
	" \t\n\r{ \"count\" :\t1 ,\n\"user\" : { \"roles\" : [ \"a\" , \"b\" ] ,\"id\"\r:\r-3 } , \"tags\" : { \"k\" : \"v\" } } \r\n",
	"{\"count\":1}\f", "\v{\"count\":1}", "{\"count\":1}\x00", `{"count":1},`, `{"count":1}]`, `{"count":1}}`, `{"count" 1}`, `{"count":1 "user":{}}`,
	// nesting around the fast path's bound:
	`{"x":` + strings.Repeat("[", maxFastDepth-2) + strings.Repeat("]", maxFastDepth-2) + `,"count":1}`,
	`{"x":` + strings.Repeat("[", maxFastDepth-1) + strings.Repeat("]", maxFastDepth-1) + `,"count":1}`,
	`{"x":` + strings.Repeat("[", maxFastDepth) + strings.Repeat("]", maxFastDepth) + `,"count":1}`,
	`{"x":` + strings.Repeat(`{"a":`, maxFastDepth) + "1" + strings.Repeat("}", maxFastDepth) + `,"count":1}`,
	`{"x":` + strings.Repeat("[", 200) + strings.Repeat("]", 199) + `}`, `{"user":{"roles":[[]]}}`, `{"user":{"roles":["a",["b"]]}}`,
}

// TestDataDecoderMatchesUnmarshal: the faster decode of the JSON serializer
// gives exactly what json.Unmarshal gives over a fresh copy of the
// defaults, error text included, whatever the input and the defaults.
func TestDataDecoderMatchesUnmarshal(t *testing.T) {
	for _, def := range []testData{{}, {Count: 9, User: &testUser{ID: 1, Email: "d@e.f", Roles: []string{"r"}}, Tags: map[string]string{"d": "1"}}} {
		fresh, err := copier(def, JSON{})
		if err != nil {
			t.Fatal(err)
		}
		if !jsonCopiesInput(reflect.TypeFor[testData]()) {
			t.Fatal("testData should take the reused decoder")
		}
		decode := dataDecoder(JSON{}, fresh)
		// Twice, so that the second round runs on decoders the first
		// returned to the pool.
		for range 2 {
			for _, in := range jsonInputs {
				checkDecodeMatches(t, decode, fresh, in)
			}
		}
	}
}

func checkDecodeMatches[T any](t *testing.T, decode func([]byte, *T) error, fresh func() T, in string) {
	t.Helper()
	want, got := fresh(), fresh()
	wantErr := json.Unmarshal([]byte(in), &want)
	gotErr := decode([]byte(in), &got)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("input %.60q: error %v, json.Unmarshal's %v", in, gotErr, wantErr)
	}
	if wantErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("input %.60q: decoded %+v, json.Unmarshal made %+v", in, got, want)
	}
}

// TestUnmarshalReused: the reused decoder vouches for a lone value only,
// so that the test above exercises both of dataDecoder's paths.
func TestUnmarshalReused(t *testing.T) {
	for in, want := range map[string]bool{`{"count":1}`: true, `{"count":1} `: false, `{"count":1}x`: false, `{"count":"x"}`: false, ``: false} {
		for range 2 {
			var d testData
			if got := unmarshalReused([]byte(in), &d); got != want {
				t.Errorf("unmarshalReused(%q) = %v, want %v", in, got, want)
			}
		}
	}
}

// TestDataDecoderScalar: a session type that is not an object (a number
// ends only at the end of its input) decodes as json.Unmarshal does.
func TestDataDecoderScalar(t *testing.T) {
	fresh := func() int { return 0 }
	decode := dataDecoder(JSON{}, fresh)
	for range 2 {
		for _, in := range []string{`1`, ` 2`, `3 `, `4x`, `5 6`, `-`, `""`, ``} {
			checkDecodeMatches(t, decode, fresh, in)
		}
	}
}

// TestDataDecoderConcurrent: decoders shared through the pool never mix
// two sessions' data.
func TestDataDecoderConcurrent(t *testing.T) {
	fresh := func() testData { return testData{} }
	decode := dataDecoder(JSON{}, fresh)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				want := testData{Count: g*1000 + i, User: &testUser{Email: fmt.Sprint(g, "@", i), Roles: strings.Split("a,b,c,d", ",")[:1+i%4]}}
				b, _ := json.Marshal(want)
				got := fresh()
				if err := decode(b, &got); err != nil || !reflect.DeepEqual(got, want) {
					t.Errorf("decoded %+v (%v), want %+v", got, err, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// keeper keeps the bytes it is given, against UnmarshalJSON's contract:
// with a reused decoder's buffer, it would see another request's data.
type keeper struct{ kept []byte }

func (k *keeper) UnmarshalJSON(b []byte) error { k.kept = b; return nil }

type textKeeper struct{ kept *[]byte } // comparable: it is a map key below

func (k *textKeeper) UnmarshalText(b []byte) error { k.kept = &b; return nil }

type tree struct {
	Left, Right *tree
	Items       []tree
}

type recursive struct {
	Next  *recursive
	Items []recursive
	Inner keeper
}

// TestJSONCopiesInput: only types whose decoding keeps no slice of the
// input take the reused decoder.
func TestJSONCopiesInput(t *testing.T) {
	for _, c := range []struct {
		t    reflect.Type
		want bool
	}{
		{reflect.TypeFor[testData](), true},
		{reflect.TypeFor[int](), true},
		{reflect.TypeFor[struct{ At time.Time }](), true},
		{reflect.TypeFor[struct{ At *time.Time }](), true},
		{reflect.TypeFor[map[string][]byte](), true},
		{reflect.TypeFor[keeper](), false},
		{reflect.TypeFor[*keeper](), false},
		{reflect.TypeFor[struct{ K []keeper }](), false},
		{reflect.TypeFor[map[textKeeper]int](), false},
		{reflect.TypeFor[map[string]*textKeeper](), false},
		{reflect.TypeFor[struct{ V any }](), false},
		{reflect.TypeFor[map[string]any](), false},
		{reflect.TypeFor[json.RawMessage](), false},
		{reflect.TypeFor[tree](), true},
		{reflect.TypeFor[recursive](), false},
		{reflect.TypeFor[struct{ private keeper }](), false},
	} {
		if got := jsonCopiesInput(c.t); got != c.want {
			t.Errorf("jsonCopiesInput(%v) = %v, want %v", c.t, got, c.want)
		}
	}
}

// TestDataDecoderOtherSerializer: a serializer other than JSON{} is called
// as it is, even for a type the reused decoder could take.
func TestDataDecoderOtherSerializer(t *testing.T) {
	var calls int
	ser := countingSerializer{JSON{}, &calls}
	decode := dataDecoder[testData](ser, func() testData { return testData{} })
	var d testData
	if err := decode([]byte(`{"count":1}`), &d); err != nil || d.Count != 1 || calls != 1 {
		t.Fatalf("decoded %+v, %v, %d calls of the serializer; want count 1 in one call", d, err, calls)
	}
}

type countingSerializer struct {
	JSON
	calls *int
}

func (c countingSerializer) Unmarshal(data []byte, v any) error {
	*c.calls++
	return c.JSON.Unmarshal(data, v)
}

// FuzzDataDecoder: on any input, the reused decoder gives what
// json.Unmarshal gives, over defaults with references.
func FuzzDataDecoder(f *testing.F) {
	for _, in := range jsonInputs {
		if len(in) < 1000 {
			f.Add([]byte(in))
		}
	}
	def := testData{Count: 9, User: &testUser{ID: 1, Roles: []string{"r"}}, Tags: map[string]string{"d": "1"}}
	fresh, err := copier(def, JSON{})
	if err != nil {
		f.Fatal(err)
	}
	decode := dataDecoder(JSON{}, fresh)
	f.Fuzz(func(t *testing.T, in []byte) {
		checkDecodeMatches(t, decode, fresh, string(in))
	})
}
