// Package sqltest is the test support the SQL stores (sqlitestore, pgstore,
// mysqlstore) share: fresh tables, the tests every SQL store must pass
// beyond the storetest conformance suite (store clock, versions, janitor,
// batches, options), the fault-test checks and the server restart test.
// Each store's tests describe their database in a Harness and call Run.
//
// It uses the standard library only; a store's own tests bring the driver
// and, through Harness.Leaks, their goroutine-leak checker.
package sqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"testing"

	"github.com/b4f9cdbb/session/internal/sqlstore"
	"github.com/b4f9cdbb/session/store"
)

// Store is a SQL store as its tests see it.
type Store interface {
	store.Versioned
	store.UserIndex
	store.Maintenance
	Migrate(ctx context.Context) error
	Table() string
	Close() error
}

// Harness is one test database, as the shared tests reach it. S is the
// store package's Store, O its Option.
type Harness[S Store, O any] struct {
	// Dialect is the store package's dialect, for the statements the
	// tests write behind the store's back.
	Dialect *sqlstore.Dialect
	// Opt wraps a shared option in the store package's Option.
	Opt func(sqlstore.Option) O
	// New builds a store on the database that does not own its handle.
	New func(opts ...O) (S, error)
	// Open, if set, builds the store under test instead of New.
	Open func(opts ...O) (S, error)
	// Exec runs a statement through a handle of the test's own.
	Exec func(ctx context.Context, query string, args ...any) error
	// QueryInt runs a query whose one row is one integer.
	QueryInt func(ctx context.Context, query string) (int, error)
	// Drop the table when the test ends: for a server that outlives the
	// test (a file in t.TempDir goes away by itself).
	Drop bool
	// Leaks, if set, is called before a store is built and returns a
	// check, run once the store is closed, that fails t if a goroutine
	// started meanwhile is still running.
	Leaks func(t testing.TB) (verify func())
	// Damages are the store's own ways, beyond CommonDamages, to spoil a
	// row so that the store must call it corrupt.
	Damages []Damage
	// TableBytes, if set, reports the space a table and its indexes take
	// on disk, for the footprint benchmark.
	TableBytes func(ctx context.Context, table string) (int64, error)
}

// UniqueTable returns a table name no other test run uses, so that parallel
// runs against one server never see each other's rows.
func UniqueTable() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "session_test_" + hex.EncodeToString(b[:])
}

// Store returns a store on a fresh, migrated table, with opts after the
// table option; it is closed (and its table dropped, with Drop) when t
// ends.
func (h Harness[S, O]) Store(t testing.TB, opts ...O) S {
	t.Helper()
	table := UniqueTable()
	// Migrate through a store without a janitor first, so that a test's
	// fast janitor never runs before the table exists.
	m, err := h.New(h.Opt(sqlstore.WithTable(table)), h.Opt(sqlstore.WithJanitorInterval(0)))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if h.Drop {
		t.Cleanup(func() {
			if err := h.Exec(context.Background(), "DROP TABLE IF EXISTS "+m.Table()); err != nil {
				t.Errorf("drop %s: %v", table, err)
			}
		})
	}
	if err := m.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	open := h.Open
	if open == nil {
		open = h.New
	}
	s, err := open(append([]O{h.Opt(sqlstore.WithTable(table))}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// WithDB returns h with Exec and QueryInt on db, for a store on
// database/sql.
func (h Harness[S, O]) WithDB(db *sql.DB) Harness[S, O] {
	h.Exec = func(ctx context.Context, query string, args ...any) error {
		_, err := db.ExecContext(ctx, query, args...)
		return err
	}
	h.QueryInt = func(ctx context.Context, query string) (n int, err error) {
		err = db.QueryRowContext(ctx, query).Scan(&n)
		return n, err
	}
	return h
}
