package remix

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/codec"
)

const (
	secretOld = "Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz2Xc"
	secretNew = "9fK2pQ7xLm4vT8sW1zR6yB3nH5jD0cGa"
	name      = "__session"
)

func newCodec(t *testing.T, secrets ...string) codec.Codec {
	t.Helper()
	c, err := codec.NewRemix(secrets...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func jsCookie(secrets ...string) map[string]any {
	return map[string]any{"name": name, "secrets": secrets}
}

func encode(t *testing.T, c codec.Codec, p codec.Payload) string {
	t.Helper()
	v, err := c.AppendEncode(nil, name, &p, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return string(v)
}

func decode(t *testing.T, c codec.Codec, v string) codec.Payload {
	t.Helper()
	p, err := c.Decode(name, v, time.Now())
	if err != nil {
		t.Fatalf("Decode(%q): %v", v, err)
	}
	return p
}

// TestProductVectors checks product.md §3's vectors against the real
// packages and against the Go codec, byte for byte.
func TestProductVectors(t *testing.T) {
	const (
		data    = "__session=eyJ1c2VyIjoibWphY2tzb24ifQ%3D%3D.9a3bBygQqLn55MYoJ1XMm3NGCG%2F%2BYT9BwdntO9npOOU; Path=/; SameSite=Lax"
		flash   = "__session=eyJ1c2VyIjoibWphY2tzb24iLCJfX2ZsYXNoX2Vycm9yX18iOiJib29tIn0%3D.3fANf%2FzNcY1ujLFVMq5Z434lnow%2BbwHfGBFyw2vPZOY; Path=/; SameSite=Lax"
		destroy = "__session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Lax"
	)
	c, err := codec.NewRemixWith(codec.RemixOptions{Secrets: []string{"secret1"}, InsecureAllowWeakSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	user := map[string]any{"user": "mjackson"}
	for _, lib := range libs {
		t.Run(lib, func(t *testing.T) {
			for _, tc := range []struct {
				req  jsRequest
				want string
			}{
				{jsRequest{Set: user}, data},
				{jsRequest{Set: user, Flash: map[string]any{"error": "boom"}}, flash},
				{jsRequest{Destroy: true}, destroy},
			} {
				tc.req.Lib, tc.req.Cookie = lib, jsCookie("secret1")
				if got := runJS(t, tc.req); got.SetCookie == nil || *got.SetCookie != tc.want {
					t.Errorf("%s: Set-Cookie %v, want %s", lib, got.SetCookie, tc.want)
				}
			}
		})
	}
	value := func(line string) string {
		v, _, _ := strings.Cut(strings.TrimPrefix(line, "__session="), ";")
		return v
	}
	if got := encode(t, c, codec.Payload{Data: []byte(`{"user":"mjackson"}`)}); got != value(data) {
		t.Errorf("Go codec: %s, want %s", got, value(data))
	}
	p := codec.Payload{Data: []byte(`{"user":"mjackson"}`), Flash: map[string][]byte{"error": []byte(`"boom"`)}}
	if got := encode(t, c, p); got != value(flash) {
		t.Errorf("Go codec: %s, want %s", got, value(flash))
	}
}

// data has what JSON.stringify and encoding/json write differently: HTML
// characters, U+2028/2029, an array-index key that JavaScript moves first,
// control characters, and numbers of several shapes.
type data struct {
	User   string         `json:"user"`
	HTML   string         `json:"html"`
	Quote  string         `json:"quote"`
	Count  int            `json:"count"`
	Nested map[string]any `json:"nested"`
	List   []float64      `json:"list"`
	Seven  string         `json:"7"`
}

func sample() data {
	return data{
		User:  "Zoë 🎉 日本 \u2028\u2029",
		HTML:  `<script>alert("&amp;")</script>`,
		Quote: "\"\\/\n\t\x01\x7f",
		Count: -42,
		Nested: map[string]any{
			"a": map[string]any{"b": []any{true, nil, "x"}},
			"n": 9007199254740991.0,
		},
		List:  []float64{0, 1.5, -3, 1e21, 1e-7, 0.000001, 123456789},
		Seven: "an array-index key",
	}
}

// TestDataRoundTrip: data written on one side reads back equal on the
// other, and each side writes the very bytes the other would.
func TestDataRoundTrip(t *testing.T) {
	c := newCodec(t, secretNew)
	want, err := json.Marshal(sample())
	if err != nil {
		t.Fatal(err)
	}
	for _, lib := range libs {
		t.Run(lib+"/go-to-js", func(t *testing.T) {
			v := encode(t, c, codec.Payload{Data: want})
			// Committing the session unchanged makes JavaScript write the
			// cookie again from what it parsed: the same bytes.
			got := runJS(t, jsRequest{Lib: lib, Cookie: jsCookie(secretNew), Header: name + "=" + v})
			if !sameJSON(t, got.Data, want) {
				t.Errorf("JavaScript read %s, want %s", got.Data, want)
			}
			if js := cookieValue(t, got.SetCookie, name); js != v {
				t.Errorf("JavaScript re-wrote\n %s\nGo wrote\n %s", js, v)
			}
		})
		t.Run(lib+"/js-to-go", func(t *testing.T) {
			var set map[string]any
			if err := json.Unmarshal(want, &set); err != nil {
				t.Fatal(err)
			}
			got := runJS(t, jsRequest{Lib: lib, Cookie: jsCookie(secretNew), Set: set})
			v := cookieValue(t, got.SetCookie, name)
			p := decode(t, c, v)
			if !sameJSON(t, p.Data, want) || p.Flash != nil || p.Stale {
				t.Errorf("Go read %s (flash %v, stale %v), want %s", p.Data, p.Flash, p.Stale, want)
			}
			var d data
			if err := json.Unmarshal(p.Data, &d); err != nil {
				t.Fatal(err)
			}
			if again := encode(t, c, p); again != v {
				t.Errorf("Go re-wrote\n %s\nJavaScript wrote\n %s", again, v)
			}
		})
	}
}

// TestFlashOnce: a flash value set on one side is read exactly once on the
// other, and the read is saved.
func TestFlashOnce(t *testing.T) {
	c := newCodec(t, secretNew)
	for _, lib := range libs {
		t.Run(lib+"/go-sets", func(t *testing.T) {
			v := encode(t, c, codec.Payload{Data: []byte(`{"user":"a"}`), Flash: map[string][]byte{"error": []byte(`"Invalid email/password"`)}})
			got := runJS(t, jsRequest{Lib: lib, Cookie: jsCookie(secretNew), Header: name + "=" + v, Take: []string{"error"}})
			if string(got.Taken["error"]) != `"Invalid email/password"` {
				t.Fatalf("JavaScript took %s", got.Taken["error"])
			}
			next := cookieValue(t, got.SetCookie, name)
			if p := decode(t, c, next); p.Flash != nil || string(p.Data) != `{"user":"a"}` {
				t.Errorf("after the read: %s %v", p.Data, p.Flash)
			}
			again := runJS(t, jsRequest{Lib: lib, Cookie: jsCookie(secretNew), Header: name + "=" + next, Take: []string{"error"}})
			if again.Has["error"] {
				t.Error("flash read twice")
			}
		})
		t.Run(lib+"/js-sets", func(t *testing.T) {
			st := newStorage(t, nil)
			got := runJS(t, jsRequest{Lib: lib, Cookie: jsCookie(secretNew), Set: map[string]any{"count": 3}, Flash: map[string]any{"error": "boom"}})
			r := requestWith(cookieValue(t, got.SetCookie, name))
			s, err := st.Get(r)
			if err != nil || s.IsNew() {
				t.Fatalf("Go did not load the session: %v, %v", err, s.LoadError())
			}
			if msg, ok := session.TakeFlash[string](s, "error"); !ok || msg != "boom" {
				t.Fatalf("TakeFlash = %q, %v", msg, ok)
			}
			if _, ok := session.TakeFlash[string](s, "error"); ok {
				t.Fatal("flash read twice in one request")
			}
			h := http.Header{}
			if err := st.CommitHeader(context.Background(), h, s); err != nil {
				t.Fatal(err)
			}
			line := h.Get("Set-Cookie")
			after := runJS(t, jsRequest{Lib: lib, Cookie: jsCookie(secretNew), Header: name + "=" + cookieValue(t, &line, name), Take: []string{"error", "count"}})
			if after.Has["error"] || string(after.Taken["count"]) != "3" {
				t.Errorf("after Go took the flash, JavaScript sees %s", after.Data)
			}
		})
	}
}

// demoData is the demo's session shape (product.md §4).
type demoData struct {
	Count int `json:"count"`
	User  *struct {
		Email string `json:"email"`
	} `json:"user"`
}

func newStorage(t *testing.T, c codec.Codec) *session.Storage[demoData] {
	t.Helper()
	if c == nil {
		c = newCodec(t, secretNew)
	}
	st, err := session.NewCookieStorage(session.Config[demoData]{Codec: c, AllowUnboundedCookies: true})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func requestWith(value string) *http.Request {
	r := httptest.NewRequest("GET", "https://app.example/", nil)
	if value != "" {
		r.Header.Set("Cookie", name+"="+value)
	}
	return r
}

// TestSharedSessionThroughStorage runs the demo's counter across both
// servers, with the Go side going through session.Storage.
func TestSharedSessionThroughStorage(t *testing.T) {
	st := newStorage(t, nil)
	for _, lib := range libs {
		t.Run(lib, func(t *testing.T) {
			got := runJS(t, jsRequest{Lib: lib, Cookie: jsCookie(secretNew), Set: map[string]any{"count": 1, "user": map[string]any{"email": "demo@example.com"}}})
			s, err := st.Get(requestWith(cookieValue(t, got.SetCookie, name)))
			if err != nil || s.IsNew() || s.Get().Count != 1 || s.Get().User == nil || s.Get().User.Email != "demo@example.com" {
				t.Fatalf("Go loaded %+v (%v, %v)", s.Get(), err, s.LoadError())
			}
			s.Update(func(d *demoData) { d.Count++ })
			w := httptest.NewRecorder()
			if err := st.Commit(context.Background(), w, s); err != nil {
				t.Fatal(err)
			}
			line := w.Header().Get("Set-Cookie")
			back := runJS(t, jsRequest{Lib: lib, Cookie: jsCookie(secretNew), Header: name + "=" + cookieValue(t, &line, name)})
			if !sameJSON(t, back.Data, []byte(`{"count":2,"user":{"email":"demo@example.com"}}`)) {
				t.Errorf("JavaScript read %s", back.Data)
			}
		})
	}
}

// TestRotation: with secrets [new, old], a value signed with the old
// secret is accepted and re-signed with the new one, on both sides.
func TestRotation(t *testing.T) {
	oldOnly, ring, newOnly := newCodec(t, secretOld), newCodec(t, secretNew, secretOld), newCodec(t, secretNew)
	for _, lib := range libs {
		t.Run(lib+"/js-old-to-go-ring", func(t *testing.T) {
			got := runJS(t, jsRequest{Lib: lib, Cookie: jsCookie(secretOld), Set: map[string]any{"k": "v"}})
			p := decode(t, ring, cookieValue(t, got.SetCookie, name))
			if !p.Stale {
				t.Error("a value signed with the old secret is not marked stale")
			}
			if _, err := newOnly.Decode(name, cookieValue(t, got.SetCookie, name), time.Now()); !errors.Is(err, codec.ErrInvalid) {
				t.Errorf("[new] alone accepted the old value: %v", err)
			}
			v := encode(t, ring, p)
			if back := runJS(t, jsRequest{Lib: lib, Cookie: jsCookie(secretNew), Header: name + "=" + v}); !sameJSON(t, back.Data, []byte(`{"k":"v"}`)) {
				t.Errorf("re-signed value not readable with [new]: %s", back.Data)
			}
			if back := runJS(t, jsRequest{Lib: lib, Cookie: jsCookie(secretOld), Header: name + "=" + v}); string(back.Data) != "{}" {
				t.Errorf("re-signed value readable with [old]: %s", back.Data)
			}
		})
		t.Run(lib+"/go-old-to-js-ring", func(t *testing.T) {
			v := encode(t, oldOnly, codec.Payload{Data: []byte(`{"k":"v"}`)})
			got := runJS(t, jsRequest{Lib: lib, Cookie: jsCookie(secretNew, secretOld), Header: name + "=" + v})
			if !sameJSON(t, got.Data, []byte(`{"k":"v"}`)) {
				t.Fatalf("[new, old] read %s", got.Data)
			}
			p := decode(t, newOnly, cookieValue(t, got.SetCookie, name))
			if p.Stale || string(p.Data) != `{"k":"v"}` {
				t.Errorf("JavaScript did not re-sign with the new secret: %+v", p)
			}
		})
	}
}

// tamper changes one character of the signed part or of the signature.
func tamper(v string, at int) string {
	raw, _ := url.QueryUnescape(v)
	b := []byte(raw)
	if b[at] == 'A' {
		b[at] = 'B'
	} else {
		b[at] = 'A'
	}
	return url.QueryEscape(string(b))
}

// TestRejected: tampered values and values signed with another secret
// give an empty session on both sides.
func TestRejected(t *testing.T) {
	c := newCodec(t, secretNew)
	for _, lib := range libs {
		t.Run(lib, func(t *testing.T) {
			good := encode(t, c, codec.Payload{Data: []byte(`{"admin":false}`)})
			js := cookieValue(t, runJS(t, jsRequest{Lib: lib, Cookie: jsCookie(secretNew), Set: map[string]any{"admin": false}}).SetCookie, name)
			if js != good {
				t.Fatalf("JavaScript wrote %s, Go %s", js, good)
			}
			dot := strings.LastIndexByte(mustUnescape(t, good), '.')
			bad := []string{
				tamper(good, 3), tamper(good, dot-4), tamper(good, dot+1), tamper(good, dot+20),
				encode(t, newCodec(t, secretOld), codec.Payload{Data: []byte(`{"admin":true}`)}),
				good + "x", good[:len(good)-1],
			}
			for _, v := range bad {
				if got := runJS(t, jsRequest{Lib: lib, Cookie: jsCookie(secretNew), Header: name + "=" + v}); string(got.Data) != "{}" {
					t.Errorf("JavaScript accepted %s: %s", v, got.Data)
				}
				if p, err := c.Decode(name, v, time.Now()); !errors.Is(err, codec.ErrInvalid) {
					t.Errorf("Go accepted %s: %+v", v, p)
				}
			}
			// A value signed by JavaScript with another secret.
			other := runJS(t, jsRequest{Lib: lib, Cookie: jsCookie(secretOld), Set: map[string]any{"admin": true}})
			if p, err := c.Decode(name, cookieValue(t, other.SetCookie, name), time.Now()); !errors.Is(err, codec.ErrInvalid) {
				t.Errorf("Go accepted a value signed with another secret: %+v", p)
			}
		})
	}
}

func mustUnescape(t *testing.T, v string) string {
	t.Helper()
	u, err := url.QueryUnescape(v)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestServerSideID: createSessionStorage's cookie holds JSON.stringify(id).
func TestServerSideID(t *testing.T) {
	c := newCodec(t, secretNew)
	for _, lib := range libs {
		t.Run(lib, func(t *testing.T) {
			const id = "0f3a9c2e-id"
			records := map[string]json.RawMessage{id: json.RawMessage(`{"user":"x"}`)}
			v := encode(t, c, codec.Payload{ID: id})
			got := runJS(t, jsRequest{Lib: lib, Storage: "server", Cookie: jsCookie(secretNew), Header: name + "=" + v, Records: records})
			if got.ID != id || !sameJSON(t, got.Data, []byte(`{"user":"x"}`)) {
				t.Errorf("JavaScript read id %q data %s", got.ID, got.Data)
			}
			if js := cookieValue(t, got.SetCookie, name); js != v {
				t.Errorf("JavaScript wrote %s, Go %s", js, v)
			}
			created := runJS(t, jsRequest{Lib: lib, Storage: "server", Cookie: jsCookie(secretNew), Set: map[string]any{"n": 1}, NewID: "new-id-42"})
			p := decode(t, c, cookieValue(t, created.SetCookie, name))
			if p.ID != "new-id-42" || p.Data != nil || p.Flash != nil {
				t.Errorf("Go read %+v from a server-side cookie", p)
			}
		})
	}
}

// TestDestroy: each side's deletion cookie removes the other side's
// cookie from a browser, after which both see no session; an empty value
// is no session on both sides.
func TestDestroy(t *testing.T) {
	st := newStorage(t, nil)
	site, _ := url.Parse("https://app.example/")
	for _, lib := range libs {
		t.Run(lib, func(t *testing.T) {
			// A browser holding the JavaScript server's cookie gets Go's
			// deletion cookie.
			jar, _ := cookiejar.New(nil)
			set := runJS(t, jsRequest{Lib: lib, Cookie: jsCookie(secretNew), Set: map[string]any{"count": 1}})
			jar.SetCookies(site, parseSetCookie(t, *set.SetCookie))
			s, _ := st.Get(requestWith(jar.Cookies(site)[0].Value))
			if s.IsNew() {
				t.Fatalf("Go did not load the JavaScript cookie: %v", s.LoadError())
			}
			h := http.Header{}
			if err := st.DestroyHeader(context.Background(), h, s); err != nil {
				t.Fatal(err)
			}
			del := h.Get("Set-Cookie")
			jar.SetCookies(site, parseSetCookie(t, del))
			if cs := jar.Cookies(site); len(cs) != 0 {
				t.Fatalf("Go's deletion cookie %q left %v", del, cs)
			}
			// The other way round.
			w := httptest.NewRecorder()
			s, _ = st.Get(requestWith(""))
			s.Update(func(d *demoData) { d.Count = 5 })
			if err := st.Commit(context.Background(), w, s); err != nil {
				t.Fatal(err)
			}
			jar.SetCookies(site, parseSetCookie(t, w.Header().Get("Set-Cookie")))
			if len(jar.Cookies(site)) != 1 {
				t.Fatal("browser did not keep Go's cookie")
			}
			gone := runJS(t, jsRequest{Lib: lib, Cookie: jsCookie(secretNew), Header: name + "=" + jar.Cookies(site)[0].Value, Destroy: true})
			jar.SetCookies(site, parseSetCookie(t, *gone.SetCookie))
			if cs := jar.Cookies(site); len(cs) != 0 {
				t.Fatalf("JavaScript's deletion cookie %q left %v", *gone.SetCookie, cs)
			}
			// A client that sends the emptied cookie anyway.
			if got := runJS(t, jsRequest{Lib: lib, Cookie: jsCookie(secretNew), Header: name + "="}); string(got.Data) != "{}" {
				t.Errorf("JavaScript read %s from an empty cookie", got.Data)
			}
			r := requestWith("")
			r.Header.Set("Cookie", name+"=")
			if s, _ := st.Get(r); !s.IsNew() {
				t.Error("Go loaded a session from an empty cookie")
			}
		})
	}
}

func parseSetCookie(t *testing.T, line string) []*http.Cookie {
	t.Helper()
	c, err := http.ParseSetCookie(line)
	if err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	return []*http.Cookie{c}
}
