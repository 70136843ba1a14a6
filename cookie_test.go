package session

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestSetCookieAttributes(t *testing.T) {
	st := mustCookieStorage(t, baseConfig(nil))
	b := newBrowser(t)
	w := b.do(counterHandler(t, st), "GET", "/")
	line := w.Header().Get("Set-Cookie")
	c := b.last[0]
	if c.Name != "__session" || c.Path != "/" || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.MaxAge != 0 {
		t.Fatalf("default cookie %q parsed as %+v", line, c)
	}
	if !strings.Contains(line, "; SameSite=Lax") {
		t.Fatalf("SameSite not written explicitly: %q", line)
	}

	cfg := baseConfig(nil)
	cfg.Cookie = CookieOptions{Name: "__Host-s", Secrets: []string{secret1}, SameSite: http.SameSiteStrictMode, Partitioned: true, Persistent: true}
	st = mustCookieStorage(t, cfg)
	b = newBrowser(t)
	w = b.do(counterHandler(t, st), "GET", "/")
	c = b.last[0]
	if c.Name != "__Host-s" || !c.Partitioned || c.SameSite != http.SameSiteStrictMode || c.MaxAge <= 0 || c.Expires.IsZero() {
		t.Fatalf("configured cookie %q parsed as %+v", w.Header().Get("Set-Cookie"), c)
	}

	cfg = baseConfig(nil)
	cfg.Cookie.Insecure = true
	b = newBrowser(t)
	b.do(counterHandler(t, mustCookieStorage(t, cfg)), "GET", "/")
	if b.last[0].Secure {
		t.Fatal("Insecure still wrote Secure")
	}
}

func TestCookieConfigErrors(t *testing.T) {
	cases := map[string]CookieOptions{
		"__Host- with Domain":      {Name: "__Host-s", Domain: "example.com"},
		"__Host- with a sub-path":  {Name: "__Host-s", Path: "/app"},
		"__Host- without Secure":   {Name: "__Host-s", Insecure: true},
		"__Secure- without Secure": {Name: "__Secure-s", Insecure: true},
		"SameSite=None insecure":   {SameSite: http.SameSiteNoneMode, Insecure: true},
		"Partitioned insecure":     {Partitioned: true, Insecure: true},
		"semicolon in name":        {Name: "a;b"},
		"space in name":            {Name: "a b"},
		"semicolon in path":        {Path: "/a;b"},
		"CRLF in path":             {Path: "/a\r\nSet-Cookie: x=y"},
		"relative path":            {Path: "app"},
		"semicolon in domain":      {Domain: "example.com; Secure"},
		"LF in domain":             {Domain: "example.com\n"},
		"no secret":                {},
		"short secret":             {Secrets: []string{"secret1"}},
		"placeholder secret":       {Secrets: []string{"please-changeme-please-changeme-00"}},
	}
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			if opts.Secrets == nil && name != "no secret" {
				opts.Secrets = []string{secret1}
			}
			_, err := NewCookieStorage(Config[testData]{Cookie: opts})
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("NewCookieStorage = %v, want ErrInvalidConfig", err)
			}
		})
	}
	if _, err := NewStorage[testData](nil, baseConfig(nil)); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("NewStorage(nil) = %v", err)
	}
}

func TestVaryAndCacheControl(t *testing.T) {
	st := mustCookieStorage(t, baseConfig(nil))
	b := newBrowser(t)
	w := b.do(counterHandler(t, st), "GET", "/")
	if w.Header().Get("Vary") != "Cookie" || w.Header().Get("Cache-Control") != `no-cache="Set-Cookie"` {
		t.Fatalf("headers: Vary=%q Cache-Control=%q", w.Header().Get("Vary"), w.Header().Get("Cache-Control"))
	}
	// Existing headers are extended, not overwritten or repeated.
	w = httptest.NewRecorder()
	w.Header().Set("Vary", "Accept-Encoding")
	w.Header().Set("Cache-Control", "max-age=60")
	s := b.load(st)
	s.Update(func(d *testData) { d.Count++ })
	if err := st.Commit(context.Background(), w, s); err != nil {
		t.Fatal(err)
	}
	if v := w.Header().Values("Vary"); len(v) != 2 || v[1] != "Cookie" {
		t.Fatalf("Vary = %q", v)
	}
	if cc := w.Header().Get("Cache-Control"); cc != `max-age=60, no-cache="Set-Cookie"` {
		t.Fatalf("Cache-Control = %q", cc)
	}
	// A refresh (re-issue) and a deletion carry them too.
	w = httptest.NewRecorder()
	if err := st.Destroy(context.Background(), w, b.load(st)); err != nil {
		t.Fatal(err)
	}
	if w.Header().Get("Vary") != "Cookie" || w.Header().Get("Cache-Control") == "" {
		t.Fatal("deletion cookie without Vary / Cache-Control")
	}
}

func TestMalformedCookieHeaders(t *testing.T) {
	for name, st := range storagesUnderTest(t) {
		t.Run(name, func(t *testing.T) {
			valid := newBrowser(t)
			valid.do(counterHandler(t, st), "GET", "/")
			good := valid.cookies["__session"]
			headers := []string{
				"", "a", "=;", ";;;", "__session", "__session=", "__session=;", `__session=""`, `__session="` + good + `"x`,
				"__session=" + good + "x", "__session=+" + good[1:], "__session=/" + good[1:], "__session=" + good[:len(good)/2],
				"__session=%2e%2e%2f", "__session=\x00\x01", "__session=é€😀", "__session=" + strings.Repeat("A", 10000),
				strings.Repeat("a=b; ", 10000), strings.Repeat("__session=x; ", 10000) + "__session=" + good,
			}
			for i, h := range headers {
				r := httptest.NewRequest("GET", "/", nil)
				r.Header.Set("Cookie", h)
				s, err := st.Get(r)
				if err != nil {
					t.Fatalf("header %d: Get returned an error: %v", i, err)
				}
				if !s.IsNew() || s.Get().Count != 0 {
					t.Fatalf("header %d yielded a session: %+v", i, s.Get())
				}
				w := httptest.NewRecorder()
				counterHandler(t, st)(w, r)
				if w.Code != http.StatusOK {
					t.Fatalf("header %d: status %d", i, w.Code)
				}
			}
		})
	}
}

func TestDuplicateSessionCookie(t *testing.T) {
	cfg := baseConfig(nil)
	var outcomes []CommitOutcome
	cfg.Hooks.Commit = func(_ context.Context, e CommitEvent) { outcomes = append(outcomes, e.Outcome) }
	st := mustCookieStorage(t, cfg)
	b1, b2 := newBrowser(t), newBrowser(t)
	b1.do(counterHandler(t, st), "GET", "/")
	b2.do(counterHandler(t, st), "GET", "/")
	b2.do(counterHandler(t, st), "GET", "/")

	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Add("Cookie", "__session="+b1.cookies["__session"])
	r.Header.Add("Cookie", "__session="+b2.cookies["__session"])
	s, err := st.Get(r)
	if err != nil || !s.IsNew() || !errors.Is(s.LoadError(), ErrDuplicateCookie) {
		t.Fatalf("two valid cookies: new=%v err=%v loadErr=%v", s.IsNew(), err, s.LoadError())
	}
	w := httptest.NewRecorder()
	if err := st.Commit(r.Context(), w, s); err != nil {
		t.Fatal(err)
	}
	if sc := w.Header().Get("Set-Cookie"); !strings.HasPrefix(sc, "__session=;") || !strings.Contains(sc, "Max-Age=0") {
		t.Fatalf("duplicate cookies not cleared: %q", sc)
	}
	if got := outcomes[len(outcomes)-1]; got != CommitCleared {
		t.Errorf("the commit that cleared the duplicates reported %v, want %v", got, CommitCleared)
	}
	// One valid and one invalid value: the valid one wins, deterministically.
	r = httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", "__session=forged; __session="+b2.cookies["__session"])
	if s, _ := st.Get(r); s.IsNew() || s.Get().Count != 2 {
		t.Fatalf("valid cookie beside a forged one not used: %v", s.LoadError())
	}
}

func TestIdleAndAbsoluteTimeout(t *testing.T) {
	c := newClock()
	cfg := baseConfig(c)
	cfg.IdleTimeout = time.Hour
	cfg.Lifetime = 5 * time.Hour
	spy := newSpyStore(t, c)
	for name, st := range map[string]*Storage[testData]{
		"cookie": mustCookieStorage(t, cfg),
		"memory": mustStoreStorage(t, spy, cfg),
	} {
		t.Run(name, func(t *testing.T) {
			b := newBrowser(t)
			b.do(counterHandler(t, st), "GET", "/")
			start := c.Now()
			// Read-only visits every idle−1 minute slide the idle timeout…
			for c.Now().Sub(start) < 5*time.Hour-time.Hour {
				c.Advance(time.Hour - time.Minute)
				b.do(func(w http.ResponseWriter, r *http.Request) {
					s, _ := st.Get(r)
					if s.IsNew() {
						t.Fatalf("session lost %v after start (%v) though used every %v", c.Now().Sub(start), s.LoadError(), time.Hour-time.Minute)
					}
					st.Commit(r.Context(), w, s)
				}, "GET", "/")
			}
			// …but never past the absolute lifetime, whatever the cookie says.
			c.Advance(5*time.Hour - c.Now().Sub(start))
			if s := b.load(st); !s.IsNew() || !errors.Is(s.LoadError(), ErrExpired) && !errors.Is(s.LoadError(), ErrNotFound) {
				t.Fatalf("session alive at its absolute deadline: %v", s.LoadError())
			}
			// And an idle session expires after the idle timeout.
			b = newBrowser(t)
			b.do(counterHandler(t, st), "GET", "/")
			c.Advance(time.Hour)
			if s := b.load(st); !s.IsNew() {
				t.Fatal("session alive after the idle timeout")
			}
		})
	}
}

func TestPersistentCookie(t *testing.T) {
	c := newClock()
	cfg := baseConfig(c)
	cfg.IdleTimeout = time.Hour
	st := mustCookieStorage(t, cfg)
	b := newBrowser(t)
	b.do(counterHandler(t, st), "GET", "/")
	if b.last[0].MaxAge != 0 || !b.last[0].Expires.IsZero() {
		t.Fatalf("default cookie is persistent: %+v", b.last[0])
	}
	b.do(func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.Get(r)
		s.SetPersistent(true)
		st.Commit(r.Context(), w, s)
	}, "GET", "/")
	if b.last[0].MaxAge != 3600 {
		t.Fatalf("remember-me cookie Max-Age = %d, want 3600", b.last[0].MaxAge)
	}
	if s := b.load(st); !s.Persistent() {
		t.Fatal("persistence not kept in the session")
	}
}

func TestNoDeserializeBeforeAuth(t *testing.T) {
	spy := &spySerializer{}
	cfg := baseConfig(nil)
	cfg.Serializer = spy
	cfg.Codec = mustSigned(t, secret1)
	st := mustCookieStorage(t, cfg)
	b := newBrowser(t)
	b.do(counterHandler(t, st), "GET", "/")
	good := b.cookies["__session"]
	spy.unmarshals = 0
	for i := range len(good) {
		bad := []byte(good)
		bad[i] ^= 0x20
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", "__session="+string(bad))
		st.Get(r)
	}
	if spy.unmarshals != 0 {
		t.Fatalf("serializer called %d times on unauthenticated input", spy.unmarshals)
	}
	b.load(st)
	if spy.unmarshals == 0 {
		t.Fatal("spy never called: the test proves nothing")
	}
}

// spySerializer counts the calls that decode anything but the defaults
// (which the storage decodes to copy them for each new session).
type spySerializer struct {
	JSON
	unmarshals int
}

func (s *spySerializer) Unmarshal(data []byte, v any) error {
	if string(data) != `{"count":0}` {
		s.unmarshals++
	}
	return s.JSON.Unmarshal(data, v)
}
