//go:build go1.25

package readme

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/b4f9cdbb/session/memstore"
)

// regions returns the "// readme:NAME" … "// readme:end" regions of
// readme.go, without the markers.
func regions(t *testing.T) map[string]string {
	t.Helper()
	src, err := os.ReadFile("readme.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var name string
	var body []string
	sc := bufio.NewScanner(strings.NewReader(string(src)))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "// readme:end":
			out[name] = strings.TrimSpace(strings.Join(body, "\n"))
			name, body = "", nil
		case strings.HasPrefix(line, "// readme:"):
			name = strings.TrimPrefix(line, "// readme:")
		case name != "":
			body = append(body, line)
		}
	}
	return out
}

var goBlock = regexp.MustCompile("(?s)(<!-- readme:([a-z]+) -->\n)?```go\n(.*?)```")

// TestREADMEInSync: every Go block of README.md is preceded by
// "<!-- readme:NAME -->" and is exactly that region of readme.go, which
// the compiler and the tests below check.
func TestREADMEInSync(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	code := regions(t)
	used := map[string]bool{}
	for _, m := range goBlock.FindAllStringSubmatch(string(readme), -1) {
		name, block := m[2], strings.TrimSpace(m[3])
		if name == "" {
			t.Errorf("README has a Go block without a <!-- readme:NAME --> marker, so nothing compiles it:\n%s", block)
			continue
		}
		want, ok := code[name]
		if !ok {
			t.Errorf("README block %q has no region in readme.go", name)
			continue
		}
		used[name] = true
		if block != want {
			t.Errorf("README block %q differs from readme.go; copy the region into the README.\nREADME:\n%s\nreadme.go:\n%s", name, block, want)
		}
	}
	for name := range code {
		if !used[name] {
			t.Errorf("readme.go region %q is not in the README", name)
		}
	}
}

const testSecret = "readme-test: Lq8Zt3Vw9Nx2Kp5Rc7Hm4Jd6Fb1Gs0Ya"

// browser is a client with one cookie jar.
func browser(t *testing.T, h http.Handler) func(method, path string, form url.Values) *http.Response {
	jar := map[string]string{}
	return func(method, path string, form url.Values) *http.Response {
		r := httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		if form != nil {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for k, v := range jar {
			r.AddCookie(&http.Cookie{Name: k, Value: v})
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		for _, c := range w.Result().Cookies() {
			if c.MaxAge < 0 {
				delete(jar, c.Name)
			} else {
				jar[c.Name] = c.Value
			}
		}
		return w.Result()
	}
}

func body(resp *http.Response) string {
	var sb strings.Builder
	_, _ = bufio.NewReader(resp.Body).WriteTo(&sb)
	return sb.String()
}

func TestQuickStart(t *testing.T) {
	t.Setenv("SESSION_SECRETS", testSecret)
	sessions, err := newCookieSessions()
	if err != nil {
		t.Fatal(err)
	}
	get := browser(t, counter(sessions))
	for i, want := range []string{"1", "2"} {
		if got := body(get("GET", "/", nil)); got != "You visited this page "+want+" times" {
			t.Errorf("visit %d: %q", i+1, got)
		}
	}
}

func TestLoginFlashLogoutEverywhere(t *testing.T) {
	t.Setenv("SESSION_SECRETS", testSecret)
	sessions, closeStore, err := newSessions()
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	a := &App{sessions: sessions, checkPassword: func(e, p string) bool { return e == "ann@example.com" && p == "right" }}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", a.loginForm)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("POST /everywhere", a.signOutEverywhere)
	phone, laptop := browser(t, mux), browser(t, mux)

	if resp := phone("POST", "/login", url.Values{"email": {"ann@example.com"}, "password": {"wrong"}}); resp.Header.Get("Location") != "/login" {
		t.Fatalf("wrong password: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if b := body(phone("GET", "/login", nil)); !strings.Contains(b, "Invalid email/password") {
		t.Errorf("flash not shown: %q", b)
	}
	if b := body(phone("GET", "/login", nil)); strings.Contains(b, "Invalid") {
		t.Errorf("flash shown twice: %q", b)
	}
	for _, dev := range []func(string, string, url.Values) *http.Response{phone, laptop} {
		if resp := dev("POST", "/login", url.Values{"email": {"ann@example.com"}, "password": {"right"}}); resp.Header.Get("Location") != "/dashboard" {
			t.Fatalf("login: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if b := body(laptop("POST", "/everywhere", nil)); b != "Signed out of 2 sessions" {
		t.Errorf("sign out everywhere: %q", b)
	}
	if resp := phone("POST", "/logout", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("logout: %d", resp.StatusCode)
	}
}

func TestMiddlewareAndToken(t *testing.T) {
	t.Setenv("SESSION_SECRETS", testSecret)
	sessions, err := newCookieSessions()
	if err != nil {
		t.Fatal(err)
	}
	get := browser(t, middlewareApp(sessions))
	get("GET", "/", nil)
	if got := body(get("GET", "/", nil)); got != "You visited this page 2 times" {
		t.Errorf("middleware: %q", got)
	}
	mem := memstore.New()
	defer mem.Close()
	api, err := newAPISessions(mem)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	s, _ := api.Get(r)
	if err := api.UseToken(s); err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	if err := api.Commit(context.Background(), w, s); err != nil || w.Header().Get("Session-Token") == "" {
		t.Fatalf("no token issued: %v", err)
	}
}

func TestOwnStoreSnippet(t *testing.T) { TestConformance(t) }
