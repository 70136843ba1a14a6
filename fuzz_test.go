package session

import (
	"errors"
	"time"

	"github.com/b4f9cdbb/session/codec"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzCookieHeader feeds arbitrary Cookie headers through Get and Commit of
// cookie and memory storage: no panic and no error, whatever the header.
// (That only issued tokens decode is FuzzDecodeCookie's job, in package
// codec: fuzz workers are separate processes that cannot share the tokens
// issued here.)
func FuzzCookieHeader(f *testing.F) {
	sts := storagesUnderTest(f)
	for _, st := range sts {
		b := newBrowser(f)
		b.do(counterHandler(f, st), "GET", "/")
		f.Add("__session=" + b.cookies["__session"])
	}
	for _, s := range []string{"", "a", "=;", ";;;", `__session=""`, "__session=a; __session=b", "__session=%zz", strings.Repeat("x=y;", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		for _, st := range sts {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Cookie", header)
			s, err := st.Get(r)
			if err != nil || s == nil {
				t.Fatalf("Get: %v", err)
			}
			s.Update(func(d *testData) { d.Count++ })
			if err := st.Commit(r.Context(), httptest.NewRecorder(), s); err != nil {
				t.Fatalf("Commit: %v", err)
			}
		}
	})
}

// FuzzSerializer puts arbitrary bytes where the session's data goes, inside
// a correctly sealed cookie, so that they pass authentication and reach the
// serializer: Get must give either that data or a new session with
// ErrCorrupt, never a panic, and deep nesting must stay bounded.
func FuzzSerializer(f *testing.F) {
	for _, s := range []string{`{"count":1}`, `{"count":"x"}`, `{"user":{"roles":[1]}}`, `[]`, `null`, ``, `{"tags":{"a":1}}`,
		strings.Repeat(`{"tags":`, 5000), strings.Repeat("[", 100000)} {
		f.Add([]byte(s))
	}
	st := mustCookieStorage(f, baseConfig(nil))
	sealed, err := codec.NewSealed(secret1)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		now := time.Now()
		v, err := sealed.AppendEncode(nil, "__session", &codec.Payload{Data: data, Created: now, Expires: now.Add(time.Hour)}, now)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", "__session="+string(v))
		s, err := st.Get(r)
		if err != nil {
			t.Fatal(err)
		}
		if s.IsNew() && len("__session")+len(v) <= codec.MaxCookieSize && !errors.Is(s.LoadError(), ErrCorrupt) {
			t.Fatalf("authentic cookie rejected for a reason other than its data: %v", s.LoadError())
		}
	})
}
