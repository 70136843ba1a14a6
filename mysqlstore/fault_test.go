package mysqlstore

import (
	"database/sql"
	"fmt"
	"testing"

	"go.uber.org/goleak"

	"github.com/b4f9cdbb/session/internal/sqlstore/sqltest"
)

// TestFaults: a server that is not there gives an error from every method,
// never a panic and never a contract sentinel; against one that never
// answers, a 100 ms deadline ends every call promptly with
// context.DeadlineExceeded, and no goroutine is left behind once the db is
// closed. database/sql connects lazily, so nothing happens until the first
// query.
func TestFaults(t *testing.T) {
	sqltest.Faults(t, func(t *testing.T, addr string) (*Store, error) {
		db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(%s)/test", addr))
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { _ = db.Close() })
		return New(db)
	}, func(t testing.TB) { goleak.VerifyNone(t) })
}
