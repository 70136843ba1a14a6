package mysqlstore

import (
	"database/sql"
	"fmt"
	"testing"

	"go.uber.org/goleak"

	"github.com/b4f9cdbb/session/internal/sqlstore/sqltest"
	"github.com/b4f9cdbb/session/storetest"
)

// storeAt returns a store on a handle for a "server" at addr; database/sql
// connects lazily, so nothing happens until the first query. The store and
// the handle close when the test ends.
func storeAt(t *testing.T, addr string) *Store {
	t.Helper()
	db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(%s)/test", addr))
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	s, err := New(db)
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
// goroutine is left behind once the db is closed.
func TestSlowStoreDeadline(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // runs after every other cleanup
	sqltest.SilentServer(t, storeAt(t, storetest.Unresponsive(t)))
}
