package echosession_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/echosession"
	"github.com/b4f9cdbb/session/examples/exampletest"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

func TestRoundTrip(t *testing.T) {
	exampletest.RoundTrip(t, newServer(exampletest.NewStorage[Data](t)))
}

// visits reads the counter page and reports whether it says n visits.
func visits(c *exampletest.Client, n int) bool {
	_, body := c.Do(http.MethodGet, "/", nil)
	return strings.Contains(body, "visited this page "+string(rune('0'+n))+" times")
}

// TestServerErrorCommitsNothing: a handler that changes the session and
// then fails gets echo's error response, and the change is not saved.
func TestServerErrorCommitsNothing(t *testing.T) {
	sessions := exampletest.NewStorage[Data](t)
	e := newServer(sessions)
	e.GET("/fail", func(c echo.Context) error {
		s, err := echosession.Get(c, sessions)
		if err != nil {
			return err
		}
		s.Update(func(d *Data) { d.Count += 5 })
		return errors.New("something broke")
	})
	c := exampletest.Serve(t, e)
	c.Do(http.MethodGet, "/", nil)
	resp, body := c.Do(http.MethodGet, "/fail", nil)
	if resp.StatusCode != http.StatusInternalServerError || resp.Header.Get("Set-Cookie") != "" || !strings.Contains(body, "Internal Server Error") {
		t.Errorf("failing handler: %s, Set-Cookie %q, body %q; want echo's 500 and no cookie", resp.Status, resp.Header.Get("Set-Cookie"), body)
	}
	if !visits(c, 2) {
		t.Error("the failed request's change was saved")
	}
}

// TestClientErrorCommits: an error answered with a 4xx still saves the
// session, so a flash set before it reaches the next page.
func TestClientErrorCommits(t *testing.T) {
	sessions := exampletest.NewStorage[Data](t)
	e := newServer(sessions)
	e.POST("/form", func(c echo.Context) error {
		s, err := echosession.Get(c, sessions)
		if err != nil {
			return err
		}
		session.SetFlash(s, "error", "Fill in the form")
		return echo.ErrBadRequest
	})
	c := exampletest.Serve(t, e)
	if resp, _ := c.Do(http.MethodPost, "/form", nil); resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Set-Cookie") == "" {
		t.Fatalf("POST /form: %s, Set-Cookie %q; want 400 with the session's cookie", resp.Status, resp.Header.Get("Set-Cookie"))
	}
	if _, body := c.Do(http.MethodGet, "/login", nil); !strings.Contains(body, "Fill in the form") {
		t.Errorf("the flash set before the 400 was lost: %q", body)
	}
}

// TestCommitFailure: a session that cannot be committed (its cookie would
// be too large) turns the response into echo's error response for that
// error, whichever way the handler answered, and the middleware above
// sees the status that was sent and the error.
func TestCommitFailure(t *testing.T) {
	answers := map[string]echo.HandlerFunc{
		"page":    func(c echo.Context) error { return c.String(http.StatusOK, "the handler's page") },
		"created": func(c echo.Context) error { return c.NoContent(http.StatusCreated) },
		"nothing": func(c echo.Context) error { return nil },
		"4xx":     func(c echo.Context) error { return echo.ErrNotFound },
	}
	for name, answer := range answers {
		t.Run(name, func(t *testing.T) {
			sessions := exampletest.NewStorage[Data](t)
			e := echo.New()
			var handled error
			e.HTTPErrorHandler = func(err error, c echo.Context) {
				if !errors.Is(err, session.ErrCookieTooLarge) {
					e.DefaultHTTPErrorHandler(err, c)
					return
				}
				handled = err
				c.JSON(http.StatusInsufficientStorage, map[string]string{"error": "session too large"})
			}
			var seenStatus int
			var seenErr error
			e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
				return func(c echo.Context) error {
					seenErr = next(c)
					seenStatus = c.Response().Status
					return seenErr
				}
			})
			e.Use(echosession.Middleware(sessions))
			e.GET("/", func(c echo.Context) error {
				s, err := echosession.Get(c, sessions)
				if err != nil {
					return err
				}
				s.Update(func(d *Data) { d.Note = strings.Repeat("x", 5000) })
				c.Response().Header().Set("X-Handler", "yes")
				return answer(c)
			})
			resp, body := exampletest.Serve(t, e).Do(http.MethodGet, "/", nil)
			if resp.StatusCode != http.StatusInsufficientStorage || !strings.Contains(body, "session too large") || strings.Contains(body, "handler's page") {
				t.Errorf("response %s %q; want the error handler's 507 alone", resp.Status, body)
			}
			if resp.Header.Get("Set-Cookie") != "" || resp.Header.Get("X-Handler") != "" {
				t.Errorf("the failed response kept the handler's headers: %v", resp.Header)
			}
			if !errors.Is(handled, session.ErrCookieTooLarge) || !errors.Is(seenErr, session.ErrCookieTooLarge) {
				t.Errorf("error handler got %v, the middleware above got %v; want ErrCookieTooLarge for both", handled, seenErr)
			}
			if seenStatus != http.StatusInsufficientStorage {
				t.Errorf("the middleware above saw status %d, want %d", seenStatus, http.StatusInsufficientStorage)
			}
		})
	}
}

// TestGroup: the middleware on one route group only; outside it Get says
// how to wire it.
func TestGroup(t *testing.T) {
	sessions := exampletest.NewStorage[Data](t)
	e := echo.New()
	g := e.Group("/app", echosession.Middleware(sessions))
	g.GET("/count", func(c echo.Context) error {
		s, err := echosession.Get(c, sessions)
		if err != nil {
			return err
		}
		s.Update(func(d *Data) { d.Count++ })
		return c.String(http.StatusOK, string(rune('0'+s.Get().Count)))
	})
	var outside error
	e.GET("/plain", func(c echo.Context) error {
		_, outside = echosession.Get(c, sessions)
		return c.NoContent(http.StatusNoContent)
	})
	c := exampletest.Serve(t, e)
	c.Do(http.MethodGet, "/app/count", nil)
	if _, body := c.Do(http.MethodGet, "/app/count", nil); body != "2" {
		t.Errorf("count %q, want 2", body)
	}
	c.Do(http.MethodGet, "/plain", nil)
	if !errors.Is(outside, session.ErrNoMiddleware) || !strings.Contains(outside.Error(), "echosession.Middleware") {
		t.Errorf("outside the group: %v, want ErrNoMiddleware saying what to add", outside)
	}
}

// TestTwice: the middleware on the server and again on a group loads and
// commits the session once.
func TestTwice(t *testing.T) {
	sessions := exampletest.NewStorage[Data](t)
	e := newServer(sessions)
	g := e.Group("/g", echosession.Middleware(sessions))
	g.GET("/", func(c echo.Context) error {
		s, err := echosession.Get(c, sessions)
		if err != nil {
			return err
		}
		s.Update(func(d *Data) { d.Count++ })
		return c.NoContent(http.StatusNoContent)
	})
	c := exampletest.Serve(t, e)
	if resp, _ := c.Do(http.MethodGet, "/g/", nil); len(resp.Header.Values("Set-Cookie")) != 1 {
		t.Errorf("Set-Cookie %q, want one", resp.Header.Values("Set-Cookie"))
	}
	if !visits(c, 2) {
		t.Error("the group's visit was not counted once")
	}
}

// TestPanic: a handler that panics after changing the session gets
// echo's Recover response, and the change is not saved, even with
// CommitOnServerError: the Recover response does not go through the
// session middleware.
func TestPanic(t *testing.T) {
	sessions := exampletest.NewStorage[Data](t)
	e := newServer(sessions, session.CommitOnServerError())
	e.Logger.SetOutput(io.Discard) // the recovered panic's stack
	e.Pre(middleware.Recover())
	e.GET("/panic", func(c echo.Context) error {
		s, err := echosession.Get(c, sessions)
		if err != nil {
			return err
		}
		s.Update(func(d *Data) { d.Count += 5 })
		panic("boom")
	})
	c := exampletest.Serve(t, e)
	c.Do(http.MethodGet, "/", nil)
	if resp, _ := c.Do(http.MethodGet, "/panic", nil); resp.StatusCode != http.StatusInternalServerError || resp.Header.Get("Set-Cookie") != "" {
		t.Errorf("panicking handler: %s, Set-Cookie %q; want 500 and no cookie", resp.Status, resp.Header.Get("Set-Cookie"))
	}
	if !visits(c, 2) {
		t.Error("the panicking request's change was saved")
	}
}
