package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/b4f9cdbb/session/bench"
	"github.com/b4f9cdbb/session/store"
)

// sampler bounds one measurement: at most samples calls, and no more than
// budget of wall time once minSamples calls are in.
type sampler struct {
	samples    int
	budget     time.Duration
	minSamples int
}

// run calls op until the sampler says stop; op records its own times.
func (s sampler) run(op func() error) error {
	start := time.Now()
	for i := 0; i < s.samples; i++ {
		if i >= s.minSamples && time.Since(start) > s.budget {
			return nil
		}
		if err := op(); err != nil {
			return err
		}
	}
	return nil
}

// latencyVsCount fills one backend up to each count in turn and, at each,
// times Read and the commit's write (CompareAndUpdate with the version
// just read: what the session layer sends when a changed session is
// committed) of random stored records, one call at a time.
func latencyVsCount(ctx context.Context, r *Results, name string, env bench.Env, counts []int, sm sampler) error {
	b, err := bench.OpenBackend(name, env, bench.BackendConfig{MaxEntries: 2 * counts[len(counts)-1], NoJanitor: true})
	if err != nil {
		return err
	}
	defer closeBackend(b)
	vs, ok := b.Store.(store.Versioned)
	if !ok {
		return fmt.Errorf("%s does not implement store.Versioned", name)
	}
	var keys []store.Key
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range counts {
		t0 := time.Now()
		more, err := fill(ctx, b, fillSpec{n: n - len(keys), data: recordData, expires: time.Now().Add(24 * time.Hour)})
		if err != nil {
			return err
		}
		keys = append(keys, more...)
		logf("latency %-8s %8d sessions stored (fill %.1fs)", name, n, time.Since(t0).Seconds())
		var reads, commits []time.Duration
		err = sm.run(func() error {
			k := keys[rng.IntN(len(keys))]
			t0 := time.Now()
			rec, err := b.Store.Read(ctx, k)
			t1 := time.Now()
			if err != nil {
				return fmt.Errorf("%s: Read: %w", name, err)
			}
			rec.Updated = t1
			if err := vs.CompareAndUpdate(ctx, k, rec); err != nil {
				return fmt.Errorf("%s: CompareAndUpdate: %w", name, err)
			}
			reads = append(reads, t1.Sub(t0))
			commits = append(commits, time.Since(t1))
			return nil
		})
		if err != nil {
			return err
		}
		r.add("latency", name, "read", float64(n), reads)
		r.add("latency", name, "commit", float64(n), commits)
	}
	return nil
}

// recordData is the bytes of session data of every filled record: a
// signed-in session with a little state, like the bench's.
const recordData = 100
