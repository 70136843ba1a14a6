package session

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// tokenAPI is a small JSON-less API: POST /login signs "alice" in and
// issues a token, GET /count counts, POST /logout destroys the session.
func tokenAPI(t *testing.T, st *Storage[testData]) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s, err := st.Get(r)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		if err := st.UseToken(s); err != nil {
			t.Error(err)
		}
		if err := st.Regenerate(r.Context(), s); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		s.Update(func(d *testData) { d.User = &testUser{Email: "alice"} })
		if err := st.Commit(r.Context(), w, s); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	mux.HandleFunc("GET /count", func(w http.ResponseWriter, r *http.Request) {
		s, err := st.Get(r)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		if s.IsNew() {
			http.Error(w, "no session", http.StatusUnauthorized)
			return
		}
		s.Update(func(d *testData) { d.Count++ })
		if err := st.Commit(r.Context(), w, s); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.Get(r)
		if err := st.Destroy(r.Context(), w, s); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	return mux
}

// apiClient keeps a token the way a mobile app would: no cookie jar.
type apiClient struct {
	t     *testing.T
	srv   *httptest.Server
	token string
}

func (c *apiClient) do(method, path string) *http.Response {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.srv.URL+path, nil)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	if len(resp.Header.Values("Set-Cookie")) > 0 {
		c.t.Errorf("%s %s: a token client got Set-Cookie %q", method, path, resp.Header.Values("Set-Cookie"))
	}
	if v, ok := resp.Header["Session-Token"]; ok {
		c.token = v[0]
		if resp.Header.Get("Cache-Control") != "no-store" {
			c.t.Errorf("%s %s: a response carrying a token is cacheable (Cache-Control %q)", method, path, resp.Header.Get("Cache-Control"))
		}
	}
	return resp
}

// TestTokenSessionsEndToEnd: the same storage serves API clients that send
// the session as a bearer token, with expiry, rotation, regeneration and
// revocation, on server-side and cookie storage.
func TestTokenSessionsEndToEnd(t *testing.T) {
	for _, kind := range []string{"memory", "cookie"} {
		t.Run(kind, func(t *testing.T) {
			c := newClock()
			cfg := baseConfig(c)
			cfg.Token = &TokenOptions{}
			cfg.IdleTimeout = time.Hour
			cfg.UserID = func(d testData) string {
				if d.User == nil {
					return ""
				}
				return d.User.Email
			}
			var st *Storage[testData]
			if kind == "memory" {
				st = mustStoreStorage(t, versionedSpy{newSpyStore(t, c)}, cfg)
			} else {
				st = mustCookieStorage(t, cfg)
			}
			srv := httptest.NewServer(tokenAPI(t, st))
			defer srv.Close()
			api := &apiClient{t: t, srv: srv}

			if resp := api.do("GET", "/count"); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("without a token: %d", resp.StatusCode)
			}
			api.do("POST", "/login")
			if api.token == "" {
				t.Fatal("login issued no token")
			}
			for range 3 {
				if resp := api.do("GET", "/count"); resp.StatusCode != 200 {
					t.Fatalf("with the token: %d", resp.StatusCode)
				}
			}
			s, _ := st.Get(bearer(api.token))
			if s.IsNew() || s.Get().Count != 3 || !s.UsesToken() {
				t.Fatalf("after 3 requests: new %v, count %d, token %v (%v)", s.IsNew(), s.Get().Count, s.UsesToken(), s.LoadError())
			}

			// Regeneration: a new token; on server-side storage the old
			// one is dead at once.
			old := api.token
			api.do("POST", "/login")
			if api.token == old {
				t.Error("a second login kept the same token")
			}
			if s, _ := st.Get(bearer(old)); kind == "memory" && !s.IsNew() {
				t.Error("the token from before the regeneration still loads")
			}

			// A token is not a cookie and a cookie is not a token.
			cookieReq := httptest.NewRequest("GET", "/", nil)
			cookieReq.Header.Set("Cookie", st.CookieName()+"="+api.token)
			if s, _ := st.Get(cookieReq); !s.IsNew() {
				t.Error("a token was accepted as a cookie")
			}

			// Expiry is the server's: an idle token is refused.
			saved := api.token
			c.Advance(2 * time.Hour)
			if s, _ := st.Get(bearer(saved)); !s.IsNew() || !errors.Is(s.LoadError(), ErrExpired) && !errors.Is(s.LoadError(), ErrNotFound) {
				t.Errorf("an idle token: new %v, LoadError %v", s.IsNew(), s.LoadError())
			}
			c.Advance(-2 * time.Hour)

			// Logout: the response clears the token; the old one is dead
			// on server-side storage.
			before := api.token
			api.do("POST", "/logout")
			if api.token != "" {
				t.Errorf("logout left token %q with the client", api.token)
			}
			if s, _ := st.Get(bearer(before)); kind == "memory" && !s.IsNew() {
				t.Error("the token still loads after logout")
			}
		})
	}
}

func bearer(token string) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

// TestTokenRotationAndRevocation: a token made with an old secret is
// re-issued under the current one; RevokeUser kills tokens too.
func TestTokenRotationAndRevocation(t *testing.T) {
	spy := newSpyStore(t, nil)
	cfg := baseConfig(nil)
	cfg.Token = &TokenOptions{Header: "X-Session", ResponseHeader: "X-Session"}
	cfg.UserID = func(d testData) string { return "bob" }
	oldSt := mustStoreStorage(t, versionedSpy{spy}, cfg)
	s, _ := oldSt.Get(httptest.NewRequest("GET", "/", nil))
	if err := oldSt.UseToken(s); err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	if err := oldSt.Commit(context.Background(), w, s); err != nil {
		t.Fatal(err)
	}
	tok := w.Header().Get("X-Session")

	cfg.Cookie.Secrets = []string{secret2, secret1}
	st := mustStoreStorage(t, versionedSpy{spy}, cfg)
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Session", tok)
	s, err := st.Get(r)
	if err != nil || s.IsNew() {
		t.Fatalf("token under a rotated secret ring: %v, %v", err, s.LoadError())
	}
	w = httptest.NewRecorder()
	if err := st.Commit(context.Background(), w, s); err != nil {
		t.Fatal(err)
	}
	fresh := w.Header().Get("X-Session")
	if fresh == "" || fresh == tok || w.Header().Get("Vary") != "X-Session" {
		t.Fatalf("a token made with the old secret was not re-issued (new %q, Vary %q)", fresh, w.Header().Get("Vary"))
	}
	if n, err := st.RevokeUser(context.Background(), "bob"); err != nil || n != 1 {
		t.Fatalf("RevokeUser = %d, %v", n, err)
	}
	r.Header.Set("X-Session", fresh)
	if s, _ := st.Get(r); !s.IsNew() {
		t.Error("a revoked user's token still loads")
	}
	// A request with the token header never falls back to its cookies.
	b := newBrowser(t)
	b.do(counterHandler(t, st), "GET", "/")
	r = b.request("GET", "/")
	r.Header.Set("X-Session", "garbage")
	if s, _ := st.Get(r); !s.IsNew() || s.UsesToken() != true {
		t.Error("a request with a bad token was served from its cookie")
	}
}

func TestTokenOptionsValidated(t *testing.T) {
	for _, o := range []TokenOptions{{Header: "Bad Header"}, {ResponseHeader: "Set-Cookie"}, {Header: "Cookie"}, {Scheme: "a b"}} {
		cfg := baseConfig(nil)
		cfg.Token = &o
		if _, err := NewCookieStorage(cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%+v: %v, want ErrInvalidConfig", o, err)
		}
	}
	st := mustCookieStorage(t, baseConfig(nil))
	s, _ := st.Get(httptest.NewRequest("GET", "/", nil))
	if err := st.UseToken(s); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("UseToken without Config.Token: %v", err)
	}
}
