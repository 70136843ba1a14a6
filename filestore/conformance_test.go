package filestore_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/b4f9cdbb/session/filestore"
	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
)

func TestConformance(t *testing.T) {
	dir := t.TempDir()
	// No janitor: the Maintenance subtest counts what DeleteExpired
	// deletes, which a janitor running meanwhile would take first.
	// TestJanitorRunsAndStops covers the janitor.
	s, err := filestore.New(dir, filestore.WithJanitorInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.Run(t, s, storetest.WithCorrupt(damage(dir)))
}

// damage returns a storetest.WithCorrupt function that damages the record
// file of a key the way a disk fault or a hand edit would: it truncates
// one file and overwrites the next with junk, in turn.
func damage(dir string) func(context.Context, store.Key) error {
	var n int
	return func(_ context.Context, key store.Key) error {
		path := filepath.Join(dir, key.String())
		if _, err := os.Stat(path); err != nil {
			return err
		}
		n++
		if n%2 == 1 {
			return os.Truncate(path, 10)
		}
		return os.WriteFile(path, []byte("not a session record, just junk"), 0o600)
	}
}

func TestDeleteAll(t *testing.T) {
	s, err := filestore.New(t.TempDir(), filestore.WithJanitorInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.RunDeleteAll(t, s)
}
