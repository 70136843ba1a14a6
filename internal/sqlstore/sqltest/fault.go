package sqltest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
)

// EveryCall runs each method of s once with ctx and returns its errors by
// method name.
func EveryCall(ctx context.Context, s Store) map[string]error {
	key := storetest.RandomKey()
	rec := store.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour), UserID: "u", Version: 1}
	errs := map[string]error{}
	errs["Create"] = s.Create(ctx, key, rec)
	_, errs["Read"] = s.Read(ctx, key)
	errs["Update"] = s.Update(ctx, key, rec)
	errs["CompareAndUpdate"] = s.CompareAndUpdate(ctx, key, rec)
	_, errs["Delete"] = s.Delete(ctx, key)
	_, errs["ListUser"] = s.ListUser(ctx, "u")
	_, errs["DeleteUser"] = s.DeleteUser(ctx, "u")
	_, errs["DeleteExpired"] = s.DeleteExpired(ctx)
	_, errs["Count"] = s.Count(ctx)
	_, errs["DeleteAll"] = s.DeleteAll(ctx)
	errs["Migrate"] = s.Migrate(ctx)
	return errs
}

// AllFail checks that every method of s fails with ctx, never with a
// contract sentinel that would be mistaken for an answer (ErrNotFound would
// log the user out). why says what is wrong with the database.
func AllFail(t *testing.T, ctx context.Context, s Store, why string) {
	t.Helper()
	for op, err := range EveryCall(ctx, s) {
		if err == nil {
			t.Errorf("%s %s: err = nil", op, why)
			continue
		}
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrConflict) {
			t.Errorf("%s %s: err = %v, which wraps a contract sentinel", op, why, err)
		}
		t.Logf("%s: %v", op, err)
	}
}

// AllDeadline checks that every method of s, called with ctx whose deadline
// has passed, returns an error wrapping context.DeadlineExceeded.
func AllDeadline(t *testing.T, ctx context.Context, s Store) {
	t.Helper()
	for op, err := range EveryCall(ctx, s) { // ctx is dead by now: each returns at once
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: err = %v, want context.DeadlineExceeded", op, err)
		}
	}
}

// ServerDown checks a store whose server is not there (storetest.ClosedAddr):
// every call fails within 10 s, with no contract sentinel.
func ServerDown(t *testing.T, s Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	AllFail(t, ctx, s, "with the server down")
}

// SilentServer checks a store whose server never answers
// (storetest.Unresponsive): a 100 ms deadline ends every call promptly with
// context.DeadlineExceeded.
func SilentServer(t *testing.T, s Store) {
	t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := s.Read(ctx, storetest.RandomKey())
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Read against a silent server: err = %v, want context.DeadlineExceeded", err)
	}
	if took > time.Second {
		t.Errorf("Read against a silent server took %v with a 100 ms deadline", took)
	}
	AllDeadline(t, ctx, s)
}

// Faults runs ServerDown and SilentServer as subtests, on stores that open
// builds for a "server" at storetest.ClosedAddr and at
// storetest.Unresponsive. open registers the closing of whatever handle it
// makes with t.Cleanup; Faults closes the store. verifyNoLeaks, run after
// every other clean-up of SilentServer, fails t if a goroutine is left.
func Faults[S Store](t *testing.T, open func(t *testing.T, addr string) (S, error), verifyNoLeaks func(t testing.TB)) {
	storeAt := func(t *testing.T, addr string) S {
		t.Helper()
		s, err := open(t, addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	t.Run("ServerDown", func(t *testing.T) { ServerDown(t, storeAt(t, storetest.ClosedAddr(t))) })
	t.Run("SilentServer", func(t *testing.T) {
		t.Cleanup(func() { verifyNoLeaks(t) }) // runs after every other cleanup
		SilentServer(t, storeAt(t, storetest.Unresponsive(t)))
	})
}

// Restart names a server for ServerRestart: the shell commands that stop
// and start it.
type Restart struct {
	Server      string // as people call it: "PostgreSQL"
	Stop, Start string
}

// ServerRestart stops and restarts the real server under a live store s
// (made without a janitor): committed records must survive, calls while the
// server is down must fail with an error (never ErrNotFound, which would
// log users out), and the same handle must serve again once the server is
// back. It disturbs every other user of the server, so it runs only with
// SESSION_TEST_RESTART=1, alone. newStore is called only then.
func ServerRestart[S Store](t *testing.T, r Restart, newStore func() S) {
	if os.Getenv("SESSION_TEST_RESTART") != "1" {
		t.Skipf("SESSION_TEST_RESTART is not 1; this test restarts the %s server and must run alone", r.Server)
	}
	s := newStore()
	t.Cleanup(func() { _ = exec.Command("sh", "-c", r.Start).Run() }) // never leave it stopped
	ctx := context.Background()

	keys := make([]store.Key, 20)
	for i := range keys {
		keys[i] = storetest.RandomKey()
		rec := store.Record{Data: []byte{byte(i)}, Expires: time.Now().Add(time.Hour), UserID: "restart"}
		if err := s.Create(ctx, keys[i], rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := shell(t, r.Stop); err != nil {
		t.Fatalf("stopping %s failed", r.Server)
	}
	down, cancel := context.WithTimeout(ctx, 5*time.Second)
	_, err := s.Read(down, keys[0])
	cancel()
	if err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("Read with the server stopped: err = %v, want a connection error", err)
	}
	if err := shell(t, r.Start); err != nil {
		t.Fatalf("starting %s failed", r.Server)
	}

	failures := 0
	for deadline := time.Now().Add(30 * time.Second); ; failures++ {
		_, err := s.Read(ctx, keys[0])
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the store did not recover within 30 s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("first successful Read after the restart came after %d failed attempts", failures)
	for i, k := range keys {
		rec, err := s.Read(ctx, k)
		if err != nil || len(rec.Data) != 1 || rec.Data[0] != byte(i) {
			t.Errorf("record %d after the restart: %v, %v", i, rec.Data, err)
		}
	}
	if err := s.Create(ctx, storetest.RandomKey(), store.Record{Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Errorf("Create after the restart: %v", err)
	}
}

func shell(t *testing.T, cmd string) error {
	t.Helper()
	out, err := exec.Command("sh", "-c", cmd).CombinedOutput()
	if err != nil {
		t.Logf("%s: %v: %s", cmd, err, out)
	}
	return err
}
