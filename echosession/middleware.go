package echosession

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/b4f9cdbb/session"
	"github.com/labstack/echo/v4"
)

// Middleware returns echo middleware, for e.Use or a group's Use, that
// makes the request's session available to the handlers below it through
// Get (or sessions.FromContext on c.Request().Context()) and commits it
// just before the response's headers are written. Loading is lazy: a
// request whose handler never asks for its session costs nothing.
//
// opts are the storage's middleware options, such as
// session.CommitOnServerError. A session.WithErrorHandler among them has
// no effect: a failed commit always becomes echo's error response, so
// that e.HTTPErrorHandler decides what the user sees (see the package
// documentation).
func Middleware[T any](sessions *session.Storage[T], opts ...session.MiddlewareOption) echo.MiddlewareFunc {
	mw := sessions.Middleware(append(slices.Clip(opts), session.WithErrorHandler(recordFailure))...)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			res := c.Response()
			out := &failure{ResponseWriter: res.Writer}
			// On a panic too, so that a Recover middleware above answers
			// on echo's own writer.
			defer func() { res.Writer = out.ResponseWriter }()
			var err error
			mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c.SetRequest(r)
				// Keep echo's Response, so that the middleware above sees
				// the status and size; only what it writes to changes.
				res.Writer = w
				if err = next(c); err != nil {
					// The error response goes out through the session
					// middleware, which sees its status: a 5xx commits
					// nothing.
					c.Error(err)
				}
			})).ServeHTTP(out, c.Request())
			res.Writer = out.ResponseWriter
			if out.err != nil {
				// Nothing of the handler's response was sent: the session
				// middleware dropped it when the commit failed.
				res.Committed = false
				c.Error(out.err)
				return out.err
			}
			return err
		}
	}
}

// Get returns the request's session, loading it on the first call. It is
// sessions.FromContext on c.Request().Context(): the session is never nil
// when the request went through Middleware, and the error is a store
// failure while loading (return it, so that echo answers 500), or
// session.ErrHeadersWritten once the response is out (the session can
// still be read). Without Middleware the error is session.ErrNoMiddleware.
func Get[T any](c echo.Context, sessions *session.Storage[T]) (*session.Session[T], error) {
	s, err := sessions.FromContext(c.Request().Context())
	if errors.Is(err, session.ErrNoMiddleware) {
		return nil, fmt.Errorf("%w: add echosession.Middleware(sessions) with e.Use, or with Use on this route's group", err)
	}
	return s, err
}

// failure is the writer under the session middleware. It is echo's
// writer, and notes a failed commit instead of answering it, so that the
// answer can come from echo's error handler once the session middleware
// has let go of the request.
type failure struct {
	http.ResponseWriter
	err error
}

// Unwrap returns echo's writer, for http.ResponseController.
func (f *failure) Unwrap() http.ResponseWriter { return f.ResponseWriter }

// recordFailure is the session middleware's error handler: it writes
// nothing, and Middleware answers with echo's error handler.
func recordFailure(w http.ResponseWriter, _ *http.Request, err error) {
	f, ok := w.(*failure)
	if !ok { // not reached: Middleware always serves through a failure
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	f.err = err
}
