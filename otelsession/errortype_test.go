package otelsession

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/store"
)

type typedError struct{}

func (typedError) Error() string     { return "typed" }
func (typedError) ErrorType() string { return "throttled" }

func TestErrorType(t *testing.T) {
	key := "4f2a9c0d1e8b7a6f5e4d3c2b1a09f8e7"
	for _, c := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("redisstore: read %s: %w", key, store.ErrNotFound), "not_found"},
		{fmt.Errorf("memstore: compare_and_update: stored version 3, caller read 2: %w", store.ErrConflict), "conflict"},
		{fmt.Errorf("create %s: %w", key, store.ErrExists), "exists"},
		{fmt.Errorf("pgstore: read: %w: %w", store.ErrCorrupt, errors.New("bad json")), "corrupt"},
		{fmt.Errorf("commit: %w", session.ErrCookieTooLarge), "too_large"},
		{fmt.Errorf("commit: %w", session.ErrSessionDestroyed), "destroyed"},
		{fmt.Errorf("memstore: read: %w", context.DeadlineExceeded), "timeout"},
		{fmt.Errorf("redisstore: read %s: %w", key, os.ErrDeadlineExceeded), "timeout"},
		{fmt.Errorf("memstore: read: %w", context.Canceled), "canceled"},
		{fmt.Errorf("redisstore: read %s: %w", key, &net.OpError{Op: "dial", Err: errors.New("connection refused")}), "*net.OpError"},
		{fmt.Errorf("wrapped: %w", typedError{}), "throttled"},
		{errors.New("session store " + key + " exploded"), "_OTHER"},
		{fmt.Errorf("two: %w, %w", errors.New("a"), errors.New("b")), "_OTHER"},
		{errors.Join(errors.New("a"), errors.New("b")), "_OTHER"},
	} {
		kv := errorTypeAttr(c.err)
		if kv.Key != "error.type" || kv.Value.AsString() != c.want {
			t.Errorf("errorTypeAttr(%q) = %s=%s, want error.type=%s", c.err, kv.Key, kv.Value.Emit(), c.want)
		}
	}
}

func TestExpected(t *testing.T) {
	for err, want := range map[error]bool{
		fmt.Errorf("read: %w", store.ErrNotFound):        true,
		fmt.Errorf("update: %w", store.ErrConflict):      true,
		fmt.Errorf("create: %w", store.ErrExists):        false,
		fmt.Errorf("read: %w", store.ErrCorrupt):         false,
		fmt.Errorf("read: %w", context.DeadlineExceeded): false,
		errors.New("down"):                               false,
	} {
		if got := expected(err); got != want {
			t.Errorf("expected(%q) = %v, want %v", err, got, want)
		}
	}
}
