package sqlitestore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
)

// TestMain fails the package if any goroutine (a janitor, a pool's opener)
// outlives the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func uniqueTable() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "session_test_" + hex.EncodeToString(b[:])
}

// testStore opens a store on a fresh file in t.TempDir, migrated, and a
// second handle on the same file for raw SQL. Both close when the test ends.
func testStore(t testing.TB, opts ...Option) (*Store, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sessions.db")
	raw, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = raw.Close() })
	table := uniqueTable()
	// Migrate through a store without a janitor first, so that a test's fast
	// janitor never runs before the table exists.
	m, err := New(raw, WithTable(table), WithJanitorInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	s, err := Open(path, append([]Option{WithTable(table)}, opts...)...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, raw
}

func TestConformance(t *testing.T) {
	s, _ := testStore(t)
	storetest.Run(t, s)
}

func TestMigrateIsIdempotent(t *testing.T) {
	s, _ := testStore(t)
	for i := 0; i < 2; i++ {
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatalf("Migrate again (%d): %v", i, err)
		}
	}
}

func TestOptionsAreValidated(t *testing.T) {
	db := &sql.DB{} // never used: New must fail before touching it
	bad := map[string]Option{
		"empty table":       WithTable(""),
		"injection":         WithTable(`sessions"; DROP TABLE users; --`),
		"dotted":            WithTable("main.sessions"),
		"leading digit":     WithTable("1sessions"),
		"too long":          WithTable(strings.Repeat("a", 49)),
		"negative interval": WithJanitorInterval(-time.Second),
		"zero batch":        WithBatchSize(0),
		"nil clock":         WithClock(nil),
		"nil logger":        WithLogger(nil),
	}
	for name, opt := range bad {
		if s, err := New(db, opt); err == nil {
			_ = s.Close()
			t.Errorf("%s: New succeeded, want an error", name)
		}
	}
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

func TestClockDecidesExpiry(t *testing.T) {
	clk := storetest.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	s, _ := testStore(t, WithClock(clk.Now), WithJanitorInterval(0))
	ctx := context.Background()
	key := storetest.RandomKey()
	rec := store.Record{Data: []byte("x"), Created: clk.Now(), Updated: clk.Now(), Expires: clk.Now().Add(time.Minute), UserID: "u"}
	if err := s.Create(ctx, key, rec); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute - time.Millisecond)
	if _, err := s.Read(ctx, key); err != nil {
		t.Fatalf("Read 1 ms before Expires: %v", err)
	}
	clk.Advance(time.Millisecond) // now == Expires: expired
	if _, err := s.Read(ctx, key); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Read at Expires: err = %v, want ErrNotFound", err)
	}
	if err := s.Update(ctx, key, rec); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Update at Expires: err = %v, want ErrNotFound", err)
	}
	rec.Version = 1
	if err := s.CompareAndUpdate(ctx, key, rec); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("CompareAndUpdate at Expires: err = %v, want ErrNotFound", err)
	}
	if list, err := s.ListUser(ctx, "u"); err != nil || len(list) != 0 {
		t.Fatalf("ListUser at Expires = %v, %v; want none", list, err)
	}
}

func TestVersionConflict(t *testing.T) {
	s, _ := testStore(t)
	ctx := context.Background()
	key := storetest.RandomKey()
	if err := s.Create(ctx, key, store.Record{Data: []byte("v1"), Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Read(ctx, key)
	if err != nil || got.Version != 1 {
		t.Fatalf("Read after Create: version %d, err %v; want 1", got.Version, err)
	}
	if err := s.CompareAndUpdate(ctx, key, got); err != nil {
		t.Fatalf("first CompareAndUpdate: %v", err)
	}
	if err := s.CompareAndUpdate(ctx, key, got); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second CompareAndUpdate of version 1: err = %v, want ErrConflict", err)
	}
	got.Version = 1 << 63 // beyond a signed 64-bit integer: can never match
	if err := s.CompareAndUpdate(ctx, key, got); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("CompareAndUpdate of version 2^63: err = %v, want ErrConflict", err)
	}
}

func TestDeleteExpiredInBatches(t *testing.T) {
	clk := storetest.NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	s, _ := testStore(t, WithClock(clk.Now), WithJanitorInterval(0), WithBatchSize(3))
	ctx := context.Background()
	live := storetest.RandomKey()
	for i := 0; i < 10; i++ {
		rec := store.Record{Data: []byte("old"), Expires: clk.Now().Add(time.Duration(i) * time.Second)}
		if err := s.Create(ctx, storetest.RandomKey(), rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Create(ctx, live, store.Record{Data: []byte("new"), Expires: clk.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10 * time.Second)
	n, err := s.DeleteExpired(ctx)
	if err != nil || n != 10 {
		t.Fatalf("DeleteExpired = %d, %v; want 10, nil", n, err)
	}
	if _, err := s.Read(ctx, live); err != nil {
		t.Fatalf("live record after DeleteExpired: %v", err)
	}
}

func TestJanitorRemovesExpiredAndStops(t *testing.T) {
	before := goleak.IgnoreCurrent()
	clk := storetest.NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	s, raw := testStore(t, WithClock(clk.Now), WithJanitorInterval(10*time.Millisecond), WithBatchSize(2))
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if err := s.Create(ctx, storetest.RandomKey(), store.Record{Expires: clk.Now().Add(time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(time.Hour)
	deadline := time.Now().Add(5 * time.Second)
	for {
		var n int
		if err := raw.QueryRowContext(ctx, "SELECT count(*) FROM "+s.Table()).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d expired rows still there after 5 s of a 10 ms janitor", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i := 0; i < 2; i++ { // Close is idempotent
		if err := s.Close(); err != nil {
			t.Fatalf("Close %d: %v", i, err)
		}
	}
	_ = raw.Close()
	goleak.VerifyNone(t, before)
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
	loose := uniqueTable()
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

func TestTimesBefore1970AreRefused(t *testing.T) {
	s, _ := testStore(t, WithJanitorInterval(0))
	rec := store.Record{Created: time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), Expires: time.Now().Add(time.Hour)}
	if err := s.Create(context.Background(), storetest.RandomKey(), rec); err == nil {
		t.Fatal("Create with Created in 1969 succeeded, want an error")
	}
}
