package session

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// recorder collects what Hooks report.
type recorder struct {
	mu        sync.Mutex
	loads     []LoadOutcome
	commits   []CommitEvent
	lifecycle []LifecycleKind
	calls     []string // "op" or "op:error"
	ctxSeen   int      // hook calls that carried the request's context value
}

type ctxMark struct{}

func (rec *recorder) hooks() Hooks {
	mark := func(ctx context.Context) {
		if ctx.Value(ctxMark{}) != nil {
			rec.ctxSeen++
		}
	}
	return Hooks{
		Load: func(ctx context.Context, e LoadEvent) {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			mark(ctx)
			rec.loads = append(rec.loads, e.Outcome)
		},
		Commit: func(ctx context.Context, e CommitEvent) {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			mark(ctx)
			rec.commits = append(rec.commits, e)
		},
		Lifecycle: func(ctx context.Context, e LifecycleEvent) {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			rec.lifecycle = append(rec.lifecycle, e.Kind)
		},
		StoreCall: func(ctx context.Context, op StoreOp) (context.Context, func(error, time.Duration)) {
			return ctx, func(err error, took time.Duration) {
				rec.mu.Lock()
				defer rec.mu.Unlock()
				name := op.String()
				if err != nil {
					name += ":error"
				}
				if took < 0 {
					name += ":negative"
				}
				rec.calls = append(rec.calls, name)
			}
		},
	}
}

func (rec *recorder) reset() {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.loads, rec.commits, rec.lifecycle, rec.calls = nil, nil, nil, nil
}

// TestHooksReportOutcomes walks a session through its life and checks
// every event the hooks receive.
func TestHooksReportOutcomes(t *testing.T) {
	rec := &recorder{}
	spy := newSpyStore(t, nil)
	cfg := baseConfig(nil)
	cfg.Hooks = rec.hooks()
	cfg.UserID = func(d testData) string { return "alice" }
	st := mustStoreStorage(t, versionedSpy{spy}, cfg)
	ctx := context.WithValue(context.Background(), ctxMark{}, true)
	b := newBrowser(t)
	get := func() *Session[testData] {
		t.Helper()
		s, _ := st.Get(b.request("GET", "/").WithContext(ctx))
		return s
	}
	commit := func(s *Session[testData]) error {
		w := httptest.NewRecorder()
		err := st.Commit(ctx, w, s)
		b.absorb(w)
		return err
	}

	s := get()
	s.Update(func(d *testData) { d.Count++ })
	if err := commit(s); err != nil {
		t.Fatal(err)
	}
	if err := commit(get()); err != nil { // loaded, unchanged
		t.Fatal(err)
	}
	// Two requests of one session on two instances (two storages on one
	// store): the second loses the race in the store and re-applies.
	other := mustStoreStorage(t, versionedSpy{spy}, cfg)
	a := get()
	c, _ := other.Get(b.request("GET", "/").WithContext(ctx))
	a.Update(func(d *testData) { d.Count++ })
	c.Update(func(d *testData) { d.Count++ })
	_ = commit(a)
	if err := other.Commit(ctx, httptest.NewRecorder(), c); err != nil {
		t.Fatal(err)
	}
	if err := st.Regenerate(ctx, get()); err != nil {
		t.Fatal(err)
	}
	b.cookies["__session"] = "forged"
	get()
	if _, err := st.RevokeUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}

	wantLoads := []LoadOutcome{LoadNew, LoadLoaded, LoadLoaded, LoadLoaded, LoadLoaded, LoadInvalid}
	if !slices.Equal(rec.loads, wantLoads) {
		t.Errorf("loads %v, want %v", rec.loads, wantLoads)
	}
	var outcomes []CommitOutcome
	for _, e := range rec.commits {
		outcomes = append(outcomes, e.Outcome)
	}
	wantCommits := []CommitOutcome{CommitWritten, CommitUnchanged, CommitWritten, CommitReapplied}
	if !slices.Equal(outcomes, wantCommits) {
		t.Errorf("commits %v, want %v", outcomes, wantCommits)
	}
	if e := rec.commits[0]; e.CookieSize == 0 || e.Attempts != 1 {
		t.Errorf("first commit: cookie size %d, attempts %d", e.CookieSize, e.Attempts)
	}
	if e := rec.commits[3]; e.Attempts != 2 || e.CookieSize != 0 {
		t.Errorf("re-applied commit: attempts %d (want 2), cookie size %d (want 0: the cookie is unchanged)", e.Attempts, e.CookieSize)
	}
	if want := []LifecycleKind{Regenerated, RevokedUser}; !slices.Equal(rec.lifecycle, want) {
		t.Errorf("lifecycle %v, want %v", rec.lifecycle, want)
	}
	wantCalls := []string{"create", "read", "read", "read", "compare_and_update", "compare_and_update:error", "read", "compare_and_update", "read", "delete", "delete_user"}
	if !slices.Equal(rec.calls, wantCalls) {
		t.Errorf("store calls %v,\nwant %v", rec.calls, wantCalls)
	}
	if rec.ctxSeen != len(rec.loads)+len(rec.commits) {
		t.Errorf("%d of %d load and commit events carried the request's context", rec.ctxSeen, len(rec.loads)+len(rec.commits))
	}

	// Failures: a store that is down, a destroyed session.
	rec.reset()
	b = newBrowser(t)
	s = get()
	s.Set(testData{Count: 1})
	_ = commit(s)
	down := errors.New("down")
	spy.fail.Store(&down)
	get()
	spy.fail.Store(nil)
	stale := get()
	if err := st.Destroy(ctx, httptest.NewRecorder(), get()); err != nil {
		t.Fatal(err)
	}
	stale.Update(func(d *testData) { d.Count++ })
	_ = commit(stale)
	if want := []LoadOutcome{LoadNew, LoadStoreError, LoadLoaded, LoadLoaded}; !slices.Equal(rec.loads, want) {
		t.Errorf("loads %v, want %v", rec.loads, want)
	}
	if got := rec.commits[len(rec.commits)-1].Outcome; got != CommitDestroyed {
		t.Errorf("commit after Destroy: %v, want %v", got, CommitDestroyed)
	}
	if !slices.Contains(rec.calls, "read:error") {
		t.Errorf("the failed read is not among the store calls %v", rec.calls)
	}
}

// ctxHandler is a slog handler that records whether records arrive with
// the request's context.
type ctxHandler struct {
	mu   *sync.Mutex
	with *int
	all  *int
}

func (h ctxHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h ctxHandler) Handle(ctx context.Context, _ slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.all++
	if ctx.Value(ctxMark{}) != nil {
		*h.with++
	}
	return nil
}
func (h ctxHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h ctxHandler) WithGroup(string) slog.Handler      { return h }

// TestLogsCarryRequestContext: every log call passes the request's context,
// so that trace IDs and request attributes reach the log.
func TestLogsCarryRequestContext(t *testing.T) {
	var mu sync.Mutex
	var with, all int
	spy := newSpyStore(t, nil)
	cfg := baseConfig(nil)
	cfg.Logger = slog.New(ctxHandler{&mu, &with, &all})
	st := mustStoreStorage(t, versionedSpy{spy}, cfg)
	ctx := context.WithValue(context.Background(), ctxMark{}, true)
	b := newBrowser(t)
	b.do(counterHandler(t, st), "GET", "/")
	down := errors.New("down")
	spy.fail.Store(&down)
	_, _ = st.Get(b.request("GET", "/").WithContext(ctx)) // logs the failed read
	spy.fail.Store(nil)
	r := b.request("GET", "/").WithContext(ctx)
	r.Header.Add("Cookie", "__session="+b.cookies["__session"])
	_, _ = st.Get(r) // two copies of one valid cookie: logs the duplicate
	if all == 0 || with != all {
		t.Errorf("%d of %d log records carried the request's context", with, all)
	}
}
