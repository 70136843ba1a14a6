package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/b4f9cdbb/session/bench"
	"github.com/b4f9cdbb/session/store"
)

// liveSessions is how many live sessions the janitor and users runs keep
// beside the rows they measure.
const liveSessions = 1000

// quietTime is how long reads are timed without the janitor, for the
// baseline.
const quietTime = 500 * time.Millisecond

// janitorVsCount fills one backend with n expired rows for each count in
// turn, beside liveSessions live ones, and times one DeleteExpired call
// (the janitor's work, in the store's batches) while a goroutine keeps
// reading live sessions; the same reads over quietTime without the janitor
// are the baseline.
func janitorVsCount(ctx context.Context, r *Results, name string, env bench.Env, counts []int) error {
	b, err := bench.OpenBackend(name, env, bench.BackendConfig{MaxEntries: 2 * (counts[len(counts)-1] + liveSessions), NoJanitor: true})
	if err != nil {
		return err
	}
	defer closeBackend(b)
	m, ok := b.Store.(store.Maintenance)
	if !ok {
		return fmt.Errorf("%s does not implement store.Maintenance", name)
	}
	live, err := fill(ctx, b, fillSpec{n: liveSessions, data: recordData, expires: time.Now().Add(24 * time.Hour)})
	if err != nil {
		return err
	}
	for _, n := range counts {
		t0 := time.Now()
		if _, err := fill(ctx, b, fillSpec{n: n, data: recordData, expires: time.Now().Add(-time.Hour)}); err != nil {
			return err
		}
		logf("janitor  %-8s %8d expired rows (fill %.1fs)", name, n, time.Since(t0).Seconds())
		quiet, _, _, err := readsWhile(ctx, b.Store, live, func() (int, error) { time.Sleep(quietTime); return 0, nil })
		if err != nil {
			return err
		}
		during, took, deleted, err := readsWhile(ctx, b.Store, live, func() (int, error) { return m.DeleteExpired(ctx) })
		if err != nil {
			return err
		}
		if deleted != n {
			return fmt.Errorf("%s: DeleteExpired deleted %d rows, want the %d expired ones", name, deleted, n)
		}
		r.add("janitor", name, "read-quiet", float64(n), quiet)
		r.add("janitor", name, "read-during", float64(n), during)
		r.addValue("janitor", name, "delete-expired", float64(n), took.Seconds(), "s")
		logf("janitor  %-8s %8d expired rows deleted in %.2fs, %d reads meanwhile", name, n, took.Seconds(), len(during))
	}
	return nil
}

// readsWhile runs work while one goroutine reads random live sessions, and
// returns every read's time, how long work took and what it returned.
func readsWhile(ctx context.Context, st store.Store, live []store.Key, work func() (int, error)) (reads []time.Duration, took time.Duration, n int, err error) {
	done := make(chan struct{})
	var ds []time.Duration
	var readErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(3, 4))
		for {
			select {
			case <-done:
				return
			default:
			}
			t0 := time.Now()
			if _, err := st.Read(ctx, live[rng.IntN(len(live))]); err != nil {
				readErr = fmt.Errorf("reading a live session during the run: %w", err)
				return
			}
			ds = append(ds, time.Since(t0))
		}
	}()
	start := time.Now()
	n, err = work()
	took = time.Since(start)
	close(done)
	wg.Wait()
	if err == nil {
		err = readErr
	}
	return ds, took, n, err
}
