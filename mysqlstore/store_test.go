package mysqlstore

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"go.uber.org/goleak"

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
		New:  func(opts ...Option) (*Store, error) { return New(db, opts...) },
		Drop: true,
		Leaks: func(t testing.TB) func() {
			before := goleak.IgnoreCurrent()
			// Connections the pool opened meanwhile each have a watcher
			// goroutine until the db is closed (TestMain checks that); the
			// janitor must be gone.
			return func() {
				goleak.VerifyNone(t, before, goleak.IgnoreAnyFunction("github.com/go-sql-driver/mysql.(*mysqlConn).startWatcher.func1"))
			}
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
	db := &sql.DB{} // never used: New must fail before touching it
	sqltest.OptionsAreValidated(t, func(opts ...Option) (*Store, error) { return New(db, opts...) })
	if _, err := New(nil); err == nil {
		t.Error("New(nil): want an error")
	}
}

func TestCorruptRowsGiveErrCorrupt(t *testing.T) {
	db := testDB(t)
	s := testStore(t, db, WithJanitorInterval(0))
	ctx := context.Background()
	future := time.Now().Add(time.Hour).UnixMilli()
	insert := "INSERT INTO " + s.Table() + " (`key`, `data`, `created`, `updated`, `expires`, `user_id`, `version`) VALUES (?, '', ?, ?, ?, 'corrupt', ?)"
	cases := []struct {
		name                               string
		created, updated, expires, version any
	}{
		{"negative created", -5, 0, future, 1},
		{"version zero", 1, 0, future, 0},
		{"negative version", 1, 0, future, -7},
		{"NULL updated", 1, nil, future, 1}, // after the ALTER below
	}
	for _, c := range cases {
		if c.updated == nil {
			if _, err := db.ExecContext(ctx, "ALTER TABLE "+s.Table()+" MODIFY `updated` BIGINT NULL"); err != nil {
				t.Fatal(err)
			}
		}
		key := storetest.RandomKey()
		if _, err := db.ExecContext(ctx, insert, key[:], c.created, c.updated, c.expires, c.version); err != nil {
			t.Fatalf("%s: insert: %v", c.name, err)
		}
		if _, err := s.Read(ctx, key); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Read: err = %v, want ErrCorrupt", c.name, err)
		}
		if _, err := s.ListUser(ctx, "corrupt"); !errors.Is(err, ErrCorrupt) && c.name == "negative created" {
			t.Errorf("%s: ListUser: err = %v, want ErrCorrupt", c.name, err)
		}
		if _, err := db.ExecContext(ctx, "DELETE FROM "+s.Table()+" WHERE `key` = ?", key[:]); err != nil {
			t.Fatal(err)
		}
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
