package pgstore

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/b4f9cdbb/session/internal/sqlstore"
	"github.com/b4f9cdbb/session/internal/sqlstore/sqltest"
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
		Dialect: dialect,
		Opt:     func(o sqlstore.Option) Option { return Option{o} },
		New:     func(opts ...Option) (*Store, error) { return New(pool, opts...) },
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
		Damages: []sqltest.Damage{
			{Column: "key", Value: `'\x0102'::bytea`}, // only ListUser can meet it
			{Column: "updated", Value: "NULL", Before: "ALTER TABLE {t} ALTER COLUMN updated DROP NOT NULL"},
			{Column: "version", Value: "NULL", Before: "ALTER TABLE {t} ALTER COLUMN version DROP NOT NULL"},
		},
		TableBytes: func(ctx context.Context, table string) (n int64, err error) {
			err = pool.QueryRow(ctx, "SELECT pg_total_relation_size($1::regclass)", table).Scan(&n)
			return n, err
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
	pool := &pgxpool.Pool{} // never used: New must decide before touching it
	harness(pool).OptionsAreValidated(t)
	sqltest.SameDefaults(t, DefaultTable, DefaultJanitorInterval, DefaultBatchSize)
	if _, err := New(nil); err == nil {
		t.Error("New(nil): want an error")
	}
}
