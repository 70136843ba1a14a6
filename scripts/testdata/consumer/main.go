// Command consumer is an application that depends on the released modules,
// nothing else of the repository: scripts/consumer-check.sh copies it into a
// module outside the repository and builds it against the modules as a
// release publishes them. For every storage it commits a session in one
// request and reads it back in a second one, with the cookie of the first.
//
// The database stores use the servers named by SESSION_TEST_REDIS_ADDR,
// SESSION_TEST_POSTGRES_DSN and SESSION_TEST_MYSQL_DSN, and are skipped
// (with a message) when the variable is unset.
package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/filestore"
	"github.com/b4f9cdbb/session/memstore"
	"github.com/b4f9cdbb/session/mysqlstore"
	"github.com/b4f9cdbb/session/pgstore"
	"github.com/b4f9cdbb/session/redisstore"
	"github.com/b4f9cdbb/session/sqlitestore"
	"github.com/b4f9cdbb/session/store"
	_ "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

type data struct {
	Count int `json:"count"`
}

var config = session.Config[data]{
	Cookie: session.CookieOptions{Secrets: []string{"consumer-check secret, 32 bytes or more, random enough"}},
}

func main() { os.Exit(run()) }

func run() int {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "consumer")
	if err != nil {
		fmt.Println("FAIL:", err)
		return 1
	}
	defer os.RemoveAll(dir)

	failed := 0
	check := func(name string, sessions *session.Storage[data], err error) {
		if err == nil {
			err = roundTrip(ctx, sessions)
		}
		if err != nil {
			failed++
			fmt.Printf("FAIL %s: %v\n", name, err)
			return
		}
		fmt.Printf("ok   %s\n", name)
	}

	sessions, err := session.NewCookieStorage(config)
	check("cookie", sessions, err)

	sessions, err = session.NewStorage(memstore.New(), config)
	check("memstore", sessions, err)

	files, err := filestore.New(filepath.Join(dir, "sessions"))
	if err == nil {
		defer files.Close()
		sessions, err = session.NewStorage(files, config)
	}
	check("filestore", sessions, err)

	lite, err := sqlitestore.Open(filepath.Join(dir, "sessions.db"))
	if err == nil {
		defer lite.Close()
		sessions, err = withTable(ctx, lite)
	}
	check("sqlitestore", sessions, err)

	if addr := getenv("SESSION_TEST_REDIS_ADDR", "redisstore"); addr != "" {
		client := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
		rs, err := redisstore.New(client, redisstore.WithPrefix("consumer-check:"))
		if err == nil {
			sessions, err = session.NewStorage(rs, config)
		}
		check("redisstore", sessions, err)
	}

	if dsn := getenv("SESSION_TEST_POSTGRES_DSN", "pgstore"); dsn != "" {
		pool, err := pgxpool.New(ctx, dsn)
		var pg *pgstore.Store
		if err == nil {
			pg, err = pgstore.New(pool)
		}
		if err == nil {
			sessions, err = withTable(ctx, pg)
		}
		check("pgstore", sessions, err)
	}

	if dsn := getenv("SESSION_TEST_MYSQL_DSN", "mysqlstore"); dsn != "" {
		db, err := sql.Open("mysql", dsn)
		var my *mysqlstore.Store
		if err == nil {
			my, err = mysqlstore.New(db)
		}
		if err == nil {
			sessions, err = withTable(ctx, my)
		}
		check("mysqlstore", sessions, err)
	}

	if failed > 0 {
		fmt.Printf("%d storages failed\n", failed)
		return 1
	}
	return 0
}

// getenv returns the environment variable name, saying that the store is
// skipped when it is unset.
func getenv(name, store string) string {
	v := os.Getenv(name)
	if v == "" {
		fmt.Printf("skip %s: %s is not set\n", store, name)
	}
	return v
}

// withTable creates the store's table and makes a storage on the store.
func withTable(ctx context.Context, st interface {
	store.Store
	Migrate(context.Context) error
}) (*session.Storage[data], error) {
	if err := st.Migrate(ctx); err != nil {
		return nil, err
	}
	return session.NewStorage(st, config)
}

// roundTrip commits a session in one request, reads it back in a second
// request that sends the first one's cookie, and destroys it.
func roundTrip(ctx context.Context, sessions *session.Storage[data]) error {
	w := httptest.NewRecorder()
	s, err := sessions.Get(httptest.NewRequest("GET", "/", nil))
	if err != nil {
		return fmt.Errorf("first request: %w", err)
	}
	s.Update(func(d *data) { d.Count = 42 })
	if err := sessions.Commit(ctx, w, s); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	cookies := w.Result().Cookies()
	if len(cookies) != 1 {
		return fmt.Errorf("commit set %d cookies, want 1", len(cookies))
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(cookies[0])
	again, err := sessions.Get(r)
	if err != nil {
		return fmt.Errorf("second request: %w", err)
	}
	if again.IsNew() || again.Get().Count != 42 {
		return fmt.Errorf("second request got a new=%v session with count %d, want the committed one with 42", again.IsNew(), again.Get().Count)
	}
	return sessions.Destroy(ctx, httptest.NewRecorder(), again)
}
