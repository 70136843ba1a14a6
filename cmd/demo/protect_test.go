package main

import (
	"context"
	"encoding/binary"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/memstore"
	"github.com/b4f9cdbb/session/store"
)

var creds = url.Values{"email": {demoEmail}, "password": {demoPassword}}

// post sends a form POST with extra request headers, as a browser adds them.
func (c *client) post(path string, form url.Values, headers map[string]string) *http.Response {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestCrossOriginRefused: every state-changing route answers a cross-origin
// browser request with 403 and changes nothing: no cookie set, the signed-in
// user still signed in, no login made.
func TestCrossOriginRefused(t *testing.T) {
	for _, name := range []string{"cookie", "memory"} {
		t.Run(name, func(t *testing.T) {
			base := startDemo(t, name, "")
			c := newClient(t, base)
			c.expectRedirect("POST", "/login", creds, "/dashboard")
			signedIn := c.sessionCookie()

			foreign := map[string]map[string]string{
				"Sec-Fetch-Site cross-site": {"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"},
				// Another port of the same host is the same site, so
				// SameSite=Lax cookies go along: only the origin differs.
				"Sec-Fetch-Site same-site": {"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:1"},
				"foreign Origin only":      {"Origin": "http://evil.example"},
			}
			for what, headers := range foreign {
				for path, form := range map[string]url.Values{
					"/login":            creds,
					"/logout":           {},
					"/sessions/revoke":  {"key": {strings.Repeat("ab", 32)}},
					"/no-such-post-url": {},
				} {
					resp := c.post(path, form, headers)
					if path == "/no-such-post-url" {
						if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
							t.Errorf("%s: POST %s: %d", what, path, resp.StatusCode)
						}
						continue
					}
					if resp.StatusCode != http.StatusForbidden {
						t.Errorf("%s: POST %s: %d, want 403", what, path, resp.StatusCode)
					}
					if sc := resp.Header.Values("Set-Cookie"); len(sc) > 0 {
						t.Errorf("%s: POST %s set a cookie: %q", what, path, sc)
					}
				}
			}
			if c.sessionCookie() != signedIn {
				t.Fatal("a refused request changed the session cookie")
			}
			if resp, body := c.do("GET", "/dashboard", nil); resp.StatusCode != http.StatusOK || !strings.Contains(body, demoEmail) {
				t.Fatalf("signed out by a cross-origin logout: %d", resp.StatusCode)
			}

			// A fresh browser: a cross-origin login must not sign it in
			// (login CSRF) nor give it a cookie.
			fresh := newClient(t, base)
			if resp := fresh.post("/login", creds, map[string]string{"Sec-Fetch-Site": "cross-site"}); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("cross-site login: %d", resp.StatusCode)
			}
			if fresh.sessionCookie() != "" {
				t.Fatal("a cross-site login set a session cookie")
			}
		})
	}
}

// TestSameOriginAndHeaderlessAllowed: the demo's own pages (Sec-Fetch-Site
// same-origin, or an Origin equal to its host), a user typing the URL
// (none) and clients that send neither header (curl) work as before.
func TestSameOriginAndHeaderlessAllowed(t *testing.T) {
	base := startDemo(t, "memory", "")
	for what, headers := range map[string]map[string]string{
		"same-origin": {"Sec-Fetch-Site": "same-origin", "Origin": base},
		"own Origin":  {"Origin": base},
		"none":        {"Sec-Fetch-Site": "none"},
		"header-less": nil,
	} {
		c := newClient(t, base)
		if resp := c.post("/login", creds, headers); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
			t.Errorf("%s: login: %d to %q", what, resp.StatusCode, resp.Header.Get("Location"))
			continue
		}
		if resp := c.post("/logout", url.Values{}, headers); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
			t.Errorf("%s: logout: %d to %q", what, resp.StatusCode, resp.Header.Get("Location"))
		}
		c.expectRedirect("GET", "/dashboard", nil, "/login")
	}
}

// TestSecurityHeaders: every response, whatever its status, carries the
// content security policy, nosniff and the referrer policy; the pages obey
// the policy (no inline script or style, which it would block) and the
// files they load instead are served.
func TestSecurityHeaders(t *testing.T) {
	base := startDemo(t, "memory", "")
	c := newClient(t, base)
	check := func(what string, resp *http.Response) {
		t.Helper()
		csp := resp.Header.Get("Content-Security-Policy")
		for _, d := range []string{"default-src 'self'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("%s: Content-Security-Policy %q lacks %q", what, csp, d)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: Content-Security-Policy %q allows inline code", what, csp)
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", what, got)
		}
		if got := resp.Header.Get("Referrer-Policy"); got != "same-origin" {
			t.Errorf("%s: Referrer-Policy %q", what, got)
		}
	}
	inline := regexp.MustCompile(`(?i)<script(\s[^>]*)?>\s*[^<\s]|<style|\sstyle=|\son[a-z]+=|javascript:`)
	pages := map[string]string{}
	for _, path := range []string{"/", "/login", "/healthz", "/dashboard", "/no-such-page"} {
		resp, body := c.do("GET", path, nil)
		check("GET "+path, resp)
		pages[path] = body
	}
	check("POST /login", c.expectRedirect("POST", "/login", creds, "/dashboard"))
	resp, body := c.do("GET", "/dashboard", nil)
	check("GET /dashboard signed in", resp)
	pages["/dashboard"] = body
	check("cross-site POST /logout", c.post("/logout", url.Values{}, map[string]string{"Sec-Fetch-Site": "cross-site"}))
	check("POST /logout", c.expectRedirect("POST", "/logout", nil, "/login"))

	for _, path := range []string{"/", "/login", "/dashboard"} {
		if m := inline.FindString(pages[path]); m != "" {
			t.Errorf("%s has inline code the policy blocks: %q", path, m)
		}
	}
	for path, ctype := range map[string]string{"/assets/demo.css": "text/css", "/assets/demo.js": "text/javascript"} {
		if !strings.Contains(pages["/"], `"`+path+`"`) {
			t.Errorf("the layout does not load %s", path)
		}
		resp, body := c.do("GET", path, nil)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) || body == "" {
			t.Errorf("GET %s: %d %q, %d bytes", path, resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
		}
		check("GET "+path, resp)
	}
	if resp, body := c.do("GET", "/assets/", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /assets/: %d %q, want 404 (no listing)", resp.StatusCode, body)
	}
}

// TestLogoutWithoutSession: a logout from a browser without a session has
// nothing to end: no deletion cookie, no store call, still 303 to /login.
func TestLogoutWithoutSession(t *testing.T) {
	for _, name := range []string{"cookie", "memory"} {
		t.Run(name, func(t *testing.T) {
			c := newClient(t, startDemo(t, name, ""))
			resp := c.expectRedirect("POST", "/logout", nil, "/login")
			if sc := resp.Header.Values("Set-Cookie"); len(sc) > 0 {
				t.Fatalf("logout without a session set %q", sc)
			}

			// With a session, logout does clear the cookie.
			c.do("GET", "/", nil)
			resp = c.expectRedirect("POST", "/logout", nil, "/login")
			if sc := resp.Header.Get("Set-Cookie"); !strings.HasPrefix(sc, "__session=;") || !strings.Contains(sc, "Max-Age=0") {
				t.Fatalf("logout with a session set %q, want the deletion cookie", sc)
			}
		})
	}
}

// TestCredentials: only the exact demo account signs in; prefixes,
// extensions and swapped fields do not.
func TestCredentials(t *testing.T) {
	if !validLogin(demoEmail, demoPassword) {
		t.Fatal("the demo account is refused")
	}
	for _, bad := range [][2]string{
		{"", ""}, {demoEmail, ""}, {"", demoPassword},
		{demoEmail, demoPassword + "x"}, {demoEmail, demoPassword[:len(demoPassword)-1]},
		{demoEmail + " ", demoPassword}, {"DEMO@example.com", demoPassword},
		{demoPassword, demoEmail}, {demoEmail + "\x00", demoPassword},
		{demoEmail, demoPassword + "\x00"}, {demoEmail + demoPassword, ""},
	} {
		if validLogin(bad[0], bad[1]) {
			t.Errorf("validLogin(%q, %q) = true", bad[0], bad[1])
		}
	}
}

// spyStore counts the calls that reach the store.
type spyStore struct {
	store.Store
	calls atomic.Int64
}

func (s *spyStore) Create(ctx context.Context, k store.Key, r store.Record) error {
	s.calls.Add(1)
	return s.Store.Create(ctx, k, r)
}

func (s *spyStore) Read(ctx context.Context, k store.Key) (store.Record, error) {
	s.calls.Add(1)
	return s.Store.Read(ctx, k)
}

func (s *spyStore) Update(ctx context.Context, k store.Key, r store.Record) error {
	s.calls.Add(1)
	return s.Store.Update(ctx, k, r)
}

func (s *spyStore) Delete(ctx context.Context, k store.Key) (bool, error) {
	s.calls.Add(1)
	return s.Store.Delete(ctx, k)
}

// TestLogoutWithoutSessionNoStoreCall: the same on a server-side store,
// which sees no call at all.
func TestLogoutWithoutSessionNoStoreCall(t *testing.T) {
	spy := &spyStore{Store: memstore.New()}
	a, err := newAppOn(spy, options{codec: "native", insecure: true}, []string{"tq3Vn8ZrT1wXy5Lp0Bm7Hs2Dc9Fg4Ja6"}, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.routes())
	defer srv.Close()
	c := newClient(t, srv.URL)
	if resp := c.expectRedirect("POST", "/logout", nil, "/login"); len(resp.Header.Values("Set-Cookie")) > 0 {
		t.Fatalf("logout without a session set %q", resp.Header.Values("Set-Cookie"))
	}
	if n := spy.calls.Load(); n != 0 {
		t.Fatalf("logout without a session made %d store calls", n)
	}
	c.expectRedirect("POST", "/login", creds, "/dashboard")
	before := spy.calls.Load()
	c.expectRedirect("POST", "/logout", nil, "/login")
	if spy.calls.Load() == before {
		t.Fatal("logout of a session made no store call (the record stays)")
	}
}

// TestMemoryStoreCapped: -store memory keeps memstore's cap on, so a flood
// of new sessions (each cookie-less request makes one) cannot grow the
// demo's memory without bound.
func TestMemoryStoreCapped(t *testing.T) {
	ctx := context.Background()
	st, closeStore, err := openStore(ctx, "memory", "")
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	m, ok := st.(store.Maintenance)
	if !ok {
		t.Fatalf("%T does not count its records (store.Maintenance)", st)
	}
	rec := store.Record{Data: []byte("{}"), Created: time.Now(), Expires: time.Now().Add(time.Hour)}
	for i := range memstore.DefaultMaxEntries + 1000 {
		var k store.Key
		binary.BigEndian.PutUint64(k[:], uint64(i))
		if err := st.Create(ctx, k, rec); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := m.Count(ctx); err != nil || n > memstore.DefaultMaxEntries {
		t.Fatalf("the demo's memory store holds %d records (%v), want at most memstore.DefaultMaxEntries = %d", n, err, memstore.DefaultMaxEntries)
	}
}
