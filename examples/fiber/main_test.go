package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"

	"github.com/b4f9cdbb/session/examples/exampletest"
	"github.com/gofiber/fiber/v3"
)

// serve runs app on fiber's own server on a loopback port, stopped when
// the test ends, and returns its base URL.
func serve(t *testing.T, app *fiber.App) *url.URL {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true}) }()
	t.Cleanup(func() {
		if err := app.Shutdown(); err != nil {
			t.Error(err)
		}
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return &url.URL{Scheme: "http", Host: ln.Addr().String()}
}

// TestRoundTrip runs the examples' shared scenario against fiber's own
// server. The scenario drives an http.Handler; a reverse proxy to the
// fiber server is that handler, and passes cookies and redirects through
// unchanged.
func TestRoundTrip(t *testing.T) {
	app := newApp(exampletest.NewStorage[Data](t))
	exampletest.RoundTrip(t, httputil.NewSingleHostReverseProxy(serve(t, app)))
}

// TestFiberRoutes: fiber's own handlers run beside the adapted pages,
// without the session's headers.
func TestFiberRoutes(t *testing.T) {
	app := newApp(exampletest.NewStorage[Data](t))
	resp, err := app.Test(httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Set-Cookie") != "" || resp.Header.Get("Vary") != "" {
		t.Errorf("GET /healthz: %s, headers %v; want 200 without session headers", resp.Status, resp.Header)
	}
}
