package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestMetricsEndpoint: with -metrics, /metrics serves the session counters
// in Prometheus text, and they move as a user clicks through the demo.
func TestMetricsEndpoint(t *testing.T) {
	o := options{store: "memory", codec: "native", insecure: true, metrics: true}
	a, closeApp, err := newApp(context.Background(), o, []string{"tq3Vn8ZrT1wXy5Lp0Bm7Hs2Dc9Fg4Ja6"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer closeApp()
	srv := httptest.NewServer(a.routes())
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) string {
		t.Helper()
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	for range 3 {
		get("/")
	}
	resp, err := client.PostForm(srv.URL+"/login", url.Values{"email": {"demo@example.com"}, "password": {"password"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	text := get("/metrics")
	for _, want := range []string{
		`session_load_total{`,
		`session_load_outcome="new"`,
		`session_load_outcome="loaded"`,
		`session_commit_outcome="written"`,
		`session_lifecycle_event="regenerate"`,
		`session_store_duration_seconds_bucket{`,
		`session_store_operation="compare_and_update"`,
		`session_cookie_size_bytes_bucket{`,
		`session_store_name="memory"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(text, "demo@example.com") {
		t.Error("/metrics names a user")
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", text)
	}
	o.metrics = false
	b, closeB, err := newApp(context.Background(), o, []string{"tq3Vn8ZrT1wXy5Lp0Bm7Hs2Dc9Fg4Ja6"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer closeB()
	w := httptest.NewRecorder()
	b.routes().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != http.StatusNotFound {
		t.Errorf("/metrics without -metrics: %d, want 404", w.Code)
	}
}
