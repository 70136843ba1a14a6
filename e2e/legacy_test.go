package e2e

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	gorilla "github.com/gorilla/sessions"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/gorillacompat"
	"github.com/b4f9cdbb/session/memstore"
)

// The gorilla/sessions application being migrated: its session (and cookie)
// name, its hash key, and where its cookie lived. A Domain needs a host
// name (a browser never takes one for an IP address): app.test reaches the
// loopback address through hostResolverRules.
const (
	legacyName   = "app-session"
	legacyKey    = "gorilla-hash-key-of-the-old-app-for-e2e-tests-only"
	legacyPath   = "/app"
	legacyDomain = "app.test"
)

// migrated is a user's data in the application after the migration.
type migrated struct {
	Email string `json:"email"`
}

// startMigratedApp serves an application that moved from gorilla/sessions
// to package session, on http://app.test:port:
//
//	GET  /app/old     the old program signing a user in: a real gorilla
//	                  cookie with Path=/app and Domain=app.test
//	GET  /app/        the new program: who is signed in, and a logout button
//	POST /app/logout  the new program's logout
//
// Both pages carry the logout form, so a test can log out on the first
// request that brings the old cookie, or after it was converted.
func startMigratedApp(t *testing.T) string {
	t.Helper()
	old := gorilla.NewCookieStore([]byte(legacyKey))
	legacy, err := gorillacompat.Cookie(gorillacompat.Options{Name: legacyName, HashKey: []byte(legacyKey)},
		func(v map[any]any) (migrated, error) {
			email, _ := v["email"].(string)
			if email == "" {
				return migrated{}, errors.New("not signed in")
			}
			return migrated{Email: email}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	legacy.Path, legacy.Domain = legacyPath, legacyDomain
	mem := memstore.New()
	t.Cleanup(func() { mem.Close() })
	sessions, err := session.NewStorage(mem, session.Config[migrated]{
		Cookie: session.CookieOptions{Secrets: []string{secret}, Insecure: true},
		Legacy: []session.LegacyCookie[migrated]{legacy},
	})
	if err != nil {
		t.Fatal(err)
	}

	page := func(w http.ResponseWriter, who string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Migrated app</title><p id="who">%s</p>
<form method="post" action="/app/logout"><button type="submit" id="logout">Log out</button></form>`, html.EscapeString(who))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /app/old", func(w http.ResponseWriter, r *http.Request) {
		s, _ := old.Get(r, legacyName)
		s.Values["email"] = "ann@example.com"
		s.Options = &gorilla.Options{Path: legacyPath, Domain: legacyDomain, MaxAge: 86400, HttpOnly: true, SameSite: http.SameSiteLaxMode}
		if err := s.Save(r, w); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		page(w, "old app: signed in as ann@example.com")
	})
	mux.HandleFunc("GET /app/{$}", func(w http.ResponseWriter, r *http.Request) {
		s, err := sessions.Get(r)
		if err == nil {
			err = sessions.Commit(r.Context(), w, s)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		who := "signed out"
		if e := s.Get().Email; e != "" {
			who = "signed in as " + e
		}
		page(w, who)
	})
	mux.HandleFunc("POST /app/logout", func(w http.ResponseWriter, r *http.Request) {
		s, err := sessions.Get(r)
		if err == nil {
			err = sessions.Destroy(r.Context(), w, s)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/app/", http.StatusSeeOther)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return "http://" + net.JoinHostPort(legacyDomain, port)
}

// legacyCookie returns the browser's gorilla cookie for the app, or nil.
func (b *browser) legacyCookie(ctx context.Context, base string) *network.Cookie {
	b.t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res, err := chromedp.Call(tctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base + legacyPath + "/"}})
	if err != nil {
		b.t.Fatalf("reading cookies: %v", err)
	}
	for _, c := range res.Cookies {
		if c.Name == legacyName {
			return c
		}
	}
	return nil
}

// TestLogoutAfterGorillaMigrationIsFinal: a user arrives with the cookie
// the old gorilla/sessions program set, with its own Path and Domain. The
// new program converts it into a session; the user logs out and reloads:
// they must stay signed out, with no gorilla cookie left in the browser.
// A deletion cookie that does not repeat the old cookie's Path and Domain
// leaves the old cookie in place, and the next request signs the user in
// again from it. Both orders are checked: logout on a page loaded after
// the conversion, and logout on the very request that brings the old
// cookie (the old program's page still open at the switch).
func TestLogoutAfterGorillaMigrationIsFinal(t *testing.T) {
	base := startMigratedApp(t)
	for _, tc := range []struct {
		name    string
		convert bool // load the new program's page before logging out
	}{{"logout after conversion", true}, {"logout on the old cookie", false}} {
		t.Run(tc.name, func(t *testing.T) {
			b := startBrowser(t, t.TempDir())
			ctx := b.ctx
			who := func(ctx context.Context) string {
				return eval[string](b, ctx, `document.querySelector("#who")?.textContent ?? document.body.innerText`)
			}
			b.must(ctx, chromedp.Navigate(base+legacyPath+"/old"))
			c := b.legacyCookie(ctx, base)
			if c == nil || c.Path != legacyPath || c.Domain != "."+legacyDomain {
				t.Fatalf("the old program's cookie as stored: %+v, want Path %s and Domain .%s", c, legacyPath, legacyDomain)
			}
			if tc.convert {
				b.must(ctx, chromedp.Navigate(base+legacyPath+"/"))
				if got := who(ctx); got != "signed in as ann@example.com" {
					t.Fatalf("the new program did not take over the old session: %q", got)
				}
				if c := b.legacyCookie(ctx, base); c != nil {
					t.Errorf("the commit that converted the gorilla cookie left it in the browser (Path %s, Domain %s)", c.Path, c.Domain)
				}
			}
			b.submit(ctx, "#logout")
			if got := who(ctx); got != "signed out" {
				t.Fatalf("after logout the page says %q", got)
			}
			b.must(ctx, chromedp.Reload())
			if got := who(ctx); got != "signed out" {
				t.Errorf("after logout and a reload the page says %q: the old cookie signed the user in again", got)
			}
			if c := b.legacyCookie(ctx, base); c != nil {
				t.Errorf("the gorilla cookie is still in the browser after logout (Path %s, Domain %s)", c.Path, c.Domain)
			}
		})
	}
}
