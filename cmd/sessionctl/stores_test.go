package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/b4f9cdbb/session/filestore"
	"github.com/b4f9cdbb/session/mysqlstore"
	"github.com/b4f9cdbb/session/pgstore"
	"github.com/b4f9cdbb/session/redisstore"
	"github.com/b4f9cdbb/session/sqlitestore"
	"github.com/b4f9cdbb/session/store"
)

// storeCase is one backend: the flags that point sessionctl at it, and the
// test's own store on the same data, to seed sessions and check them.
type storeCase struct {
	flags []string
	st    store.Store
}

// storeCases returns a case per store: file and sqlite in temporary
// folders, the servers on a private table or key prefix (so that
// revoke-all never touches another test's sessions) when their
// SESSION_TEST_* variable is set.
func storeCases() map[string]func(t *testing.T) storeCase {
	return map[string]func(t *testing.T) storeCase{
		"file":     fileCase,
		"sqlite":   sqliteCase,
		"redis":    redisCase,
		"postgres": postgresCase,
		"mysql":    mysqlCase,
	}
}

func fileCase(t *testing.T) storeCase {
	dir := filepath.Join(t.TempDir(), "sessions")
	s, err := filestore.New(dir, filestore.WithJanitorInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return storeCase{[]string{"-store", "file", "-dsn", dir}, s}
}

func sqliteCase(t *testing.T) storeCase {
	path := filepath.Join(t.TempDir(), "sessions.sqlite")
	s, err := sqlitestore.Open(path, sqlitestore.WithJanitorInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The default table: sessionctl finds it without -table.
	return storeCase{[]string{"-store", "sqlite", "-dsn", path}, s}
}

// serverEnv returns the variable's value, or skips the test.
func serverEnv(t *testing.T, name, example string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Skipf("%s is not set; set it (e.g. %s) to run sessionctl against that server", name, example)
	}
	return v
}

func redisCase(t *testing.T) storeCase {
	addr := serverEnv(t, "SESSION_TEST_REDIS_ADDR", "127.0.0.1:6379")
	client := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
	prefix := unique("sessionctl-test-") + ":"
	s, err := redisstore.New(client, redisstore.WithPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.DeleteAll(context.Background())
		client.Close()
	})
	return storeCase{[]string{"-store", "redis", "-dsn", "redis://" + addr + "/0", "-prefix", prefix}, s}
}

func postgresCase(t *testing.T) storeCase {
	dsn := serverEnv(t, "SESSION_TEST_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	table := unique("sessionctl_")
	s, err := pgstore.New(pool, pgstore.WithTable(table), pgstore.WithJanitorInterval(0))
	exec := func(q string) error { _, err := pool.Exec(context.Background(), q); return err }
	return privateTable(t, "postgres", dsn, table, s, err, exec, pool.Close)
}

func mysqlCase(t *testing.T) storeCase {
	dsn := serverEnv(t, "SESSION_TEST_MYSQL_DSN", "root@tcp(127.0.0.1:3306)/test")
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	table := unique("sessionctl_")
	s, err := mysqlstore.New(db, mysqlstore.WithTable(table), mysqlstore.WithJanitorInterval(0))
	exec := func(q string) error { _, err := db.Exec(q); return err }
	return privateTable(t, "mysql", dsn, table, s, err, exec, func() { db.Close() })
}

// sqlStore is what the SQL stores have in common.
type sqlStore interface {
	store.Store
	Migrate(context.Context) error
	Table() string
	Close() error
}

// privateTable creates the store's table, which the test drops when it
// ends, and returns the case; s and err are New's results.
func privateTable(t *testing.T, name, dsn, table string, s sqlStore, err error, exec func(string) error, closeDB func()) storeCase {
	if err != nil {
		closeDB()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		if err := exec("DROP TABLE IF EXISTS " + s.Table()); err != nil {
			t.Errorf("dropping the test table: %v", err)
		}
		closeDB()
	})
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return storeCase{[]string{"-store", name, "-dsn", dsn, "-table", table}, s}
}

// TestStoreCommands runs every store command against every store, on
// sessions made by a real session.Storage with Config.UserID.
func TestStoreCommands(t *testing.T) {
	t.Setenv("SESSION_SECRETS", secret1)
	for name, open := range storeCases() {
		t.Run(name, func(t *testing.T) {
			c := open(t)
			cmd := func(stdin string, args ...string) result {
				return sessionctl(t, strings.NewReader(stdin), append(args, c.flags...)...)
			}
			sessions := newStorage(t, c.st, time.Now, []string{secret1})
			a1, a2 := mint(t, sessions, "alice"), mint(t, sessions, "alice")
			bob := mint(t, sessions, "bob")
			// Carol's session expired a day ago: not counted, not listed,
			// deleted by purge.
			past := newStorage(t, c.st, func() time.Time { return time.Now().Add(-48 * time.Hour) }, []string{secret1})
			mint(t, past, "carol")

			cmd("", "count").want(t, exitOK)
			if r := cmd("", "count"); r.stdout != "3\n" {
				t.Fatalf("count printed %q, want 3", r.stdout)
			}
			r := cmd("", "list", "alice")
			r.want(t, exitOK, "KEY", "CREATED", "LAST WRITTEN", "EXPIRES", a1.key.String(), a2.key.String())
			if strings.Contains(r.stdout, bob.key.String()) || strings.Count(r.stdout, "\n") != 3 {
				t.Fatalf("list alice: want a header and alice's two sessions:\n%s", r.stdout)
			}
			if strings.Contains(r.stdout, a1.id) {
				t.Fatal("list printed a session ID")
			}
			cmd("", "list", "carol").want(t, exitOK, `user "carol" has no live sessions`)

			// inspect looks the session up in the store.
			cmd("", "inspect", a1.value).want(t, exitOK, "store key   "+a1.key.String(), "record      found in the "+name+" store", `user      "alice"`, `"user": "alice"`, "verdict     accepted")

			cmd("", "revoke", "alice").want(t, exitOK, `revoked 2 sessions of user "alice"`)
			cmd("", "list", "alice").want(t, exitOK, `user "alice" has no live sessions`)
			cmd("", "revoke", "alice").want(t, exitOK, `revoked 0 sessions of user "alice"`)
			cmd("", "inspect", a1.value).want(t, exitRefused, "refused: no record")
			cmd("", "list", "bob").want(t, exitOK, bob.key.String())

			if name == "redis" {
				cmd("", "purge").want(t, exitOK, "deleted 0 expired records: the redis store expires records by itself")
			} else {
				cmd("", "purge").want(t, exitOK, "deleted 1 expired record\n")
				cmd("", "purge").want(t, exitOK, "deleted 0 expired records\n")
			}

			// revoke-all needs a confirmation: stdin is no terminal here.
			cmd("yes\n", "revoke-all").want(t, exitUsage, "pass -yes")
			cmd("", "count").want(t, exitOK, "1\n")
			cmd("", "revoke-all", "-yes").want(t, exitOK, "revoked 1 session: every user is signed out")
			cmd("", "count").want(t, exitOK, "0\n")
			cmd("", "list", "bob").want(t, exitOK, `user "bob" has no live sessions`)
		})
	}
}

// TestStoreFlags checks the store flags' errors: each says what to do and
// exits with the code of its kind.
func TestStoreFlags(t *testing.T) {
	dir := t.TempDir()
	sq := sqliteCase(t)
	sqlitePath := sq.flags[3]
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"count"}, exitUsage, "-store is required"},
		{[]string{"count", "-store", "memory"}, exitUsage, "lives inside the application's process"},
		{[]string{"count", "-store", "cookie"}, exitUsage, "replace every secret in SESSION_SECRETS"},
		{[]string{"count", "-store", "mongo"}, exitUsage, `-store "mongo": want one of`},
		{[]string{"count", "-store", "redis", "-table", "t"}, exitUsage, "-table applies to the [sqlite postgres mysql] stores"},
		{[]string{"count", "-store", "file", "-dsn", dir, "-prefix", "p:"}, exitUsage, "-prefix applies to -store redis"},
		{[]string{"count", "-store", "redis", "-dsn", "http://x"}, exitUsage, "-dsn for redis"},
		{[]string{"count", "-store", "redis", "-prefix", "a{b}"}, exitUsage, "hash tags"},
		{[]string{"count", "-store", "postgres", "-dsn", "postgres://x:notaport/db"}, exitUsage, "-dsn for postgres"},
		{[]string{"count", "-store", "mysql", "-dsn", "no-slash"}, exitUsage, "-dsn for mysql"},
		{[]string{"count", "-store", "sqlite", "-dsn", sqlitePath, "-table", "a-b"}, exitUsage, "not a plain identifier"},
		{[]string{"count", "-store", "file", "-dsn", filepath.Join(dir, "nope")}, exitFailed, "does not exist; pass -dsn with the application's session folder"},
		{[]string{"count", "-store", "sqlite", "-dsn", filepath.Join(dir, "nope.sqlite")}, exitFailed, "does not exist; pass -dsn with the application's session database file"},
		{[]string{"count", "-store", "sqlite", "-dsn", dir}, exitFailed, "is a folder"},
		{[]string{"count", "-store", "sqlite", "-dsn", sqlitePath, "-table", "other"}, exitFailed, "check -dsn and -table"},
		{[]string{"count", "-store", "redis", "-dsn", "redis://127.0.0.1:1/0"}, exitFailed, "cannot use the redis store at 127.0.0.1:1/0"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			sessionctl(t, nil, tc.args...).want(t, tc.code, tc.want)
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "nope")); err == nil {
		t.Error("sessionctl created the missing store folder")
	}
	if _, err := os.Stat(filepath.Join(dir, "nope.sqlite")); err == nil {
		t.Error("sessionctl created the missing database file")
	}
}

// TestPasswordNotPrinted: a DSN's password never reaches the output.
func TestPasswordNotPrinted(t *testing.T) {
	for _, args := range [][]string{
		{"-store", "postgres", "-dsn", "postgres://u:hunter2secret@127.0.0.1:1/db?connect_timeout=2"},
		{"-store", "mysql", "-dsn", "u:hunter2secret@tcp(127.0.0.1:1)/db?timeout=2s"},
		{"-store", "redis", "-dsn", "redis://u:hunter2secret@127.0.0.1:1/0"},
	} {
		r := sessionctl(t, nil, append([]string{"count"}, args...)...)
		r.want(t, exitFailed, "cannot use the")
		if strings.Contains(r.stdout+r.stderr, "hunter2") {
			t.Errorf("%v: the password was printed: %s", args, r.stderr)
		}
	}
}
