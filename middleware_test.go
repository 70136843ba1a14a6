package session_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/codec"
	"github.com/b4f9cdbb/session/memstore"
	"github.com/b4f9cdbb/session/store"
)

// The tests here use only the exported API, as an application would, and a
// real HTTP server, so that "committed before the headers" is checked against
// what net/http actually sends.

const mwSecret = "Jf7kQ2vNw9XcL4tRb8YpZ3mHs6Ud1GaE"

type mwData struct {
	Count int    `json:"count"`
	User  string `json:"user,omitempty"`
	Blob  string `json:"blob,omitempty"`
}

// mwCodec counts cookie decodes.
type mwCodec struct {
	codec.Codec
	decodes atomic.Int64
}

func (c *mwCodec) Decode(name, value string, now time.Time) (codec.Payload, error) {
	c.decodes.Add(1)
	return c.Codec.Decode(name, value, now)
}

// mwStore counts store calls and can be made to fail.
type mwStore struct {
	store.Store
	reads, creates, updates, deletes atomic.Int64
	failReads, failWrites            atomic.Bool
}

var errMwDown = errors.New("store is down")

func (s *mwStore) Read(ctx context.Context, k store.Key) (store.Record, error) {
	s.reads.Add(1)
	if s.failReads.Load() {
		return store.Record{}, errMwDown
	}
	return s.Store.Read(ctx, k)
}

func (s *mwStore) Create(ctx context.Context, k store.Key, r store.Record) error {
	s.creates.Add(1)
	if s.failWrites.Load() {
		return errMwDown
	}
	return s.Store.Create(ctx, k, r)
}

func (s *mwStore) Update(ctx context.Context, k store.Key, r store.Record) error {
	s.updates.Add(1)
	if s.failWrites.Load() {
		return errMwDown
	}
	return s.Store.Update(ctx, k, r)
}

func (s *mwStore) Delete(ctx context.Context, k store.Key) (bool, error) {
	s.deletes.Add(1)
	return s.Store.Delete(ctx, k)
}

func (s *mwStore) writes() int64 { return s.creates.Load() + s.updates.Load() + s.deletes.Load() }

// mwLog is a concurrency-safe log sink.
type mwLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *mwLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *mwLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// mwEnv is one storage behind a test server, with a browser-like client.
type mwEnv struct {
	t      *testing.T
	st     *session.Storage[mwData]
	codec  *mwCodec
	store  *mwStore // nil for cookie storage
	log    *mwLog
	srv    *httptest.Server
	client *http.Client
	served chan struct{} // a value each time the middleware has returned
}

// newMwEnv builds a storage (server-side when serverSide) and serves mux
// through its Middleware with opts.
func newMwEnv(t *testing.T, serverSide bool, name string) *mwEnv {
	t.Helper()
	e := &mwEnv{t: t, log: &mwLog{}}
	var base codec.Codec
	var err error
	if serverSide {
		base, err = codec.NewSigned(mwSecret)
	} else {
		base, err = codec.NewSealed(mwSecret)
	}
	if err != nil {
		t.Fatal(err)
	}
	e.codec = &mwCodec{Codec: base}
	cfg := session.Config[mwData]{
		Cookie: session.CookieOptions{Name: name, Secrets: []string{mwSecret}, Insecure: true},
		Codec:  e.codec,
		Logger: slog.New(slog.NewTextHandler(e.log, nil)),
	}
	if serverSide {
		ms := memstore.New()
		t.Cleanup(func() { ms.Close() })
		e.store = &mwStore{Store: ms}
		e.st, err = session.NewStorage(e.store, cfg)
	} else {
		e.st, err = session.NewCookieStorage(cfg)
	}
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	e.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return e
}

// serve starts the test server with h behind the middleware.
func (e *mwEnv) serve(h http.Handler, opts ...session.MiddlewareOption) {
	mw := e.st.Middleware(opts...)(h)
	e.served = make(chan struct{}, 1000)
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mw.ServeHTTP(w, r)
		select {
		case e.served <- struct{}{}:
		default:
		}
	}))
	e.t.Cleanup(e.srv.Close)
}

func (e *mwEnv) do(method, path string) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (e *mwEnv) get(path string) (*http.Response, string) { return e.do(http.MethodGet, path) }

// session loads the session in a handler, failing the request on error.
func (e *mwEnv) session(w http.ResponseWriter, r *http.Request) *session.Session[mwData] {
	s, err := e.st.FromContext(r.Context())
	if err != nil {
		e.t.Errorf("FromContext: %v", err)
	}
	return s
}

func (e *mwEnv) counter(w http.ResponseWriter, r *http.Request) {
	s := e.session(w, r)
	s.Update(func(d *mwData) { d.Count++ })
	fmt.Fprintf(w, "count=%d", s.Get().Count)
}

func sessionCookies(resp *http.Response, name string) []string {
	var out []string
	for _, v := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(v, name+"=") {
			out = append(out, v)
		}
	}
	return out
}

func TestMiddlewareLazyLoad(t *testing.T) {
	e := newMwEnv(t, true, "sid")
	mux := http.NewServeMux()
	mux.HandleFunc("/inc", e.counter)
	mux.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "no session here") })
	mux.HandleFunc("/peek", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "count=%d", e.session(w, r).Get().Count)
	})
	e.serve(mux)

	if _, body := e.get("/inc"); body != "count=1" {
		t.Fatalf("first visit: %q", body)
	}
	e.codec.decodes.Store(0)
	e.store.reads.Store(0)
	writes := e.store.writes()

	resp, _ := e.get("/plain")
	if n, m := e.codec.decodes.Load(), e.store.reads.Load(); n != 0 || m != 0 {
		t.Errorf("untouched session: %d decodes and %d store reads, want none", n, m)
	}
	if len(resp.Header.Values("Set-Cookie")) != 0 || resp.Header.Get("Vary") != "" {
		t.Errorf("untouched session: Set-Cookie %q, Vary %q", resp.Header.Values("Set-Cookie"), resp.Header.Get("Vary"))
	}

	resp, body := e.get("/peek")
	if body != "count=1" || e.codec.decodes.Load() != 1 || e.store.reads.Load() != 1 {
		t.Errorf("peek: %q after %d decodes, %d reads", body, e.codec.decodes.Load(), e.store.reads.Load())
	}
	if len(resp.Header.Values("Set-Cookie")) != 0 || e.store.writes() != writes {
		t.Errorf("reading an unchanged session wrote: Set-Cookie %q, %d store writes", resp.Header.Values("Set-Cookie"), e.store.writes()-writes)
	}
	if resp.Header.Get("Vary") != "Cookie" {
		t.Errorf("a response made with the session has Vary %q, want Cookie", resp.Header.Get("Vary"))
	}

	if _, body := e.get("/inc"); body != "count=2" {
		t.Errorf("second increment: %q", body)
	}
}

// TestMiddlewareCommitPoints checks each way a handler can start its
// response: the cookie must be in the headers the server sends.
func TestMiddlewareCommitPoints(t *testing.T) {
	writes := map[string]func(w http.ResponseWriter){
		"WriteHeader": func(w http.ResponseWriter) { w.WriteHeader(http.StatusAccepted) },
		"Write":       func(w http.ResponseWriter) { io.WriteString(w, "x") },
		"ReadFrom":    func(w http.ResponseWriter) { io.Copy(w, strings.NewReader("x")) },
		"Flusher":     func(w http.ResponseWriter) { w.(http.Flusher).Flush() },
		"Controller":  func(w http.ResponseWriter) { http.NewResponseController(w).Flush() },
		"Nothing":     func(http.ResponseWriter) {},
	}
	for name, write := range writes {
		t.Run(name, func(t *testing.T) {
			for _, serverSide := range []bool{false, true} {
				e := newMwEnv(t, serverSide, "sid")
				e.serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					s := e.session(w, r)
					s.Update(func(d *mwData) { d.Count++ })
					w.Header().Set("X-Count", fmt.Sprint(s.Get().Count))
					write(w)
				}))
				for want := 1; want <= 3; want++ {
					resp, _ := e.get("/")
					if got := resp.Header.Get("X-Count"); got != fmt.Sprint(want) {
						t.Fatalf("server-side=%v: visit %d counted %s", serverSide, want, got)
					}
					// Server-side sessions keep their cookie: only the first
					// response needs one.
					if c := sessionCookies(resp, "sid"); len(c) != 1 && (want == 1 || !serverSide) {
						t.Fatalf("server-side=%v: visit %d: Set-Cookie %q", serverSide, want, c)
					}
				}
				if log := e.log.String(); log != "" {
					t.Errorf("unexpected log: %s", log)
				}
			}
		})
	}
}

func TestMiddlewareResponseController(t *testing.T) {
	e := newMwEnv(t, false, "sid")
	firstChunk := make(chan struct{})
	e.serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.counter(w, r)
		rc := http.NewResponseController(w)
		if err := rc.SetWriteDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Errorf("SetWriteDeadline through the middleware: %v", err)
		}
		if err := rc.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Errorf("SetReadDeadline through the middleware: %v", err)
		}
		if err := rc.Flush(); err != nil {
			t.Errorf("Flush through the middleware: %v", err)
		}
		// The client reads the flushed chunk while the handler still runs.
		select {
		case <-firstChunk:
		case <-time.After(5 * time.Second):
			t.Error("the flushed chunk did not reach the client")
		}
		io.WriteString(w, ";done")
	}))
	resp, err := e.client.Get(e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if len(sessionCookies(resp, "sid")) != 1 {
		t.Errorf("Set-Cookie %q", resp.Header.Values("Set-Cookie"))
	}
	buf := make([]byte, len("count=1"))
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "count=1" {
		t.Fatalf("first chunk %q, %v", buf, err)
	}
	close(firstChunk)
	if rest, _ := io.ReadAll(resp.Body); string(rest) != ";done" {
		t.Errorf("rest %q", rest)
	}
}

func TestMiddlewareHijack(t *testing.T) {
	for _, touch := range []bool{false, true} {
		e := newMwEnv(t, true, "sid")
		e.serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if touch {
				e.session(w, r).Update(func(d *mwData) { d.Count++ })
			}
			if _, ok := w.(http.Hijacker); !ok {
				t.Error("the middleware's writer is not an http.Hijacker")
			}
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Errorf("Hijack through the middleware: %v", err)
				return
			}
			defer conn.Close()
			buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
			buf.Flush()
		}))
		resp, body := e.get("/")
		<-e.served // the client may be done before the middleware is
		if body != "hijacked" || len(resp.Header.Values("Set-Cookie")) != 0 {
			t.Errorf("touch=%v: body %q, Set-Cookie %q", touch, body, resp.Header.Values("Set-Cookie"))
		}
		if e.store.writes() != 0 {
			t.Errorf("touch=%v: %d store writes on a hijacked connection", touch, e.store.writes())
		}
		logged := strings.Contains(e.log.String(), "hijacked connection")
		if logged != touch {
			t.Errorf("touch=%v: log %q", touch, e.log.String())
		}
	}
}

// TestMiddlewareHeadersAlreadyWritten is security-tests row 28 for the
// middleware: a change after the headers are out is an explicit error,
// returned where possible and logged, never a silent loss.
func TestMiddlewareHeadersAlreadyWritten(t *testing.T) {
	e := newMwEnv(t, false, "sid")
	mux := http.NewServeMux()
	mux.HandleFunc("/inc", e.counter)
	mux.HandleFunc("/late", func(w http.ResponseWriter, r *http.Request) {
		s := e.session(w, r)
		s.Update(func(d *mwData) { d.Count++ })
		io.WriteString(w, "body first")
		s.Update(func(d *mwData) { d.Count += 100 })
		if err := e.st.Save(r.Context()); !errors.Is(err, session.ErrHeadersWritten) {
			t.Errorf("Save after the headers: %v, want ErrHeadersWritten", err)
		}
		again, err := e.st.FromContext(r.Context())
		if !errors.Is(err, session.ErrHeadersWritten) || again != s {
			t.Errorf("FromContext after the headers: %p, %v; want the same session and ErrHeadersWritten", again, err)
		}
	})
	e.serve(mux)
	e.get("/late")
	resp, _ := e.get("/late")
	if n := resp.Header.Get("Set-Cookie"); !strings.HasPrefix(n, "sid=") {
		t.Fatalf("no cookie: %q", n)
	}
	if !strings.Contains(e.log.String(), "changed after the response headers were written") {
		t.Errorf("late change not logged: %q", e.log.String())
	}
	if _, body := e.get("/inc"); body != "count=3" {
		t.Errorf("after two visits with late changes: %q, want count=3 (the late changes lost, loudly)", body)
	}
}

func TestMiddlewareLateExplicitCommitLogged(t *testing.T) {
	e := newMwEnv(t, false, "sid")
	e.serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := e.session(w, r)
		w.WriteHeader(http.StatusOK)
		s.Update(func(d *mwData) { d.Count++ })
		if err := e.st.Commit(r.Context(), w, s); err != nil {
			t.Error(err)
		}
	}))
	e.get("/")
	if !strings.Contains(e.log.String(), "session cookie was set after the response headers were written") {
		t.Errorf("late Commit not logged: %q", e.log.String())
	}
}

func TestMiddlewareSave(t *testing.T) {
	e := newMwEnv(t, false, "sid")
	mux := http.NewServeMux()
	mux.HandleFunc("/inc", e.counter)
	mux.HandleFunc("/save", func(w http.ResponseWriter, r *http.Request) {
		s := e.session(w, r)
		s.Update(func(d *mwData) { d.Blob = strings.Repeat("x", 5000) })
		if err := e.st.Save(r.Context()); !errors.Is(err, session.ErrCookieTooLarge) {
			t.Errorf("Save of an oversize session: %v", err)
		}
		s.Update(func(d *mwData) { d.Blob = ""; d.Count = 7 })
		if err := e.st.Save(r.Context()); err != nil {
			t.Errorf("Save: %v", err)
		}
		s.Update(func(d *mwData) { d.Count = 8 }) // replaces the saved cookie
		w.WriteHeader(http.StatusNoContent)
	})
	e.serve(mux)
	resp, _ := e.get("/save")
	if c := sessionCookies(resp, "sid"); len(c) != 1 {
		t.Fatalf("Save then a change: Set-Cookie %q, want one", c)
	}
	if _, body := e.get("/inc"); body != "count=9" {
		t.Errorf("%q, want count=9", body)
	}
	if err := e.st.Save(context.Background()); !errors.Is(err, session.ErrNoMiddleware) {
		t.Errorf("Save outside the middleware: %v", err)
	}
}

// TestMiddlewareCommitFailure covers security-tests row 32 through the
// middleware: a store that is down, or an oversize cookie, gives a 5xx
// through the error handler and no Set-Cookie.
func TestMiddlewareCommitFailure(t *testing.T) {
	loginHandler := func(e *mwEnv, wrote *atomic.Value) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			e.session(w, r).Update(func(d *mwData) { d.User = "ann"; d.Blob = r.URL.Query().Get("blob") })
			http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
			_, err := io.WriteString(w, "handler body")
			wrote.Store(fmt.Sprint(err))
		}
	}
	t.Run("store down", func(t *testing.T) {
		e := newMwEnv(t, true, "sid")
		var wrote atomic.Value
		e.serve(loginHandler(e, &wrote))
		e.store.failWrites.Store(true)
		resp, body := e.get("/")
		if resp.StatusCode != http.StatusInternalServerError || len(resp.Header.Values("Set-Cookie")) != 0 || resp.Header.Get("Location") != "" {
			t.Errorf("status %d, Set-Cookie %q, Location %q", resp.StatusCode, resp.Header.Values("Set-Cookie"), resp.Header.Get("Location"))
		}
		if strings.Contains(body, "handler body") || !strings.Contains(wrote.Load().(string), "store is down") {
			t.Errorf("body %q; the handler's write returned %v", body, wrote.Load())
		}
		if !strings.Contains(e.log.String(), "committing the session failed") {
			t.Errorf("not logged: %q", e.log.String())
		}
	})
	t.Run("custom handler", func(t *testing.T) {
		e := newMwEnv(t, false, "sid")
		var wrote atomic.Value
		var got error
		e.serve(loginHandler(e, &wrote), session.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
			got = err
			http.Error(w, "session too big", http.StatusServiceUnavailable)
		}))
		resp, body := e.get("/?blob=" + strings.Repeat("b", 5000))
		if resp.StatusCode != http.StatusServiceUnavailable || body != "session too big\n" || len(resp.Header.Values("Set-Cookie")) != 0 {
			t.Errorf("status %d, body %q, Set-Cookie %q", resp.StatusCode, body, resp.Header.Values("Set-Cookie"))
		}
		if !errors.Is(got, session.ErrCookieTooLarge) {
			t.Errorf("error handler got %v", got)
		}
	})
	t.Run("nothing written", func(t *testing.T) {
		e := newMwEnv(t, true, "sid")
		e.serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			e.session(w, r).Update(func(d *mwData) { d.Count++ })
		}))
		e.store.failWrites.Store(true)
		if resp, _ := e.get("/"); resp.StatusCode != http.StatusInternalServerError || len(resp.Header.Values("Set-Cookie")) != 0 {
			t.Errorf("status %d, Set-Cookie %q", resp.StatusCode, resp.Header.Values("Set-Cookie"))
		}
	})
}

func TestMiddlewareServerErrorNotCommitted(t *testing.T) {
	for _, commit := range []bool{false, true} {
		e := newMwEnv(t, true, "sid")
		var opts []session.MiddlewareOption
		if commit {
			opts = append(opts, session.CommitOnServerError())
		}
		e.serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			e.session(w, r).Update(func(d *mwData) { d.Count++ })
			http.Error(w, "failed half-way", http.StatusBadGateway)
		}), opts...)
		resp, _ := e.get("/")
		if got := len(sessionCookies(resp, "sid")) == 1; got != commit {
			t.Errorf("CommitOnServerError=%v: Set-Cookie %q", commit, resp.Header.Values("Set-Cookie"))
		}
		if got := e.store.writes() == 1; got != commit {
			t.Errorf("CommitOnServerError=%v: %d store writes", commit, e.store.writes())
		}
	}
}

func TestMiddlewareLoadFailureNotCommitted(t *testing.T) {
	e := newMwEnv(t, true, "sid")
	e.serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := e.st.FromContext(r.Context())
		if r.URL.Path == "/fail" && !errors.Is(err, errMwDown) {
			t.Errorf("FromContext with the store down: %v", err)
		}
		s.Update(func(d *mwData) { d.Count++ }) // a careless handler
	}))
	e.get("/")
	e.store.failReads.Store(true)
	writes := e.store.writes()
	if resp, _ := e.get("/fail"); len(resp.Header.Values("Set-Cookie")) != 0 || e.store.writes() != writes {
		t.Errorf("a session that failed to load was committed: Set-Cookie %q", resp.Header.Values("Set-Cookie"))
	}
}

// TestMiddlewareLoginLogout drives the explicit API under the middleware:
// Regenerate at login, Destroy at logout, and a flash after the logout.
func TestMiddlewareLoginLogout(t *testing.T) {
	e := newMwEnv(t, true, "sid")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		s := e.session(w, r)
		notice, _ := session.TakeFlash[string](s, "notice")
		fmt.Fprintf(w, "user=%s notice=%s", s.Get().User, notice)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s := e.session(w, r)
		if err := e.st.Regenerate(r.Context(), s); err != nil {
			t.Error(err)
		}
		s.Update(func(d *mwData) { d.User = "ann" })
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		s := e.session(w, r)
		if err := e.st.Destroy(r.Context(), w, s); err != nil {
			t.Error(err)
		}
		if r.URL.Query().Has("flash") {
			fresh := e.session(w, r)
			if fresh == s || fresh.Get().User != "" {
				t.Error("FromContext after Destroy did not return a new, empty session")
			}
			session.SetFlash(fresh, "notice", "bye")
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	e.serve(mux)

	e.get("/") // an anonymous session: nothing to save
	if e.store.writes() != 0 {
		t.Fatalf("anonymous GET: %d store writes", e.store.writes())
	}
	resp, _ := e.do(http.MethodPost, "/login")
	first := sessionCookies(resp, "sid")
	if _, body := e.get("/"); body != "user=ann notice=" || len(first) != 1 {
		t.Fatalf("after login: %q, Set-Cookie %q", body, first)
	}
	resp, _ = e.do(http.MethodPost, "/login") // again: the ID changes
	if second := sessionCookies(resp, "sid"); len(second) != 1 || second[0] == first[0] {
		t.Errorf("Regenerate under the middleware did not issue a new cookie: %q then %q", first, second)
	}

	creates, updates := e.store.creates.Load(), e.store.updates.Load()
	resp, _ = e.do(http.MethodPost, "/logout")
	if c := sessionCookies(resp, "sid"); len(c) != 1 || !strings.Contains(c[0], "Max-Age=0") {
		t.Errorf("logout: Set-Cookie %q, want the deletion cookie alone", c)
	}
	if e.store.creates.Load() != creates || e.store.updates.Load() != updates {
		t.Error("the destroyed session was committed again")
	}
	if _, body := e.get("/"); body != "user= notice=" {
		t.Errorf("after logout: %q", body)
	}

	e.do(http.MethodPost, "/login")
	resp, _ = e.do(http.MethodPost, "/logout?flash")
	if c := sessionCookies(resp, "sid"); len(c) != 1 || strings.Contains(c[0], "Max-Age=0") {
		t.Errorf("logout with a flash: Set-Cookie %q, want the new session's cookie alone", c)
	}
	if _, body := e.get("/"); body != "user= notice=bye" {
		t.Errorf("after logout with a flash: %q", body)
	}
	if _, body := e.get("/"); body != "user= notice=" {
		t.Errorf("the flash was shown twice: %q", body)
	}
}

func TestMiddlewareStoragesDoNotCollide(t *testing.T) {
	a := newMwEnv(t, false, "a")
	b := newMwEnv(t, true, "b")
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sa, sb := a.session(w, r), b.session(w, r)
		if sa == nil || sb == nil {
			return
		}
		sa.Update(func(d *mwData) { d.Count++ })
		sb.Update(func(d *mwData) { d.Count += 10 })
		fmt.Fprintf(w, "a=%d b=%d", sa.Get().Count, sb.Get().Count)
	})
	a.serve(b.st.Middleware()(h))
	a.get("/")
	if _, body := a.get("/"); body != "a=2 b=20" {
		t.Errorf("%q, want a=2 b=20", body)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	a.st.Middleware()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s, err := b.st.FromContext(r.Context()); !errors.Is(err, session.ErrNoMiddleware) || s != nil {
			t.Errorf("another storage's middleware: %v, %v", s, err)
		}
	})).ServeHTTP(httptest.NewRecorder(), r)
}

func TestMiddlewareTwiceIsOnce(t *testing.T) {
	e := newMwEnv(t, false, "sid")
	mw := e.st.Middleware()
	e.srv = httptest.NewServer(mw(mw(http.HandlerFunc(e.counter))))
	t.Cleanup(e.srv.Close)
	e.get("/")
	resp, body := e.get("/")
	if body != "count=2" || len(sessionCookies(resp, "sid")) != 1 {
		t.Errorf("%q, Set-Cookie %q", body, resp.Header.Values("Set-Cookie"))
	}
}

// TestMiddlewareEarlyHints: a 103 goes out before the final response and
// must not carry the session cookie, which belongs to the final one.
func TestMiddlewareEarlyHints(t *testing.T) {
	e := newMwEnv(t, false, "sid")
	e.serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</app.css>; rel=preload; as=style")
		w.WriteHeader(http.StatusEarlyHints)
		e.counter(w, r)
	}))
	var hints []textproto.MIMEHeader
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		hints = append(hints, h)
		return nil
	}}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodGet, e.srv.URL, nil)
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(hints) != 1 || hints[0].Get("Set-Cookie") != "" {
		t.Errorf("1xx responses: %v", hints)
	}
	if len(sessionCookies(resp, "sid")) != 1 {
		t.Errorf("final response: Set-Cookie %q", resp.Header.Values("Set-Cookie"))
	}
}
