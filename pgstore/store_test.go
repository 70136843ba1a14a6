package pgstore

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/b4f9cdbb/session/internal/sqlstore/sqltest"
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

// harness is the test database behind pool, for the shared SQL store tests.
func harness(pool *pgxpool.Pool) sqltest.Harness[*Store, Option] {
	return sqltest.Harness[*Store, Option]{
		New: func(opts ...Option) (*Store, error) { return New(pool, opts...) },
		Exec: func(ctx context.Context, query string, args ...any) error {
			_, err := pool.Exec(ctx, query, args...)
			return err
		},
		QueryInt: func(ctx context.Context, query string) (n int, err error) {
			err = pool.QueryRow(ctx, query).Scan(&n)
			return n, err
		},
		Drop: true,
		Leaks: func(t testing.TB) func() {
			before := goleak.IgnoreCurrent()
			return func() { goleak.VerifyNone(t, before) }
		},
	}
}

// testStore returns a migrated store on a fresh table that is dropped when
// the test ends.
func testStore(t testing.TB, pool *pgxpool.Pool, opts ...Option) *Store {
	t.Helper()
	return harness(pool).Store(t, opts...)
}

// TestSQL runs the conformance suite and the tests every SQL store shares.
func TestSQL(t *testing.T) {
	sqltest.Run(t, func(t testing.TB) sqltest.Harness[*Store, Option] { return harness(testPool(t)) })
}

func TestOptionsAreValidated(t *testing.T) {
	pool := &pgxpool.Pool{} // never used: New must fail before touching it
	sqltest.OptionsAreValidated(t, func(opts ...Option) (*Store, error) { return New(pool, opts...) })
	if _, err := New(nil); err == nil {
		t.Error("New(nil): want an error")
	}
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
