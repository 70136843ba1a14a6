package filestore

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
)

func TestReapAndJanitor(t *testing.T) {
	clock := storetest.NewClock(time.Now())
	s, dir := newTestStore(t, WithClock(clock.Now))
	ctx := context.Background()
	short, long := storetest.RandomKey(), storetest.RandomKey()
	n := clock.Now()
	if err := s.Create(ctx, short, store.Record{Data: []byte("s"), Expires: n.Add(time.Minute), UserID: "u"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, long, store.Record{Data: []byte("l"), Expires: n.Add(time.Hour), UserID: "u"}); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(dir, tmpPrefix+"fresh")
	if err := os.WriteFile(fresh, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := s.DeleteExpired(ctx); err != nil || got != 0 {
		t.Fatalf("Reap before anything expired = %d, %v; want 0", got, err)
	}
	clock.Advance(2 * time.Minute)
	if _, err := os.Stat(fresh); err != nil {
		t.Fatalf("a temp file younger than a minute was removed: %v", err)
	}
	got, err := s.DeleteExpired(ctx)
	if err != nil || got != 1 {
		t.Fatalf("Reap = %d, %v; want 1", got, err)
	}
	for _, p := range []string{filepath.Join(dir, short.String()), fresh, filepath.Join(s.userDir("u"), short.String())} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s survived the reap: %v", p, err)
		}
	}
	if _, err := s.Read(ctx, long); err != nil {
		t.Errorf("the live record did not survive the reap: %v", err)
	}
}

func TestJanitorRunsAndStops(t *testing.T) {
	clock := storetest.NewClock(time.Now())
	dir := t.TempDir()
	s, err := New(dir, WithClock(clock.Now), WithJanitorInterval(2*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	key := storetest.RandomKey()
	if err := s.Create(context.Background(), key, store.Record{Expires: clock.Now().Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	path := filepath.Join(dir, key.String())
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the janitor did not remove the expired record: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.janitor.Done():
	default:
		t.Fatal("Close returned before the janitor exited")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestStaleMarkerIgnoredAndReaped(t *testing.T) {
	clock := storetest.NewClock(time.Now())
	s, _ := newTestStore(t, WithClock(clock.Now))
	ctx := context.Background()
	key := storetest.RandomKey()
	if err := s.Create(ctx, key, store.Record{Expires: clock.Now().Add(time.Hour), UserID: "bob"}); err != nil {
		t.Fatal(err)
	}
	// A crash between writing alice's marker and the record leaves a
	// marker pointing at a record that is not hers.
	stale := filepath.Join(s.userDir("alice"), key.String())
	if err := os.MkdirAll(filepath.Dir(stale), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if list, err := s.ListUser(ctx, "alice"); err != nil || len(list) != 0 {
		t.Errorf("ListUser(alice) = %v, %v; want nothing (the marker is stale)", list, err)
	}
	if n, err := s.DeleteUser(ctx, "alice"); err != nil || n != 0 {
		t.Errorf("DeleteUser(alice) = %d, %v; want 0", n, err)
	}
	if _, err := s.Read(ctx, key); err != nil {
		t.Errorf("DeleteUser(alice) deleted bob's session: %v", err)
	}
	_ = os.WriteFile(stale, nil, 0o600)
	clock.Advance(2 * time.Minute)
	if _, err := s.DeleteExpired(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(stale)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the stale marker's folder survived the reap: %v", err)
	}
	if list, err := s.ListUser(ctx, "bob"); err != nil || len(list) != 1 {
		t.Errorf("ListUser(bob) after the reap = %v, %v; want the session", list, err)
	}
}

// TestDeleteExpiredSyncsOnce: the janitor syncs the directory once per
// run, not once per file, so that it deletes expired files faster than
// Create (two syncs per file) writes them.
func TestDeleteExpiredSyncsOnce(t *testing.T) {
	ffs := &faultFS{}
	s, _ := newTestStore(t, func(c *config) { c.fs = ffs })
	ctx := context.Background()
	for range 10 {
		if err := s.Create(ctx, storetest.RandomKey(), record("x", "u", -time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	ffs.syncs.Store(0)
	if n, err := s.DeleteExpired(ctx); err != nil || n != 10 {
		t.Fatalf("DeleteExpired = %d, %v; want 10", n, err)
	}
	if n := ffs.syncs.Load(); n != 1 {
		t.Errorf("DeleteExpired of 10 files synced the directory %d times, want once", n)
	}
}
