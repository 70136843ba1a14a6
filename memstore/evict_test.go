package memstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
)

// TestFloodKeepsSignedIn is the regression test for a flood of cookie-less
// requests: each makes an anonymous session, and at the cap they must push
// out one another, never the signed-in users' sessions, even though those
// expire sooner.
func TestFloodKeepsSignedIn(t *testing.T) {
	c := newClock()
	s := New(WithClock(c.Now), WithSweepInterval(0), WithMaxEntries(100))
	ctx := context.Background()
	signedIn := make([]store.Key, 50)
	for i := range signedIn {
		signedIn[i] = storetest.RandomKey()
		if err := s.Create(ctx, signedIn[i], rec(c, "alice", time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	for range 100 {
		if err := s.Create(ctx, storetest.RandomKey(), rec(c, "", 2*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	lost := 0
	for _, k := range signedIn {
		if _, err := s.Read(ctx, k); errors.Is(err, store.ErrNotFound) {
			lost++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d signed-in sessions were evicted by a flood of anonymous ones", lost, len(signedIn))
	}
	if n := s.Len(); n != 100 {
		t.Errorf("Len = %d, want the cap 100", n)
	}
}

// TestFloodKeepsSignedInSharded is TestFloodKeepsSignedIn on a store large
// enough to be sharded, where each shard evicts within its share of the cap.
func TestFloodKeepsSignedInSharded(t *testing.T) {
	const limit = 16 * minShare
	c := newClock()
	s := New(WithClock(c.Now), WithSweepInterval(0), WithMaxEntries(limit))
	if len(s.shards) < 2 {
		t.Fatalf("a store with a cap of %d has %d shard(s); the test needs several", limit, len(s.shards))
	}
	ctx := context.Background()
	signedIn := make([]store.Key, limit/2)
	for i := range signedIn {
		signedIn[i] = storetest.RandomKey()
		if err := s.Create(ctx, signedIn[i], rec(c, "alice", time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 * limit {
		if err := s.Create(ctx, storetest.RandomKey(), rec(c, "", 2*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range signedIn {
		if _, err := s.Read(ctx, k); err != nil {
			t.Fatalf("a signed-in session was evicted by a flood of anonymous ones: %v", err)
		}
	}
	if n := s.Len(); n > limit || n < limit*9/10 {
		t.Errorf("Len = %d, want at most the cap %d and close to it", n, limit)
	}
	checkConsistent(t, s)
}

// TestDefaultIsBounded: a store built without options must not grow past
// DefaultMaxEntries, whatever is created in it.
func TestDefaultIsBounded(t *testing.T) {
	s := New(WithSweepInterval(0))
	ctx := context.Background()
	r := rec(newClock(), "", time.Hour)
	r.Expires = time.Now().Add(time.Hour)
	for range DefaultMaxEntries + 1000 {
		if err := s.Create(ctx, storetest.RandomKey(), r); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.Len(); n > DefaultMaxEntries {
		t.Errorf("Len = %d after %d creates, over DefaultMaxEntries %d", n, DefaultMaxEntries+1000, DefaultMaxEntries)
	}
}

// TestEvictionOrder follows a full store (cap 3) through creates whose
// victims show the order: expired, then anonymous, then signed-in, and
// the soonest to expire within a class.
func TestEvictionOrder(t *testing.T) {
	c := newClock()
	s := New(WithClock(c.Now), WithSweepInterval(0), WithMaxEntries(3))
	ctx := context.Background()
	keys := map[string]store.Key{}
	create := func(name, user string, ttl time.Duration) {
		t.Helper()
		keys[name] = storetest.RandomKey()
		if err := s.Create(ctx, keys[name], rec(c, user, ttl)); err != nil {
			t.Fatal(err)
		}
	}
	want := func(step string, live ...string) {
		t.Helper()
		if n := s.Len(); n != 3 {
			t.Errorf("%s: Len = %d, want the cap 3", step, n)
		}
		for _, name := range live {
			if _, err := s.Read(ctx, keys[name]); err != nil {
				t.Errorf("%s: %s was evicted: %v", step, name, err)
			}
		}
	}
	create("S1", "u", time.Hour)
	create("S2", "u", 3*time.Hour)
	create("A1", "", 2*time.Hour)
	create("A2", "", 4*time.Hour)
	want("anonymous before signed-in, even one expiring later", "S1", "S2", "A2")
	create("S3", "u", 5*time.Hour)
	want("a signed-in newcomer evicts the last anonymous record", "S1", "S2", "S3")
	create("A3", "", 6*time.Hour)
	want("only signed-in records: the soonest to expire goes", "S2", "S3", "A3")
	c.Advance(3 * time.Hour) // S2 has expired
	create("A4", "", time.Hour)
	want("an expired signed-in record goes before a live anonymous one", "S3", "A3", "A4")
	checkConsistent(t, s)
}
