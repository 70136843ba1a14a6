package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	_ "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/b4f9cdbb/session/filestore"
	"github.com/b4f9cdbb/session/internal/storeflag"
	"github.com/b4f9cdbb/session/memstore"
	"github.com/b4f9cdbb/session/mysqlstore"
	"github.com/b4f9cdbb/session/pgstore"
	"github.com/b4f9cdbb/session/redisstore"
	"github.com/b4f9cdbb/session/sqlitestore"
	"github.com/b4f9cdbb/session/store"
)

var storeNames = []string{"cookie", "memory", "file", "sqlite", "redis", "postgres", "mysql"}

// defaultDSN is where each store keeps sessions when -dsn is not given.
func defaultDSN(name string) string { return storeflag.DefaultDSN(name) }

// openStore opens the server-side store the -store flag names, or returns
// a nil store for cookie storage. The returned function closes the store
// and its connection.
func openStore(ctx context.Context, name, dsn string) (store.Store, func(), error) {
	if dsn == "" {
		dsn = defaultDSN(name)
	}
	switch name {
	case "cookie":
		return nil, func() {}, nil
	case "memory":
		s := memstore.New()
		return s, func() { s.Close() }, nil
	case "file":
		if dsn == "" {
			return nil, nil, errors.New("-store file: found no user cache directory (os.UserCacheDir) for the default folder; pass -dsn DIR")
		}
		s, err := filestore.New(dsn)
		if err != nil {
			return nil, nil, err
		}
		return s, func() { s.Close() }, nil
	case "sqlite":
		if dsn == "" {
			return nil, nil, errors.New("-store sqlite: found no user cache directory (os.UserCacheDir) for the default file; pass -dsn FILE")
		}
		// The folder is the user's own (0700), so nobody else can swap
		// the database file.
		if err := os.MkdirAll(filepath.Dir(dsn), 0o700); err != nil {
			return nil, nil, fmt.Errorf("-store sqlite: %w", err)
		}
		s, err := sqlitestore.Open(dsn)
		if err != nil {
			return nil, nil, err
		}
		return migrated(ctx, s, s.Migrate, func() { s.Close() })
	case "redis":
		opts, err := redis.ParseURL(dsn)
		if err != nil {
			return nil, nil, fmt.Errorf("-dsn for redis: %w", err)
		}
		opts.ContextTimeoutEnabled = true
		client := redis.NewClient(opts)
		if err := client.Ping(ctx).Err(); err != nil {
			client.Close()
			return nil, nil, fmt.Errorf("redis at %s: %w", opts.Addr, err)
		}
		s, err := redisstore.New(client)
		if err != nil {
			client.Close()
			return nil, nil, err
		}
		return s, func() { client.Close() }, nil
	case "postgres":
		pool, err := pgxpool.New(ctx, dsn)
		if err != nil {
			return nil, nil, fmt.Errorf("-dsn for postgres: %w", err)
		}
		s, err := pgstore.New(pool)
		if err != nil {
			pool.Close()
			return nil, nil, err
		}
		return migrated(ctx, s, s.Migrate, func() { s.Close(); pool.Close() })
	case "mysql":
		db, err := sql.Open("mysql", dsn)
		if err != nil {
			return nil, nil, fmt.Errorf("-dsn for mysql: %w", err)
		}
		s, err := mysqlstore.New(db)
		if err != nil {
			db.Close()
			return nil, nil, err
		}
		return migrated(ctx, s, s.Migrate, func() { s.Close(); db.Close() })
	}
	return nil, nil, fmt.Errorf("-store %q: want one of %v", name, storeNames)
}

// migrated creates the store's table if needed; the demo owns its schema.
func migrated(ctx context.Context, s store.Store, migrate func(context.Context) error, closeAll func()) (store.Store, func(), error) {
	if err := migrate(ctx); err != nil {
		closeAll()
		return nil, nil, fmt.Errorf("creating the session table: %w", err)
	}
	return s, closeAll, nil
}
