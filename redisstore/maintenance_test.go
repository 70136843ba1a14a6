package redisstore

import (
	"context"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/storetest"
)

// TestDeleteAll runs the shared DeleteAll/Count check on a store whose
// prefix no other test uses, then pins what the shared check cannot see:
// the user indexes go too, keys under the prefix that are not the store's
// stay, and a prefix with glob characters selects only itself.
func TestDeleteAll(t *testing.T) {
	s, c := newTestStore(t)
	storetest.RunDeleteAll(t, s)

	ctx := context.Background()
	if err := s.Create(ctx, storetest.RandomKey(), record("someone", "x", time.Hour)); err != nil {
		t.Fatal(err)
	}
	foreign := s.Prefix() + "not-a-record"
	if err := c.Set(ctx, foreign, "keep me", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	// A store whose prefix, read as a glob, would match this store's keys.
	glob := mustNew(t, c, WithPrefix(s.Prefix()[:len(s.Prefix())-1]+"*"))
	t.Cleanup(func() { deletePrefix(t, c, glob.Prefix()) })
	if n, err := glob.Count(ctx); err != nil || n != 0 {
		t.Errorf("Count of a store with prefix %q = %d, %v; want 0 (its prefix is not a pattern)", glob.Prefix(), n, err)
	}
	if n, err := glob.DeleteAll(ctx); err != nil || n != 0 {
		t.Errorf("DeleteAll of a store with prefix %q = %d, %v; want 0", glob.Prefix(), n, err)
	}
	if n, err := s.Count(ctx); err != nil || n != 1 {
		t.Fatalf("Count = %d, %v; want 1 (the other store must not have touched it)", n, err)
	}
	if n, err := s.DeleteAll(ctx); err != nil || n != 1 {
		t.Errorf("DeleteAll = %d, %v; want 1", n, err)
	}
	keys, err := c.Keys(ctx, escapeGlob(s.Prefix())+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != foreign {
		t.Errorf("keys left under the prefix after DeleteAll = %q, want only %q (records and user indexes must go)", keys, foreign)
	}
	if n, err := s.DeleteExpired(ctx); err != nil || n != 0 || !s.ExpiresNatively() {
		t.Errorf("DeleteExpired = %d, %v, ExpiresNatively %v; want 0, nil, true", n, err, s.ExpiresNatively())
	}
}

// TestCountSkipsJunk: Count counts records that Read would call live, not
// every key under the prefix.
func TestCountSkipsJunk(t *testing.T) {
	s, c := newTestStore(t)
	ctx := context.Background()
	for range 3 {
		if err := s.Create(ctx, storetest.RandomKey(), record("", "x", time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	junk := s.recordKey(storetest.RandomKey().String())
	if err := c.Set(ctx, junk, "garbage", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	clock := storetest.NewClock(time.Now().Add(2 * time.Hour)) // past every Expires
	late := mustNew(t, c, WithPrefix(s.Prefix()), WithClock(clock.Now))
	if n, err := s.Count(ctx); err != nil || n != 3 {
		t.Errorf("Count = %d, %v; want 3 (junk is no record)", n, err)
	}
	if n, err := late.Count(ctx); err != nil || n != 0 {
		t.Errorf("Count on a clock past every Expires = %d, %v; want 0", n, err)
	}
}
