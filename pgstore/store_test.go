package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
)

// TestMain fails the package if any goroutine (a janitor, a pool's worker)
// outlives the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const dsnEnv = "SESSION_TEST_POSTGRES_DSN"

// testPool connects to the server named by SESSION_TEST_POSTGRES_DSN, or
// skips the test when it is unset.
func testPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		t.Skipf("%s is not set; set it to a PostgreSQL URL such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run this test", dsnEnv)
	}
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatalf("pgxpool.New: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// uniqueTable returns a table name no other test run uses, so that parallel
// runs against one server never see each other's rows.
func uniqueTable() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "session_test_" + hex.EncodeToString(b[:])
}

// testStore returns a migrated store on a fresh table that is dropped when
// the test ends.
func testStore(t testing.TB, pool *pgxpool.Pool, opts ...Option) *Store {
	t.Helper()
	table := uniqueTable()
	// Migrate through a store without a janitor first, so that a test's fast
	// janitor never runs before the table exists.
	m, err := New(pool, WithTable(table), WithJanitorInterval(0))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if _, err := pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+m.Table()); err != nil {
			t.Errorf("drop %s: %v", table, err)
		}
	})
	if err := m.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	s, err := New(pool, append([]Option{WithTable(table)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, testStore(t, testPool(t)))
}

func TestMigrateIsIdempotent(t *testing.T) {
	s := testStore(t, testPool(t))
	for i := 0; i < 2; i++ {
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatalf("Migrate again (%d): %v", i, err)
		}
	}
}

func TestOptionsAreValidated(t *testing.T) {
	pool := &pgxpool.Pool{} // never used: New must fail before touching it
	bad := map[string]Option{
		"empty table":       WithTable(""),
		"injection":         WithTable(`sessions"; DROP TABLE users; --`),
		"dotted":            WithTable("public.sessions"),
		"leading digit":     WithTable("1sessions"),
		"too long":          WithTable(strings.Repeat("a", 49)),
		"negative interval": WithJanitorInterval(-time.Second),
		"zero batch":        WithBatchSize(0),
		"nil clock":         WithClock(nil),
		"nil logger":        WithLogger(nil),
	}
	for name, opt := range bad {
		if s, err := New(pool, opt); err == nil {
			_ = s.Close()
			t.Errorf("%s: New succeeded, want an error", name)
		}
	}
	if _, err := New(nil); err == nil {
		t.Error("New(nil): want an error")
	}
}

func TestClockDecidesExpiry(t *testing.T) {
	clk := storetest.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	s := testStore(t, testPool(t), WithClock(clk.Now), WithJanitorInterval(0))
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
	s := testStore(t, testPool(t))
	ctx := context.Background()
	key := storetest.RandomKey()
	rec := store.Record{Data: []byte("v1"), Expires: time.Now().Add(time.Hour)}
	if err := s.Create(ctx, key, rec); err != nil {
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
	got.Version = 1 << 63 // beyond BIGINT: can never match
	if err := s.CompareAndUpdate(ctx, key, got); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("CompareAndUpdate of version 2^63: err = %v, want ErrConflict", err)
	}
}

func TestDeleteExpiredInBatches(t *testing.T) {
	clk := storetest.NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	s := testStore(t, testPool(t), WithClock(clk.Now), WithJanitorInterval(0), WithBatchSize(3))
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
	pool := testPool(t)
	before := goleak.IgnoreCurrent()
	clk := storetest.NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	s := testStore(t, pool, WithClock(clk.Now), WithJanitorInterval(10*time.Millisecond), WithBatchSize(2))
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
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+s.Table()).Scan(&n); err != nil {
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
	goleak.VerifyNone(t, before)
}

func TestCorruptRowsGiveErrCorrupt(t *testing.T) {
	pool := testPool(t)
	s := testStore(t, pool, WithJanitorInterval(0))
	ctx := context.Background()
	future := time.Now().Add(time.Hour).UnixMilli()
	cases := []struct {
		name                      string
		created, expires, version int64
	}{
		{"negative created", -5, future, 1},
		{"version zero", 1, future, 0},
		{"negative version", 1, future, -7},
	}
	for _, c := range cases {
		key := storetest.RandomKey()
		_, err := pool.Exec(ctx, "INSERT INTO "+s.Table()+` (key, data, created, updated, expires, user_id, version)
			VALUES ($1, '', $2, 0, $3, 'corrupt', $4)`, key[:], c.created, c.expires, c.version)
		if err != nil {
			t.Fatalf("%s: insert: %v", c.name, err)
		}
		if _, err := s.Read(ctx, key); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Read: err = %v, want ErrCorrupt", c.name, err)
		}
		if _, err := pool.Exec(ctx, "DELETE FROM "+s.Table()+" WHERE key = $1", key[:]); err != nil {
			t.Fatal(err)
		}
	}
	// A key that is not 32 bytes can only reach a caller through ListUser.
	if _, err := pool.Exec(ctx, "INSERT INTO "+s.Table()+` (key, data, created, updated, expires, user_id)
		VALUES ('\x0102', '', 0, 0, $1, 'corrupt')`, future); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListUser(ctx, "corrupt"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("ListUser with a 2-byte key: err = %v, want ErrCorrupt", err)
	}
	// A NULL where the schema forbids one (a table someone altered).
	if _, err := pool.Exec(ctx, "ALTER TABLE "+s.Table()+" ALTER COLUMN updated DROP NOT NULL"); err != nil {
		t.Fatal(err)
	}
	key := storetest.RandomKey()
	if _, err := pool.Exec(ctx, "INSERT INTO "+s.Table()+` (key, data, created, updated, expires)
		VALUES ($1, '', 0, NULL, $2)`, key[:], future); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(ctx, key); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Read with NULL updated: err = %v, want ErrCorrupt", err)
	}
}

func TestTimesBefore1970AreRefused(t *testing.T) {
	s := testStore(t, testPool(t), WithJanitorInterval(0))
	rec := store.Record{Created: time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), Expires: time.Now().Add(time.Hour)}
	if err := s.Create(context.Background(), storetest.RandomKey(), rec); err == nil {
		t.Fatal("Create with Created in 1969 succeeded, want an error")
	}
}
