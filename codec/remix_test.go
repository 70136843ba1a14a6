package codec

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

const (
	remixStrong1 = "9fK2pQ7xLm4vT8sW1zR6yB3nH5jD0cGa"
	remixStrong2 = "Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz2Xc"
)

func weakRemix(t testing.TB, secrets ...string) Codec {
	t.Helper()
	c, err := NewRemixWith(RemixOptions{Secrets: secrets, InsecureAllowWeakSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func strongRemix(t testing.TB, secrets ...string) Codec {
	t.Helper()
	c, err := NewRemix(secrets...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func remixEncode(t testing.TB, c Codec, p *Payload) string {
	t.Helper()
	v, err := c.AppendEncode(nil, "__session", p, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return string(v)
}

// signRemix signs arbitrary JSON text the way React Router does, so that
// tests can reach the checks made after authentication.
func signRemix(secret, js string) string {
	b64 := base64.StdEncoding.EncodeToString([]byte(js))
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(b64))
	return url.QueryEscape(b64 + "." + base64.RawStdEncoding.EncodeToString(m.Sum(nil)))
}

// TestRemixVectors pins the values listed in product.md §3.
func TestRemixVectors(t *testing.T) {
	c := weakRemix(t, "secret1")
	for _, tc := range []struct {
		p    Payload
		want string
	}{
		{Payload{Data: []byte(`{"user":"mjackson"}`)},
			"eyJ1c2VyIjoibWphY2tzb24ifQ%3D%3D.9a3bBygQqLn55MYoJ1XMm3NGCG%2F%2BYT9BwdntO9npOOU"},
		{Payload{Data: []byte(`{"user":"mjackson"}`), Flash: map[string][]byte{"error": []byte(`"boom"`)}},
			"eyJ1c2VyIjoibWphY2tzb24iLCJfX2ZsYXNoX2Vycm9yX18iOiJib29tIn0%3D.3fANf%2FzNcY1ujLFVMq5Z434lnow%2BbwHfGBFyw2vPZOY"},
	} {
		got := remixEncode(t, c, &tc.p)
		if got != tc.want {
			t.Errorf("encode %s:\n got %s\nwant %s", tc.p.Data, got, tc.want)
		}
		p, err := c.Decode("__session", tc.want, time.Now())
		if err != nil {
			t.Fatalf("decode %s: %v", tc.want, err)
		}
		if string(p.Data) != string(tc.p.Data) || !reflect.DeepEqual(p.Flash, tc.p.Flash) || p.Stale || p.ID != "" {
			t.Errorf("decode %s = %+v", tc.want, p)
		}
		// The URL-safe alphabet is another value.
		raw, _ := url.QueryUnescape(tc.want)
		safe := strings.NewReplacer("+", "-", "/", "_").Replace(raw)
		if _, err := c.Decode("__session", safe, time.Now()); !errors.Is(err, ErrInvalid) {
			t.Errorf("URL-safe alphabet %s accepted", safe)
		}
	}
}

func TestRemixCanonicalJSON(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{}`, `{}`},
		{` { "a" : [ 1 , 2.5e-7 , -0 , true , false , null ] } `, `{"a":[1,2.5e-7,-0,true,false,null]}`},
		{`{"h":"\u003cb\u003e \u0026amp; x\u003e"}`, `{"h":"<b> &amp; x>"}`},
		{`{"s":"\u2028\u2029"}`, "{\"s\":\"\u2028\u2029\"}"},
		{`{"c":"\u0000\u001f\b\f\n\r\t\u007f"}`, `{"c":"\u0000\u001f\b\f\n\r\t` + "\x7f" + `"}`},
		{`{"q":"\"\\\/"}`, `{"q":"\"\\/"}`},
		{`{"e":"\ud83d\ude00 é"}`, "{\"e\":\"\U0001F600 é\"}"},
		{`{"lone":"\uD800x\udc00"}`, `{"lone":"\ud800x\udc00"}`},
		{`{"b":1,"10":2,"a":3,"2":4,"01":5,"-1":6,"4294967294":7,"4294967295":8}`,
			`{"2":4,"10":2,"4294967294":7,"b":1,"a":3,"01":5,"-1":6,"4294967295":8}`},
		{`{"o":{"z":1,"1":{"y":2,"0":3}}}`, `{"o":{"1":{"0":3,"y":2},"z":1}}`},
		{`"id"`, `"id"`},
		{`[{"1":1,"0":0}]`, `[{"0":0,"1":1}]`},
	} {
		got, _, ok := canonicalJSON(nil, []byte(tc.in))
		if !ok || string(got) != tc.want {
			t.Errorf("canonicalJSON(%s) = %s, %v; want %s", tc.in, got, ok, tc.want)
		}
	}
	deep := strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth)
	if _, _, ok := canonicalJSON(nil, []byte(deep)); !ok {
		t.Errorf("depth %d rejected", maxJSONDepth)
	}
	for _, in := range []string{
		``, ` `, `{`, `}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[,1]`, `{a:1}`, `{'a':1}`,
		`01`, `1.`, `.5`, `1e`, `-`, `+1`, `tru`, `nul`, `NaN`, `"a` + "\n" + `"`, `"\x"`, `"\u12"`,
		`"` + "\xff" + `"`, `"` + "\xed\xa0\x80" + `"`, `{"a":1,"a":2}`, `{"\u0061":1,"a":2}`, `1 2`, `{}x`,
		strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1),
		`{"a":` + strings.Repeat(`{"a":`, maxJSONDepth) + `1` + strings.Repeat("}", maxJSONDepth+1),
	} {
		if out, _, ok := canonicalJSON(nil, []byte(in)); ok {
			t.Errorf("canonicalJSON(%q) accepted as %s", in, out)
		}
	}
}

// TestRemixGoJSON checks that what encoding/json writes comes out as
// JSON.stringify would write it, and reads back to equal values.
func TestRemixGoJSON(t *testing.T) {
	type nested struct {
		Tags  []string       `json:"tags"`
		Meta  map[string]any `json:"meta"`
		Ratio float64        `json:"ratio"`
	}
	type data struct {
		User  string  `json:"user"`
		Count int     `json:"count"`
		HTML  string  `json:"html"`
		N     *nested `json:"n"`
	}
	in := data{User: "Zoë 🎉\u2028", Count: -42, HTML: `<a href="x">&</a>`,
		N: &nested{Tags: []string{"a", "b"}, Meta: map[string]any{"7": true, "x": nil}, Ratio: 1e21}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	c := strongRemix(t, remixStrong1)
	v := remixEncode(t, c, &Payload{Data: b})
	p, err := c.Decode("__session", v, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	const want = "{\"user\":\"Zoë 🎉\u2028\",\"count\":-42,\"html\":\"<a href=\\\"x\\\">&</a>\",\"n\":{\"tags\":[\"a\",\"b\"],\"meta\":{\"7\":true,\"x\":null},\"ratio\":1e+21}}"
	if string(p.Data) != want {
		t.Errorf("JSON text\n got %s\nwant %s", p.Data, want)
	}
	var out data
	if err := json.Unmarshal(p.Data, &out); err != nil || !reflect.DeepEqual(in, out) {
		t.Errorf("round trip: %+v, %v", out, err)
	}
}

func TestRemixRoundTrip(t *testing.T) {
	c := strongRemix(t, remixStrong1)
	for _, p := range []Payload{
		{Data: []byte(`{}`)},
		{Data: []byte(`{"a":1,"b":[1,2,{"c":"d"}],"e":null}`)},
		{Data: []byte("{\"u\":\"日本語 \U0001F600\"}")},
		{Data: []byte(`{}`), Flash: map[string][]byte{"error": []byte(`"Invalid email/password"`), "n": []byte(`{"x":[1]}`), "": []byte(`0`)}},
		{ID: "abc123"},
		{ID: "with \"quotes\" and \u2028"},
	} {
		v := remixEncode(t, c, &p)
		got, err := c.Decode("__session", v, time.Now())
		if err != nil {
			t.Errorf("decode %+v: %v", p, err)
			continue
		}
		want := p
		if want.ID != "" {
			want.Data = nil
		}
		if got.ID != want.ID || string(got.Data) != string(want.Data) || !reflect.DeepEqual(got.Flash, want.Flash) {
			t.Errorf("round trip %+v = %+v", p, got)
		}
		if !got.Created.IsZero() || !got.Expires.IsZero() || got.Persistent || got.Stale {
			t.Errorf("times or flags kept: %+v", got)
		}
	}
	// Nil data is the empty object; times and flags are not written.
	v := remixEncode(t, c, &Payload{Created: time.Now(), Expires: time.Now().Add(time.Hour), Persistent: true})
	got, err := c.Decode("x", v, time.Now())
	if err != nil || string(got.Data) != "{}" || got.Flash != nil {
		t.Errorf("empty payload: %+v, %v", got, err)
	}
}

func TestRemixEncodeRejects(t *testing.T) {
	c := strongRemix(t, remixStrong1)
	for _, p := range []Payload{
		{Data: []byte(`[1]`)},
		{Data: []byte(`"s"`)},
		{Data: []byte(`{"a":}`)},
		{Data: []byte(`{"a":1,"a":2}`)},
		{Data: []byte(`{"__flash_x__":1}`)},
		{Data: []byte(`{}`), Flash: map[string][]byte{"x": []byte(`nope`)}},
		{Data: []byte(`{}`), Flash: map[string][]byte{"\xff": []byte(`1`)}},
		{ID: "id", Data: []byte(`{}`)},
		{ID: "id", Flash: map[string][]byte{"x": []byte(`1`)}},
		{ID: "\xff"},
	} {
		if v, err := c.AppendEncode(nil, "__session", &p, time.Now()); !errors.Is(err, ErrRemixPayload) {
			t.Errorf("AppendEncode(%+v) = %s, %v; want ErrRemixPayload", p, v, err)
		}
	}
	if _, err := c.AppendEncode(nil, strings.Repeat("n", MaxCookieSize+1), &Payload{}, time.Now()); err == nil {
		t.Error("oversized name accepted")
	}
}

func TestRemixSecrets(t *testing.T) {
	for _, secrets := range [][]string{nil, {"secret1"}, {remixStrong1, remixStrong1}, {remixStrong1, ""}} {
		if _, err := NewRemix(secrets...); !errors.Is(err, ErrWeakSecret) {
			t.Errorf("NewRemix(%q) = %v; want ErrWeakSecret", secrets, err)
		}
	}
	for _, secrets := range [][]string{nil, {""}, {"s", "s"}} {
		if _, err := NewRemixWith(RemixOptions{Secrets: secrets, InsecureAllowWeakSecrets: true}); !errors.Is(err, ErrWeakSecret) {
			t.Errorf("NewRemixWith(%q, weak allowed) = %v; want ErrWeakSecret", secrets, err)
		}
	}
	if _, err := NewRemixWith(RemixOptions{Secrets: []string{"secret1", "s"}, InsecureAllowWeakSecrets: true}); err != nil {
		t.Errorf("weak secrets with opt-out: %v", err)
	}
}

func TestRemixRotation(t *testing.T) {
	old := strongRemix(t, remixStrong1)
	ring := strongRemix(t, remixStrong2, remixStrong1)
	onlyNew := strongRemix(t, remixStrong2)
	p := Payload{Data: []byte(`{"a":1}`)}
	v := remixEncode(t, old, &p)
	got, err := ring.Decode("__session", v, time.Now())
	if err != nil || !got.Stale || string(got.Data) != `{"a":1}` {
		t.Fatalf("old value under [new, old] = %+v, %v; want accepted and stale", got, err)
	}
	nv := remixEncode(t, ring, &got)
	if _, err := onlyNew.Decode("__session", nv, time.Now()); err != nil {
		t.Errorf("re-issued value not signed with the new secret: %v", err)
	}
	if got, err := ring.Decode("__session", nv, time.Now()); err != nil || got.Stale {
		t.Errorf("new value stale: %+v, %v", got, err)
	}
	if _, err := onlyNew.Decode("__session", v, time.Now()); !errors.Is(err, ErrInvalid) {
		t.Errorf("old value under [new] = %v; want ErrInvalid", err)
	}
	if _, err := strongRemix(t, remixStrong2).Decode("__session", remixEncode(t, old, &p), time.Now()); !errors.Is(err, ErrInvalid) {
		t.Errorf("wrong secret = %v; want ErrInvalid", err)
	}
}

// unescaped returns the signed value with its URL escapes undone.
func unescaped(t *testing.T, v string) string {
	t.Helper()
	u, err := url.QueryUnescape(v)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestRemixTampering(t *testing.T) {
	c := strongRemix(t, remixStrong1)
	good := remixEncode(t, c, &Payload{Data: []byte(`{"user":"a"}`), Flash: map[string][]byte{"e": []byte(`1`)}})
	raw := unescaped(t, good)
	reject := func(what, v string) {
		t.Helper()
		if p, err := c.Decode("__session", v, time.Now()); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s %q: accepted (%+v, %v)", what, v, p, err)
		}
	}
	// Bit flips in the decoded value, in both escaped and raw forms.
	for i := 0; i < len(raw)*8; i++ {
		b := []byte(raw)
		b[i/8] ^= 1 << (i % 8)
		reject("bit flip", string(b))
		reject("bit flip", url.QueryEscape(string(b)))
	}
	for i := 0; i < len(good); i++ {
		reject("truncated", good[:i])
		reject("truncated raw", raw[:min(i, len(raw)-1)])
	}
	for _, v := range []string{
		good + "x", good + "A", good + "=", good + "%3D", good + ".", raw + "==", good + good, good + "." + good,
		raw[:len(raw)-1] + "B", // non-canonical last signature character
		" " + good, good + " ", "\"" + good + "\"", good[:len(good)-1] + "%",
		good + "%zz", strings.Replace(good, "%3D", "%3", 1), strings.Replace(good, "%3D", "%u003D", 1),
		strings.Replace(good, ".", "%2E%2E", 1), "." + raw[strings.LastIndexByte(raw, '.')+1:],
	} {
		reject("malformed", v)
	}
	// Alternate escapings that decodeURIComponent maps to the same value
	// are the same cookie.
	for _, v := range []string{raw, strings.ReplaceAll(good, "%3D", "%3d"), strings.Replace(good, ".", "%2E", 1)} {
		if _, err := c.Decode("__session", v, time.Now()); err != nil {
			t.Errorf("escaping variant %q: %v", v, err)
		}
	}
}

// TestRemixAuthenticJunk covers values signed with the right secret that
// are still not sessions: only the secret's holder can make them.
func TestRemixAuthenticJunk(t *testing.T) {
	c := strongRemix(t, remixStrong1)
	for _, js := range []string{`[]`, `1`, `null`, `true`, `""`, `{"a":1,"a":2}`, `{`, "\xff", `{"__flash_\ud800__":1,"__flash_\udc00__":2}`} {
		if p, err := c.Decode("__session", signRemix(remixStrong1, js), time.Now()); !errors.Is(err, ErrInvalid) {
			t.Errorf("signed %q accepted: %+v, %v", js, p, err)
		}
	}
	// Unpadded base64 before the dot: JavaScript's atob would take it, but
	// React Router never writes it.
	b64 := base64.RawStdEncoding.EncodeToString([]byte(`{"a":1}`))
	m := hmac.New(sha256.New, []byte(remixStrong1))
	m.Write([]byte(b64))
	v := b64 + "." + base64.RawStdEncoding.EncodeToString(m.Sum(nil))
	if _, err := c.Decode("__session", v, time.Now()); !errors.Is(err, ErrInvalid) {
		t.Errorf("unpadded payload accepted: %v", err)
	}
	// Whitespace inside the signed JSON is accepted and dropped.
	p, err := c.Decode("__session", signRemix(remixStrong1, ` { "a" : 1 , "__flash_f__" : [ ] } `), time.Now())
	if err != nil || string(p.Data) != `{"a":1}` || string(p.Flash["f"]) != `[]` {
		t.Errorf("spaced JSON: %+v, %v", p, err)
	}
}

func TestRemixDecodeInputLimit(t *testing.T) {
	c := strongRemix(t, remixStrong1)
	big := strings.Repeat("A", MaxCookieSize)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := c.Decode("__session", big, time.Now()); !errors.Is(err, ErrInvalid) {
			t.Fatal("oversized value accepted")
		}
	})
	if allocs != 0 {
		t.Errorf("oversized value: %v allocations before rejection", allocs)
	}
	// Just at the limit: decoded and checked (and rejected: no signature).
	if _, err := c.Decode("n", big[:MaxCookieSize-1], time.Now()); !errors.Is(err, ErrInvalid) {
		t.Error("unsigned value accepted")
	}
}

func TestRemixNameNotBound(t *testing.T) {
	// Documented limitation: the name is not signed.
	c := strongRemix(t, remixStrong1)
	v := remixEncode(t, c, &Payload{Data: []byte(`{"a":1}`)})
	if _, err := c.Decode("other", v, time.Now()); err != nil {
		t.Errorf("value under another name: %v (the format does not bind names)", err)
	}
}

func BenchmarkRemixDecode(b *testing.B) {
	c := strongRemix(b, remixStrong2, remixStrong1)
	v := remixEncode(b, c, &Payload{Data: []byte(`{"count":3,"user":{"email":"demo@example.com"}}`), Flash: map[string][]byte{"error": []byte(`"x"`)}})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode("__session", v, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRemixEncode(b *testing.B) {
	c := strongRemix(b, remixStrong1)
	p := &Payload{Data: []byte(`{"count":3,"user":{"email":"demo@example.com"}}`), Flash: map[string][]byte{"error": []byte(`"x"`)}}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = c.AppendEncode(buf[:0], "__session", p, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzRemixDecode checks that Decode never panics, accepts only values
// signed with its secrets, and that what it accepts encodes back to a value
// that decodes to the same payload.
func FuzzRemixDecode(f *testing.F) {
	c := weakRemix(f, "secret1")
	f.Add("__session", "eyJ1c2VyIjoibWphY2tzb24ifQ%3D%3D.9a3bBygQqLn55MYoJ1XMm3NGCG%2F%2BYT9BwdntO9npOOU")
	f.Add("__session", signRemix("secret1", `"an-id"`))
	f.Add("__session", signRemix("secret1", `{"1":{"\u003c":"\u2028"},"__flash_x__":[null]}`))
	f.Add("a", "")
	f.Fuzz(func(t *testing.T, name, value string) {
		p, err := c.Decode(name, value, time.Time{})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		v, err := c.AppendEncode(nil, name, &p, time.Time{})
		if err != nil {
			t.Fatalf("accepted %q but cannot encode %+v: %v", value, p, err)
		}
		q, err := c.Decode(name, string(v), time.Time{})
		if err != nil || q.ID != p.ID || !bytes.Equal(q.Data, p.Data) || !reflect.DeepEqual(q.Flash, p.Flash) {
			t.Fatalf("re-encoded %q decodes to %+v, %v; want %+v", v, q, err, p)
		}
	})
}

// FuzzRemixJSON checks the JSON re-writer: it never panics, its output is
// valid JSON meaning the same as its input, and it is idempotent.
func FuzzRemixJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"2":"\u003c"}],"1":null}`, `"\ud800\udc00\ud800"`, `[[[]]]`, `-0.5e+7`, `{"a":1,"a":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, _, ok := canonicalJSON(nil, in)
		if !ok {
			return
		}
		if !json.Valid(out) || !json.Valid(in) {
			t.Fatalf("%q -> %q: invalid JSON", in, out)
		}
		again, _, ok := canonicalJSON(nil, out)
		if !ok || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, out, again)
		}
		var a, b any
		errA, errB := json.Unmarshal(in, &a), json.Unmarshal(out, &b)
		if (errA == nil) != (errB == nil) || !reflect.DeepEqual(a, b) {
			t.Fatalf("meaning changed: %q -> %q", in, out)
		}
	})
}

// TestRemixKeysEqualButForCase: encoding/json fills a struct field from a
// key of any case, so a JavaScript app's "USER" would override "user" when
// Go reads the session. Such objects are refused, at any depth.
func TestRemixKeysEqualButForCase(t *testing.T) {
	c := strongRemix(t, remixStrong1)
	var many strings.Builder
	many.WriteString(`{`)
	for i := range 20 {
		fmt.Fprintf(&many, `"k%d":%d,`, i, i)
	}
	many.WriteString(`"Key":1,"kEY":2}`)
	for _, js := range []string{
		`{"user":"alice","USER":"mallory"}`,
		`{"a":{"role":"user","Role":"admin"}}`,
		"{\"k\":1,\"\u212a\":2}", // KELVIN SIGN folds to k
		many.String(),
	} {
		if p, err := c.Decode("__session", signRemix(remixStrong1, js), time.Now()); !errors.Is(err, ErrInvalid) {
			t.Errorf("signed %s accepted: %+v, %v", js, p, err)
		}
	}
	if _, err := c.Decode("__session", signRemix(remixStrong1, `{"user":"a","users":"b"}`), time.Now()); err != nil {
		t.Errorf("distinct keys refused: %v", err)
	}
}
