package redisstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

// allOps calls every method of s once with ctx and returns what each said.
func allOps(ctx context.Context, s *Store) map[string]error {
	key := storetest.RandomKey()
	rec := record("user", "data", time.Hour)
	got := map[string]error{}
	got["Create"] = s.Create(ctx, key, rec)
	r, err := s.Read(ctx, key)
	if err == nil || r.Data != nil || r.Version != 0 {
		// Never a record, not even an empty one, from a server that is down.
		err = errors.Join(err, errors.New("Read returned a record"))
	}
	got["Read"] = err
	got["Update"] = s.Update(ctx, key, rec)
	rec.Version = 1
	got["CompareAndUpdate"] = s.CompareAndUpdate(ctx, key, rec)
	_, got["Delete"] = s.Delete(ctx, key)
	_, got["ListUser"] = s.ListUser(ctx, "user")
	_, got["DeleteUser"] = s.DeleteUser(ctx, "user")
	return got
}

// TestServerDown: nothing listens on the port. Every call fails with an
// error that says what failed and is no contract sentinel (a caller must
// not take "down" for "not found" and start a fresh session over it).
func TestServerDown(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: storetest.ClosedAddr(t), MaxRetries: -1, DialTimeout: time.Second, DialerRetries: 1})
	defer c.Close()
	s := mustNew(t, c)
	for op, err := range allOps(context.Background(), s) {
		switch {
		case err == nil:
			t.Errorf("%s against a closed port: nil error", op)
		case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrExists), errors.Is(err, store.ErrConflict):
			t.Errorf("%s against a closed port: %v, a contract sentinel; want a plain failure", op, err)
		case !strings.HasPrefix(err.Error(), "redisstore: "):
			t.Errorf("%s against a closed port: %q does not say who failed", op, err)
		}
	}
}

// TestSlowServerDeadline (row 33): a server that accepts connections and
// never answers. With a 100 ms deadline every call returns promptly with an
// error wrapping context.DeadlineExceeded, and after the client is closed
// no goroutine is left behind.
func TestSlowServerDeadline(t *testing.T) {
	before := goleak.IgnoreCurrent()
	// Registered first, so it runs last: after the silent server's own
	// clean-up has closed its listener and connections.
	t.Cleanup(func() { goleak.VerifyNone(t, before) })

	c := redis.NewClient(&redis.Options{
		Addr:                  storetest.Unresponsive(t),
		ContextTimeoutEnabled: true,
	})
	s := mustNew(t, c)

	ops := []struct {
		name string
		f    func(ctx context.Context) error
	}{
		{"Read", func(ctx context.Context) error { _, err := s.Read(ctx, storetest.RandomKey()); return err }},
		{"Create", func(ctx context.Context) error {
			return s.Create(ctx, storetest.RandomKey(), record("u", "x", time.Hour))
		}},
		{"Update", func(ctx context.Context) error {
			return s.Update(ctx, storetest.RandomKey(), record("u", "x", time.Hour))
		}},
		{"Delete", func(ctx context.Context) error { _, err := s.Delete(ctx, storetest.RandomKey()); return err }},
		{"ListUser", func(ctx context.Context) error { _, err := s.ListUser(ctx, "u"); return err }},
	}
	for _, op := range ops {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		start := time.Now()
		err := op.f(ctx)
		took := time.Since(start)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: err = %v, want an error wrapping context.DeadlineExceeded", op.name, err)
		}
		if took > 600*time.Millisecond {
			t.Errorf("%s took %v with a 100 ms deadline", op.name, took)
		}
	}

	if err := c.Close(); err != nil {
		t.Errorf("client Close: %v", err)
	}
}
