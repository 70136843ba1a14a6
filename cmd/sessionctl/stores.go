package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/b4f9cdbb/session/filestore"
	"github.com/b4f9cdbb/session/internal/storeflag"
	"github.com/b4f9cdbb/session/mysqlstore"
	"github.com/b4f9cdbb/session/pgstore"
	"github.com/b4f9cdbb/session/redisstore"
	"github.com/b4f9cdbb/session/sqlitestore"
	"github.com/b4f9cdbb/session/store"
)

// storeNames are the -store values sessionctl works on.
var storeNames = []string{"file", "sqlite", "redis", "postgres", "mysql"}

// sqlStores are the stores that take -table.
var sqlStores = []string{"sqlite", "postgres", "mysql"}

// connectTimeout bounds opening a store and the first round trip to it, so
// that a wrong address fails fast whatever -timeout says.
const connectTimeout = 15 * time.Second

// defaultDSN is the -dsn of each store when none is given: the demo's
// defaults (cmd/demo), so that sessionctl finds the demo's sessions.
func defaultDSN(name string) string { return storeflag.DefaultDSN(name) }

// openedStore is a store opened from the flags, with what closes it.
type openedStore struct {
	store.Store
	// name is the -store value; where says where the store is, without
	// credentials, for messages: an address or a path, and the -table or
	// -prefix when one was given.
	name, where string
	close       func()
}

// String describes the store for messages, e.g. "the redis store at
// 127.0.0.1:6379/0".
func (s *openedStore) String() string { return "the " + s.name + " store at " + s.where }

// openStore opens the store the flags name and makes one round trip to it,
// so that a wrong address, database or table is reported now, with what to
// check. Its errors are usage errors for flags that cannot work, and plain
// (exit 1) errors for a store that cannot be reached.
func openStore(ctx context.Context, f storeFlags) (*openedStore, error) {
	switch {
	case f.store == "":
		return nil, usageErrorf("-store is required: one of %v", storeNames)
	case f.store == "memory":
		return nil, usageErrorf("-store memory: a memory store lives inside the application's process, where sessionctl cannot reach it; point sessionctl at a store the application shares (%v), or restart the application to end every memory session", storeNames)
	case f.store == "cookie":
		return nil, usageErrorf("-store cookie: cookie storage keeps nothing on the server, so there are no sessions to list, count or revoke; to end every cookie session, replace every secret in SESSION_SECRETS with a new one (sessionctl gen-secret)")
	case !slices.Contains(storeNames, f.store):
		return nil, usageErrorf("-store %q: want one of %v", f.store, storeNames)
	case f.table != "" && !slices.Contains(sqlStores, f.store):
		return nil, usageErrorf("-table applies to the %v stores, not -store %s", sqlStores, f.store)
	case f.prefix != "" && f.store != "redis":
		return nil, usageErrorf("-prefix applies to -store redis, not -store %s", f.store)
	}
	dsn := f.dsn
	if dsn == "" {
		dsn = defaultDSN(f.store)
	}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	s, err := openBackend(ctx, f, dsn)
	if err != nil {
		return nil, err
	}
	if f.table != "" {
		s.where += fmt.Sprintf(" (table %s)", f.table)
	}
	if f.prefix != "" {
		s.where += fmt.Sprintf(" (prefix %q)", f.prefix)
	}
	// One read of a key no session has: it needs the connection, the
	// database and the table, and changes nothing.
	if _, err := s.Read(ctx, store.Key{}); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.close()
		hint := "check -dsn"
		if slices.Contains(sqlStores, f.store) {
			hint = "check -dsn and -table (sessionctl never creates the table: the application's Migrate does)"
		}
		return nil, fmt.Errorf("cannot use %s: %w; %s", s, err, hint)
	}
	return s, nil
}

// openBackend connects to the store's backend and builds the store, with
// no janitor: sessionctl runs briefly, and purge deletes expired records
// when asked.
func openBackend(ctx context.Context, f storeFlags, dsn string) (*openedStore, error) {
	o := &openedStore{name: f.store}
	switch f.store {
	case "file":
		if dsn == "" {
			return nil, usageErrorf("-store file: found no user cache folder for the default; pass -dsn with the application's session folder")
		}
		if err := mustExist(dsn, true); err != nil {
			return nil, err
		}
		s, err := filestore.New(dsn, filestore.WithJanitorInterval(0))
		if err != nil {
			return nil, fmt.Errorf("opening the file store in %s: %w", dsn, err)
		}
		o.Store, o.where, o.close = s, dsn, func() { s.Close() }
	case "sqlite":
		// New checks the options without touching the database; Open's
		// errors are then about the file.
		if _, err := sqlitestore.New(new(sql.DB), sqlOptions(f, sqlitestore.WithJanitorInterval, sqlitestore.WithTable)...); err != nil {
			return nil, usageErrorf("%v", err)
		}
		if err := mustExist(dsn, false); err != nil {
			return nil, err
		}
		s, err := sqlitestore.Open(dsn, sqlOptions(f, sqlitestore.WithJanitorInterval, sqlitestore.WithTable)...)
		if err != nil {
			return nil, fmt.Errorf("opening the sqlite store in %s: %w", dsn, err)
		}
		o.Store, o.where, o.close = s, dsn, func() { s.Close() }
	case "redis":
		opts, err := redis.ParseURL(dsn)
		if err != nil {
			return nil, usageErrorf("-dsn for redis: %v; want a URL such as %s", err, defaultDSN("redis"))
		}
		opts.ContextTimeoutEnabled = true
		// go-redis logs each failed dial to the process's stderr; the
		// error that matters is returned, and said once.
		redis.SetLogger(quietRedis{})
		client := redis.NewClient(opts)
		var ropts []redisstore.Option
		if f.prefix != "" {
			ropts = append(ropts, redisstore.WithPrefix(f.prefix))
		}
		s, err := redisstore.New(client, ropts...)
		if err != nil {
			client.Close()
			return nil, usageErrorf("%v", err)
		}
		o.Store, o.where, o.close = s, opts.Addr+"/"+strconv.Itoa(opts.DB), func() { client.Close() }
	case "postgres":
		cfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			return nil, usageErrorf("-dsn for postgres: %v; want a URL such as %s", err, defaultDSN("postgres"))
		}
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("connecting to postgres: %w", err)
		}
		s, err := pgstore.New(pool, sqlOptions(f, pgstore.WithJanitorInterval, pgstore.WithTable)...)
		if err != nil {
			pool.Close()
			return nil, usageErrorf("%v", err)
		}
		where := net.JoinHostPort(cfg.ConnConfig.Host, strconv.Itoa(int(cfg.ConnConfig.Port))) + "/" + cfg.ConnConfig.Database
		o.Store, o.where, o.close = s, where, func() { s.Close(); pool.Close() }
	case "mysql":
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			return nil, usageErrorf("-dsn for mysql: %v; want a go-sql-driver DSN such as %s", err, defaultDSN("mysql"))
		}
		conn, err := mysql.NewConnector(cfg)
		if err != nil {
			return nil, usageErrorf("-dsn for mysql: %v", err)
		}
		db := sql.OpenDB(conn)
		s, err := mysqlstore.New(db, sqlOptions(f, mysqlstore.WithJanitorInterval, mysqlstore.WithTable)...)
		if err != nil {
			db.Close()
			return nil, usageErrorf("%v", err)
		}
		o.Store, o.where, o.close = s, cfg.Addr+"/"+cfg.DBName, func() { s.Close(); db.Close() }
	}
	return o, nil
}

// quietRedis discards go-redis's internal log lines.
type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

// mustExist refuses a store folder or file that is not there: opening it
// would create an empty one and report no sessions, hiding a typo.
func mustExist(path string, dir bool) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%s does not exist; pass -dsn with the application's session %s (sessionctl does not create it)", path, map[bool]string{true: "folder", false: "database file"}[dir])
	case err != nil:
		return err
	case dir && !fi.IsDir():
		return fmt.Errorf("%s is not a folder; -store file wants the folder the application keeps sessions in", path)
	case !dir && fi.IsDir():
		return fmt.Errorf("%s is a folder; -store sqlite wants the database file", path)
	}
	return nil
}

// sqlOptions returns a SQL store's options: no janitor, and the -table.
// The three stores' Option types differ, hence the constructors.
func sqlOptions[O any](f storeFlags, janitor func(time.Duration) O, table func(string) O) []O {
	opts := []O{janitor(0)}
	if f.table != "" {
		opts = append(opts, table(f.table))
	}
	return opts
}

// withTimeout returns e's context bounded by the -timeout flag.
func withTimeout(e *env, f storeFlags) (context.Context, context.CancelFunc) {
	if f.timeout <= 0 {
		return context.WithCancel(e.ctx)
	}
	return context.WithTimeout(e.ctx, f.timeout)
}

// storeCommand parses a store command's flags and arguments, opens the
// store and calls fn with it; more registers the command's own flags, what
// names the arguments wanted.
func storeCommand(e *env, args []string, more func(*flag.FlagSet), fn func(e *env, s *openedStore, args []string) error, what ...string) error {
	var f storeFlags
	fs := newFlagSet(e)
	f.register(fs)
	if more != nil {
		more(fs)
	}
	pos, err := parseArgs(e, fs, args, what...)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(e, f)
	defer cancel()
	s, err := openStore(ctx, f)
	if err != nil {
		return err
	}
	defer s.close()
	ec := *e
	ec.ctx = ctx
	return fn(&ec, s, pos)
}

// capability returns s as the optional store interface C, which every
// store of this project implements; what names C for the error.
func capability[C any](s *openedStore, what string) (C, error) {
	c, ok := s.Store.(C)
	if !ok {
		return c, fmt.Errorf("%s does not implement %s", s, what)
	}
	return c, nil
}
