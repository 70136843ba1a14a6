package pgstore

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/b4f9cdbb/session/internal/sqlstore/sqltest"
)

// TestFaults: a server that is not there gives an error from every method,
// never a panic and never a contract sentinel; against one that never
// answers, a 100 ms deadline ends every call promptly with
// context.DeadlineExceeded, and no goroutine is left behind once the pool is
// closed. pgxpool connects lazily, so nothing happens until the first query.
func TestFaults(t *testing.T) {
	sqltest.Faults(t, func(t *testing.T, addr string) (*Store, error) {
		pool, err := pgxpool.New(context.Background(), fmt.Sprintf("postgres://postgres@%s/test?sslmode=disable", addr))
		if err != nil {
			return nil, err
		}
		t.Cleanup(pool.Close)
		return New(pool)
	}, func(t testing.TB) { goleak.VerifyNone(t) })
}
