package memstore

import (
	"context"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
)

// TestUserIndexAcrossShards: a user's sessions land in many shards, and
// ListUser and DeleteUser must still see every one of them.
func TestUserIndexAcrossShards(t *testing.T) {
	c := newClock()
	s := New(WithClock(c.Now), WithSweepInterval(0))
	ctx := context.Background()
	const n = 300
	used := map[*shard]bool{}
	for i := range n {
		k := storetest.RandomKey()
		used[s.shardFor(k)] = true
		if err := s.Create(ctx, k, rec(c, "bob", time.Hour)); err != nil {
			t.Fatal(err)
		}
		// Another user's and anonymous sessions beside them.
		_ = s.Create(ctx, storetest.RandomKey(), rec(c, "carol", time.Hour))
		_ = s.Create(ctx, storetest.RandomKey(), rec(c, "", time.Hour))
		if i%3 == 0 { // an expired session of bob's, listed nowhere
			_ = s.Create(ctx, storetest.RandomKey(), rec(c, "bob", -time.Second))
		}
	}
	if len(used) < len(s.shards)/2 {
		t.Fatalf("bob's %d sessions landed in %d of %d shards", n, len(used), len(s.shards))
	}
	list, err := s.ListUser(ctx, "bob")
	if err != nil || len(list) != n {
		t.Fatalf("ListUser = %d sessions, %v; want %d", len(list), err, n)
	}
	seen := map[store.Key]bool{}
	for _, info := range list {
		if seen[info.Key] {
			t.Fatalf("ListUser lists %s twice", info.Key)
		}
		seen[info.Key] = true
	}
	if got, err := s.DeleteUser(ctx, "bob"); err != nil || got != n {
		t.Fatalf("DeleteUser = %d, %v; want %d (live sessions only)", got, err, n)
	}
	if list, _ := s.ListUser(ctx, "bob"); len(list) != 0 {
		t.Errorf("ListUser after DeleteUser lists %d sessions", len(list))
	}
	if list, _ := s.ListUser(ctx, "carol"); len(list) != n {
		t.Errorf("DeleteUser of bob left carol %d of %d sessions", len(list), n)
	}
	if got := s.Len(); got != 2*n {
		t.Errorf("Len = %d after DeleteUser, want %d (bob's expired sessions go too)", got, 2*n)
	}
	checkConsistent(t, s)
}
