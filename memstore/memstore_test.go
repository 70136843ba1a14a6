package memstore

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
)

func newClock() *storetest.Clock {
	return storetest.NewClock(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
}

func rec(c *storetest.Clock, user string, ttl time.Duration) store.Record {
	n := c.Now()
	return store.Record{Data: []byte("d"), Created: n, Updated: n, Expires: n.Add(ttl), UserID: user}
}

func TestConformanceWithFastSweeper(t *testing.T) {
	// A sweeper that runs all the time must free only expired records.
	s := New(WithSweepInterval(10 * time.Millisecond))
	defer s.Close()
	storetest.Run(t, s)
}

func TestCloseStopsSweeper(t *testing.T) {
	before := runtime.NumGoroutine()
	s := New(WithSweepInterval(time.Millisecond))
	select {
	case <-s.sweeper.Done():
		t.Fatal("sweeper exited before Close")
	case <-time.After(5 * time.Millisecond):
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-s.sweeper.Done():
	default:
		t.Fatal("Close returned before the sweeper goroutine exited")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// The goroutine count must come back to where it was.
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("goroutines: %d before New, %d after Close", before, n)
	}
	// The store still answers after Close.
	k := storetest.RandomKey()
	if err := s.Create(context.Background(), k, store.Record{Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Errorf("Create after Close: %v", err)
	}
}

func TestNoSweeper(t *testing.T) {
	s := New(WithSweepInterval(0))
	if err := s.Close(); err != nil {
		t.Fatalf("Close without a sweeper: %v", err)
	}
}

func TestSweeperFreesExpired(t *testing.T) {
	c := newClock()
	s := New(WithClock(c.Now), WithSweepInterval(2*time.Millisecond))
	defer s.Close()
	ctx := context.Background()
	short, long := storetest.RandomKey(), storetest.RandomKey()
	if err := s.Create(ctx, short, rec(c, "u", time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, long, rec(c, "u", time.Hour)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if n := s.Len(); n != 2 {
		t.Fatalf("Len before expiry = %d, want 2 (the sweeper removed a live record)", n)
	}
	c.Advance(time.Minute) // Expires == now: expired
	deadline := time.Now().Add(2 * time.Second)
	for s.Len() != 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := s.Len(); n != 1 {
		t.Fatalf("Len after expiry = %d, want 1: the sweeper did not free the expired record", n)
	}
	if _, err := s.Read(ctx, long); err != nil {
		t.Errorf("Read of the live record after a sweep: %v", err)
	}
	checkConsistent(t, s)
	if list, _ := s.ListUser(ctx, "u"); len(list) != 1 {
		t.Errorf("ListUser after the sweep lists %d sessions, want 1", len(list))
	}
}

func TestFakeClockExpiry(t *testing.T) {
	c := newClock()
	s := New(WithClock(c.Now), WithSweepInterval(0))
	ctx := context.Background()
	k := storetest.RandomKey()
	if err := s.Create(ctx, k, rec(c, "", time.Minute)); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute - time.Nanosecond)
	if _, err := s.Read(ctx, k); err != nil {
		t.Fatalf("Read a nanosecond before Expires: %v", err)
	}
	c.Advance(time.Nanosecond)
	if _, err := s.Read(ctx, k); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Read at Expires: %v, want ErrNotFound", err)
	}
	// Create replaces an expired record rather than refusing.
	if err := s.Create(ctx, k, rec(c, "", time.Minute)); err != nil {
		t.Fatalf("Create over an expired record: %v", err)
	}
	if n, err := s.DeleteExpired(ctx); n != 0 || err != nil {
		t.Errorf("DeleteExpired = %d, %v; want 0, nil", n, err)
	}
}

func TestMaxEntriesEvictsSoonestExpiring(t *testing.T) {
	c := newClock()
	s := New(WithClock(c.Now), WithSweepInterval(0), WithMaxEntries(3))
	ctx := context.Background()
	keys := make([]store.Key, 5)
	for i := range keys {
		keys[i] = storetest.RandomKey()
	}
	// Expiry order: keys[1] soonest, then keys[0], then keys[2].
	for i, ttl := range []time.Duration{2 * time.Hour, time.Hour, 3 * time.Hour} {
		if err := s.Create(ctx, keys[i], rec(c, "u", ttl)); err != nil {
			t.Fatal(err)
		}
	}
	// Extending keys[1] makes keys[0] the soonest: Update must reorder.
	if err := s.Update(ctx, keys[1], rec(c, "u", 4*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, keys[3], rec(c, "u", 5*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := s.Len(); n != 3 {
		t.Errorf("Len = %d, want the cap 3", n)
	}
	if _, err := s.Read(ctx, keys[0]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the soonest-expiring record survived eviction: %v", err)
	}
	for _, k := range []store.Key{keys[1], keys[2], keys[3]} {
		if _, err := s.Read(ctx, k); err != nil {
			t.Errorf("a later-expiring record was evicted: %v", err)
		}
	}
	list, _ := s.ListUser(ctx, "u")
	if len(list) != 3 {
		t.Errorf("ListUser after eviction lists %d, want 3 (the index kept the evicted key)", len(list))
	}
	// An expired record is evicted first, even when the newcomer
	// expires sooner than everything else.
	c.Advance(200 * time.Minute) // keys[2] (3h) has expired; keys[1], keys[3] live
	if err := s.Create(ctx, keys[4], rec(c, "", time.Minute)); err != nil {
		t.Fatal(err)
	}
	for _, k := range []store.Key{keys[1], keys[3], keys[4]} {
		if _, err := s.Read(ctx, k); err != nil {
			t.Errorf("a live record was evicted while an expired one was there: %v", err)
		}
	}
	if n := s.Len(); n != 3 {
		t.Errorf("Len = %d, want 3 (the expired record was not the one evicted)", n)
	}
}

func TestHeapStaysConsistent(t *testing.T) {
	users := []string{"", "u", "v", ""} // records move between classes and users
	for _, limit := range []int{50, DefaultMaxEntries} {
		c := newClock()
		s := New(WithClock(c.Now), WithSweepInterval(0), WithMaxEntries(limit))
		ctx := context.Background()
		keys := make([]store.Key, 200)
		for i := range keys {
			keys[i] = storetest.RandomKey()
			_ = s.Create(ctx, keys[i], rec(c, users[i%4], time.Duration(i%37+1)*time.Minute))
			if i%3 == 0 {
				_ = s.Update(ctx, keys[i/2], rec(c, users[i%7%4], time.Duration(i%11+1)*time.Minute))
			}
			if i%5 == 0 {
				_, _ = s.Delete(ctx, keys[i/3])
			}
			if i%7 == 0 {
				c.Advance(time.Minute)
			}
		}
		if len(s.shards) == 1 && limit > minShare {
			t.Errorf("cap %d: one shard", limit)
		}
		checkConsistent(t, s)
	}
}

// checkConsistent checks every shard's invariants: each record is in the
// shard its key maps to, in exactly one heap (the one of its class) at the
// position it remembers, the heaps are ordered by Expires, and the user
// index lists exactly the records with a UserID.
func checkConsistent(t *testing.T, s *Store) {
	t.Helper()
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		if n := len(sh.anon) + len(sh.users); n != len(sh.records) {
			t.Errorf("shard %d: heaps hold %d entries, map %d", i, n, len(sh.records))
		}
		if len(sh.records) > sh.max {
			t.Errorf("shard %d holds %d records, over its share %d of the cap", i, len(sh.records), sh.max)
		}
		for _, h := range []*expiryHeap{&sh.anon, &sh.users} {
			for j, e := range *h {
				switch {
				case e.index != j || sh.records[e.key] != e:
					t.Errorf("shard %d: heap entry %d is stale", i, j)
				case sh.heapOf(e) != h:
					t.Errorf("shard %d: entry of user %q is in the wrong heap", i, e.rec.UserID)
				case s.shardFor(e.key) != sh:
					t.Errorf("shard %d holds a key of another shard", i)
				case j > 0 && e.rec.Expires.Before((*h)[(j-1)/2].rec.Expires):
					t.Errorf("shard %d: heap order broken at %d", i, j)
				}
			}
		}
		indexed := 0
		for user, first := range sh.byUser {
			if first.prev != nil {
				t.Errorf("shard %d: the first record of user %q has a predecessor", i, user)
			}
			for e := first; e != nil; e = e.next {
				if sh.records[e.key] != e || e.rec.UserID != user {
					t.Errorf("shard %d: the index lists a key under user %q that is not that user's record", i, user)
				}
				if e.next != nil && e.next.prev != e {
					t.Errorf("shard %d: the list of user %q is broken", i, user)
				}
				indexed++
			}
		}
		if signedIn := len(sh.users); indexed != signedIn {
			t.Errorf("shard %d: user index holds %d keys, %d records have a user", i, indexed, signedIn)
		}
		sh.mu.RUnlock()
	}
}
