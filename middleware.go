package session

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
)

// Errors of the middleware, for errors.Is.
var (
	// ErrHeadersWritten is returned by FromContext and Save when the
	// response's headers were already sent (or the connection hijacked), so
	// a change to the session can no longer reach the browser. FromContext
	// still returns the session for reading along with this error; Save
	// returns it when there is a change it cannot deliver.
	ErrHeadersWritten = errors.New("session: response headers already written")

	// ErrNoMiddleware is returned by FromContext and Save for a request that
	// did not pass through this storage's Middleware. It is a wiring
	// mistake: wrap the handler, or use Get and Commit instead.
	ErrNoMiddleware = errors.New("session: request did not pass through this storage's Middleware")
)

// MiddlewareOption changes how Middleware behaves.
type MiddlewareOption func(*middlewareOptions)

type middlewareOptions struct {
	onError     func(http.ResponseWriter, *http.Request, error)
	commitOn5xx bool
}

// WithErrorHandler sets what happens when the automatic commit fails (a
// store error, ErrCookieTooLarge, ErrConflict, …). The commit happens just
// before the response's headers go out, so the handler's response cannot be
// sent any more: fn writes a response in its place to the underlying
// ResponseWriter, whose header map the middleware has emptied first (the
// handler's headers, such as a Location or Content-Length, describe a
// response that will not be sent). The handler's later writes are discarded
// and return an error.
//
// The default writes "500 Internal Server Error" with no Set-Cookie, and the
// failure is logged through Config.Logger either way.
func WithErrorHandler(fn func(w http.ResponseWriter, r *http.Request, err error)) MiddlewareOption {
	return func(o *middlewareOptions) {
		if fn != nil {
			o.onError = fn
		}
	}
}

// CommitOnServerError makes the middleware commit even when the handler
// answers with a 5xx status. By default it does not: a handler that failed
// half-way may have left the session half-changed, and a 5xx should not
// rewrite the user's cookie or store record.
func CommitOnServerError() MiddlewareOption {
	return func(o *middlewareOptions) { o.commitOn5xx = true }
}

func defaultCommitError(w http.ResponseWriter, _ *http.Request, _ error) {
	http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
}

// ctxKey is the context key of one storage's per-request state. It holds the
// storage's pointer, so two storages (even of the same T) never share a key,
// and being unexported, no other package can read or forge the value.
type ctxKey[T any] struct{ st *Storage[T] }

// Middleware returns net/http middleware that makes the request's session
// available to handlers through FromContext and commits it automatically,
// for applications that prefer that to calling Get and Commit in each
// handler (both styles can be mixed).
//
// The session is loaded lazily: a request whose handler never calls
// FromContext costs no cookie decoding and no store read, and gets no
// Set-Cookie. Once loaded, the session is committed just before the
// response's headers are written: on the handler's first WriteHeader (other
// than 1xx), Write, Flush or ReadFrom, or when the handler returns without
// writing anything. An unchanged session is not written (see Commit). A
// response that depends on the session gets "Vary: Cookie".
//
// Rules, each chosen so that no change is lost silently:
//   - A change made after the headers went out cannot reach the browser:
//     FromContext and Save then return ErrHeadersWritten, and a change
//     left unsaved when the handler returns is logged as an error through
//     Config.Logger.
//   - A failed commit goes to the error handler (WithErrorHandler; default
//     500 and no Set-Cookie) instead of the handler's response.
//   - A 5xx response commits nothing unless CommitOnServerError is given,
//     nor does a handler that panics, nor a session whose loading failed
//     (committing it would replace the user's real session with an empty
//     one because of a passing store outage).
//   - Storage.Destroy on the middleware's session is final: it is not
//     committed again, and a later FromContext returns a new, empty session
//     (for example to carry a "signed out" flash), whose cookie then replaces
//     the deletion cookie. Storage.Regenerate works as without middleware.
//   - Hijacking the connection (WebSockets) is passed through; the session
//     is not committed, since no headers of ours will be sent.
//
// The ResponseWriter given to the handler has an Unwrap method, so
// http.NewResponseController reaches the server's writer for deadlines,
// Flush and Hijack; Flush and Hijack go through the middleware first.
func (st *Storage[T]) Middleware(opts ...MiddlewareOption) func(http.Handler) http.Handler {
	o := middlewareOptions{onError: defaultCommitError}
	for _, opt := range opts {
		opt(&o)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if st.state(r.Context()) != nil {
				next.ServeHTTP(w, r) // the same middleware twice: the outer one serves
				return
			}
			m := &mwState[T]{st: st, opts: &o, w: w}
			m.r = r.WithContext(context.WithValue(r.Context(), ctxKey[T]{st}, m))
			next.ServeHTTP(&mwWriter[T]{ResponseWriter: w, m: m}, m.r)
			m.finish()
		})
	}
}

// FromContext returns the session of the request whose context is ctx,
// loading it on the first call (later calls return the same *Session). The
// request must have passed through st's Middleware, or the error is
// ErrNoMiddleware and the session nil.
//
// Otherwise the session is never nil. The error is either a store failure
// while loading (as with Get: the request should fail with a 5xx; the
// session is empty and will not be committed), or ErrHeadersWritten when
// the response's headers are already out: the session can still be read,
// but changes to it can no longer be saved.
func (st *Storage[T]) FromContext(ctx context.Context) (*Session[T], error) {
	m := st.state(ctx)
	if m == nil {
		return nil, ErrNoMiddleware
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.loaded {
		m.ensureLoaded()
	} else if m.s.destroyed && !m.sent {
		m.s = st.fresh()
		m.afterDestroy = true
	}
	if m.loadErr != nil {
		return m.s, m.loadErr
	}
	if m.sent {
		return m.s, fmt.Errorf("%w: the session can be read, but changes to it will not be saved", ErrHeadersWritten)
	}
	return m.s, nil
}

// Save commits the middleware's session now instead of waiting for the
// response's headers, so that the handler sees a commit error itself (for
// example ErrCookieTooLarge or ErrConflict) and can answer accordingly
// rather than through the error handler. Changes made after Save are
// committed automatically as usual.
//
// It returns ErrHeadersWritten if the headers are already out and the
// session has changes that can therefore not be saved, and ErrNoMiddleware
// outside st's Middleware. A session never loaded, or destroyed, has
// nothing to save.
func (st *Storage[T]) Save(ctx context.Context) error {
	m := st.state(ctx)
	if m == nil {
		return ErrNoMiddleware
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.loaded || m.s.destroyed {
		return nil
	}
	if m.loadErr != nil {
		return m.loadErr
	}
	if m.sent {
		if m.s.changed {
			return fmt.Errorf("%w: the session's changes cannot be saved", ErrHeadersWritten)
		}
		return nil
	}
	return m.commit(ctx)
}

func (st *Storage[T]) state(ctx context.Context) *mwState[T] {
	m, _ := ctx.Value(ctxKey[T]{st}).(*mwState[T])
	return m
}

// mwState is one request's session as the middleware manages it.
type mwState[T any] struct {
	st   *Storage[T]
	opts *middlewareOptions
	w    http.ResponseWriter // the server's writer, not the wrapper
	r    *http.Request       // the request as the handler sees it

	mu           sync.Mutex
	loaded       bool
	s            *Session[T]
	loadErr      error
	afterDestroy bool     // s replaced a session the handler destroyed
	added        []string // Set-Cookie values our last commit added
	sent         bool     // headers written or connection hijacked
	hijacked     bool
	committed    bool  // the session was committed when the headers went out
	failed       error // the commit failed; the error response was sent
	cookiesSent  int   // our cookie's Set-Cookie lines when the headers went out
}

// ensureLoaded loads the request's session if nothing has yet. The caller
// holds mu.
func (m *mwState[T]) ensureLoaded() {
	if !m.loaded {
		m.s, m.loadErr = m.st.load(m.r.Context(), m.r.Header)
		m.loaded = true
	}
}

// commit saves the session and sets its cookie, replacing a cookie that an
// earlier commit in this response set. The caller holds mu.
func (m *mwState[T]) commit(ctx context.Context) error {
	h := m.w.Header()
	before := len(h["Set-Cookie"])
	if err := m.st.Commit(ctx, m.w, m.s); err != nil {
		return err
	}
	if len(h["Set-Cookie"]) == before {
		return nil // unchanged: whatever was set before stands
	}
	drop := m.added
	if m.afterDestroy {
		drop = append(drop, m.st.cookie.deletion(m.st.cookie.name))
		m.afterDestroy = false
	}
	m.added = slices.Clone(h["Set-Cookie"][before:])
	if len(drop) > 0 {
		kept := slices.DeleteFunc(slices.Clone(h["Set-Cookie"][:before]), func(v string) bool { return slices.Contains(drop, v) })
		h["Set-Cookie"] = append(kept, m.added...)
	}
	return nil
}

// beforeHeaders runs once, just before the response's headers are written
// with status code. It commits the session and reports false if the commit
// failed, in which case the error response has been written instead and the
// handler's output must be dropped.
func (m *mwState[T]) beforeHeaders(code int) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sent {
		return m.failed == nil
	}
	m.sent = true
	if !m.loaded {
		return true
	}
	h := m.w.Header()
	// The response was made with the session, so it varies by what carried it.
	if m.s.token {
		m.st.token.markVary(h)
	} else {
		markVary(h)
	}
	switch {
	case m.loadErr != nil || m.s.destroyed:
		return true
	case code >= 500 && !m.opts.commitOn5xx:
		if m.s.changed {
			m.st.cfg.Logger.InfoContext(m.r.Context(), "session: not committing the session of a 5xx response", "status", code)
		}
		return true
	}
	err := m.commit(m.r.Context())
	if err == nil {
		m.committed = true
		m.cookiesSent = m.countCookies()
		return true
	}
	m.failed = err
	m.st.cfg.Logger.ErrorContext(m.r.Context(), "session: committing the session failed; sending the error response instead", "err", err)
	clear(h)
	m.opts.onError(m.w, m.r, err)
	return false
}

func (m *mwState[T]) countCookies() int {
	prefix := m.st.cookie.name + "="
	n := 0
	for _, v := range m.w.Header()["Set-Cookie"] {
		if len(v) >= len(prefix) && v[:len(prefix)] == prefix {
			n++
		}
	}
	return n
}

// finish runs when the handler has returned (not when it panicked): it
// commits a session nobody wrote a response for, and logs the changes that
// came too late to be sent.
func (m *mwState[T]) finish() {
	m.mu.Lock()
	sent := m.sent
	m.mu.Unlock()
	if !sent {
		m.beforeHeaders(http.StatusOK)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.loaded || m.failed != nil || m.loadErr != nil {
		return
	}
	log, ctx := m.st.cfg.Logger, m.r.Context()
	switch {
	case m.hijacked && (m.s.changed || m.s.destroyed):
		log.ErrorContext(ctx, "session: the session changed on a hijacked connection; the change was not saved")
	case !m.committed:
		// 5xx or destroyed before the headers: nothing was meant to be saved.
	case m.s.destroyed:
		log.ErrorContext(ctx, "session: Destroy after the response headers were written; the browser keeps its cookie")
	case m.s.changed:
		log.ErrorContext(ctx, "session: the session changed after the response headers were written; the change was not saved")
	case m.countCookies() != m.cookiesSent:
		log.ErrorContext(ctx, "session: a session cookie was set after the response headers were written; the browser never receives it")
	}
}

// mwWriter is the ResponseWriter handlers get under the middleware. It
// commits the session before anything reaches the server's writer.
type mwWriter[T any] struct {
	http.ResponseWriter
	m *mwState[T]
}

// Unwrap returns the server's ResponseWriter, for http.ResponseController.
func (w *mwWriter[T]) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// WriteHeader commits the session, then writes the headers. A 1xx status
// (such as 103 Early Hints) is not the final response and commits nothing.
func (w *mwWriter[T]) WriteHeader(code int) {
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	if w.m.beforeHeaders(code) {
		w.ResponseWriter.WriteHeader(code)
	}
}

// Write commits the session if the headers are not out yet, then writes.
func (w *mwWriter[T]) Write(p []byte) (int, error) {
	if !w.m.beforeHeaders(http.StatusOK) {
		return 0, w.dropped()
	}
	return w.ResponseWriter.Write(p)
}

// ReadFrom commits the session if the headers are not out yet, then copies
// src, with the server's sendfile path when it has one.
func (w *mwWriter[T]) ReadFrom(src io.Reader) (int64, error) {
	if !w.m.beforeHeaders(http.StatusOK) {
		return 0, w.dropped()
	}
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(src)
	}
	return io.Copy(struct{ io.Writer }{w.ResponseWriter}, src)
}

// Flush commits the session if the headers are not out yet, then flushes.
// It is here for handlers that assert http.Flusher.
func (w *mwWriter[T]) Flush() { _ = w.FlushError() }

// FlushError is Flush reporting errors; http.ResponseController uses it.
func (w *mwWriter[T]) FlushError() error {
	if !w.m.beforeHeaders(http.StatusOK) {
		return w.dropped()
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hands the connection over to the handler. The session is not
// committed: the handler writes its own response on the connection.
func (w *mwWriter[T]) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	m := w.m
	m.mu.Lock()
	defer m.mu.Unlock()
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil && !m.sent {
		m.sent, m.hijacked = true, true
	}
	return conn, rw, err
}

func (w *mwWriter[T]) dropped() error {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	return fmt.Errorf("session: response replaced after the session commit failed: %w", w.m.failed)
}
