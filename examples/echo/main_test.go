package main

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/examples/exampletest"
	"github.com/labstack/echo/v4"
)

func TestRoundTrip(t *testing.T) {
	exampletest.RoundTrip(t, newServer(exampletest.NewStorage[Data](t)))
}

// TestHandlerErrorCommitsNothing: a handler that changes the session and
// then fails gets echo's error response, and the change is not saved.
func TestHandlerErrorCommitsNothing(t *testing.T) {
	store := exampletest.NewStorage[Data](t)
	e := newServer(store)
	e.GET("/fail", func(c echo.Context) error {
		s, err := store.FromContext(c.Request().Context())
		if err != nil {
			return err
		}
		s.Update(func(d *Data) { d.Count += 100 })
		return errors.New("something broke")
	})
	c := exampletest.Serve(t, e)
	c.Do(http.MethodGet, "/", nil)
	resp, _ := c.Do(http.MethodGet, "/fail", nil)
	if resp.StatusCode != http.StatusInternalServerError || resp.Header.Get("Set-Cookie") != "" {
		t.Errorf("failing handler: %s, Set-Cookie %q; want 500 and no cookie", resp.Status, resp.Header.Get("Set-Cookie"))
	}
	if _, body := c.Do(http.MethodGet, "/", nil); !strings.Contains(body, "visited this page 2 times") {
		t.Errorf("the failed request's change was saved:\n%s", body)
	}
}

// TestGroup: the adapter also works on a route group only.
func TestGroup(t *testing.T) {
	store := exampletest.NewStorage[Data](t)
	e := echo.New()
	g := e.Group("/app", sessions(store))
	g.GET("/count", func(c echo.Context) error {
		s, err := store.FromContext(c.Request().Context())
		if err != nil {
			return err
		}
		s.Update(func(d *Data) { d.Count++ })
		return c.String(http.StatusOK, string(rune('0'+s.Get().Count)))
	})
	e.GET("/plain", func(c echo.Context) error {
		if _, err := store.FromContext(c.Request().Context()); !errors.Is(err, session.ErrNoMiddleware) {
			t.Errorf("outside the group: %v, want ErrNoMiddleware", err)
		}
		return c.NoContent(http.StatusNoContent)
	})
	c := exampletest.Serve(t, e)
	c.Do(http.MethodGet, "/app/count", nil)
	if _, body := c.Do(http.MethodGet, "/app/count", nil); body != "2" {
		t.Errorf("count %q, want 2", body)
	}
	c.Do(http.MethodGet, "/plain", nil)
}
