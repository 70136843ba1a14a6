package filestore

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
)

var errInjected = errors.New("injected fault")

// faultFS is osFS with one step made to fail.
type faultFS struct {
	osFS
	mu    sync.Mutex
	fail  string       // "create", "write", "shortwrite", "sync", "close", "link", "rename", "syncdir"
	syncs atomic.Int32 // SyncDir calls
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
	f.syncs.Add(1)
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
