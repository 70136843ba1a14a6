package e2e

import (
	"context"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"
)

// attacker is a page on another origin that, once loaded, posts a form to
// the demo on its own: the classic cross-site request forgery.
type attacker struct {
	url string // the attacker's origin, as the browser reaches it
}

// startAttacker serves /login and /logout pages that auto-submit a form
// POST to the same path of target. host is how the browser reaches the
// attacker: "127.0.0.1" (another port of the demo's host: same site, so
// SameSite=Lax cookies go along) or a name under .test (another site).
func startAttacker(t *testing.T, target, host string) *attacker {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fields := ""
		if r.URL.Path == "/login" {
			fields = `<input name="email" value="demo@example.com"><input name="password" value="password">`
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Win a prize</title>
<form method="post" action="%s">%s</form>
<script>document.forms[0].submit()</script>`, html.EscapeString(target+r.URL.Path), fields)
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return &attacker{url: "http://" + net.JoinHostPort(host, port)}
}

// forged loads the attacker's page for path and waits until the browser
// shows the demo's answer to the forged POST. It returns the HTTP status of
// the page the tab ends on and that page's path (another than path when
// the demo redirected).
func (b *browser) forged(ctx context.Context, a *attacker, demoURL, path string) (status int, at string) {
	b.t.Helper()
	b.must(ctx, chromedp.Navigate(a.url+path))
	v, ok := b.waitTab(ctx, func(v tabState) bool { return v.Origin == demoURL && v.Ready == "complete" })
	if !ok {
		b.t.Fatalf("the attacker's page for %s did not reach the demo: the tab shows %+v", path, v)
	}
	return v.Status, v.Path
}

// TestCrossOriginPostsRefused: a page on another origin makes the browser
// post forms to the demo's /login and /logout. SameSite=Lax stops neither
// (a top-level form POST from another port of the same host is same-site
// and carries the cookie; a login needs no cookie). The demo must answer
// 403 and leave the session as it was: a signed-in user stays signed in
// with the same cookie, and a browser without a session gets none.
func TestCrossOriginPostsRefused(t *testing.T) {
	forEachStore(t, func(t *testing.T, d *demo, b *browser) {
		// No subtests: the browser's helpers fail the test that started it.
		for _, host := range []string{"127.0.0.1", "evil.test"} {
			a := startAttacker(t, d.url, host)
			ctx := b.newContext()
			b.login(ctx, d.url, "demo@example.com", "password", false)
			signedIn := b.cookie(ctx, d.url)
			if signedIn == nil || b.path(ctx) != "/dashboard" {
				t.Fatalf("could not sign in (%s)", b.path(ctx))
			}
			for _, path := range []string{"/logout", "/login"} {
				if status, at := b.forged(ctx, a, d.url, path); status != http.StatusForbidden || at != path {
					t.Errorf("a POST %s from %s ended on %s with %d, want 403 on %s", path, a.url, at, status, path)
				}
				if c := b.cookie(ctx, d.url); c == nil || c.Value != signedIn.Value {
					t.Errorf("a refused POST %s from %s changed the session cookie", path, a.url)
				}
			}
			b.must(ctx, chromedp.Navigate(d.url+"/dashboard"))
			if p := b.path(ctx); p != "/dashboard" {
				t.Errorf("signed out by the forged requests from %s: /dashboard shows %s", a.url, p)
			}

			// Login CSRF: a browser without a session must not be signed
			// in to the attacker's chosen account.
			fresh := b.newContext()
			if status, at := b.forged(fresh, a, d.url, "/login"); status != http.StatusForbidden || at != "/login" {
				t.Errorf("a forged login from %s ended on %s with %d, want 403 on /login", a.url, at, status)
			}
			if c := b.cookie(fresh, d.url); c != nil {
				t.Errorf("a forged login from %s set a session cookie", a.url)
			}
			b.must(fresh, chromedp.Navigate(d.url+"/dashboard"))
			if p := b.path(fresh); p != "/login" {
				t.Errorf("a forged login from %s signed the browser in (%s)", a.url, p)
			}
		}
	})
}
