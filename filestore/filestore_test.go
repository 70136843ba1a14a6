package filestore

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
)

func newTestStore(t *testing.T, opts ...Option) (*Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sessions")
	s, err := New(dir, append([]Option{WithJanitorInterval(0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, dir
}

func record(data, user string, ttl time.Duration) store.Record {
	n := time.Now().Truncate(time.Millisecond)
	return store.Record{Data: []byte(data), Created: n, Updated: n, Expires: n.Add(ttl), UserID: user}
}

// tempFiles lists the temp files left in dir.
func listed(list []store.Info, key store.Key) bool {
	for _, i := range list {
		if i.Key == key {
			return true
		}
	}
	return false
}

func TestFileModes(t *testing.T) {
	s, dir := newTestStore(t)
	ctx := context.Background()
	key := storetest.RandomKey()
	if err := s.Create(ctx, key, record("x", "alice", time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, key, record("y", "bob", time.Hour)); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if perm := info.Mode().Perm(); perm != want {
			t.Errorf("%s: mode %v, want %v", path, perm, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNothingOutsideDir(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "sessions")
	s, err := New(dir, WithJanitorInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	evil := []string{"../x", "../../etc/passwd", "/tmp/x", `..\..\x`, "a/b", "%2e%2e/x", "nul\x00byte", strings.Repeat("a/", 5000), "."}
	for i, user := range evil {
		key := storetest.RandomKey()
		if err := s.Create(ctx, key, record("data", user, time.Hour)); err != nil {
			t.Fatalf("Create for user %d: %v", i, err)
		}
		if err := s.Update(ctx, key, record("data2", evil[(i+1)%len(evil)], time.Hour)); err != nil {
			t.Fatalf("Update for user %d: %v", i, err)
		}
		if _, err := s.ListUser(ctx, user); err != nil {
			t.Fatalf("ListUser %d: %v", i, err)
		}
		if i%2 == 0 {
			if _, err := s.DeleteUser(ctx, evil[(i+1)%len(evil)]); err != nil {
				t.Fatalf("DeleteUser %d: %v", i, err)
			}
		}
	}
	if _, err := s.DeleteExpired(ctx); err != nil {
		t.Fatal(err)
	}
	// The parent holds only the store's directory, and every name in it
	// is a key, "users", a user folder (a hash) or a marker (a key).
	top, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	if len(top) != 1 || top[0].Name() != "sessions" {
		t.Fatalf("the parent of the store's directory holds %v; the store wrote outside its directory", top)
	}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		parts := strings.Split(rel, string(filepath.Separator))
		ok := false
		switch len(parts) {
		case 1:
			_, isKey := parseName(parts[0])
			ok = isKey || parts[0] == usersDir
		case 2, 3:
			_, isHash := parseName(parts[1])
			ok = parts[0] == usersDir && isHash
			if len(parts) == 3 {
				_, isKey := parseName(parts[2])
				ok = ok && isKey
			}
		}
		if !ok {
			t.Errorf("unexpected path in the store: %q", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCreateInsertOnlyAcrossStores(t *testing.T) {
	// Two stores on one directory stand in for two processes: their
	// locks are separate, so only the hard link keeps Create insert-only.
	dir := t.TempDir()
	a, err := New(dir, WithJanitorInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(dir, WithJanitorInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for round := range 20 {
		key := storetest.RandomKey()
		var wg sync.WaitGroup
		results := make([]error, 8)
		for i := range results {
			s := a
			if i%2 == 1 {
				s = b
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = s.Create(ctx, key, record(string(rune('a'+i)), "", time.Hour))
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range results {
			if err == nil {
				wins++
			} else if !errors.Is(err, store.ErrExists) {
				t.Errorf("round %d: Create: %v", round, err)
			}
		}
		if wins != 1 {
			t.Errorf("round %d: %d Creates succeeded across two stores, want 1", round, wins)
		}
	}
	if tmp := tempFiles(t, dir); len(tmp) > 0 {
		t.Errorf("temp files left behind: %v", tmp)
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New(""); err == nil {
		t.Error("New(\"\") succeeded")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(file); err == nil {
		t.Error("New on a regular file succeeded")
	}
}

// BenchmarkStore: Read is bound by the file system's read path (open, read,
// close of a small file); Update and Create by fsync, one for the temp file
// and one for the directory after the rename (or link).
func BenchmarkStore(b *testing.B) {
	s, err := New(b.TempDir(), WithJanitorInterval(0))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.Bench(b, s)
}
