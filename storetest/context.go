package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
)

// promptly is how long a call with a dead context may take at most. A store
// that checks ctx first returns in microseconds; one that does I/O first
// (a network round trip) still fits.
const promptly = 2 * time.Second

// deadContexts returns the two kinds of dead context a call can get: one
// cancelled by the caller, one whose deadline has passed. want is the error
// the store must wrap; drivers differ in which of the two context errors
// they surface, so either is accepted, but one of them is required.
func deadContexts() []struct {
	name string
	ctx  context.Context
	want error
} {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	cancel2() // releases the timer; Err stays DeadlineExceeded
	return []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"Cancelled", cancelled, context.Canceled},
		{"DeadlineExceeded", expired, context.DeadlineExceeded},
	}
}

// wantCtxErr checks that a call made with a dead context failed promptly
// with an error that wraps a context error.
func wantCtxErr(t *testing.T, op string, err, want error, took time.Duration) {
	t.Helper()
	if err == nil {
		t.Errorf("%s with a dead context: err = nil, want an error wrapping %v", op, want)
	} else if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%s with a dead context: err = %v, want an error wrapping %v (errors.Is must see it)", op, err, want)
	}
	if took > promptly {
		t.Errorf("%s with a dead context took %v, want under %v", op, took, promptly)
	}
}

// timed runs f and says how long it took.
func timed(f func() error) (error, time.Duration) {
	start := time.Now()
	err := f()
	return err, time.Since(start)
}

func testContext(t *testing.T, s store.Store) {
	bg := context.Background()
	for _, dc := range deadContexts() {
		t.Run(dc.name, func(t *testing.T) {
			ctx := dc.ctx
			key := RandomKey()
			live := newRecord(randomUserID(), "live", time.Hour)
			mustCreate(t, s, key, live)

			fresh := RandomKey()
			err, took := timed(func() error { return s.Create(ctx, fresh, newRecord("", "x", time.Hour)) })
			wantCtxErr(t, "Create", err, dc.want, took)
			wantNotFound(t, s, fresh, "after a Create with a dead context (it must not write)")

			err, took = timed(func() error { _, err := s.Read(ctx, key); return err })
			wantCtxErr(t, "Read", err, dc.want, took)

			err, took = timed(func() error { return s.Update(ctx, key, newRecord("", "changed", time.Hour)) })
			wantCtxErr(t, "Update", err, dc.want, took)

			err, took = timed(func() error { _, err := s.Delete(ctx, key); return err })
			wantCtxErr(t, "Delete", err, dc.want, took)

			if v, ok := s.(store.Versioned); ok {
				cur := mustRead(t, s, key)
				upd := newRecord("", "changed", time.Hour)
				upd.Version = cur.Version
				err, took = timed(func() error { return v.CompareAndUpdate(ctx, key, upd) })
				wantCtxErr(t, "CompareAndUpdate", err, dc.want, took)
			}
			if u, ok := s.(store.UserIndex); ok {
				err, took = timed(func() error { _, err := u.ListUser(ctx, live.UserID); return err })
				wantCtxErr(t, "ListUser", err, dc.want, took)
				err, took = timed(func() error { _, err := u.DeleteUser(ctx, live.UserID); return err })
				wantCtxErr(t, "DeleteUser", err, dc.want, took)
			}
			// None of the refused calls may have changed anything.
			checkRecord(t, "Read with a live context after the refused calls", mustRead(t, s, key), live)
			noErr(t, "Delete with a live context", del(s, bg, key))
		})
	}
}
