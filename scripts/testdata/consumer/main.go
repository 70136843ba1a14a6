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

func main() {
	ctx := context.Background()
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

	mem := memstore.New()
	defer mem.Close()
	sessions, err = session.NewStorage(mem, config)
	check("memstore", sessions, err)

	dir, err := os.MkdirTemp("", "consumer")
	if err != nil {
		fmt.Println("FAIL:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	files, err := filestore.New(filepath.Join(dir, "sessions"))
	if err == nil {
		defer files.Close()
		sessions, err = session.NewStorage(files, config)
	}
	check("filestore", sessions, err)

	lite, err := sqlitestore.Open(filepath.Join(dir, "sessions.db"))
	if err == nil {
		defer lite.Close()
		if err = lite.Migrate(ctx); err == nil {
			sessions, err = session.NewStorage(lite, config)
		}
	}
	check("sqlitestore", sessions, err)

	if addr := os.Getenv("SESSION_TEST_REDIS_ADDR"); addr == "" {
		fmt.Println("skip redisstore: SESSION_TEST_REDIS_ADDR is not set")
	} else {
		client := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
		defer client.Close()
		rs, err := redisstore.New(client, redisstore.WithPrefix("consumer-check:"))
		if err == nil {
			sessions, err = session.NewStorage(rs, config)
		}
		check("redisstore", sessions, err)
	}

	if dsn := os.Getenv("SESSION_TEST_POSTGRES_DSN"); dsn == "" {
		fmt.Println("skip pgstore: SESSION_TEST_POSTGRES_DSN is not set")
	} else {
		pool, err := pgxpool.New(ctx, dsn)
		if err == nil {
			defer pool.Close()
			var pg *pgstore.Store
			if pg, err = pgstore.New(pool); err == nil {
				defer pg.Close()
				if err = pg.Migrate(ctx); err == nil {
					sessions, err = session.NewStorage(pg, config)
				}
			}
		}
		check("pgstore", sessions, err)
	}

	if dsn := os.Getenv("SESSION_TEST_MYSQL_DSN"); dsn == "" {
		fmt.Println("skip mysqlstore: SESSION_TEST_MYSQL_DSN is not set")
	} else {
		db, err := sql.Open("mysql", dsn)
		if err == nil {
			defer db.Close()
			var my *mysqlstore.Store
			if my, err = mysqlstore.New(db); err == nil {
				defer my.Close()
				if err = my.Migrate(ctx); err == nil {
					sessions, err = session.NewStorage(my, config)
				}
			}
		}
		check("mysqlstore", sessions, err)
	}

	if failed > 0 {
		fmt.Printf("%d storages failed\n", failed)
		os.Exit(1)
	}
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
