package ginsession

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"

	"github.com/b4f9cdbb/session"
	"github.com/gin-gonic/gin"
)

// Middleware returns gin middleware, for r.Use or a group's Use, that
// makes the request's session available to the handlers below it through
// Get (or sessions.FromContext on c.Request.Context()) and commits it
// just before the response's headers are written. Loading is lazy: a
// request whose handler never asks for its session costs nothing.
//
// opts are the storage's middleware options, such as
// session.CommitOnServerError. A session.WithErrorHandler among them has
// no effect: a failed commit always becomes c.AbortWithError with status
// 500 (see the package documentation).
func Middleware[T any](sessions *session.Storage[T], opts ...session.MiddlewareOption) gin.HandlerFunc {
	mw := sessions.Middleware(append(slices.Clip(opts), session.WithErrorHandler(recordFailure))...)
	return func(c *gin.Context) {
		gw := c.Writer
		out := &sendNow{ResponseWriter: gw}
		// On a panic too, so that gin.Recovery answers on gin's own writer.
		defer func() { c.Writer = gw }()
		mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c.Request = r
			c.Writer = &writer{ResponseWriter: gw, session: w}
			c.Next()
			c.Writer.WriteHeaderNow()
		})).ServeHTTP(out, c.Request)
		c.Writer = gw
		if out.err != nil {
			// Nothing of the handler's response was sent: the session
			// middleware dropped it when the commit failed.
			_ = c.AbortWithError(http.StatusInternalServerError, out.err)
		}
	}
}

// Get returns the request's session, loading it on the first call. It is
// sessions.FromContext on c.Request.Context(): the session is never nil
// when the request went through Middleware, and the error is a store
// failure while loading (answer 500), or session.ErrHeadersWritten once
// the response is out (the session can still be read). Without
// Middleware the error is session.ErrNoMiddleware.
func Get[T any](c *gin.Context, sessions *session.Storage[T]) (*session.Session[T], error) {
	s, err := sessions.FromContext(c.Request.Context())
	if errors.Is(err, session.ErrNoMiddleware) {
		return nil, fmt.Errorf("%w: add ginsession.Middleware(sessions) with r.Use, or with Use on this route's group", err)
	}
	return s, err
}

// writer is the gin.ResponseWriter that handlers get below the
// middleware. gin's own writer keeps the status, size and headers; what
// goes out passes through the session middleware's writer first, so the
// session is committed when gin really sends the headers.
type writer struct {
	gin.ResponseWriter
	session http.ResponseWriter // the session middleware's writer, over a sendNow
}

// WriteHeaderNow sends the headers with the status gin holds, committing
// the session first.
func (w *writer) WriteHeaderNow() {
	if !w.Written() {
		w.session.WriteHeader(w.Status())
	}
}

// Write sends the headers if they are not out yet, then writes.
func (w *writer) Write(p []byte) (int, error) {
	w.WriteHeaderNow()
	return w.session.Write(p)
}

// WriteString is Write for a string.
func (w *writer) WriteString(s string) (int, error) {
	w.WriteHeaderNow()
	return io.WriteString(w.session, s)
}

// Flush sends the headers if they are not out yet, then flushes.
func (w *writer) Flush() {
	w.WriteHeaderNow()
	_ = http.NewResponseController(w.session).Flush()
}

// Hijack hands the connection over; the session is not committed.
func (w *writer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.session).Hijack()
}

// Unwrap returns the session middleware's writer, for
// http.ResponseController.
func (w *writer) Unwrap() http.ResponseWriter { return w.session }

// sendNow is the writer under the session middleware: gin's writer, whose
// WriteHeader only notes the status, made to send the headers at once,
// since the session middleware calls it at the moment they go out. It also
// notes a failed commit instead of answering it, so that the answer can
// come through gin once the session middleware has let go of the request.
type sendNow struct {
	gin.ResponseWriter
	err error
}

// WriteHeader sends the headers with status code.
func (w *sendNow) WriteHeader(code int) {
	w.ResponseWriter.WriteHeader(code)
	w.ResponseWriter.WriteHeaderNow()
}

// Unwrap returns gin's writer, for http.ResponseController.
func (w *sendNow) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// recordFailure is the session middleware's error handler: it writes
// nothing, and Middleware aborts with the error through gin.
func recordFailure(w http.ResponseWriter, _ *http.Request, err error) {
	f, ok := w.(*sendNow)
	if !ok { // not reached: Middleware always serves through a sendNow
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	f.err = err
}
