package filestore

import (
	"bytes"
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

var errInjected = errors.New("injected fault")

// faultFS is osFS with one step made to fail.
type faultFS struct {
	osFS
	mu   sync.Mutex
	fail string // "create", "write", "shortwrite", "sync", "close", "link", "rename", "syncdir"
}

func (f *faultFS) set(step string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = step
}

func (f *faultFS) is(step string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fail == step
}

func (f *faultFS) CreateTemp(dir, pattern string) (tempFile, error) {
	if f.is("create") {
		return nil, errInjected
	}
	t, err := f.osFS.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &faultFile{tempFile: t, fs: f}, nil
}

func (f *faultFS) Link(o, n string) error {
	if f.is("link") {
		return errInjected
	}
	return f.osFS.Link(o, n)
}

func (f *faultFS) Rename(o, n string) error {
	if f.is("rename") {
		return errInjected
	}
	return f.osFS.Rename(o, n)
}

func (f *faultFS) SyncDir(dir string) error {
	if f.is("syncdir") {
		return errInjected
	}
	return f.osFS.SyncDir(dir)
}

type faultFile struct {
	tempFile
	fs *faultFS
}

func (f *faultFile) Write(b []byte) (int, error) {
	switch {
	case f.fs.is("write"):
		return 0, errInjected
	case f.fs.is("shortwrite"): // a torn write: half the bytes land
		n, _ := f.tempFile.Write(b[:len(b)/2])
		return n, errInjected
	}
	return f.tempFile.Write(b)
}

func (f *faultFile) Sync() error {
	if f.fs.is("sync") {
		return errInjected
	}
	return f.tempFile.Sync()
}

func (f *faultFile) Close() error {
	err := f.tempFile.Close()
	if f.fs.is("close") {
		return errInjected
	}
	return err
}

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
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			names = append(names, e.Name())
		}
	}
	return names
}

var writeSteps = []string{"create", "write", "shortwrite", "sync", "close"}

func TestUpdateFaultKeepsOldRecord(t *testing.T) {
	ffs := &faultFS{}
	s, dir := newTestStore(t, func(c *config) { c.fs = ffs })
	ctx := context.Background()
	for _, step := range append(writeSteps, "rename") {
		t.Run(step, func(t *testing.T) {
			key := storetest.RandomKey()
			old := record("old contents", "alice", time.Hour)
			if err := s.Create(ctx, key, old); err != nil {
				t.Fatal(err)
			}
			ffs.set(step)
			err := s.Update(ctx, key, record(strings.Repeat("new contents ", 1000), "bob", time.Hour))
			ffs.set("")
			if !errors.Is(err, errInjected) {
				t.Fatalf("Update with a failing %s: err = %v, want the injected fault", step, err)
			}
			got, err := s.Read(ctx, key)
			if err != nil {
				t.Fatalf("Read after a failed Update: %v (the old record must survive)", err)
			}
			if string(got.Data) != "old contents" || got.UserID != "alice" || got.Version != 1 {
				t.Errorf("Read after a failed Update = %q, user %q, version %d; want the old record whole", got.Data, got.UserID, got.Version)
			}
			if tmp := tempFiles(t, dir); len(tmp) > 0 {
				t.Errorf("temp files left behind: %v", tmp)
			}
			// The index still lists the session under its old user.
			list, err := s.ListUser(ctx, "alice")
			if err != nil || !listed(list, key) {
				t.Errorf("ListUser(alice) after a failed Update = %v, %v; want the session listed", list, err)
			}
		})
	}
	t.Run("syncdir", func(t *testing.T) {
		// The rename happened, so the new record is in place; the error
		// says it may not be durable. Either way: whole, no temp file.
		key := storetest.RandomKey()
		if err := s.Create(ctx, key, record("old", "", time.Hour)); err != nil {
			t.Fatal(err)
		}
		ffs.set("syncdir")
		err := s.Update(ctx, key, record("new", "", time.Hour))
		ffs.set("")
		if !errors.Is(err, errInjected) {
			t.Fatalf("err = %v, want the injected fault", err)
		}
		got, err := s.Read(ctx, key)
		if err != nil || (string(got.Data) != "old" && string(got.Data) != "new") {
			t.Errorf("Read = %q, %v; want old or new contents", got.Data, err)
		}
		if tmp := tempFiles(t, dir); len(tmp) > 0 {
			t.Errorf("temp files left behind: %v", tmp)
		}
	})
}

func listed(list []store.Info, key store.Key) bool {
	for _, i := range list {
		if i.Key == key {
			return true
		}
	}
	return false
}

func TestCreateFaultLeavesNothing(t *testing.T) {
	ffs := &faultFS{}
	s, dir := newTestStore(t, func(c *config) { c.fs = ffs })
	ctx := context.Background()
	for _, step := range append(writeSteps, "link", "syncdir") {
		t.Run(step, func(t *testing.T) {
			key := storetest.RandomKey()
			ffs.set(step)
			err := s.Create(ctx, key, record("data", "", time.Hour))
			ffs.set("")
			if !errors.Is(err, errInjected) {
				t.Fatalf("Create with a failing %s: err = %v, want the injected fault", step, err)
			}
			if _, err := s.Read(ctx, key); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Read after a failed Create: %v, want ErrNotFound", err)
			}
			if tmp := tempFiles(t, dir); len(tmp) > 0 {
				t.Errorf("temp files left behind: %v", tmp)
			}
			if err := s.Create(ctx, key, record("retry", "", time.Hour)); err != nil {
				t.Errorf("Create after the fault cleared: %v", err)
			}
		})
	}
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
	if _, err := s.Reap(ctx); err != nil {
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

func TestCorruptFile(t *testing.T) {
	s, dir := newTestStore(t)
	ctx := context.Background()
	good := storetest.RandomKey()
	if err := s.Create(ctx, good, record("payload", "u", time.Hour)); err != nil {
		t.Fatal(err)
	}
	valid, err := os.ReadFile(filepath.Join(dir, good.String()))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte { b := bytes.Clone(valid); b[i] ^= 1; return b }
	version := bytes.Clone(valid)
	version[4] = 2
	cases := map[string][]byte{
		"Empty":         {},
		"Garbage":       []byte("not a session record at all, just text in a file"),
		"Truncated":     valid[:len(valid)-3],
		"HeaderOnly":    valid[:headerSize],
		"Appended":      append(bytes.Clone(valid), 'x'),
		"FlippedData":   flip(len(valid) - 6),
		"FlippedExpiry": flip(25),
		"NewerVersion":  version,
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			key := storetest.RandomKey()
			if err := os.WriteFile(filepath.Join(dir, key.String()), b, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := s.Read(ctx, key)
			if !errors.Is(err, ErrCorrupt) || errors.Is(err, store.ErrNotFound) {
				t.Errorf("Read of a %s file: %v, want an error wrapping ErrCorrupt", name, err)
			}
			if err := s.Update(ctx, key, record("x", "", time.Hour)); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Update of a %s file: %v, want an error wrapping ErrCorrupt", name, err)
			}
			if err := s.Delete(ctx, key); err != nil {
				t.Errorf("Delete of a %s file: %v", name, err)
			}
			if _, err := s.Read(ctx, key); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Read after Delete of a corrupt file: %v, want ErrNotFound", err)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	b, _ := encode(record("seed", "user", time.Hour))
	f.Add(b)
	f.Add([]byte{})
	f.Add([]byte(magic + "\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := decode(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("decode error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		again, err := encode(rec)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("decode accepted bytes that do not re-encode to themselves")
		}
	})
}

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
	if got, err := s.Reap(ctx); err != nil || got != 0 {
		t.Fatalf("Reap before anything expired = %d, %v; want 0", got, err)
	}
	clock.Advance(2 * time.Minute)
	if _, err := os.Stat(fresh); err != nil {
		t.Fatalf("a temp file younger than a minute was removed: %v", err)
	}
	got, err := s.Reap(ctx)
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
	if _, err := s.Reap(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(stale)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the stale marker's folder survived the reap: %v", err)
	}
	if list, err := s.ListUser(ctx, "bob"); err != nil || len(list) != 1 {
		t.Errorf("ListUser(bob) after the reap = %v, %v; want the session", list, err)
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
