package memstore

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/storetest"
)

// TestCountAndDeleteExpired compares Count (which walks only the expired
// part of each heap) and DeleteExpired with a count made by hand, on many
// shards and expiry times.
func TestCountAndDeleteExpired(t *testing.T) {
	c := newClock()
	s := New(WithClock(c.Now), WithSweepInterval(0))
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	ttls := make([]time.Duration, 5000)
	users := []string{"", "u", "v"}
	for i := range ttls {
		ttls[i] = time.Duration(r.IntN(1000)) * time.Second
		if err := s.Create(ctx, storetest.RandomKey(), rec(c, users[i%3], ttls[i])); err != nil {
			t.Fatal(err)
		}
	}
	for _, step := range []time.Duration{0, 100 * time.Second, 400 * time.Second, 499 * time.Second} {
		c.Advance(step)
		elapsed := c.Now().Sub(newClock().Now())
		live := 0
		for _, ttl := range ttls {
			if ttl > elapsed {
				live++
			}
		}
		if n, err := s.Count(ctx); err != nil || n != live {
			t.Fatalf("after %v: Count = %d, %v; want %d", elapsed, n, err, live)
		}
		before := s.Len()
		if n, err := s.DeleteExpired(ctx); err != nil || n != before-live {
			t.Fatalf("after %v: DeleteExpired = %d, %v; want %d", elapsed, n, err, before-live)
		}
		if s.Len() != live {
			t.Fatalf("after %v: Len = %d after DeleteExpired, want %d", elapsed, s.Len(), live)
		}
	}
	checkConsistent(t, s)
}

// TestDeleteExpiredHonoursContext: a cancelled context stops the sweep.
func TestDeleteExpiredHonoursContext(t *testing.T) {
	s := New(WithSweepInterval(0))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.DeleteExpired(ctx); err == nil {
		t.Error("DeleteExpired with a cancelled context returned no error")
	}
}
