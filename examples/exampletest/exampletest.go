// Package exampletest is the scenario every router example under examples/
// must pass: the same visits, login and logout, driven through a real HTTP
// server and a cookie jar, so that each router is shown to carry the
// session both ways. It is shared so that the examples' tests stay one
// line and cannot drift apart.
package exampletest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/b4f9cdbb/session"
)

// Secret is a test-only secret for the examples' storages.
const Secret = "t3Wq9ZrX7pLk2VnB5mJc8HsY4dFg6aQe"

// NewStorage returns a cookie storage for the examples' tests: keyed with
// Secret, without the Secure attribute since test servers speak plain HTTP.
func NewStorage[T any](t testing.TB) *session.Storage[T] {
	t.Helper()
	st, err := session.NewCookieStorage(session.Config[T]{
		Cookie: session.CookieOptions{Secrets: []string{Secret}, Insecure: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// Client is a browser-like client of a test server: it keeps cookies and
// does not follow redirects, so that each step can be checked.
type Client struct {
	t    testing.TB
	base string
	http *http.Client
}

// Serve starts a test server for h, stopped when the test ends, and returns
// a client for it.
func Serve(t testing.TB, h http.Handler) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Client{t: t, base: srv.URL, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Do sends a request (a form POST when form is non-nil) and returns the
// response, whose body has been read into body.
func (c *Client) Do(method, path string, form url.Values) (resp *http.Response, body string) {
	c.t.Helper()
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err = c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp, string(b)
}

// RoundTrip runs the examples' scenario against h: the counter counts per
// visitor, a bad login shows its error exactly once, a good login signs in
// and keeps the count, and logout ends the session.
func RoundTrip(t testing.TB, h http.Handler) {
	t.Helper()
	c := Serve(t, h)
	c.page("/", "You visited this page 1 times", "Sign in")
	c.page("/", "You visited this page 2 times")
	Serve(t, h).page("/", "You visited this page 1 times") // another visitor

	c.redirect(http.MethodPost, "/login", url.Values{"email": {"demo@example.com"}, "password": {"nope"}}, "/login")
	c.page("/login", "Invalid email/password", "<form")
	if _, body := c.Do(http.MethodGet, "/login", nil); strings.Contains(body, "Invalid") {
		t.Errorf("the login error was shown twice:\n%s", body)
	}

	c.redirect(http.MethodPost, "/login", url.Values{"email": {"demo@example.com"}, "password": {"password"}}, "/")
	c.page("/", "You visited this page 3 times", "Signed in as demo@example.com")

	c.redirect(http.MethodPost, "/logout", nil, "/login")
	c.page("/", "You visited this page 1 times", "Sign in")
}

// page GETs path and checks that the page says each of want.
func (c *Client) page(path string, want ...string) {
	c.t.Helper()
	resp, body := c.Do(http.MethodGet, path, nil)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET %s: %s\n%s", path, resp.Status, body)
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			c.t.Errorf("GET %s: the page does not say %q:\n%s", path, w, body)
		}
	}
}

// redirect sends the request and checks for a 303 to location.
func (c *Client) redirect(method, path string, form url.Values, location string) {
	c.t.Helper()
	resp, body := c.Do(method, path, form)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != location {
		c.t.Fatalf("%s %s: %s to %q, want 303 to %q\n%s", method, path, resp.Status, resp.Header.Get("Location"), location, body)
	}
}
