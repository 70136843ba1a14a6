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

	"github.com/b4f9cdbb/session/internal/sqlstore/sqltest"
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
		New:  func(opts ...Option) (*Store, error) { return New(raw, opts...) },
		Open: func(opts ...Option) (*Store, error) { return Open(path, opts...) },
		Leaks: func(t testing.TB) func() {
			before := goleak.IgnoreCurrent()
			return func() { goleak.VerifyNone(t, before) }
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
	db := &sql.DB{} // never used: New must fail before touching it
	sqltest.OptionsAreValidated(t, func(opts ...Option) (*Store, error) { return New(db, opts...) })
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

func TestCorruptRowsGiveErrCorrupt(t *testing.T) {
	s, raw := testStore(t, WithJanitorInterval(0))
	ctx := context.Background()
	future := time.Now().Add(time.Hour).UnixMilli()
	insert := func(table string, key []byte, created, updated, version any) {
		t.Helper()
		_, err := raw.ExecContext(ctx, "INSERT INTO "+table+` ("key", data, created, updated, expires, user_id, version)
			VALUES (?, x'', ?, ?, ?, 'corrupt', ?)`, key, created, updated, future, version)
		if err != nil {
			t.Fatalf("insert: %v", err)
		}
	}
	cases := []struct {
		name             string
		created, version any
	}{
		{"negative created", -5, 1},
		{"version zero", 1, 0},
		{"negative version", 1, -7},
		{"text in an integer column", 1, "garbage"}, // SQLite's flexible typing lets it in
	}
	for _, c := range cases {
		key := storetest.RandomKey()
		insert(s.Table(), key[:], c.created, 0, c.version)
		if _, err := s.Read(ctx, key); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Read: err = %v, want ErrCorrupt", c.name, err)
		}
		if _, err := raw.ExecContext(ctx, "DELETE FROM "+s.Table()+` WHERE "key" = ?`, key[:]); err != nil {
			t.Fatal(err)
		}
	}
	// A key that is not 32 bytes can only reach a caller through ListUser.
	insert(s.Table(), []byte{1, 2}, 0, 0, 1)
	if _, err := s.ListUser(ctx, "corrupt"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("ListUser with a 2-byte key: err = %v, want ErrCorrupt", err)
	}
	// A NULL where the schema forbids one: a table made by hand without
	// the NOT NULL constraints (Migrate leaves an existing table alone).
	loose := sqltest.UniqueTable()
	if _, err := raw.ExecContext(ctx, `CREATE TABLE `+loose+` ("key" BLOB PRIMARY KEY, data BLOB,
		created BIGINT, updated BIGINT, expires BIGINT, user_id TEXT, version BIGINT)`); err != nil {
		t.Fatal(err)
	}
	ls, err := New(raw, WithTable(loose), WithJanitorInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	key := storetest.RandomKey()
	insert(ls.Table(), key[:], 0, nil, 1)
	if _, err := ls.Read(ctx, key); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Read with NULL updated: err = %v, want ErrCorrupt", err)
	}
}
