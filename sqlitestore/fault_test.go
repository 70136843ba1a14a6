package sqlitestore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/b4f9cdbb/session/internal/sqlstore/sqltest"
	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
)

// TestStoreDown: a database that cannot be opened is an error from Open,
// and a store whose database is gone gives an error from every method,
// never a panic and never a contract sentinel that would be mistaken for an
// answer (ErrNotFound would log the user out).
func TestStoreDown(t *testing.T) {
	dir := t.TempDir()
	for _, path := range []string{filepath.Join(dir, "missing", "s.db"), dir} {
		if s, err := Open(path); err == nil {
			_ = s.Close()
			t.Errorf("Open(%q) succeeded, want an error", path)
		} else {
			t.Logf("Open(%q): %v", path, err)
		}
	}

	s, _ := testStore(t)
	if err := s.db.Close(); err != nil { // the database goes away under the store
		t.Fatal(err)
	}
	sqltest.AllFail(t, context.Background(), s, "on a closed database")

	// A file that is not a database.
	junk := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(junk, []byte("this is not a SQLite database, just garbage bytes"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(junk); err == nil {
		err = s.Migrate(context.Background())
		_ = s.Close()
		if err == nil {
			t.Error("Open and Migrate of a garbage file succeeded, want an error")
		}
	}
}

// TestSlowStoreDeadline: while another connection holds the write lock, a
// write waits (busy_timeout is 5 s), but a 100 ms deadline ends the wait
// promptly with context.DeadlineExceeded and leaves no goroutine behind.
func TestSlowStoreDeadline(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // runs after every other cleanup
	s, raw := testStore(t)
	bg := context.Background()
	conn, err := raw.Conn(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(bg, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = conn.ExecContext(bg, "ROLLBACK") }()

	ctx, cancel := context.WithTimeout(bg, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Create(ctx, storetest.RandomKey(), store.Record{Expires: time.Now().Add(time.Hour)})
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Create while the write lock is held: err = %v, want context.DeadlineExceeded", err)
	}
	if took > time.Second {
		t.Errorf("Create while the write lock is held took %v with a 100 ms deadline", took)
	}
	sqltest.AllDeadline(t, ctx, s) // ctx is dead by now: each returns at once
}
