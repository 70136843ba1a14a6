package ginsession_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/examples/exampletest"
	"github.com/b4f9cdbb/session/ginsession"
	"github.com/gin-gonic/gin"
)

func TestRoundTrip(t *testing.T) {
	exampletest.RoundTrip(t, newEngine(exampletest.NewStorage[Data](t)))
}

// visits reads the counter page and reports whether it says n visits.
func visits(c *exampletest.Client, n int) bool {
	_, body := c.Do(http.MethodGet, "/", nil)
	return strings.Contains(body, "visited this page "+string(rune('0'+n))+" times")
}

// change is a handler that changes the session and answers with answer.
func change(sessions *session.Storage[Data], fn func(*Data), answer gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		s, err := ginsession.Get(c, sessions)
		if err != nil {
			_ = c.AbortWithError(http.StatusInternalServerError, err)
			return
		}
		s.Update(fn)
		answer(c)
	}
}

// TestServerErrorCommitsNothing: a handler that changes the session and
// then answers with a 5xx, with or without a body, saves nothing.
func TestServerErrorCommitsNothing(t *testing.T) {
	answers := map[string]gin.HandlerFunc{
		"abort":       func(c *gin.Context) { c.AbortWithStatus(http.StatusServiceUnavailable) },
		"status only": func(c *gin.Context) { c.Status(http.StatusInternalServerError) },
		"json":        func(c *gin.Context) { c.JSON(http.StatusBadGateway, gin.H{"error": "upstream"}) },
	}
	for name, answer := range answers {
		t.Run(name, func(t *testing.T) {
			sessions := exampletest.NewStorage[Data](t)
			r := newEngine(sessions)
			r.GET("/fail", change(sessions, func(d *Data) { d.Count += 5 }, answer))
			c := exampletest.Serve(t, r)
			c.Do(http.MethodGet, "/", nil)
			if resp, _ := c.Do(http.MethodGet, "/fail", nil); resp.StatusCode < 500 || resp.Header.Get("Set-Cookie") != "" {
				t.Errorf("failing handler: %s, Set-Cookie %q; want its 5xx and no cookie", resp.Status, resp.Header.Get("Set-Cookie"))
			}
			if !visits(c, 2) {
				t.Error("the failed request's change was saved")
			}
		})
	}
}

// TestClientErrorCommits: a 4xx answer still saves the session, so a
// flash set before it reaches the next page.
func TestClientErrorCommits(t *testing.T) {
	sessions := exampletest.NewStorage[Data](t)
	r := newEngine(sessions)
	r.POST("/form", func(c *gin.Context) {
		s, err := ginsession.Get(c, sessions)
		if err != nil {
			_ = c.AbortWithError(http.StatusInternalServerError, err)
			return
		}
		session.SetFlash(s, "error", "Fill in the form")
		c.String(http.StatusBadRequest, "bad form")
	})
	c := exampletest.Serve(t, r)
	if resp, _ := c.Do(http.MethodPost, "/form", nil); resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Set-Cookie") == "" {
		t.Fatalf("POST /form: %s, Set-Cookie %q; want 400 with the session's cookie", resp.Status, resp.Header.Get("Set-Cookie"))
	}
	if _, body := c.Do(http.MethodGet, "/login", nil); !strings.Contains(body, "Fill in the form") {
		t.Errorf("the flash set before the 400 was lost: %q", body)
	}
}

// TestCommitFailure: a session that cannot be committed (its cookie would
// be too large) turns the response into gin's AbortWithError(500, err),
// whichever way the handler answered: none of the handler's response goes
// out, and the middleware above sees status 500 and the error in c.Errors.
func TestCommitFailure(t *testing.T) {
	answers := map[string]gin.HandlerFunc{
		"page":     func(c *gin.Context) { c.String(http.StatusOK, "the handler's page") },
		"status":   func(c *gin.Context) { c.Status(http.StatusCreated) },
		"redirect": func(c *gin.Context) { c.Redirect(http.StatusSeeOther, "/elsewhere") },
		"4xx":      func(c *gin.Context) { c.AbortWithStatus(http.StatusNotFound) },
		"nothing":  func(c *gin.Context) {},
	}
	for name, answer := range answers {
		t.Run(name, func(t *testing.T) {
			sessions := exampletest.NewStorage[Data](t)
			r := gin.New()
			var seenStatus int
			var seenErr error
			r.Use(func(c *gin.Context) {
				c.Next()
				seenStatus = c.Writer.Status()
				if last := c.Errors.Last(); last != nil {
					seenErr = last.Err
					c.String(-1, "error: %v", last.Err) // gin's usual error-rendering middleware
				}
			})
			r.Use(ginsession.Middleware(sessions))
			r.GET("/", change(sessions, func(d *Data) { d.Note = strings.Repeat("x", 5000) }, func(c *gin.Context) {
				c.Header("X-Handler", "yes")
				answer(c)
			}))
			resp, body := exampletest.Serve(t, r).Do(http.MethodGet, "/", nil)
			if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(body, "cookie too large") || strings.Contains(body, "handler's page") {
				t.Errorf("response %s %q; want 500 with the error alone", resp.Status, body)
			}
			if resp.Header.Get("Set-Cookie") != "" || resp.Header.Get("X-Handler") != "" || resp.Header.Get("Location") != "" {
				t.Errorf("the failed response kept the handler's headers: %v", resp.Header)
			}
			if seenStatus != http.StatusInternalServerError || !errors.Is(seenErr, session.ErrCookieTooLarge) {
				t.Errorf("the middleware above saw status %d and error %v; want 500 and ErrCookieTooLarge", seenStatus, seenErr)
			}
		})
	}
}

// TestGroup: the middleware on one route group only; outside it Get says
// how to wire it.
func TestGroup(t *testing.T) {
	sessions := exampletest.NewStorage[Data](t)
	r := gin.New()
	g := r.Group("/app", ginsession.Middleware(sessions))
	g.GET("/count", counter(sessions))
	var outside error
	r.GET("/plain", func(c *gin.Context) {
		_, outside = ginsession.Get(c, sessions)
		c.Status(http.StatusNoContent)
	})
	c := exampletest.Serve(t, r)
	c.Do(http.MethodGet, "/app/count", nil)
	if _, body := c.Do(http.MethodGet, "/app/count", nil); body != "2" {
		t.Errorf("count %q, want 2", body)
	}
	c.Do(http.MethodGet, "/plain", nil)
	if !errors.Is(outside, session.ErrNoMiddleware) || !strings.Contains(outside.Error(), "ginsession.Middleware") {
		t.Errorf("outside the group: %v, want ErrNoMiddleware saying what to add", outside)
	}
}

// TestTwice: the middleware on the engine and again on a group loads and
// commits the session once.
func TestTwice(t *testing.T) {
	sessions := exampletest.NewStorage[Data](t)
	r := newEngine(sessions)
	g := r.Group("/g", ginsession.Middleware(sessions))
	g.GET("/", change(sessions, func(d *Data) { d.Count++ }, func(c *gin.Context) { c.Status(http.StatusNoContent) }))
	c := exampletest.Serve(t, r)
	if resp, _ := c.Do(http.MethodGet, "/g/", nil); len(resp.Header.Values("Set-Cookie")) != 1 {
		t.Errorf("Set-Cookie %q, want one", resp.Header.Values("Set-Cookie"))
	}
	if !visits(c, 2) {
		t.Error("the group's visit was not counted once")
	}
}

// TestPanic: a handler that panics after changing the session gets
// gin.Recovery's 500, and the change is not saved, even with
// CommitOnServerError: the Recovery response does not go through the
// session middleware.
func TestPanic(t *testing.T) {
	sessions := exampletest.NewStorage[Data](t)
	r := gin.New()
	r.Use(gin.RecoveryWithWriter(io.Discard))
	r.Use(ginsession.Middleware(sessions, session.CommitOnServerError()))
	r.GET("/count", counter(sessions))
	r.GET("/panic", change(sessions, func(d *Data) { d.Count += 5 }, func(*gin.Context) { panic("boom") }))
	c := exampletest.Serve(t, r)
	c.Do(http.MethodGet, "/count", nil)
	if resp, _ := c.Do(http.MethodGet, "/panic", nil); resp.StatusCode != http.StatusInternalServerError || resp.Header.Get("Set-Cookie") != "" {
		t.Errorf("panicking handler: %s, Set-Cookie %q; want 500 and no cookie", resp.Status, resp.Header.Get("Set-Cookie"))
	}
	if _, body := c.Do(http.MethodGet, "/count", nil); body != "2" {
		t.Errorf("count %q after the panic, want 2", body)
	}
}

// counter counts the visits and answers with the count.
func counter(sessions *session.Storage[Data]) gin.HandlerFunc {
	return change(sessions, func(d *Data) { d.Count++ }, func(c *gin.Context) {
		s, _ := ginsession.Get(c, sessions)
		c.String(http.StatusOK, "%d", s.Get().Count)
	})
}

// TestStatusFixedOnceSent: as in plain gin, c.Writer.WriteHeaderNow()
// sends the headers, so a later c.Status cannot turn the response, whose
// session is already committed, into another status.
func TestStatusFixedOnceSent(t *testing.T) {
	sessions := exampletest.NewStorage[Data](t)
	r := gin.New()
	r.Use(ginsession.Middleware(sessions))
	r.GET("/", change(sessions, func(d *Data) { d.Count++ }, func(c *gin.Context) {
		c.Writer.WriteHeaderNow()
		c.Status(http.StatusInternalServerError)
	}))
	resp, _ := exampletest.Serve(t, r).Do(http.MethodGet, "/", nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Set-Cookie") == "" {
		t.Errorf("%s, Set-Cookie %q; want the 200 that went out with the session's cookie", resp.Status, resp.Header.Get("Set-Cookie"))
	}
}
