package main

import (
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/bench"
)

// counterAdapter is a toy server-side session: a counter per cookie in a
// map. With lossy, ReadModifyWrite reads the counter, yields, and writes
// back what it read plus one, as a store without conflict detection does;
// otherwise it increments under the lock.
func counterAdapter(lossy bool) bench.Adapter {
	return bench.Adapter{Name: "toy", Library: "session", ServerSide: true, Open: func(bench.Env) (bench.Handlers, func() error, error) {
		var mu sync.Mutex
		counts := map[string]int{}
		get := func(r *http.Request) (string, bool) {
			c, err := r.Cookie("toy")
			if err != nil {
				return "", false
			}
			mu.Lock()
			defer mu.Unlock()
			_, ok := counts[c.Value]
			return c.Value, ok
		}
		h := bench.Handlers{
			New: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				id := strconv.Itoa(len(counts) + 1)
				counts[id] = 1
				mu.Unlock()
				http.SetCookie(w, &http.Cookie{Name: "toy", Value: id})
				_, _ = w.Write([]byte("1"))
			}),
			Read: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				id, ok := get(r)
				if !ok {
					http.Error(w, "no session", http.StatusUnauthorized)
					return
				}
				mu.Lock()
				n := counts[id]
				mu.Unlock()
				_, _ = w.Write([]byte(strconv.Itoa(n)))
			}),
			ReadModifyWrite: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				id, ok := get(r)
				if !ok {
					http.Error(w, "no session", http.StatusUnauthorized)
					return
				}
				mu.Lock()
				n := counts[id] + 1
				if lossy {
					mu.Unlock()
					time.Sleep(100 * time.Microsecond) // another request reads the same n
					mu.Lock()
				}
				counts[id] = n
				mu.Unlock()
				_, _ = w.Write([]byte(strconv.Itoa(n)))
			}),
		}
		return h, func() error { return nil }, nil
	}}
}

// TestSharedRunCountsLostUpdates: the shared-session run finds no lost
// update on a counter that increments atomically, and finds them on one
// that does not.
func TestSharedRunCountsLostUpdates(t *testing.T) {
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Skip("wrk is not installed (apt-get install -y wrk)")
	}
	for _, lossy := range []bool{false, true} {
		res, err := runShared(counterAdapter(lossy), bench.Env{}, "../../wrk/shared.lua", time.Second, 2, 8)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.sessions) != 2 {
			t.Fatalf("%d sessions, want 2 (one per wrk thread)", len(res.sessions))
		}
		for i, c := range res.sessions {
			t.Logf("lossy %v, session %d: %+v, lost %d", lossy, i+1, c, c.lost())
			if c.served == 0 || c.wrkOK == 0 || c.failed != 0 || c.wrkOK > c.served {
				t.Errorf("lossy %v, session %d: answers %+v: want some 2xx, no other, and wrk seeing at most the server's", lossy, i+1, c)
			}
			if lost := c.lost(); lossy != (lost > 0) || lost < 0 {
				t.Errorf("lossy %v, session %d: %d lost updates", lossy, i+1, lost)
			}
		}
	}
}
