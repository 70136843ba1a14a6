package filestore

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
)

// fill creates n records under fresh keys that expire ttl from now on
// clock, and returns their keys.
func fill(t *testing.T, s *Store, n int, ttl time.Duration, now time.Time) []store.Key {
	t.Helper()
	keys := make([]store.Key, n)
	for i := range keys {
		keys[i] = storetest.RandomKey()
		if err := s.Create(context.Background(), keys[i], store.Record{Expires: now.Add(ttl)}); err != nil {
			t.Fatalf("Create %d of %d: %v", i+1, n, err)
		}
	}
	return keys
}

func wantFull(t *testing.T, s *Store, why string) {
	t.Helper()
	err := s.Create(context.Background(), storetest.RandomKey(), record("x", "", time.Hour))
	if !errors.Is(err, ErrFull) {
		t.Errorf("Create %s: %v; want an error wrapping ErrFull", why, err)
	}
}

func TestMaxFiles(t *testing.T) {
	clock := storetest.NewClock(time.Now())
	s, dir := newTestStore(t, WithMaxFiles(3), WithClock(clock.Now))
	ctx := context.Background()
	keys := fill(t, s, 2, time.Minute, clock.Now())
	if err := s.Create(ctx, keys[0], record("x", "", time.Hour)); !errors.Is(err, store.ErrExists) {
		t.Fatalf("Create of an existing key: %v, want ErrExists", err)
	}
	keys = append(keys, fill(t, s, 1, time.Hour, clock.Now())...) // the failed Create took no place
	wantFull(t, s, "past the cap")
	if err := s.Update(ctx, keys[2], record("changed", "", time.Hour)); err != nil {
		t.Errorf("Update of an existing session when full: %v; existing sessions must keep working", err)
	}

	// A Delete frees a place.
	if _, err := s.Delete(ctx, keys[0]); err != nil {
		t.Fatal(err)
	}
	fill(t, s, 1, time.Hour, clock.Now())
	wantFull(t, s, "after a Delete and a Create")

	// An expired file holds its place until DeleteExpired.
	clock.Advance(2 * time.Minute)
	wantFull(t, s, "with an expired record not yet deleted")
	if n, err := s.DeleteExpired(ctx); err != nil || n != 1 {
		t.Fatalf("DeleteExpired = %d, %v; want 1", n, err)
	}
	fill(t, s, 1, time.Hour, clock.Now())
	wantFull(t, s, "after DeleteExpired freed one place and a Create took it")

	// A new store on the directory counts the files already there.
	again, err := New(dir, WithJanitorInterval(0), WithMaxFiles(3), WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	wantFull(t, again, "on a reopened full directory")
}

func TestMaxFilesConcurrent(t *testing.T) {
	const limit = 5
	s, _ := newTestStore(t, WithMaxFiles(limit))
	var ok, full atomic.Int32
	var wg sync.WaitGroup
	for range 4 * limit {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Create(context.Background(), storetest.RandomKey(), record("x", "", time.Hour))
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, ErrFull):
				full.Add(1)
			default:
				t.Errorf("Create: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != limit || full.Load() != 3*limit {
		t.Errorf("%d Creates succeeded and %d were refused as full; want %d and %d", ok.Load(), full.Load(), limit, 3*limit)
	}
}

func TestNoMaxFilesByDefault(t *testing.T) {
	s, _ := newTestStore(t)
	fill(t, s, 50, time.Hour, time.Now())
	if s.files.Load() != 0 {
		t.Errorf("the store counted files without a cap")
	}
}
