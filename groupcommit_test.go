package session

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// hotSession returns a storage on a versioned spy whose writes take delay,
// and a browser holding one committed session of it.
func hotSession(t *testing.T, delay time.Duration) (*Storage[testData], *spyStore, *browser) {
	t.Helper()
	spy := newSpyStore(t, nil)
	st := mustStoreStorage(t, versionedSpy{spy}, baseConfig(nil))
	b := newBrowser(t)
	b.do(counterHandler(t, st), "GET", "/")
	spy.writeDelay.Store(int64(delay))
	return st, spy, b
}

// TestGroupCommit: the commits of one hot session that queue behind a write
// in flight go out together as one write, and every one of them counts.
// One write per commit would cap a hot session at one commit per round trip
// to the store.
func TestGroupCommit(t *testing.T) {
	st, spy, b := hotSession(t, 2*time.Millisecond)
	const clients, each = 16, 8
	before := spy.updates.Load()
	var wg sync.WaitGroup
	errs := make(chan error, clients*each)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				s := b.load(st)
				s.Update(func(d *testData) { d.Count++ })
				if err := st.Commit(context.Background(), httptest.NewRecorder(), s); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Commit: %v", err)
	}
	if got, want := b.load(st).Get().Count, 1+clients*each; got != want {
		t.Errorf("count = %d after %d increments, want %d", got, clients*each, want)
	}
	if writes := spy.updates.Load() - before; writes > clients*each/2 {
		t.Errorf("%d store writes for %d commits of one session: the commits queued behind a write should go out together", writes, clients*each)
	}
}

// startLeader begins a commit of one increment that holds the session's
// write in flight (the spy's delay), and returns when it is under way.
func startLeader(t *testing.T, ctx context.Context, st *Storage[testData], b *browser, fn func(*testData)) <-chan error {
	t.Helper()
	s := b.load(st)
	s.Update(fn)
	done := make(chan error, 1)
	go func() { done <- st.Commit(ctx, httptest.NewRecorder(), s) }()
	time.Sleep(20 * time.Millisecond) // the write is in flight
	return done
}

// followers commits n increments that queue behind the write in flight and
// returns their errors.
func followers(st *Storage[testData], b *browser, n int, fn func(*testData)) []error {
	loaded := make([]*Session[testData], n)
	for i := range loaded {
		loaded[i] = b.load(st)
		loaded[i].Update(fn)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, s := range loaded {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.Commit(context.Background(), httptest.NewRecorder(), s)
		}()
	}
	wg.Wait()
	return errs
}

// TestGroupCommitLeaderCancelled: the request whose write was in flight
// goes away (its context is cancelled). The commits that were waiting for
// it are not failed for that: they are written without it.
func TestGroupCommitLeaderCancelled(t *testing.T) {
	// The write lasts far longer than the test's own pauses, so that a
	// slow, loaded machine still cancels it mid-flight.
	st, _, b := hotSession(t, 300*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	leader := startLeader(t, ctx, st, b, func(d *testData) { d.Count += 1000 })
	go func() { time.Sleep(30 * time.Millisecond); cancel() }()
	errs := followers(st, b, 4, func(d *testData) { d.Count++ })
	if err := <-leader; !errors.Is(err, context.Canceled) {
		t.Errorf("the cancelled commit: err = %v, want context.Canceled", err)
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("waiting commit %d: %v; want success, its own request is still there", i, err)
		}
	}
	if got := b.load(st).Get().Count; got != 1+4 {
		t.Errorf("count = %d, want 5 (the four waiting increments, not the cancelled one)", got)
	}
}

// goCommitResult is what a commit started by goCommit ended with.
type goCommitResult struct {
	err      error
	panicked any
}

// goCommit commits s in a goroutine, recovering a panic, and returns when
// the commit has had time to queue.
func goCommit(ctx context.Context, st *Storage[testData], s *Session[testData]) <-chan goCommitResult {
	out := make(chan goCommitResult, 1)
	go func() {
		var o goCommitResult
		defer func() { o.panicked = recover(); out <- o }()
		o.err = st.Commit(ctx, httptest.NewRecorder(), s)
	}()
	time.Sleep(5 * time.Millisecond)
	return out
}

// awaitCommit waits for a commit started by goCommit; a commit that never
// returns (a queue nobody serves) fails the test instead of hanging it.
func awaitCommit(t *testing.T, c <-chan goCommitResult) goCommitResult {
	t.Helper()
	select {
	case o := <-c:
		return o
	case <-time.After(10 * time.Second):
		t.Fatal("a commit did not return within 10 s: it waits for a turn nobody passes on")
		return goCommitResult{}
	}
}

// panicsWhenMadeAgain is a change that panics the second time it runs, as
// a change that depends on state it should not could.
func panicsWhenMadeAgain() func(*testData) {
	ran := 0
	return func(*testData) {
		if ran++; ran > 1 {
			panic("changed twice")
		}
	}
}

// TestGroupCommitPanicStaysWithItsRequest: a change that panics when it is
// made again panics in its own request, not in the one that re-applies the
// queued commits' changes; the others are written.
func TestGroupCommitPanicStaysWithItsRequest(t *testing.T) {
	inc := func(d *testData) { d.Count++ }
	for _, panicker := range []int{0, 1} { // the group's leader, or a member
		// Every commit below must load the session before the first
		// write lands, so that its change is made again: the write lasts
		// far longer than the pauses that queue them.
		st, _, b := hotSession(t, 200*time.Millisecond)
		leader := startLeader(t, context.Background(), st, b, inc)
		var commits []<-chan goCommitResult
		for i := range 4 {
			s := b.load(st)
			if i == panicker {
				s.Update(panicsWhenMadeAgain())
			} else {
				s.Update(inc)
			}
			commits = append(commits, goCommit(context.Background(), st, s))
		}
		if err := <-leader; err != nil {
			t.Errorf("the first commit: %v", err)
		}
		for i, c := range commits {
			o := awaitCommit(t, c)
			switch {
			case i == panicker && o.panicked != "changed twice":
				t.Errorf("panicker %d: its own Commit recovered %v, want its panic", panicker, o.panicked)
			case i != panicker && (o.panicked != nil || o.err != nil):
				t.Errorf("panicker %d: commit %d: panicked %v, err %v; want success", panicker, i, o.panicked, o.err)
			}
		}
		if got := b.load(st).Get().Count; got != 1+1+3 {
			t.Errorf("panicker %d: count = %d, want 5", panicker, got)
		}
	}
}

// TestGroupCommitGroupLeaderCancelled: the commit that writes a group goes
// away during the write. The write goes on for the others, and the count
// agrees with what each commit was told.
func TestGroupCommitGroupLeaderCancelled(t *testing.T) {
	st, _, b := hotSession(t, 60*time.Millisecond)
	inc := func(d *testData) { d.Count++ }
	first := startLeader(t, context.Background(), st, b, inc)
	ctx, cancel := context.WithCancel(context.Background())
	s := b.load(st)
	s.Update(func(d *testData) { d.Count += 100 })
	groupLeader := goCommit(ctx, st, s) // queued first: it leads the group
	var members []<-chan goCommitResult
	for range 3 {
		m := b.load(st)
		m.Update(inc)
		members = append(members, goCommit(context.Background(), st, m))
	}
	if err := <-first; err != nil {
		t.Fatalf("the first commit: %v", err)
	}
	time.Sleep(20 * time.Millisecond) // the group's write is in flight
	cancel()
	want := 1 + 1 + 3
	if o := awaitCommit(t, groupLeader); o.err == nil {
		want += 100
	}
	for i, m := range members {
		if o := awaitCommit(t, m); o.err != nil || o.panicked != nil {
			t.Errorf("member %d: err %v, panicked %v; want success, its own request is still there", i, o.err, o.panicked)
		}
	}
	if got := b.load(st).Get().Count; got != want {
		t.Errorf("count = %d, want %d", got, want)
	}
}
