package main

import (
	"testing"

	"github.com/b4f9cdbb/session/examples/exampletest"
)

func TestRoundTrip(t *testing.T) {
	sessions, err := newStorage([]string{exampletest.Secret}, true)
	if err != nil {
		t.Fatal(err)
	}
	exampletest.RoundTrip(t, routes(sessions))
}

// TestMethodPatterns checks that the Go 1.22 patterns route by method.
func TestMethodPatterns(t *testing.T) {
	sessions, err := newStorage([]string{exampletest.Secret}, true)
	if err != nil {
		t.Fatal(err)
	}
	c := exampletest.Serve(t, routes(sessions))
	if resp, _ := c.Do("GET", "/logout", nil); resp.StatusCode != 405 {
		t.Errorf("GET /logout: %s, want 405", resp.Status)
	}
	if resp, _ := c.Do("GET", "/nope", nil); resp.StatusCode != 404 {
		t.Errorf("GET /nope: %s, want 404", resp.Status)
	}
}
