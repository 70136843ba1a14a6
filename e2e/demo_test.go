package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// stores are the demo's storages the browser tests run on: the cookie holds
// the session, or only an ID into server memory.
var stores = []string{"cookie", "memory"}

// forEachStore runs test once per store, each with its own demo server and
// a browser on a fresh profile.
func forEachStore(t *testing.T, test func(t *testing.T, d *demo, b *browser)) {
	for _, store := range stores {
		t.Run(store, func(t *testing.T) {
			test(t, startDemo(t, store), startBrowser(t, t.TempDir()))
		})
	}
}

func TestCounterAcrossReloads(t *testing.T) {
	forEachStore(t, func(t *testing.T, d *demo, b *browser) {
		b.must(b.ctx, chromedp.Navigate(d.url+"/"))
		for n := 1; n <= 3; n++ {
			if n > 1 {
				b.must(b.ctx, chromedp.Reload())
			}
			want := "You visited this page " + string(rune('0'+n)) + " times"
			if got := eval[string](b, b.ctx, `document.querySelector("#count").textContent`); got != want {
				t.Fatalf("visit %d: %q, want %q", n, got, want)
			}
		}
	})
}

// TestPagesUseLayout: every page is a full HTML document in standards mode,
// with the demo's title, as a browser parses it, and styled: the style
// sheet gets past the content security policy (which blocks inline style).
func TestPagesUseLayout(t *testing.T) {
	d := startDemo(t, "cookie")
	b := startBrowser(t, t.TempDir())
	for _, path := range []string{"/", "/login"} {
		b.must(b.ctx, chromedp.Navigate(d.url+path))
		if mode, title := eval[string](b, b.ctx, "document.compatMode"), eval[string](b, b.ctx, "document.title"); mode != "CSS1Compat" || title != "Session demo" {
			t.Errorf("%s: compatMode %q (want CSS1Compat: no doctype?), title %q (want the layout's \"Session demo\")", path, mode, title)
		}
		if w := eval[string](b, b.ctx, "getComputedStyle(document.body).maxWidth"); w != "640px" {
			t.Errorf("%s: body max-width %q, want the style sheet's 40rem (640px): blocked or not loaded?", path, w)
		}
	}
}

func TestLoginErrorShownOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, d *demo, b *browser) {
		b.login(b.ctx, d.url, "demo@example.com", "wrong password", false)
		if p := b.path(b.ctx); p != "/login" {
			t.Fatalf("a bad login went to %s, want /login", p)
		}
		if got := eval[string](b, b.ctx, `document.querySelector("#error")?.textContent ?? ""`); got != "Invalid email/password" {
			t.Fatalf("error message %q", got)
		}
		b.must(b.ctx, chromedp.Reload())
		if strings.Contains(b.text(b.ctx), "Invalid") {
			t.Errorf("the error is still shown after a reload:\n%s", b.text(b.ctx))
		}
	})
}

// TestLoginLogout: a good login reaches the dashboard under a new cookie
// value; logout returns to /login and leaves no session cookie.
func TestLoginLogout(t *testing.T) {
	forEachStore(t, func(t *testing.T, d *demo, b *browser) {
		b.must(b.ctx, chromedp.Navigate(d.url+"/"))
		before := b.cookie(b.ctx, d.url)
		if before == nil {
			t.Fatal("no session cookie after the first visit")
		}

		b.login(b.ctx, d.url, "demo@example.com", "password", false)
		if p := b.path(b.ctx); p != "/dashboard" {
			t.Fatalf("a good login went to %s, want /dashboard\n%s", p, b.text(b.ctx))
		}
		if email := eval[string](b, b.ctx, `document.querySelector("#email").textContent`); !strings.Contains(email, "demo@example.com") {
			t.Errorf("dashboard says %q", email)
		}
		after := b.cookie(b.ctx, d.url)
		if after == nil || after.Value == before.Value {
			t.Errorf("the session cookie did not change at login")
		}

		b.submit(b.ctx, "#logout")
		if p := b.path(b.ctx); p != "/login" {
			t.Fatalf("logout went to %s, want /login", p)
		}
		if c := b.cookie(b.ctx, d.url); c != nil {
			t.Errorf("the browser still has a session cookie after logout: %q", c.Value)
		}
	})
}

// TestBackButtonAfterLogout: after logout, the back button must not show
// the dashboard again. Cache-Control: no-store is not enough in Chromium:
// it keeps the page in its back/forward cache (bfcache) and restores it
// untouched, since the cookie changed before the page entered the cache.
// The page itself must reload when restored (a pageshow handler).
func TestBackButtonAfterLogout(t *testing.T) {
	forEachStore(t, func(t *testing.T, d *demo, b *browser) {
		b.login(b.ctx, d.url, "demo@example.com", "password", false)
		eval[any](b, b.ctx, "window.e2eMarker = true") // survives only a bfcache restore
		b.submit(b.ctx, "#logout")
		eval[any](b, b.ctx, "history.back()")
		b.waitTab(b.ctx, func(v tabState) bool { return v.Path == "/login" && v.Ready == "complete" })
		if p, text := b.path(b.ctx), b.text(b.ctx); p != "/login" || strings.Contains(text, "Signed in as") {
			how := "reloaded"
			if eval[bool](b, b.ctx, "window.e2eMarker === true") {
				how = "restored from the back/forward cache"
			}
			t.Errorf("the back button showed %s after logout, %s:\n%s", p, how, text)
		}
	})
}

// TestRememberMeSurvivesRestart closes Chromium and starts it again on the
// same profile: a "remember me" session is still there, a normal one is
// gone, as with any browser-session cookie.
func TestRememberMeSurvivesRestart(t *testing.T) {
	for _, store := range stores {
		t.Run(store, func(t *testing.T) {
			d := startDemo(t, store)
			for _, remember := range []bool{true, false} {
				profile := t.TempDir()
				b := startBrowser(t, profile)
				b.login(b.ctx, d.url, "demo@example.com", "password", remember)
				c := b.cookie(b.ctx, d.url)
				if c == nil || c.Session == remember {
					t.Fatalf("remember=%v: cookie %+v, want a persistent cookie only with remember", remember, c)
				}
				if remember && time.Unix(int64(c.Expires), 0).Before(time.Now().Add(time.Hour)) {
					t.Errorf("the remember-me cookie expires at %v", time.Unix(int64(c.Expires), 0))
				}
				b.close()

				b = startBrowser(t, profile)
				b.must(b.ctx, chromedp.Navigate(d.url+"/dashboard"))
				want := "/login"
				if remember {
					want = "/dashboard"
				}
				if p := b.path(b.ctx); p != want {
					t.Errorf("remember=%v: after a restart /dashboard shows %s, want %s", remember, p, want)
				}
				b.close()
			}
		})
	}
}

// TestRevokeFromAnotherBrowser: with a server-side store, the dashboard of
// a second browser context lists both sessions and can revoke the first,
// which is then signed out.
func TestRevokeFromAnotherBrowser(t *testing.T) {
	d := startDemo(t, "memory")
	b := startBrowser(t, t.TempDir())
	first := b.ctx
	b.login(first, d.url, "demo@example.com", "password", false)
	if p := b.path(first); p != "/dashboard" {
		t.Fatalf("first login went to %s", p)
	}

	second := b.newContext()
	b.login(second, d.url, "demo@example.com", "password", false)
	if n := eval[int](b, second, `document.querySelectorAll("#sessions tr").length - 1`); n != 2 {
		t.Fatalf("the dashboard lists %d sessions, want 2\n%s", n, b.text(second))
	}
	screenshot(t, b, second)

	b.submit(second, `form[action="/sessions/revoke"] button`)
	if n := eval[int](b, second, `document.querySelectorAll("#sessions tr").length - 1`); n != 1 {
		t.Errorf("after revoking, the dashboard lists %d sessions, want 1", n)
	}
	b.must(first, chromedp.Navigate(d.url+"/dashboard"))
	if p := b.path(first); p != "/login" {
		t.Errorf("the revoked browser still reaches %s, want /login", p)
	}
	b.must(second, chromedp.Navigate(d.url+"/dashboard"))
	if p := b.path(second); p != "/dashboard" {
		t.Errorf("the revoking browser was signed out too (%s)", p)
	}
}

// screenshot saves the dashboard the tab shows, to SESSION_E2E_SCREENSHOT
// when set (docs/dashboard.png is made so), else to a temporary file.
func screenshot(t *testing.T, b *browser, ctx context.Context) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(tctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := os.Getenv("SESSION_E2E_SCREENSHOT")
	if path == "" {
		path = filepath.Join(t.TempDir(), "dashboard.png")
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCookieAttributes reads the cookie as the browser stored it, through
// the DevTools protocol: HttpOnly, SameSite=Lax, Path=/, host-only, and no
// Secure under -insecure; a browser-session cookie until "remember me".
func TestCookieAttributes(t *testing.T) {
	forEachStore(t, func(t *testing.T, d *demo, b *browser) {
		b.must(b.ctx, chromedp.Navigate(d.url+"/"))
		c := b.cookie(b.ctx, d.url)
		if c == nil {
			t.Fatal("no session cookie")
		}
		if !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || c.Path != "/" || c.Domain != "127.0.0.1" || c.Secure || !c.Session {
			t.Errorf("cookie as stored: HttpOnly=%v SameSite=%q Path=%q Domain=%q Secure=%v Session=%v",
				c.HTTPOnly, c.SameSite, c.Path, c.Domain, c.Secure, c.Session)
		}
		if got := eval[string](b, b.ctx, "document.cookie"); strings.Contains(got, "__session") {
			t.Errorf("page script can read the session cookie: %q", got)
		}
	})
}
