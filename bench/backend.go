package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/b4f9cdbb/session/memstore"
	"github.com/b4f9cdbb/session/mysqlstore"
	"github.com/b4f9cdbb/session/pgstore"
	"github.com/b4f9cdbb/session/redisstore"
	"github.com/b4f9cdbb/session/sqlitestore"
	"github.com/b4f9cdbb/session/store"
)

// Backend is one of this module's server-side stores, opened on a private
// SQLite file, table or Redis key prefix that Close removes, so that runs
// never see each other's records and leave nothing behind.
//
// Besides the store it carries the connection the store uses (or, for
// SQLite, a second handle on the same file), for the scale program's fast
// paths: filling a table with a million rows through the store's own API
// would take longer than the measurement.
type Backend struct {
	// Name is one of BackendNames.
	Name string
	// Store is the store; every one implements store.Versioned,
	// store.UserIndex and store.Maintenance.
	Store store.Store
	// DB is the database of "sqlite" (a second handle on the file) and
	// "mariadb"; nil otherwise.
	DB *sql.DB
	// PG is the pool of "postgres"; nil otherwise.
	PG *pgxpool.Pool
	// Redis is the client of "redis" and "redis-cached"; nil otherwise.
	Redis *redis.Client
	// Table is the SQL table's unquoted name ("" for memory and Redis).
	Table string

	close func() error
}

// Close closes the store and its connections and removes what the backend
// wrote: the SQLite directory, the table, or the keys under the prefix.
func (b *Backend) Close() error { return b.close() }

// BackendNames lists the stores OpenBackend opens, in the order the tables
// show them.
var BackendNames = []string{"memory", "sqlite", "redis", "redis-cached", "postgres", "mariadb"}

// BackendConfig tunes a backend for a run; the zero value is each store's
// defaults.
type BackendConfig struct {
	// MaxEntries raises memstore's cap (memstore.WithMaxEntries) for runs
	// that hold more sessions than its default.
	MaxEntries int
	// NoJanitor turns off the background clean-up of memstore and the SQL
	// stores, for runs that call DeleteExpired themselves.
	NoJanitor bool
}

// Environment variables that point at disposable servers, as in the store
// modules' tests.
const (
	EnvRedis    = "SESSION_TEST_REDIS_ADDR"
	EnvPostgres = "SESSION_TEST_POSTGRES_DSN"
	EnvMySQL    = "SESSION_TEST_MYSQL_DSN"
)

// EnvFromOS returns an Env with the server addresses from
// SESSION_TEST_REDIS_ADDR, SESSION_TEST_POSTGRES_DSN and
// SESSION_TEST_MYSQL_DSN.
func EnvFromOS(dir string) Env {
	return Env{
		Dir:         dir,
		RedisAddr:   os.Getenv(EnvRedis),
		PostgresDSN: os.Getenv(EnvPostgres),
		MySQLDSN:    os.Getenv(EnvMySQL),
	}
}

// notSet is the ErrSkip of a backend whose server variable is empty.
func notSet(variable string) error {
	return fmt.Errorf("%w: %s is not set; set it to a disposable server to run this one", ErrSkip, variable)
}

// OpenBackend opens the store called name (one of BackendNames). It
// returns an error wrapping ErrSkip when env lacks the server it needs.
func OpenBackend(name string, env Env, cfg BackendConfig) (*Backend, error) {
	switch name {
	case "memory":
		return openMemory(cfg)
	case "sqlite":
		return openSQLite(env, cfg)
	case "redis":
		return openRedis(env, false)
	case "redis-cached":
		return openRedis(env, true)
	case "postgres":
		return openPostgres(env, cfg)
	case "mariadb":
		return openMariaDB(env, cfg)
	}
	return nil, fmt.Errorf("bench: no backend %q; the backends are %v", name, BackendNames)
}

func openMemory(cfg BackendConfig) (*Backend, error) {
	opts := []memstore.Option{memstore.WithMaxEntries(cfg.MaxEntries)}
	if cfg.NoJanitor {
		opts = append(opts, memstore.WithSweepInterval(0))
	}
	st := memstore.New(opts...)
	return &Backend{Name: "memory", Store: st, close: st.Close}, nil
}

// sqlJanitor returns the janitor interval option value: 0 (off) or the
// store's default.
func sqlJanitor(cfg BackendConfig, def time.Duration) time.Duration {
	if cfg.NoJanitor {
		return 0
	}
	return def
}

// openSQLite opens sqlitestore.Open on a file in a fresh directory under
// env.Dir, as an application does, plus a second handle for fast paths.
func openSQLite(env Env, cfg BackendConfig) (*Backend, error) {
	if env.Dir == "" {
		return nil, errors.New("bench: the SQLite backend needs Env.Dir")
	}
	dir, err := os.MkdirTemp(env.Dir, "session-sqlite-")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "sessions.db")
	st, err := sqlitestore.Open(path, sqlitestore.WithJanitorInterval(sqlJanitor(cfg, sqlitestore.DefaultJanitorInterval)))
	if err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	b := &Backend{Name: "sqlite", Store: st, Table: sqlitestore.DefaultTable}
	b.close = func() error {
		var errs []error
		if b.DB != nil {
			errs = append(errs, b.DB.Close())
		}
		return errors.Join(append(errs, st.Close(), os.RemoveAll(dir))...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := st.Migrate(ctx); err != nil {
		return nil, errors.Join(err, b.close())
	}
	b.DB, err = sql.Open("sqlite", fmt.Sprintf("file:%s?_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)",
		path, sqlitestore.BusyTimeoutMillis))
	if err != nil {
		return nil, errors.Join(err, b.close())
	}
	return b, nil
}

// openRedis opens redisstore under a random prefix that Close deletes. The
// cached form is configured as the store's README tells applications with
// several instances to: RESP3, go-redis's client-side cache with a
// MaxStaleness cap, and WithClientSideCache so that New checks it.
func openRedis(env Env, cached bool) (*Backend, error) {
	if env.RedisAddr == "" {
		return nil, notSet(EnvRedis)
	}
	opt := &redis.Options{Addr: env.RedisAddr, ContextTimeoutEnabled: true}
	var extra []redisstore.Option
	name := "redis"
	if cached {
		name = "redis-cached"
		opt.Protocol = 3
		opt.ClientSideCacheConfig = &redis.ClientSideCacheConfig{MaxEntries: 100_000, MaxStaleness: 5 * time.Second}
		extra = append(extra, redisstore.WithClientSideCache())
	}
	client := redis.NewClient(opt)
	if err := ping(client); err != nil {
		_ = client.Close()
		return nil, err
	}
	for _, h := range env.RedisHooks {
		client.AddHook(h)
	}
	st, err := redisstore.New(client, append(extra, redisstore.WithPrefix(randomPrefix("session")))...)
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	return &Backend{Name: name, Store: st, Redis: client, close: func() error {
		return errors.Join(deletePrefix(client, st.Prefix()), client.Close())
	}}, nil
}

// openPostgres opens pgstore on a private table that Close drops.
func openPostgres(env Env, cfg BackendConfig) (*Backend, error) {
	if env.PostgresDSN == "" {
		return nil, notSet(EnvPostgres)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, env.PostgresDSN)
	if err != nil {
		return nil, fmt.Errorf("bench: %s: %w", EnvPostgres, err)
	}
	table := randomTable()
	st, err := pgstore.New(pool, pgstore.WithTable(table),
		pgstore.WithJanitorInterval(sqlJanitor(cfg, pgstore.DefaultJanitorInterval)))
	if err != nil {
		pool.Close()
		return nil, err
	}
	b := &Backend{Name: "postgres", Store: st, PG: pool, Table: table}
	b.close = func() error {
		err := st.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, dropErr := pool.Exec(ctx, "DROP TABLE IF EXISTS "+st.Table())
		pool.Close()
		return errors.Join(err, dropErr)
	}
	if err := st.Migrate(ctx); err != nil {
		return nil, errors.Join(err, b.close())
	}
	return b, nil
}

// openMariaDB opens mysqlstore on a private table that Close drops.
func openMariaDB(env Env, cfg BackendConfig) (*Backend, error) {
	if env.MySQLDSN == "" {
		return nil, notSet(EnvMySQL)
	}
	db, err := sql.Open("mysql", env.MySQLDSN)
	if err != nil {
		return nil, fmt.Errorf("bench: %s: %w", EnvMySQL, err)
	}
	db.SetMaxIdleConns(16)
	table := randomTable()
	st, err := mysqlstore.New(db, mysqlstore.WithTable(table),
		mysqlstore.WithJanitorInterval(sqlJanitor(cfg, mysqlstore.DefaultJanitorInterval)))
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	b := &Backend{Name: "mariadb", Store: st, DB: db, Table: table}
	b.close = func() error {
		err := st.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, dropErr := db.ExecContext(ctx, "DROP TABLE IF EXISTS "+st.Table())
		return errors.Join(err, dropErr, db.Close())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := st.Migrate(ctx); err != nil {
		return nil, errors.Join(err, b.close())
	}
	return b, nil
}

// randomTable returns a table name no other run uses.
func randomTable() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "bench_" + hex.EncodeToString(b[:])
}
