package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// envAddr names the variable that points the tests at a Redis server.
const envAddr = "SESSION_TEST_REDIS_ADDR"

// redisAddr returns the test server's address or skips the test.
func redisAddr(tb testing.TB) string {
	tb.Helper()
	addr := os.Getenv(envAddr)
	if addr == "" {
		tb.Skipf("%s is not set; set it to a disposable Redis server (e.g. 127.0.0.1:6379) to run the redisstore tests", envAddr)
	}
	return addr
}

// testClient returns a client of the test server, closed when tb ends.
func testClient(tb testing.TB, hooks ...redis.Hook) *redis.Client {
	tb.Helper()
	return connect(tb, &redis.Options{Addr: redisAddr(tb), ContextTimeoutEnabled: true}, hooks...)
}

// connect returns a client built from opt, after checking that it reaches
// the server, and closes it when tb ends.
func connect(tb testing.TB, opt *redis.Options, hooks ...redis.Hook) *redis.Client {
	tb.Helper()
	c := redis.NewClient(opt)
	for _, h := range hooks {
		c.AddHook(h)
	}
	tb.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		tb.Fatalf("%s=%s: cannot reach Redis: %v", envAddr, c.Options().Addr, err)
	}
	return c
}

// testPrefix returns a key prefix no other run uses.
func testPrefix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "redisstore-test-" + hex.EncodeToString(b[:]) + ":"
}

// newTestStore returns a Store on the test server under a fresh prefix, and
// removes every key under that prefix when tb ends.
func newTestStore(tb testing.TB, hooks ...redis.Hook) (*Store, *redis.Client) {
	tb.Helper()
	c := testClient(tb, hooks...)
	s := mustNew(tb, c, WithPrefix(testPrefix()))
	tb.Cleanup(func() { deletePrefix(tb, c, s.Prefix()) })
	return s, c
}

// deletePrefix deletes every key that starts with prefix, SCANning so the
// server never blocks on a KEYS.
func deletePrefix(tb testing.TB, c redis.UniversalClient, prefix string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var batch []string
	flush := func() {
		if len(batch) == 0 {
			return
		}
		// One UNLINK per key: on Cluster, keys of different slots cannot
		// share a command.
		_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range batch {
				p.Unlink(ctx, k)
			}
			return nil
		})
		if err != nil {
			tb.Errorf("clean-up of %s*: %v", prefix, err)
		}
		batch = batch[:0]
	}
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			flush()
		}
	}
	flush()
	if err := iter.Err(); err != nil {
		tb.Errorf("clean-up scan of %s*: %v", prefix, err)
	}
}

// countHook counts round trips: one per command sent on its own, one per
// pipeline however many commands it carries.
type countHook struct{ n *atomic.Int64 }

func (h countHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

func (h countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmds)
	}
}

// mustNew is New for tests, which have no use for a configuration error.
func mustNew(t testing.TB, c redis.UniversalClient, opts ...Option) *Store {
	t.Helper()
	s, err := New(c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
