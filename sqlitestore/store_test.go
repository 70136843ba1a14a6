package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/b4f9cdbb/session/internal/sqlstore"
	"github.com/b4f9cdbb/session/internal/sqlstore/sqltest"
	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
)

// TestMain fails the package if any goroutine (a janitor, a pool's opener)
// outlives the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testDB returns a fresh database file in t.TempDir and a handle on it for
// raw SQL, closed when the test ends.
func testDB(t testing.TB) (path string, raw *sql.DB) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "sessions.db")
	raw, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = raw.Close() })
	return path, raw
}

// harness is the database file at path, for the shared SQL store tests:
// tables are migrated through raw and the stores under test made by Open.
func harness(path string, raw *sql.DB) sqltest.Harness[*Store, Option] {
	return sqltest.Harness[*Store, Option]{
		Dialect: dialect,
		Opt:     func(o sqlstore.Option) Option { return Option{o} },
		New:     func(opts ...Option) (*Store, error) { return New(raw, opts...) },
		Open:    func(opts ...Option) (*Store, error) { return Open(path, opts...) },
		Leaks: func(t testing.TB) func() {
			before := goleak.IgnoreCurrent()
			return func() { goleak.VerifyNone(t, before) }
		},
		// SQLite keeps any value in any column: a corrupt row can hold
		// text, a real or a blob where the schema says BIGINT.
		Damages: []sqltest.Damage{
			{Column: "version", Value: "'garbage'"},
			{Column: "expires", Value: "'junk'"}, // text sorts after every integer: "live" for ever
			{Column: "created", Value: "1.5"},
			{Column: "updated", Value: "x'00'"},
			{Column: "key", Value: "x'0102'"}, // only ListUser can meet it
		},
		TableBytes: func(ctx context.Context, _ string) (int64, error) {
			// The file holds nothing but the table under test: its used
			// pages, once the WAL is checkpointed into it.
			if _, err := raw.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
				return 0, err
			}
			var pages, free, size int64
			for pragma, v := range map[string]*int64{"page_count": &pages, "freelist_count": &free, "page_size": &size} {
				if err := raw.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(v); err != nil {
					return 0, err
				}
			}
			return (pages - free) * size, nil
		},
	}.WithDB(raw)
}

// testStore opens a store on a fresh file in t.TempDir, migrated, and a
// second handle on the same file for raw SQL. Both close when the test ends.
func testStore(t testing.TB, opts ...Option) (*Store, *sql.DB) {
	t.Helper()
	path, raw := testDB(t)
	return harness(path, raw).Store(t, opts...), raw
}

// TestSQL runs the conformance suite and the tests every SQL store shares.
func TestSQL(t *testing.T) {
	sqltest.Run(t, func(t testing.TB) sqltest.Harness[*Store, Option] { return harness(testDB(t)) })
}

func TestOptionsAreValidated(t *testing.T) {
	db := &sql.DB{} // never used: New must decide before touching it
	harness("", db).OptionsAreValidated(t)
	sqltest.SameDefaults(t, DefaultTable, DefaultJanitorInterval, DefaultBatchSize)
	if _, err := New(nil); err == nil {
		t.Error("New(nil): want an error")
	}
	for _, p := range []string{"", ":memory:"} {
		if s, err := Open(p); err == nil {
			_ = s.Close()
			t.Errorf("Open(%q) succeeded, want an error", p)
		}
	}
	path := filepath.Join(t.TempDir(), "x.db")
	if s, err := Open(path, WithTable("bad name")); err == nil {
		_ = s.Close()
		t.Error("Open with a bad table name succeeded")
	}
}

// TestOpenSettings pins the connection settings Open documents.
func TestOpenSettings(t *testing.T) {
	s, _ := testStore(t)
	ctx := context.Background()
	for pragma, want := range map[string]string{
		"journal_mode": "wal",
		"busy_timeout": "5000",
		"synchronous":  "1", // NORMAL
		"foreign_keys": "1",
	} {
		var got string
		if err := s.db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", pragma, err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
		}
	}
}

// TestOpenPathWithURICharacters: a file name with the characters URIs
// reserve is opened as that file, not parsed as a query or fragment.
func TestOpenPathWithURICharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a?b#c%20d.db")
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database file is not at %q: %v", path, err)
	}
}

// TestNullIsCorrupt: a NULL where the schema forbids one, in a table made by
// hand without the NOT NULL constraints (Migrate leaves an existing table
// alone, and SQLite cannot drop a constraint, so the shared damages cannot
// make one).
func TestNullIsCorrupt(t *testing.T) {
	_, raw := testDB(t)
	ctx := context.Background()
	loose := sqltest.UniqueTable()
	if _, err := raw.ExecContext(ctx, `CREATE TABLE `+loose+` ("key" BLOB PRIMARY KEY, data BLOB,
		created BIGINT, updated BIGINT, expires BIGINT, user_id TEXT, version BIGINT)`); err != nil {
		t.Fatal(err)
	}
	s, err := New(raw, WithTable(loose), WithJanitorInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	key := storetest.RandomKey()
	if _, err := raw.ExecContext(ctx, "INSERT INTO "+loose+` ("key", data, created, updated, expires, user_id, version)
		VALUES (?, NULL, 0, NULL, ?, 'u', 1)`, key[:], time.Now().Add(time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(ctx, key); !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("Read with NULL updated: err = %v, want store.ErrCorrupt", err)
	}
	if n, err := s.DeleteUser(ctx, "u"); err != nil || n != 0 {
		t.Errorf("DeleteUser = %d, %v; want 0 (the row is corrupt)", n, err)
	}
	if _, err := s.Read(ctx, key); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Read after DeleteUser: err = %v, want store.ErrNotFound", err)
	}
}
