package mysqlstore

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

// The commands that stop and start the machine's MariaDB server (the start
// command is the one the machine notes give; mariadb-admin shutdown waits
// until the server has stopped).
const (
	dbStop  = `mariadb-admin -uroot shutdown`
	dbStart = `start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd`
)

func shell(t *testing.T, cmd string) error {
	t.Helper()
	out, err := exec.Command("sh", "-c", cmd).CombinedOutput()
	if err != nil {
		t.Logf("%s: %v: %s", cmd, err, out)
	}
	return err
}

// TestServerRestart stops and restarts the real server under a live db:
// committed records must survive, calls while the server is down must fail
// with an error (never ErrNotFound, which would log users out), and the same
// db must serve again once the server is back. It disturbs every other
// user of the server, so it runs only with SESSION_TEST_RESTART=1, alone.
func TestServerRestart(t *testing.T) {
	if os.Getenv("SESSION_TEST_RESTART") != "1" {
		t.Skip("SESSION_TEST_RESTART is not 1; this test restarts the MariaDB server and must run alone")
	}
	db := testDB(t)
	s := testStore(t, db, WithJanitorInterval(0))
	t.Cleanup(func() { _ = exec.Command("sh", "-c", dbStart).Run() }) // never leave it stopped
	ctx := context.Background()

	keys := make([]store.Key, 20)
	for i := range keys {
		keys[i] = storetest.RandomKey()
		rec := store.Record{Data: []byte{byte(i)}, Expires: time.Now().Add(time.Hour), UserID: "restart"}
		if err := s.Create(ctx, keys[i], rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := shell(t, dbStop); err != nil {
		t.Fatal("stopping MariaDB failed")
	}
	down, cancel := context.WithTimeout(ctx, 5*time.Second)
	_, err := s.Read(down, keys[0])
	cancel()
	if err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("Read with the server stopped: err = %v, want a connection error", err)
	}
	if err := shell(t, dbStart); err != nil {
		t.Fatal("starting MariaDB failed")
	}

	failures := 0
	for deadline := time.Now().Add(30 * time.Second); ; failures++ {
		_, err := s.Read(ctx, keys[0])
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the db did not recover within 30 s: %v", err)
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
