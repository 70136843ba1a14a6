package session

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/codec"
)

// The behaviour checked by the Remix / React Router session test suites,
// in this API: set and get, update, reset, flash read-once, tampering,
// secrets, destroy, size, path.

func TestSetGetUpdateReset(t *testing.T) {
	st := mustCookieStorage(t, Config[testData]{Default: testData{Count: 10}, Cookie: CookieOptions{Secrets: []string{secret1}}})
	s := newBrowser(t).load(st)
	if !s.IsNew() || s.Changed() || s.Get().Count != 10 {
		t.Fatalf("new session: IsNew=%v Changed=%v data=%+v", s.IsNew(), s.Changed(), s.Get())
	}
	s.Update(func(d *testData) { d.Count++ })
	if s.Get().Count != 11 || !s.Changed() {
		t.Fatalf("after Update: %+v changed=%v", s.Get(), s.Changed())
	}
	s.Set(testData{Count: 3, User: &testUser{Email: "a@b"}})
	if got := s.Get(); got.Count != 3 || got.User.Email != "a@b" {
		t.Fatalf("after Set: %+v", got)
	}
	s.Reset()
	if got := s.Get(); got.Count != 10 || got.User != nil {
		t.Fatalf("after Reset: %+v", got)
	}
}

func TestDefaultsAreCopiedPerSession(t *testing.T) {
	def := testData{Tags: map[string]string{"a": "1"}, User: &testUser{Email: "default", Roles: []string{"r"}}}
	st := mustCookieStorage(t, Config[testData]{Default: def, Cookie: CookieOptions{Secrets: []string{secret1}}})
	b := newBrowser(t)
	s1, s2 := b.load(st), b.load(st)
	s1.Update(func(d *testData) {
		d.Tags["a"] = "changed"
		d.User.Email = "changed"
		d.User.Roles[0] = "changed"
	})
	for name, d := range map[string]testData{"second session": s2.Get(), "default": def, "third session": b.load(st).Get()} {
		if d.Tags["a"] != "1" || d.User.Email != "default" || d.User.Roles[0] != "r" {
			t.Errorf("%s was changed through the first session: %+v %+v", name, d.Tags, d.User)
		}
	}
}

func TestUnchangedSessionWritesNothing(t *testing.T) {
	st := mustCookieStorage(t, baseConfig(nil))
	b := newBrowser(t)
	b.do(counterHandler(t, st), "GET", "/")
	w := b.do(func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.Get(r)
		if s.IsNew() || s.Get().Count != 1 {
			t.Errorf("session not loaded: %+v (%v)", s.Get(), s.LoadError())
		}
		if err := st.Commit(r.Context(), w, s); err != nil {
			t.Error(err)
		}
	}, "GET", "/")
	if got := w.Header().Values("Set-Cookie"); len(got) != 0 {
		t.Fatalf("unchanged session set a cookie: %q", got)
	}
	if !headerHasToken(w.Header(), "Vary", "Cookie") {
		t.Fatal("a response made with a loaded session lacks Vary: Cookie (a shared cache could serve it to another user)")
	}
	// A new session that nobody touched is not worth a cookie either.
	fresh := newBrowser(t)
	w = fresh.do(func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.Get(r)
		st.Commit(r.Context(), w, s)
	}, "GET", "/")
	if got := w.Header().Values("Set-Cookie"); len(got) != 0 {
		t.Fatalf("untouched new session set a cookie: %q", got)
	}
}

func TestCounterAcrossRequests(t *testing.T) {
	for name, st := range storagesUnderTest(t) {
		t.Run(name, func(t *testing.T) {
			b := newBrowser(t)
			for i := 1; i <= 5; i++ {
				b.do(counterHandler(t, st), "GET", "/")
				if got := b.load(st).Get().Count; got != i {
					t.Fatalf("request %d: count %d", i, got)
				}
			}
		})
	}
}

// storagesUnderTest returns one storage of each kind the core offers.
func storagesUnderTest(t testing.TB) map[string]*Storage[testData] {
	sealed := mustCookieStorage(t, baseConfig(nil))
	signedCfg := baseConfig(nil)
	signedCfg.Codec = mustSigned(t, secret1)
	signed := mustCookieStorage(t, signedCfg)
	mem := mustStoreStorage(t, newSpyStore(t, nil), baseConfig(nil))
	return map[string]*Storage[testData]{"sealed cookie": sealed, "signed cookie": signed, "memory": mem}
}

func TestFlashReadOnce(t *testing.T) {
	for name, st := range storagesUnderTest(t) {
		t.Run(name, func(t *testing.T) {
			b := newBrowser(t)
			// Request 1 sets the flash and redirects.
			b.do(func(w http.ResponseWriter, r *http.Request) {
				s, _ := st.Get(r)
				if err := SetFlash(s, "error", "Invalid email/password"); err != nil {
					t.Fatal(err)
				}
				SetFlash(s, "notice", struct{ N int }{7})
				st.Commit(r.Context(), w, s)
			}, "POST", "/login")
			// Request 2 reads it once.
			b.do(func(w http.ResponseWriter, r *http.Request) {
				s, _ := st.Get(r)
				if !s.HasFlash("error") {
					t.Fatal("flash missing after redirect")
				}
				msg, ok := TakeFlash[string](s, "error")
				if !ok || msg != "Invalid email/password" {
					t.Fatalf("TakeFlash = %q, %v", msg, ok)
				}
				if _, ok := TakeFlash[string](s, "error"); ok {
					t.Fatal("flash read twice in one request")
				}
				if !s.Changed() {
					t.Fatal("taking a flash did not mark the session changed")
				}
				st.Commit(r.Context(), w, s)
			}, "GET", "/login")
			// Request 3: gone; the other flash, of another type, is still there.
			s := b.load(st)
			if _, ok := TakeFlash[string](s, "error"); ok {
				t.Fatal("flash delivered a second time")
			}
			n, ok := TakeFlash[struct{ N int }](s, "notice")
			if !ok || n.N != 7 {
				t.Fatalf("typed flash = %+v, %v", n, ok)
			}
		})
	}
}

func TestFlashOfWrongTypeIsDropped(t *testing.T) {
	st := mustCookieStorage(t, baseConfig(nil))
	s := newBrowser(t).load(st)
	SetFlash(s, "n", "not a number")
	if v, ok := TakeFlash[int](s, "n"); ok || v != 0 {
		t.Fatalf("TakeFlash[int] of a string = %v, %v", v, ok)
	}
	if s.HasFlash("n") {
		t.Fatal("undecodable flash kept")
	}
	if _, ok := TakeFlash[string](s, "missing"); ok {
		t.Fatal("missing flash reported present")
	}
}

func TestTamperedCookieGivesEmptySession(t *testing.T) {
	st := mustCookieStorage(t, baseConfig(nil))
	b := newBrowser(t)
	b.do(counterHandler(t, st), "GET", "/")
	v := b.cookies["__session"]
	flipped := []byte(v)
	flipped[len(flipped)/2] ^= 1
	if flipped[len(flipped)/2] == '`' || flipped[len(flipped)/2] == '.' {
		flipped[len(flipped)/2] = 'A'
	}
	b.cookies["__session"] = string(flipped)
	s := b.load(st)
	if !s.IsNew() || s.Get().Count != 0 || !errors.Is(s.LoadError(), ErrCookieInvalid) {
		t.Fatalf("tampered cookie: new=%v data=%+v err=%v", s.IsNew(), s.Get(), s.LoadError())
	}
}

func TestWrongSecretAndRotation(t *testing.T) {
	old := mustCookieStorage(t, baseConfig(nil))
	b := newBrowser(t)
	b.do(counterHandler(t, old), "GET", "/")
	oldValue := b.cookies["__session"]

	other := baseConfig(nil)
	other.Cookie.Secrets = []string{secret2}
	if s := b.load(mustCookieStorage(t, other)); !s.IsNew() || !errors.Is(s.LoadError(), ErrCookieInvalid) {
		t.Fatalf("cookie accepted under a different secret: %+v %v", s.Get(), s.LoadError())
	}

	rotated := baseConfig(nil)
	rotated.Cookie.Secrets = []string{secret2, secret1}
	st := mustCookieStorage(t, rotated)
	// An unchanged session read with the old secret is re-issued anyway.
	w := b.do(func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.Get(r)
		if s.IsNew() || s.Get().Count != 1 {
			t.Fatalf("old-secret cookie not accepted: %v", s.LoadError())
		}
		if err := st.Commit(r.Context(), w, s); err != nil {
			t.Fatal(err)
		}
	}, "GET", "/")
	if len(w.Header().Values("Set-Cookie")) != 1 || b.cookies["__session"] == oldValue {
		t.Fatal("cookie made with the old secret was not re-issued")
	}
	// The re-issued cookie needs only the new secret.
	onlyNew := baseConfig(nil)
	onlyNew.Cookie.Secrets = []string{secret2}
	if s := b.load(mustCookieStorage(t, onlyNew)); s.IsNew() || s.Get().Count != 1 {
		t.Fatalf("re-issued cookie not readable with the new secret alone: %v", s.LoadError())
	}
}

func TestDestroyCookie(t *testing.T) {
	cfg := baseConfig(nil)
	cfg.Cookie.Path = "/app"
	cfg.Cookie.Domain = "example.com"
	st := mustCookieStorage(t, cfg)
	b := newBrowser(t)
	b.do(counterHandler(t, st), "GET", "/app")
	w := b.do(func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.Get(r)
		if err := st.Destroy(r.Context(), w, s); err != nil {
			t.Fatal(err)
		}
		if err := st.Commit(r.Context(), w, s); !errors.Is(err, ErrSessionDestroyed) {
			t.Fatalf("Commit after Destroy = %v", err)
		}
	}, "POST", "/app/logout")
	if len(b.last) != 1 {
		t.Fatalf("want one Set-Cookie, got %d", len(b.last))
	}
	c := b.last[0]
	if c.Name != "__session" || c.Value != "" || c.Path != "/app" || c.Domain != "example.com" || c.MaxAge >= 0 {
		t.Fatalf("deletion cookie = %+v", c)
	}
	if !strings.Contains(w.Header().Get("Set-Cookie"), "Expires=Thu, 01 Jan 1970 00:00:00 GMT") {
		t.Fatalf("deletion cookie lacks a past Expires: %q", w.Header().Get("Set-Cookie"))
	}
	if _, ok := b.cookies["__session"]; ok {
		t.Fatal("browser kept the cookie")
	}
}

func TestCookieTooLarge(t *testing.T) {
	cfg := baseConfig(nil)
	cfg.Codec = mustSigned(t, secret1) // no compression, no encryption: size is predictable
	st := mustCookieStorage(t, cfg)
	s := newBrowser(t).load(st)
	s.Update(func(d *testData) { d.Tags = map[string]string{"big": strings.Repeat("x", 4000)} })
	w := httptest.NewRecorder()
	err := st.Commit(context.Background(), w, s)
	if !errors.Is(err, ErrCookieTooLarge) || !strings.Contains(err.Error(), "bytes") {
		t.Fatalf("Commit of an oversize session = %v", err)
	}
	if len(w.Header().Values("Set-Cookie")) != 0 {
		t.Fatal("oversize commit still set a cookie")
	}
	// Just under the limit is fine.
	s.Update(func(d *testData) { d.Tags = map[string]string{"big": strings.Repeat("x", 2500)} })
	if err := st.Commit(context.Background(), httptest.NewRecorder(), s); err != nil {
		t.Fatalf("Commit of a 3.5 KB session: %v", err)
	}
}

func TestLegacyCookie(t *testing.T) {
	legacy := func(name string) LegacyCookie[testData] {
		return LegacyCookie[testData]{Name: name, Read: func(value string, _ time.Time) (testData, error) {
			if value != "old-format-ok" {
				return testData{}, errors.New("not an old cookie")
			}
			return testData{Count: 7}, nil
		}}
	}
	for _, name := range []string{"old_session", "__session"} {
		t.Run(name, func(t *testing.T) {
			cfg := baseConfig(nil)
			cfg.Legacy = []LegacyCookie[testData]{legacy(name)}
			st := mustCookieStorage(t, cfg)
			b := newBrowser(t)
			b.cookies[name] = "old-format-ok"
			b.do(counterHandler(t, st), "GET", "/")
			if _, still := b.cookies[name]; name != "__session" && still {
				t.Fatal("old cookie not cleared")
			}
			if got := b.load(st); got.IsNew() || got.Get().Count != 8 {
				t.Fatalf("migrated session: count %d, new %v, %v", got.Get().Count, got.IsNew(), got.LoadError())
			}
			b.cookies[name] = "forged"
			if name == "__session" {
				if s := b.load(st); !s.IsNew() {
					t.Fatal("forged value accepted")
				}
			}
		})
	}
}

func TestStoredDataOverDefaults(t *testing.T) {
	def := testData{Count: 10, Tags: map[string]string{"a": "1"}}
	cfg := Config[testData]{Default: def, Cookie: CookieOptions{Secrets: []string{secret1}}}
	st := mustCookieStorage(t, cfg)
	sealed, _ := codec.NewSealed(secret1)
	load := func(data string) *Session[testData] {
		now := time.Now()
		v, err := sealed.AppendEncode(nil, "__session", &codec.Payload{Data: []byte(data), Created: now, Expires: now.Add(time.Hour)}, now)
		if err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t)
		b.cookies["__session"] = string(v)
		return b.load(st)
	}
	// A field the stored data lacks (added to the type later) keeps its default.
	if s := load(`{"count":3}`); s.IsNew() || s.Get().Count != 3 || s.Get().Tags["a"] != "1" {
		t.Fatalf("stored data over defaults: %+v, new %v", s.Get(), s.IsNew())
	}
	// Data that decodes half-way leaves nothing of itself behind.
	s := load(`{"count":5,"user":"not an object"}`)
	if !s.IsNew() || !errors.Is(s.LoadError(), ErrCorrupt) || s.Get().Count != 10 || s.Get().User != nil {
		t.Fatalf("half-decoded data: %+v, new %v, %v", s.Get(), s.IsNew(), s.LoadError())
	}
}
