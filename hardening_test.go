package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/codec"
	"github.com/b4f9cdbb/session/store"
)

// Regression tests for the fail-open edges an attacker who reads the code
// would try; each failed on the code before its fix.

// TestLegacyCookieExpiredWithItsPathAndDomain: after a migration, the commit
// that converts a legacy cookie and every Destroy expire it with the Path
// and Domain it was set with, so that logout is final.
func TestLegacyCookieExpiredWithItsPathAndDomain(t *testing.T) {
	cfg := baseConfig(nil)
	cfg.Legacy = []LegacyCookie[testData]{{
		Name: "gorilla", Path: "/app", Domain: ".example.com",
		Read: func(value string, _ time.Time) (testData, error) {
			if value != "old-format-ok" {
				return testData{}, errors.New("not an old cookie")
			}
			return testData{Count: 7}, nil
		},
	}}
	st := mustCookieStorage(t, cfg)
	const want = "gorilla=; Path=/app; Domain=example.com; Max-Age=0"

	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", "gorilla=old-format-ok")
	s, err := st.Get(r)
	if err != nil || s.Get().Count != 7 {
		t.Fatalf("legacy cookie not read: %+v, %v", s.Get(), err)
	}
	w := httptest.NewRecorder()
	if err := st.Commit(r.Context(), w, s); err != nil {
		t.Fatal(err)
	}
	if !hasSetCookie(w.Header(), want) {
		t.Errorf("converting commit: Set-Cookie %q lacks %q", w.Header().Values("Set-Cookie"), want)
	}

	// Logout, even from a session that never saw the legacy cookie.
	s, _ = st.Get(httptest.NewRequest("GET", "/", nil))
	w = httptest.NewRecorder()
	if err := st.Destroy(r.Context(), w, s); err != nil {
		t.Fatal(err)
	}
	if !hasSetCookie(w.Header(), want) || !hasSetCookie(w.Header(), "__session=; Path=/; Max-Age=0") {
		t.Errorf("Destroy: Set-Cookie %q lacks the deletion of the session or legacy cookie", w.Header().Values("Set-Cookie"))
	}

	bad := baseConfig(nil)
	bad.Legacy = []LegacyCookie[testData]{{Name: "g", Domain: "a, b", Read: cfg.Legacy[0].Read}}
	if _, err := NewCookieStorage(bad); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("LegacyCookie with Domain %q: %v, want ErrInvalidConfig", "a, b", err)
	}
}

func hasSetCookie(h http.Header, prefix string) bool {
	for _, v := range h.Values("Set-Cookie") {
		if strings.HasPrefix(v, prefix) {
			return true
		}
	}
	return false
}

// TestDuplicateCookieNotBypassedByJunk: an attacker's valid cookie ahead of
// junk values ahead of the victim's must not be adopted: every value is
// counted, and a request with more than one valid value is distrusted.
func TestDuplicateCookieNotBypassedByJunk(t *testing.T) {
	st := mustCookieStorage(t, baseConfig(nil))
	attacker, victim := newBrowser(t), newBrowser(t)
	attacker.do(counterHandler(t, st), "GET", "/")
	victim.do(counterHandler(t, st), "GET", "/")
	victim.do(counterHandler(t, st), "GET", "/")

	for _, junk := range []int{7, 20} {
		parts := []string{"__session=" + attacker.cookies["__session"]}
		for i := range junk {
			parts = append(parts, fmt.Sprintf("__session=junk%d", i))
		}
		parts = append(parts, "__session="+victim.cookies["__session"])
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", strings.Join(parts, "; "))
		s, err := st.Get(r)
		if err != nil || !s.IsNew() || !errors.Is(s.LoadError(), ErrDuplicateCookie) {
			t.Errorf("attacker's cookie, %d junk values, victim's cookie: new %v, count %d, LoadError %v; want a new session and ErrDuplicateCookie",
				junk, s.IsNew(), s.Get().Count, s.LoadError())
		}
	}
	// More values than anyone sends: not trusted at all, whatever they hold.
	parts := []string{"__session=" + victim.cookies["__session"]}
	for i := range maxCookieValues {
		parts = append(parts, fmt.Sprintf("__session=junk%d", i))
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", strings.Join(parts, "; "))
	if s, _ := st.Get(r); !s.IsNew() || !errors.Is(s.LoadError(), ErrDuplicateCookie) {
		t.Errorf("%d values of the session cookie: new %v, LoadError %v; want distrusted", len(parts), s.IsNew(), s.LoadError())
	}
}

// TestRemixCookieStorageNeedsOptIn: the Remix format carries no expiry, so
// cookie storage with it could not enforce IdleTimeout or Lifetime.
func TestRemixCookieStorageNeedsOptIn(t *testing.T) {
	remix, err := codec.NewRemix(secret1)
	if err != nil {
		t.Fatal(err)
	}
	cfg := baseConfig(nil)
	cfg.Codec = remix
	if _, err := NewCookieStorage(cfg); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "AllowUnboundedCookies") {
		t.Errorf("cookie storage with the Remix codec: %v; want ErrInvalidConfig naming AllowUnboundedCookies", err)
	}
	cfg.AllowUnboundedCookies = true
	if _, err := NewCookieStorage(cfg); err != nil {
		t.Errorf("with AllowUnboundedCookies: %v", err)
	}
	cfg.AllowUnboundedCookies = false
	if _, err := NewStorage(newSpyStore(t, nil), cfg); err != nil {
		t.Errorf("server-side storage with the Remix codec: %v (the store enforces the timeouts)", err)
	}
}

// TestCookieAttributeEdgeCases: prefixes are recognised in any case, as
// browsers do, and Domain and Path take only characters they can hold.
func TestCookieAttributeEdgeCases(t *testing.T) {
	for _, o := range []CookieOptions{
		{Name: "__host-s", Domain: "example.com"},
		{Name: "__HOST-s", Path: "/app"},
		{Name: "__host-s", Insecure: true},
		{Name: "__secure-s", Insecure: true},
		{Domain: "example.com, evil.com"},
		{Domain: "example .com"},
		{Domain: "exa_mple.com"},
		{Domain: "example..com"},
		{Path: "/a,b"},
		{Path: "/a b"},
		{Path: "/a\"b"},
	} {
		o.Secrets = []string{secret1}
		if _, err := NewCookieStorage(Config[testData]{Cookie: o}); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%+v: %v, want ErrInvalidConfig", o, err)
		}
	}
	for _, o := range []CookieOptions{
		{Name: "__Host-s"},
		{Domain: ".example.com", Path: "/app/v1"},
		{Domain: "sub-1.example.com"},
	} {
		o.Secrets = []string{secret1}
		if _, err := NewCookieStorage(Config[testData]{Cookie: o}); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
}

// TestUserCallsNeedUserID: without Config.UserID no record names a user,
// so "sign out everywhere" would revoke nothing; it must say so.
func TestUserCallsNeedUserID(t *testing.T) {
	st := mustStoreStorage(t, versionedSpy{newSpyStore(t, nil)}, baseConfig(nil))
	if n, err := st.RevokeUser(context.Background(), "alice"); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("RevokeUser without Config.UserID = %d, %v; want ErrInvalidConfig", n, err)
	}
	if _, err := st.ListUserSessions(context.Background(), "alice"); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("ListUserSessions without Config.UserID: %v; want ErrInvalidConfig", err)
	}
}

// corruptStore reads every record as corrupt and records deletions.
type corruptStore struct {
	*spyStore
	deleted []store.Key
}

func (c *corruptStore) Read(context.Context, store.Key) (store.Record, error) {
	return store.Record{}, fmt.Errorf("test: junk in the record: %w", store.ErrCorrupt)
}

func (c *corruptStore) Delete(ctx context.Context, key store.Key) (bool, error) {
	c.deleted = append(c.deleted, key)
	return c.spyStore.Delete(ctx, key)
}

// TestCorruptRecordIsReplaced: a store that reports a record corrupt does
// not lock the user out: a fresh session, the bad record deleted, no error.
// (storetest runs the same against every real store.)
func TestCorruptRecordIsReplaced(t *testing.T) {
	spy := newSpyStore(t, nil)
	good := mustStoreStorage(t, spy, baseConfig(nil))
	b := newBrowser(t)
	b.do(counterHandler(t, good), "GET", "/")
	key, _ := b.load(good).Key()

	cs := &corruptStore{spyStore: spy}
	st := mustStoreStorage(t, cs, baseConfig(nil))
	r := b.request("GET", "/")
	s, err := st.Get(r)
	if err != nil || !s.IsNew() || !errors.Is(s.LoadError(), ErrCorrupt) {
		t.Fatalf("corrupt record: new %v, err %v, LoadError %v; want a new session, no error, ErrCorrupt", s.IsNew(), err, s.LoadError())
	}
	if len(cs.deleted) != 1 || cs.deleted[0] != key {
		t.Errorf("deleted %v, want the corrupt record's key", cs.deleted)
	}
}

// TestGetUnderMiddlewareIsFromContext: one request has one session, so two
// calls cannot conflict with each other or lose a login.
func TestGetUnderMiddlewareIsFromContext(t *testing.T) {
	st, _ := memStorage(t, nil)
	h := st.Middleware()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := st.FromContext(r.Context())
		if err != nil {
			t.Fatal(err)
		}
		b, err := st.Get(r)
		if err != nil {
			t.Fatal(err)
		}
		if a != b {
			t.Error("Get under the middleware returned another session than FromContext")
		}
		b.Update(func(d *testData) { d.Count++ })
		if err := st.Commit(r.Context(), w, b); err != nil {
			t.Errorf("explicit Commit under the middleware: %v", err)
		}
	}))
	br := newBrowser(t)
	for range 3 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, br.request("GET", "/"))
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		br.absorb(w)
	}
	if c := br.load(st).Get().Count; c != 3 {
		t.Errorf("count %d after 3 requests, want 3", c)
	}
}

// TestHeadersNotSharedBetweenResponses: a handler that edits a header the
// library set, in place, changes its own response only. A header slice
// shared between responses would let one handler's edit (say, to
// Cache-Control) reach every later response, another user's included.
func TestHeadersNotSharedBetweenResponses(t *testing.T) {
	st := mustCookieStorage(t, baseConfig(nil))
	commit := func() http.Header {
		s, err := st.Get(httptest.NewRequest("GET", "/", nil))
		if err != nil {
			t.Fatal(err)
		}
		s.Set(testData{Count: 1})
		w := httptest.NewRecorder()
		if err := st.Commit(context.Background(), w, s); err != nil {
			t.Fatal(err)
		}
		return w.Header()
	}
	first := commit()
	for _, name := range []string{"Cache-Control", "Vary", "Set-Cookie"} {
		for i := range first[name] {
			first[name][i] = "edited"
		}
	}
	second := commit()
	for _, name := range []string{"Cache-Control", "Vary", "Set-Cookie"} {
		if v := second.Get(name); v == "edited" || v == "" {
			t.Errorf("%s of the next response = %q after the first response's header was edited in place", name, v)
		}
	}
}
