package bench

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
)

// open opens a for a test or benchmark, skipping when it needs a server
// that is not configured, and closes it when tb ends.
func open(tb testing.TB, a Adapter, hooks ...redis.Hook) Handlers {
	tb.Helper()
	env := EnvFromOS(tb.TempDir())
	env.RedisHooks = hooks
	h, closeFn, err := a.Open(env)
	if errors.Is(err, ErrSkip) {
		tb.Skipf("%s: %v", a.Name, err)
	}
	if err != nil {
		tb.Fatalf("%s: %v", a.Name, err)
	}
	tb.Cleanup(func() {
		if err := closeFn(); err != nil {
			tb.Errorf("%s: close: %v", a.Name, err)
		}
	})
	return h
}

// expect serves r with h and checks the status and body; it returns the
// browser's next request.
func expect(t *testing.T, what string, h http.Handler, r *http.Request, code int, body string) *http.Request {
	t.Helper()
	w := Do(h, r)
	if w.Code != code || (code == http.StatusOK && w.Body.String() != body) {
		t.Fatalf("%s: got %d %q, want %d %q", what, w.Code, w.Body.String(), code, body)
	}
	return Next(r, w)
}

// TestAdaptersBehave checks every implementation before it is timed: the
// session survives between requests, the counter really increments, the
// flash message appears exactly once, sessions stay apart, and a tampered
// cookie is no session.
func TestAdaptersBehave(t *testing.T) {
	for _, a := range Adapters() {
		t.Run(a.Name, func(t *testing.T) {
			h := open(t, a)
			if a.Name == Floor {
				for _, hh := range []http.Handler{h.Read, h.ReadModifyWrite, h.New, h.FlashSet, h.FlashGet} {
					if w := Do(hh, Bare()); w.Code != http.StatusOK {
						t.Fatalf("floor answered %d", w.Code)
					}
				}
				return
			}

			// New sets a cookie; Read without it sees no session.
			seed, w := Seed(h)
			if w.Code != http.StatusOK || w.Body.String() != "1" || len(w.Header().Values("Set-Cookie")) == 0 {
				t.Fatalf("New: got %d %q with cookies %q", w.Code, w.Body.String(), w.Header().Values("Set-Cookie"))
			}
			expect(t, "Read without a cookie", h.Read, Bare(), http.StatusUnauthorized, "")
			expect(t, "Read", h.Read, seed, http.StatusOK, "1")

			// The counter increments across requests, and Read sees it.
			r := seed
			for i := 2; i <= 6; i++ {
				r = expect(t, "ReadModifyWrite", h.ReadModifyWrite, r, http.StatusOK, itoa(i))
			}
			expect(t, "Read after 5 writes", h.Read, r, http.StatusOK, "6")

			// Another session is not touched.
			other, _ := Seed(h)
			expect(t, "Read of a second session", h.Read, other, http.StatusOK, "1")

			// The flash appears on the next request, once, and the rest of
			// the session is kept.
			r = expect(t, "FlashGet with no flash", h.FlashGet, r, http.StatusOK, "")
			r = expect(t, "FlashSet", h.FlashSet, r, http.StatusOK, "")
			r = expect(t, "FlashGet", h.FlashGet, r, http.StatusOK, FlashValue)
			r = expect(t, "FlashGet again", h.FlashGet, r, http.StatusOK, "")
			expect(t, "Read after the flash", h.Read, r, http.StatusOK, "6")

			// A tampered cookie is no session.
			bad := Bare()
			for _, c := range seed.Cookies() {
				v := []byte(c.Value)
				i := len(v) / 2
				if v[i] == 'A' {
					v[i] = 'B'
				} else {
					v[i] = 'A'
				}
				c.Value = string(v)
				bad.AddCookie(c)
			}
			expect(t, "Read with a tampered cookie", h.Read, bad, http.StatusUnauthorized, "")
		})
	}
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}

// roundTrips counts the commands and pipelines a go-redis client sends:
// each is one round trip to the server.
type roundTrips struct{ n atomic.Int64 }

func (c *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}

func (c *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmds)
	}
}

// TestRedisRoundTrips checks the Redis storage's cost in round trips: at
// most one per read.
func TestRedisRoundTrips(t *testing.T) {
	var a Adapter
	for _, x := range Adapters() {
		if x.Name == "session-redis" {
			a = x
		}
	}
	rt := &roundTrips{}
	h := open(t, a, rt)
	seed, _ := Seed(h)
	count := func(name string, hh http.Handler, r *http.Request) int64 {
		before := rt.n.Load()
		if w := Do(hh, r); w.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", name, w.Code, strings.TrimSpace(w.Body.String()))
		}
		n := rt.n.Load() - before
		t.Logf("%s: %d round trip(s)", name, n)
		return n
	}
	count("ReadModifyWrite (warm-up: loads the script)", h.ReadModifyWrite, seed)
	if n := count("Read", h.Read, seed); n > 1 {
		t.Errorf("Read took %d round trips, want at most 1", n)
	}
	count("ReadModifyWrite", h.ReadModifyWrite, seed)
	count("New", h.New, Bare())
}

// TestRedisCachedServesReads checks that the session-redis-cached adapter
// really reads through go-redis's client-side cache: once a session's
// record is cached (the first Reads after a write may still go to the
// server), its Reads are cache hits.
func TestRedisCachedServesReads(t *testing.T) {
	b, err := OpenBackend("redis-cached", EnvFromOS(t.TempDir()), BackendConfig{})
	if errors.Is(err, ErrSkip) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	h, closeFn, err := serverSide(b.Store, b.Close)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := closeFn(); err != nil {
			t.Error(err)
		}
	})
	seed, _ := Seed(h)
	expect(t, "first Read", h.Read, seed, http.StatusOK, "1")
	before := b.Redis.CSCStats().Hits
	for range 10 {
		expect(t, "Read", h.Read, seed, http.StatusOK, "1")
	}
	if hits := b.Redis.CSCStats().Hits - before; hits < 8 {
		t.Errorf("10 Reads of an unchanged session made %d cache hits, want at least 8", hits)
	}
}
