package mysqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
)

// dbAt returns a handle for a "server" at addr; database/sql connects
// lazily, so nothing happens until the first query.
func dbAt(t *testing.T, addr string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(%s)/test", addr))
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	return db
}

// closedPort returns an address on which nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// blackHole accepts connections and never answers, the way a hung server or
// a dropped route looks to a client. It closes every connection on cleanup.
func blackHole(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}

// everyCall runs each Store method once with ctx and returns its errors.
func everyCall(ctx context.Context, s *Store) map[string]error {
	key := storetest.RandomKey()
	rec := store.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour), UserID: "u", Version: 1}
	errs := map[string]error{}
	errs["Create"] = s.Create(ctx, key, rec)
	_, errs["Read"] = s.Read(ctx, key)
	errs["Update"] = s.Update(ctx, key, rec)
	errs["CompareAndUpdate"] = s.CompareAndUpdate(ctx, key, rec)
	errs["Delete"] = s.Delete(ctx, key)
	_, errs["ListUser"] = s.ListUser(ctx, "u")
	_, errs["DeleteUser"] = s.DeleteUser(ctx, "u")
	_, errs["DeleteExpired"] = s.DeleteExpired(ctx)
	errs["Migrate"] = s.Migrate(ctx)
	return errs
}

// TestStoreDown: a server that is not there gives an error from every
// method, never a panic and never a contract sentinel that would be
// mistaken for an answer (ErrNotFound would log the user out).
func TestStoreDown(t *testing.T) {
	db := dbAt(t, closedPort(t))
	defer func() { _ = db.Close() }()
	s, err := New(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for op, err := range everyCall(ctx, s) {
		if err == nil {
			t.Errorf("%s with the server down: err = nil", op)
			continue
		}
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrConflict) {
			t.Errorf("%s with the server down: err = %v, which wraps a contract sentinel", op, err)
		}
		t.Logf("%s: %v", op, err)
	}
}

// TestSlowStoreDeadline: against a server that never answers, a 100 ms
// deadline ends every call promptly with context.DeadlineExceeded, and no
// goroutine is left behind once the db is closed.
func TestSlowStoreDeadline(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // runs after every other cleanup
	db := dbAt(t, blackHole(t))
	t.Cleanup(func() { _ = db.Close() })
	s, err := New(db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = s.Read(ctx, storetest.RandomKey())
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Read against a silent server: err = %v, want context.DeadlineExceeded", err)
	}
	if took > time.Second {
		t.Errorf("Read against a silent server took %v with a 100 ms deadline", took)
	}
	for op, err := range everyCall(ctx, s) { // ctx is dead by now: each returns at once
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: err = %v, want context.DeadlineExceeded", op, err)
		}
	}
}
