package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
)

// workers is how many goroutines the concurrency subtests run at once.
const workers = 16

// rounds is how many operations each worker runs in the mixed subtests.
const rounds = 50

func testConcurrency(t *testing.T, s store.Store) {
	t.Run("DistinctKeys", func(t *testing.T) { testDistinctKeys(t, s) })
	t.Run("SharedKeysMixed", func(t *testing.T) { testSharedKeys(t, s) })
	t.Run("CreateRaceExactlyOneWins", func(t *testing.T) { testCreateRace(t, s) })
	t.Run("UpdateRacingDelete", func(t *testing.T) { testUpdateRacingDelete(t, s) })
}

// runWorkers runs f(i) on n goroutines at once and waits for all of them.
// The goroutines start together so that they really overlap.
func runWorkers(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f(i)
		}()
	}
	close(start)
	wg.Wait()
}

// errs collects errors from worker goroutines, which must not call
// t.Fatal, and reports them on the test's goroutine.
type errs struct {
	mu   sync.Mutex
	list []string
}

func (e *errs) add(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, fmt.Sprintf(format, args...))
}

func (e *errs) report(t *testing.T) {
	t.Helper()
	const max = 10
	for i, m := range e.list {
		if i == max {
			t.Errorf("… and %d more", len(e.list)-max)
			break
		}
		t.Error(m)
	}
}

// testDistinctKeys: every worker owns its keys; the final state of each is
// exactly what its owner last did.
func testDistinctKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	var e errs
	type final struct {
		key     store.Key
		rec     store.Record
		deleted bool
	}
	finals := make([]final, workers)
	runWorkers(workers, func(w int) {
		key := RandomKey()
		user := randomUserID()
		rec := newRecord(user, fmt.Sprintf("w%d-0", w), time.Hour)
		if err := s.Create(ctx, key, rec); err != nil {
			e.add("worker %d: Create: %v", w, err)
			return
		}
		for i := 1; i <= rounds; i++ {
			got, err := s.Read(ctx, key)
			if err != nil {
				e.add("worker %d: Read of its own key: %v", w, err)
				return
			}
			if string(got.Data) != string(rec.Data) {
				e.add("worker %d: Read = %q, want %q (another goroutine's write leaked into this key)", w, got.Data, rec.Data)
				return
			}
			rec = newRecord(user, fmt.Sprintf("w%d-%d", w, i), time.Hour)
			if err := s.Update(ctx, key, rec); err != nil {
				e.add("worker %d: Update of its own key: %v", w, err)
				return
			}
		}
		deleted := w%2 == 1
		if deleted {
			if _, err := s.Delete(ctx, key); err != nil {
				e.add("worker %d: Delete: %v", w, err)
			}
		}
		finals[w] = final{key, rec, deleted}
	})
	e.report(t)
	for w, f := range finals {
		if f.key == (store.Key{}) {
			continue // the worker failed and said why
		}
		if f.deleted {
			wantNotFound(t, s, f.key, fmt.Sprintf("of worker %d's deleted key", w))
			continue
		}
		checkRecord(t, fmt.Sprintf("final Read of worker %d's key", w), mustRead(t, s, f.key), f.rec)
	}
}

// sharedData is what workers write to shared keys: the writer's name, which
// must always come back together with the matching UserID. A store that
// tears a record (Data from one write, UserID from another) fails.
func sharedData(w, i int) string { return fmt.Sprintf("w%d-i%d", w, i) }

func sharedUser(w int) string { return fmt.Sprintf("worker-%d", w) }

// checkShared checks that rec is whole: its Data and UserID come from the
// same write.
func checkShared(rec store.Record) error {
	var w, i int
	if _, err := fmt.Sscanf(string(rec.Data), "w%d-i%d", &w, &i); err != nil {
		return fmt.Errorf("Data %q was never written", rec.Data)
	}
	if rec.UserID != sharedUser(w) {
		return fmt.Errorf("Data %q with UserID %q: a torn record (the writer used UserID %q)", rec.Data, rec.UserID, sharedUser(w))
	}
	return nil
}

// testSharedKeys: workers create, read, update and delete a few shared keys
// in a mixed order. Each call may only fail with the error its contract
// allows, every read is a whole record, and the final state of each key is
// either absent or a whole record.
func testSharedKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	keys := make([]store.Key, 4)
	for i := range keys {
		keys[i] = RandomKey()
	}
	var e errs
	runWorkers(workers, func(w int) {
		for i := range rounds {
			key := keys[(w+i)%len(keys)]
			rec := newRecord(sharedUser(w), sharedData(w, i), time.Hour)
			switch (w + i*3) % 4 {
			case 0:
				if err := s.Create(ctx, key, rec); err != nil && !errors.Is(err, store.ErrExists) {
					e.add("worker %d: Create: %v (want nil or store.ErrExists)", w, err)
				}
			case 1:
				got, err := s.Read(ctx, key)
				switch {
				case errors.Is(err, store.ErrNotFound):
				case err != nil:
					e.add("worker %d: Read: %v (want nil or store.ErrNotFound)", w, err)
				default:
					if err := checkShared(got); err != nil {
						e.add("worker %d: Read: %v", w, err)
					}
				}
			case 2:
				if err := s.Update(ctx, key, rec); err != nil && !errors.Is(err, store.ErrNotFound) {
					e.add("worker %d: Update: %v (want nil or store.ErrNotFound)", w, err)
				}
			case 3:
				if _, err := s.Delete(ctx, key); err != nil {
					e.add("worker %d: Delete: %v", w, err)
				}
			}
		}
	})
	e.report(t)
	for _, key := range keys {
		got, err := s.Read(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			t.Errorf("final Read of a shared key: %v", err)
			continue
		}
		if err := checkShared(got); err != nil {
			t.Errorf("final Read of a shared key: %v", err)
		}
	}
}

// testCreateRace: all workers Create one fresh key at once. Exactly one
// wins; everyone else gets ErrExists; the stored record is the winner's.
func testCreateRace(t *testing.T, s store.Store) {
	ctx := context.Background()
	key := RandomKey()
	results := make([]error, workers)
	runWorkers(workers, func(w int) {
		results[w] = s.Create(ctx, key, newRecord(sharedUser(w), sharedData(w, 0), time.Hour))
	})
	winner := oneWinner(t, "Create", results, store.ErrExists)
	got := mustRead(t, s, key)
	if want := sharedData(winner, 0); string(got.Data) != want {
		t.Errorf("Read after the race: Data = %q, want the winner's %q (a losing Create overwrote it)", got.Data, want)
	}
}

// testUpdateRacingDelete: workers Update a key while one Deletes it. Once
// Delete has returned, the key must stay absent: no Update may bring it
// back, however the calls interleave.
func testUpdateRacingDelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	for round := range 5 {
		key := RandomKey()
		mustCreate(t, s, key, newRecord(sharedUser(0), sharedData(0, 0), time.Hour))
		var e errs
		runWorkers(workers, func(w int) {
			if w == 0 {
				if _, err := s.Delete(ctx, key); err != nil {
					e.add("Delete: %v", err)
				}
				return
			}
			for i := range 5 {
				err := s.Update(ctx, key, newRecord(sharedUser(w), sharedData(w, i), time.Hour))
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					e.add("worker %d: Update: %v (want nil or store.ErrNotFound)", w, err)
				}
			}
		})
		e.report(t)
		wantNotFound(t, s, key, fmt.Sprintf("in round %d after Delete raced with Updates (a late Update resurrected it)", round))
	}
}

// oneWinner checks that exactly one of the results of racing calls to op is
// nil and every other one wraps loser, and returns the winner's index. It
// stops the test when nobody won, as later checks depend on a winner.
func oneWinner(t *testing.T, op string, results []error, loser error) int {
	t.Helper()
	winner := -1
	for w, err := range results {
		switch {
		case err == nil && winner < 0:
			winner = w
		case err == nil:
			t.Errorf("%s by workers %d and %d both succeeded on one key from the same state; only one may", op, winner, w)
		case !errors.Is(err, loser):
			t.Errorf("worker %d: %s: %v, want nil or an error wrapping %v", w, op, err, loser)
		}
	}
	if winner < 0 {
		t.Fatalf("none of %d racing calls to %s succeeded; exactly one must", len(results), op)
	}
	return winner
}
