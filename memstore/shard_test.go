package memstore

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/storetest"
)

// TestShardsSpreadCounterKeys: keys that differ only in a counter (as in
// benchmarks) must not all fall into one shard.
func TestShardsSpreadCounterKeys(t *testing.T) {
	s := New(WithSweepInterval(0))
	used := map[*shard]int{}
	key := storetest.RandomKey()
	for i := range 64 * 64 {
		binary.BigEndian.PutUint64(key[:8], uint64(i))
		used[s.shardFor(key)]++
	}
	if len(used) != len(s.shards) {
		t.Errorf("%d counter keys used %d of %d shards", 64*64, len(used), len(s.shards))
	}
	for _, n := range used {
		if n > 2*64 {
			t.Errorf("one shard got %d of %d counter keys, over twice its share", n, 64*64)
		}
	}
}

// TestShardsLockIndependently: while one shard is locked (as by a long
// DeleteExpired or a burst of writes to its keys), reads and writes of
// keys in other shards go through. With one lock for the whole store they
// would wait.
func TestShardsLockIndependently(t *testing.T) {
	c := newClock()
	s := New(WithClock(c.Now), WithSweepInterval(0))
	ctx := context.Background()
	held := storetest.RandomKey()
	other := storetest.RandomKey()
	for s.shardFor(other) == s.shardFor(held) {
		other = storetest.RandomKey()
	}
	if err := s.Create(ctx, other, rec(c, "u", time.Hour)); err != nil {
		t.Fatal(err)
	}
	locked := s.shardFor(held)
	locked.mu.Lock()
	defer locked.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		r, err := s.Read(ctx, other)
		if err == nil {
			err = s.CompareAndUpdate(ctx, other, r)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read and CompareAndUpdate of a key in another shard waited for a locked shard")
	}
}
