package redisstore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
	"github.com/redis/go-redis/v9"
)

// setMemoryConfig saves maxmemory and maxmemory-policy and restores them
// when t ends, however it ends. It must be called before anything that may
// fail the test.
func setMemoryConfig(t *testing.T, c *redis.Client) {
	t.Helper()
	ctx := context.Background()
	saved := map[string]string{}
	for _, name := range []string{"maxmemory", "maxmemory-policy"} {
		v, err := c.ConfigGet(ctx, name).Result()
		if err != nil || v[name] == "" {
			t.Fatalf("CONFIG GET %s = %v, %v", name, v, err)
		}
		saved[name] = v[name]
	}
	t.Cleanup(func() {
		// A fresh context: the test's may be gone, the restore must happen.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for name, v := range saved {
			if err := c.ConfigSet(ctx, name, v).Err(); err != nil {
				t.Errorf("restoring CONFIG %s=%s: %v (fix the server by hand)", name, v, err)
			}
		}
	})
}

func usedMemory(t *testing.T, c *redis.Client) int64 {
	t.Helper()
	info, err := c.Info(context.Background(), "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("INFO memory has no used_memory")
	return 0
}

// TestRedisMemoryPressure (row 35). It changes the server's memory settings
// for a moment, so it never runs in parallel, and the allkeys-lru half can
// evict other keys of the server: point SESSION_TEST_REDIS_ADDR at a
// disposable server.
func TestRedisMemoryPressure(t *testing.T) {
	ctx := context.Background()
	s, c := newTestStore(t)
	setMemoryConfig(t, c) // registered after the key clean-up, so it runs first

	t.Run("NoevictionErrorSurfaces", func(t *testing.T) {
		key := storetest.RandomKey()
		orig := record("mem-user", "before the squeeze", time.Hour)
		if err := s.Create(ctx, key, orig); err != nil {
			t.Fatal(err)
		}
		if err := c.ConfigSet(ctx, "maxmemory-policy", "noeviction").Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.ConfigSet(ctx, "maxmemory", "1").Err(); err != nil {
			t.Fatal(err)
		}
		oom := func(op string, err error) {
			t.Helper()
			var rerr redis.Error
			if err == nil || !errors.As(err, &rerr) || !strings.Contains(err.Error(), "OOM") {
				t.Errorf("%s at maxmemory with noeviction: err = %v, want the server's OOM error, wrapped", op, err)
			}
			for _, sentinel := range []error{store.ErrNotFound, store.ErrExists, store.ErrConflict} {
				if errors.Is(err, sentinel) {
					t.Errorf("%s: OOM reported as %v", op, sentinel)
				}
			}
		}
		fresh := storetest.RandomKey()
		oom("Create", s.Create(ctx, fresh, record("mem-user", "new", time.Hour)))
		oom("Update", s.Update(ctx, key, record("mem-user", "lost?", time.Hour)))
		if err := c.ConfigSet(ctx, "maxmemory", "0").Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Read(ctx, fresh); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Read of the refused Create = %v, want ErrNotFound", err)
		}
		got, err := s.Read(ctx, key)
		if err != nil || string(got.Data) != string(orig.Data) {
			t.Errorf("Read after the refused Update = %q, %v; want the original record", got.Data, err)
		}
	})

	t.Run("AllkeysLRUEvictionIsLogout", func(t *testing.T) {
		key := storetest.RandomKey()
		if err := s.Create(ctx, key, record("", "evict me", time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := c.ConfigSet(ctx, "maxmemory-policy", "allkeys-lru").Err(); err != nil {
			t.Fatal(err)
		}
		limit := usedMemory(t, c) + 2<<20
		if err := c.ConfigSet(ctx, "maxmemory", strconv.FormatInt(limit, 10)).Err(); err != nil {
			t.Fatal(err)
		}
		filler := strings.Repeat("x", 4<<10)
		rk := s.recordKey(key.String())
		evicted := false
		// Fill well past the limit (bounded: at most 64 MiB of writes) until
		// the least recently used key, our session, is evicted.
		for batch := 0; batch < 160 && !evicted; batch++ {
			_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				for i := range 100 {
					p.Set(ctx, s.Prefix()+"filler:"+strconv.Itoa(batch*100+i), filler, time.Minute)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("filling: %v", err)
			}
			n, err := c.Exists(ctx, rk).Result()
			if err != nil {
				t.Fatal(err)
			}
			evicted = n == 0
		}
		if !evicted {
			t.Fatal("the session was never evicted; cannot test eviction")
		}
		if _, err := s.Read(ctx, key); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Read of an evicted session = %v, want ErrNotFound (a logout)", err)
		}
		if err := s.Update(ctx, key, record("", "back?", time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Update of an evicted session = %v, want ErrNotFound", err)
		}
	})
}
