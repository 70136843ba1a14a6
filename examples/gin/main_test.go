package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/b4f9cdbb/session/examples/exampletest"
	"github.com/gin-gonic/gin"
)

func init() { gin.SetMode(gin.TestMode) }

func TestRoundTrip(t *testing.T) {
	store := exampletest.NewStorage[Data](t)
	exampletest.RoundTrip(t, handler(store, newEngine(store)))
}

// TestAbortCommitsNothing: a handler that changes the session and then
// aborts with a 5xx commits nothing, because the middleware sees gin's real
// status.
func TestAbortCommitsNothing(t *testing.T) {
	store := exampletest.NewStorage[Data](t)
	r := newEngine(store)
	r.GET("/fail", func(c *gin.Context) {
		if s := (app{store}).session(c); s != nil {
			s.Update(func(d *Data) { d.Count += 100 })
			c.AbortWithStatus(http.StatusServiceUnavailable)
		}
	})
	c := exampletest.Serve(t, handler(store, r))
	c.Do(http.MethodGet, "/", nil)
	resp, _ := c.Do(http.MethodGet, "/fail", nil)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Set-Cookie") != "" {
		t.Errorf("aborted handler: %s, Set-Cookie %q; want 503 and no cookie", resp.Status, resp.Header.Get("Set-Cookie"))
	}
	if _, body := c.Do(http.MethodGet, "/", nil); !strings.Contains(body, "visited this page 2 times") {
		t.Errorf("the aborted request's change was saved:\n%s", body)
	}
}
