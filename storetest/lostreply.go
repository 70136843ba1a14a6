package storetest

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/codec"
	"github.com/b4f9cdbb/session/store"
)

// errLostReply is what a flaky store reports in place of the backend's
// answer: the connection broke, so the caller cannot know whether the
// write was applied.
var errLostReply = errors.New("storetest: injected lost reply (connection reset)")

// fault is what a flaky store does to the next writes.
type fault int

const (
	// applyThenLose: the write reaches the backend, the reply is lost (the
	// server closed the connection after committing).
	applyThenLose fault = iota + 1
	// applyThenRetry: the write reaches the backend, the reply is lost and
	// the driver sends the same write again on a new connection, answering
	// with that second attempt's result (go-redis retries like this).
	applyThenRetry
	// applyThenOthersThenRetry: like applyThenRetry, but other requests
	// commit the session between the write and the driver's second try.
	applyThenOthersThenRetry
	// loseBeforeApply: the connection broke before the write reached the
	// backend.
	loseBeforeApply
	// down: every call fails, reads included (the server is unreachable).
	down
)

// flaky wraps a store and injects one fault into the next writes.
type flaky struct {
	store.Store
	mu    sync.Mutex
	fault fault
	left  int    // writes still to fault
	other func() // the other requests of applyThenOthersThenRetry
}

// flakyVersioned is flaky for a store.Versioned, which the session layer
// writes with CompareAndUpdate.
type flakyVersioned struct{ *flaky }

func newFlaky(s store.Store) (store.Store, *flaky) {
	f := &flaky{Store: s}
	if _, ok := s.(store.Versioned); ok {
		return flakyVersioned{f}, f
	}
	return f, f
}

// arm makes the next n writes fail with fault.
func (f *flaky) arm(fault fault, n int) {
	f.mu.Lock()
	f.fault, f.left = fault, n
	f.mu.Unlock()
}

// take returns the fault for this write, if any.
func (f *flaky) take() fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fault == down {
		return down
	}
	if f.left == 0 {
		return 0
	}
	f.left--
	return f.fault
}

func (f *flaky) write(write func() error) error {
	switch f.take() {
	case applyThenLose:
		_ = write()
		return errLostReply
	case applyThenRetry:
		_ = write()
		return write()
	case applyThenOthersThenRetry:
		_ = write()
		f.other()
		return write()
	case loseBeforeApply, down:
		return errLostReply
	}
	return write()
}

func (f *flaky) Create(ctx context.Context, key store.Key, rec store.Record) error {
	return f.write(func() error { return f.Store.Create(ctx, key, rec) })
}

func (f *flaky) Update(ctx context.Context, key store.Key, rec store.Record) error {
	return f.write(func() error { return f.Store.Update(ctx, key, rec) })
}

func (f *flaky) Delete(ctx context.Context, key store.Key) (bool, error) {
	var live bool
	err := f.write(func() error {
		var err error
		live, err = f.Store.Delete(ctx, key)
		return err
	})
	return live, err
}

func (f *flaky) Read(ctx context.Context, key store.Key) (store.Record, error) {
	f.mu.Lock()
	isDown := f.fault == down
	f.mu.Unlock()
	if isDown {
		return store.Record{}, errLostReply
	}
	return f.Store.Read(ctx, key)
}

func (f flakyVersioned) CompareAndUpdate(ctx context.Context, key store.Key, rec store.Record) error {
	return f.write(func() error { return f.Store.(store.Versioned).CompareAndUpdate(ctx, key, rec) })
}

// testLostReplies: the connection to the store breaks around a write. A
// write that was applied must be reported as a success and counted once,
// never re-applied on top of itself (a counter would jump by two); one
// that was not applied is written again; and when the store cannot be
// reached at all, Commit fails within a bounded time instead of guessing.
func testLostReplies(t *testing.T, s store.Store) {
	ctx := context.Background()
	flakyStore, f := newFlaky(s)
	st := newStorage(t, flakyStore)
	direct := newStorage(t, s) // for the user index, which flaky hides
	faults := []struct {
		name  string
		fault fault
	}{
		{"AppliedReplyLost", applyThenLose},
		{"AppliedDriverRetried", applyThenRetry},
		{"NotApplied", loseBeforeApply},
	}
	t.Run("Update/AppliedOthersCommittedDriverRetried", func(t *testing.T) {
		if _, ok := s.(store.Versioned); !ok {
			t.Skip("store does not implement store.Versioned: a re-sent write is last-writer-wins")
		}
		cookie, _ := signIn(t, st, randomUserID())
		sess := load(t, st, cookie)
		sess.Update(func(d *sessionData) { d.Count++ })
		f.other = func() {
			for range codec.RecentCommits - 1 {
				other := load(t, direct, cookie)
				other.Update(func(d *sessionData) { d.Count += 10 })
				if err := direct.Commit(ctx, httptest.NewRecorder(), other); err != nil {
					t.Errorf("the other request's Commit: %v", err)
				}
			}
		}
		f.arm(applyThenOthersThenRetry, 1)
		if err := st.Commit(ctx, httptest.NewRecorder(), sess); err != nil {
			t.Errorf("Commit: %v; want success, the store holds this write", err)
		}
		if got, want := load(t, st, cookie).Get().Count, 1+10*(codec.RecentCommits-1); got != want {
			t.Errorf("count = %d, want %d: the write was applied twice or lost", got, want)
		}
	})
	for _, tc := range faults {
		t.Run("Update/"+tc.name, func(t *testing.T) {
			cookie, _ := signIn(t, st, randomUserID())
			sess := load(t, st, cookie)
			sess.Update(func(d *sessionData) { d.Count++ })
			f.arm(tc.fault, 1)
			if err := st.Commit(ctx, httptest.NewRecorder(), sess); err != nil {
				t.Errorf("Commit: %v; want success, the store holds (or was given again) this write", err)
			}
			if got := load(t, st, cookie).Get().Count; got != 1 {
				t.Errorf("after one increment whose reply was lost the count is %d, want 1", got)
			}
		})
		t.Run("Create/"+tc.name, func(t *testing.T) {
			user := randomUserID()
			sess, err := st.Get(request(""))
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			sess.Set(sessionData{Count: 7, User: user})
			f.arm(tc.fault, 1)
			w := httptest.NewRecorder()
			if err := st.Commit(ctx, w, sess); err != nil {
				t.Fatalf("Commit of a new session: %v; want success", err)
			}
			if got := load(t, st, sessionCookie(st, w.Header())).Get(); got.Count != 7 || got.User != user {
				t.Errorf("the new session reads back as %+v", got)
			}
			if _, ok := s.(store.UserIndex); !ok {
				return
			}
			if list, err := direct.ListUserSessions(ctx, user); err != nil || len(list) != 1 {
				t.Errorf("ListUserSessions = %d sessions, %v; want exactly the one committed (no orphan from the lost reply)", len(list), err)
			}
		})
	}
	// A logout whose delete lost its reply is still a logout: a delete can
	// be sent again, and the session must be gone either way.
	for _, tc := range []struct {
		name  string
		fault fault
	}{{"AppliedReplyLost", applyThenLose}, {"NotApplied", loseBeforeApply}} {
		t.Run("Destroy/"+tc.name, func(t *testing.T) {
			cookie, key := signIn(t, st, randomUserID())
			sess := load(t, st, cookie)
			f.arm(tc.fault, 1)
			if err := st.Destroy(ctx, httptest.NewRecorder(), sess); err != nil {
				t.Errorf("Destroy: %v; want success, a delete can be sent again", err)
			}
			wantNotFound(t, s, key, "after a Destroy whose delete lost its reply")
		})
	}
	t.Run("StoreDown", func(t *testing.T) {
		cookie, _ := signIn(t, st, randomUserID())
		sess := load(t, st, cookie)
		sess.Update(func(d *sessionData) { d.Count++ })
		f.arm(down, 0)
		start := time.Now()
		err := st.Commit(ctx, httptest.NewRecorder(), sess)
		took := time.Since(start)
		f.arm(0, 0)
		if !errors.Is(err, errLostReply) {
			t.Errorf("Commit with the store down: err = %v, want the store's error", err)
		}
		if took > 5*time.Second {
			t.Errorf("Commit with the store down took %v; it must give up within a few seconds", took)
		}
		if got := load(t, st, cookie).Get().Count; got != 0 {
			t.Errorf("count = %d after a commit that never reached the store, want 0", got)
		}
	})
}

// The versioned wrapper must be seen as Versioned by the session layer.
var _ store.Versioned = flakyVersioned{}
