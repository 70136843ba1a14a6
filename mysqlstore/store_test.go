package mysqlstore

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"go.uber.org/goleak"

	"github.com/b4f9cdbb/session/internal/sqlstore"
	"github.com/b4f9cdbb/session/internal/sqlstore/sqltest"
	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
)

// TestMain fails the package if any goroutine (a janitor, a db's worker)
// outlives the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const dsnEnv = "SESSION_TEST_MYSQL_DSN"

// testDB connects to the server named by SESSION_TEST_MYSQL_DSN, or skips
// the test when it is unset.
func testDB(t testing.TB) *sql.DB {
	t.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		t.Skipf("%s is not set; set it to a go-sql-driver DSN such as root@tcp(127.0.0.1:3306)/test to run this test", dsnEnv)
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("%s: %v", dsnEnv, err)
	}
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// harness is the test database behind db, for the shared SQL store tests.
func harness(db *sql.DB) sqltest.Harness[*Store, Option] {
	return sqltest.Harness[*Store, Option]{
		Dialect: dialect,
		Opt:     func(o sqlstore.Option) Option { return Option{o} },
		New:     func(opts ...Option) (*Store, error) { return New(db, opts...) },
		Drop:    true,
		Leaks: func(t testing.TB) func() {
			before := goleak.IgnoreCurrent()
			// Connections the pool opened meanwhile each have a watcher
			// goroutine until the db is closed (TestMain checks that); the
			// janitor must be gone.
			return func() {
				goleak.VerifyNone(t, before, goleak.IgnoreAnyFunction("github.com/go-sql-driver/mysql.(*mysqlConn).startWatcher.func1"))
			}
		},
		Damages: []sqltest.Damage{
			{Column: "updated", Value: "NULL", Before: "ALTER TABLE {t} MODIFY `updated` BIGINT NULL"},
			{Column: "version", Value: "NULL", Before: "ALTER TABLE {t} MODIFY `version` BIGINT NULL"},
		},
		TableBytes: func(ctx context.Context, table string) (n int64, err error) {
			// The sizes in information_schema are InnoDB's statistics:
			// ANALYZE TABLE brings them up to date.
			rows, err := db.QueryContext(ctx, "ANALYZE TABLE "+table)
			if err != nil {
				return 0, err
			}
			_ = rows.Close()
			err = db.QueryRowContext(ctx, `SELECT data_length + index_length FROM information_schema.tables
				WHERE table_schema = DATABASE() AND table_name = ?`, strings.Trim(table, "`")).Scan(&n)
			return n, err
		},
	}.WithDB(db)
}

// testStore returns a migrated store on a fresh table that is dropped when
// the test ends.
func testStore(t testing.TB, db *sql.DB, opts ...Option) *Store {
	t.Helper()
	return harness(db).Store(t, opts...)
}

// TestSQL runs the conformance suite and the tests every SQL store shares.
func TestSQL(t *testing.T) {
	sqltest.Run(t, func(t testing.TB) sqltest.Harness[*Store, Option] { return harness(testDB(t)) })
}

func TestOptionsAreValidated(t *testing.T) {
	db := &sql.DB{} // never used: New must decide before touching it
	harness(db).OptionsAreValidated(t)
	sqltest.SameDefaults(t, DefaultTable, DefaultJanitorInterval, DefaultBatchSize)
	if _, err := New(nil); err == nil {
		t.Error("New(nil): want an error")
	}
}

func TestLongUserIDIsRefused(t *testing.T) {
	s := testStore(t, testDB(t), WithJanitorInterval(0))
	rec := store.Record{Expires: time.Now().Add(time.Hour), UserID: strings.Repeat("u", MaxUserIDLen+1)}
	if err := s.Create(context.Background(), storetest.RandomKey(), rec); err == nil {
		t.Fatal("Create with a 256-byte user ID succeeded, want an error")
	}
}

func TestUserIDIsCaseSensitive(t *testing.T) {
	s := testStore(t, testDB(t), WithJanitorInterval(0))
	ctx := context.Background()
	if err := s.Create(ctx, storetest.RandomKey(), store.Record{Expires: time.Now().Add(time.Hour), UserID: "Alice"}); err != nil {
		t.Fatal(err)
	}
	if list, err := s.ListUser(ctx, "alice"); err != nil || len(list) != 0 {
		t.Fatalf(`ListUser("alice") = %v, %v; want none (only "Alice" has a session)`, list, err)
	}
}
