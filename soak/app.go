package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/store"
)

// Data is the session of the application under load: the demo's counter.
type Data struct {
	Count int `json:"count"`
}

// Paths of the application under load.
const (
	pathNew   = "/new"   // starts a session at count 1
	pathIncr  = "/"      // counts one visit of an existing session
	pathCount = "/count" // reads the count without changing anything
)

// app is one instance of the application under load.
type app struct {
	sessions  *session.Storage[Data]
	opTimeout time.Duration // bounds the store calls of one request
}

// races counts the commits that lost a race to another request of their
// session and wrote again, re-applying their change to the newer record.
type races struct {
	retried     atomic.Int64 // commits that needed more than one store write
	maxAttempts atomic.Int64 // the most store writes one commit needed
}

func (r *races) observe(_ context.Context, e session.CommitEvent) {
	if e.Attempts > 1 {
		r.retried.Add(1)
	}
	for {
		m := r.maxAttempts.Load()
		if int64(e.Attempts) <= m || r.maxAttempts.CompareAndSwap(m, int64(e.Attempts)) {
			return
		}
	}
}

// newApp builds an instance on st with the given cookie secret.
func newApp(st store.Store, secret string, opTimeout time.Duration, r *races) (*app, error) {
	sessions, err := session.NewStorage(st, session.Config[Data]{
		Cookie: session.CookieOptions{Secrets: []string{secret}, Insecure: true},
		Hooks:  session.Hooks{Commit: r.observe},
	})
	if err != nil {
		return nil, err
	}
	return &app{sessions: sessions, opTimeout: opTimeout}, nil
}

// handler routes the application's three paths.
func (a *app) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+pathNew, a.start)
	mux.HandleFunc("GET "+pathIncr+"{$}", a.increment)
	mux.HandleFunc("GET "+pathCount, a.count)
	return mux
}

// start begins a session at count 1.
func (a *app) start(w http.ResponseWriter, r *http.Request) {
	a.visit(w, r, true)
}

// increment counts one visit of the request's session. A request whose
// session cannot be found any more gets 410 and nothing is written: the
// client must learn that its session was lost, not get a new one silently.
func (a *app) increment(w http.ResponseWriter, r *http.Request) {
	a.visit(w, r, false)
}

// visit is GET / and GET /new. The commit is the last thing that can fail:
// after it, only writing the answer to the socket remains.
func (a *app) visit(w http.ResponseWriter, r *http.Request, fresh bool) {
	ctx, cancel := context.WithTimeout(r.Context(), a.opTimeout)
	defer cancel()
	s, err := a.sessions.Get(r.WithContext(ctx))
	if err != nil {
		fail(w, stageLoad, err)
		return
	}
	if !fresh && s.IsNew() {
		lost(w, s)
		return
	}
	s.Update(func(d *Data) { d.Count++ })
	if err := a.sessions.Commit(ctx, w, s); err != nil {
		fail(w, stageCommit, err)
		return
	}
	writeCount(w, s.Get().Count)
}

// count answers the session's count without committing.
func (a *app) count(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), a.opTimeout)
	defer cancel()
	s, err := a.sessions.Get(r.WithContext(ctx))
	switch {
	case err != nil:
		fail(w, stageLoad, err)
	case s.IsNew():
		lost(w, s)
	default:
		writeCount(w, s.Get().Count)
	}
}

func writeCount(w http.ResponseWriter, n int) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "%d\n", n)
}

// lost answers 410 Gone for a request whose session no longer loads.
func lost(w http.ResponseWriter, s *session.Session[Data]) {
	http.Error(w, fmt.Sprintf("session lost: %v", s.LoadError()), http.StatusGone)
}

// headerStage names, on a failed answer, the step that failed: stageLoad
// (nothing was written) or stageCommit (the store may have applied the
// write although the commit failed, if its reply was lost).
const headerStage = "X-Soak-Failed"

const (
	stageLoad   = "load"
	stageCommit = "commit"
)

// fail answers a failed Get or Commit: 409 for a conflict the library
// should have resolved, 410 for a session destroyed meanwhile (nothing in
// this application destroys one), 503 for everything else, which is the
// store failing. The error's text goes into the body for the report.
func fail(w http.ResponseWriter, stage string, err error) {
	w.Header().Set(headerStage, stage)
	code := http.StatusServiceUnavailable
	switch {
	case errors.Is(err, session.ErrConflict):
		code = http.StatusConflict
	case errors.Is(err, session.ErrSessionDestroyed):
		code = http.StatusGone
	}
	http.Error(w, strings.ReplaceAll(err.Error(), "\n", " "), code)
}

// appServer is one instance listening on loopback.
type appServer struct {
	srv *http.Server
	url string
}

// listen serves h on a free loopback port.
func listen(h http.Handler) (*appServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening on loopback: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return &appServer{srv: srv, url: "http://" + ln.Addr().String()}, nil
}

// close stops the server and waits for its handlers to return.
func (a *appServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = a.srv.Shutdown(ctx)
}
