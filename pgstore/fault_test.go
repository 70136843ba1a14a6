package pgstore

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/b4f9cdbb/session/internal/sqlstore/sqltest"
	"github.com/b4f9cdbb/session/storetest"
)

// storeAt returns a store on a pool for a "server" at addr; pgxpool
// connects lazily, so nothing happens until the first query. The store and
// the pool close when the test ends.
func storeAt(t *testing.T, addr string) *Store {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), fmt.Sprintf("postgres://postgres@%s/test?sslmode=disable", addr))
	if err != nil {
		t.Fatalf("pgxpool.New: %v", err)
	}
	t.Cleanup(pool.Close)
	s, err := New(pool)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestStoreDown: a server that is not there gives an error from every
// method, never a panic and never a contract sentinel.
func TestStoreDown(t *testing.T) {
	sqltest.ServerDown(t, storeAt(t, storetest.ClosedAddr(t)))
}

// TestSlowStoreDeadline: against a server that never answers, a 100 ms
// deadline ends every call promptly with context.DeadlineExceeded, and no
// goroutine is left behind once the pool is closed.
func TestSlowStoreDeadline(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // runs after every other cleanup
	sqltest.SilentServer(t, storeAt(t, storetest.Unresponsive(t)))
}
