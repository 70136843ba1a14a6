package session

import (
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
