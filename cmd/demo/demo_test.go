package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// client is a browser stand-in: a cookie jar that does not follow
// redirects, so that each step of the contract is checked.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (c *client) do(method, path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, c.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (c *client) expectRedirect(method, path string, form url.Values, to string) *http.Response {
	c.t.Helper()
	resp, _ := c.do(method, path, form)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != to {
		c.t.Fatalf("%s %s: %d to %q, want 303 to %q", method, path, resp.StatusCode, resp.Header.Get("Location"), to)
	}
	return resp
}

func (c *client) sessionCookie() string {
	u, _ := url.Parse(c.base)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == "__session" {
			return ck.Value
		}
	}
	return ""
}

func startDemo(t *testing.T, storeName, dsn string) string {
	return startDemoCodec(t, storeName, dsn, "native")
}

func startDemoCodec(t *testing.T, storeName, dsn, codecName string) string {
	a, closeStore, err := newApp(context.Background(), options{store: storeName, dsn: dsn, codec: codecName, insecure: true},
		[]string{"tq3Vn8ZrT1wXy5Lp0Bm7Hs2Dc9Fg4Ja6"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeStore)
	srv := httptest.NewServer(a.routes())
	t.Cleanup(srv.Close)
	return srv.URL
}

var visits = regexp.MustCompile(`You visited this page (\d+) times`)

// demoStores returns the -store values to test with their -dsn: the
// embedded ones always, the servers when their environment variable is set.
func demoStores(t *testing.T) map[string]string {
	dir := t.TempDir()
	stores := map[string]string{"cookie": "", "memory": "", "file": dir, "sqlite": filepath.Join(dir, "demo.sqlite")}
	if addr := os.Getenv("SESSION_TEST_REDIS_ADDR"); addr != "" {
		stores["redis"] = "redis://" + addr + "/0"
	}
	if dsn := os.Getenv("SESSION_TEST_POSTGRES_DSN"); dsn != "" {
		stores["postgres"] = dsn
	}
	if dsn := os.Getenv("SESSION_TEST_MYSQL_DSN"); dsn != "" {
		stores["mysql"] = dsn
	}
	if len(stores) < len(storeNames) {
		t.Logf("testing the demo without the server stores whose SESSION_TEST_* variable is unset (have %d of %d)", len(stores), len(storeNames))
	}
	return stores
}

func TestDemoContract(t *testing.T) {
	for name, dsn := range demoStores(t) {
		for _, codecName := range []string{"native", "remix"} {
			t.Run(name+"/"+codecName, func(t *testing.T) { testContract(t, startDemoCodec(t, name, dsn, codecName)) })
		}
	}
}

func testContract(t *testing.T, base string) {
	c := newClient(t, base)

	for i := 1; i <= 3; i++ {
		_, body := c.do("GET", "/", nil)
		if m := visits.FindStringSubmatch(body); m == nil || m[1] != string(rune('0'+i)) {
			t.Fatalf("visit %d: %q", i, body)
		}
		if !strings.HasPrefix(body, "<!doctype html>") || !strings.Contains(body, "<title>Session demo</title>") {
			t.Fatalf("page not rendered in the layout: %q", body)
		}
	}
	if resp, body := c.do("GET", "/healthz", nil); resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("healthz: %d %q", resp.StatusCode, body)
	}
	c.expectRedirect("GET", "/dashboard", nil, "/login")

	// A bad login shows the error once.
	c.expectRedirect("POST", "/login", url.Values{"email": {"demo@example.com"}, "password": {"nope"}}, "/login")
	if _, body := c.do("GET", "/login", nil); !strings.Contains(body, "Invalid email/password") {
		t.Fatal("flash error not shown")
	}
	if _, body := c.do("GET", "/login", nil); strings.Contains(body, "Invalid email/password") {
		t.Fatal("flash error shown twice")
	}

	// A good login regenerates the session and reaches the dashboard.
	before := c.sessionCookie()
	resp := c.expectRedirect("POST", "/login", url.Values{"email": {"demo@example.com"}, "password": {"password"}}, "/dashboard")
	if c.sessionCookie() == before {
		t.Fatal("cookie unchanged by login")
	}
	for _, sc := range resp.Header.Values("Set-Cookie") {
		if strings.Contains(sc, "Max-Age") {
			t.Fatalf("login without remember-me set a persistent cookie: %q", sc)
		}
	}
	resp, body := c.do("GET", "/dashboard", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "Signed in as demo@example.com") {
		t.Fatalf("dashboard: %d %q", resp.StatusCode, body)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("dashboard Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
	if _, body := c.do("GET", "/", nil); !strings.Contains(body, "You visited this page 4 times") {
		t.Fatalf("count lost across login: %q", body)
	}

	// Logout ends it.
	c.expectRedirect("POST", "/logout", nil, "/login")
	c.expectRedirect("GET", "/dashboard", nil, "/login")

	// Remember me gives a persistent cookie.
	resp = c.expectRedirect("POST", "/login", url.Values{"email": {"demo@example.com"}, "password": {"password"}, "remember": {"on"}}, "/dashboard")
	if sc := resp.Header.Get("Set-Cookie"); !strings.Contains(sc, "Max-Age=") {
		t.Fatalf("remember-me cookie not persistent: %q", sc)
	}
}

func TestDemoRevokeOtherSession(t *testing.T) {
	for name, dsn := range demoStores(t) {
		if name == "cookie" {
			continue // cookie storage keeps no list of sessions
		}
		t.Run(name, func(t *testing.T) { testRevoke(t, startDemo(t, name, dsn)) })
	}
}

func testRevoke(t *testing.T, base string) {
	laptop, phone := newClient(t, base), newClient(t, base)
	creds := url.Values{"email": {"demo@example.com"}, "password": {"password"}}
	laptop.expectRedirect("POST", "/login", creds, "/dashboard")
	phone.expectRedirect("POST", "/login", creds, "/dashboard")
	_, body := laptop.do("GET", "/dashboard", nil)
	// Other tests' sessions of the same user may be listed too (a shared
	// server): revoke the phone's, found as the one that is new here.
	keys := regexp.MustCompile(`name="key" value="([0-9a-f]{64})"`).FindAllStringSubmatch(body, -1)
	if len(keys) == 0 || strings.Count(body, "(this browser)") != 1 {
		t.Fatalf("dashboard should list the other session and this one: %q", body)
	}
	for _, k := range keys {
		laptop.expectRedirect("POST", "/sessions/revoke", url.Values{"key": {k[1]}}, "/dashboard")
	}
	phone.expectRedirect("GET", "/dashboard", nil, "/login")
	if resp, _ := laptop.do("GET", "/dashboard", nil); resp.StatusCode != 200 {
		t.Fatal("revoking the other session signed this one out")
	}
}

func TestDemoFlags(t *testing.T) {
	if _, err := parseFlags([]string{"-store", "memory", "-addr", ":0", "-insecure"}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]string{{"-codec", "nope"}, {"-store", "nope"}} {
		o, _ := parseFlags(bad)
		if _, _, err := newApp(context.Background(), o, []string{"tq3Vn8ZrT1wXy5Lp0Bm7Hs2Dc9Fg4Ja6"}, slog.New(slog.DiscardHandler)); err == nil {
			t.Fatalf("%v accepted", bad)
		}
	}
}
