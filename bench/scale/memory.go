package main

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/b4f9cdbb/session/bench"
)

// memoryPerSession fills a new memstore with n records of recordData
// bytes, anonymous and then signed in (two sessions per user), and records
// the growth of the live heap per record. It runs before anything else is
// in the process's heap, and builds a fresh store for each count.
func memoryPerSession(ctx context.Context, r *Results, counts []int) error {
	for _, n := range counts {
		for _, signedIn := range []bool{false, true} {
			spec := fillSpec{n: n, data: recordData, expires: time.Now().Add(24 * time.Hour)}
			op := "anonymous"
			if signedIn {
				op = "signed-in"
				spec.user = func(i int) string { return fmt.Sprintf("user-%08d", i/2) }
			}
			before := liveHeap()
			b, err := bench.OpenBackend("memory", bench.Env{}, bench.BackendConfig{MaxEntries: 2 * n, NoJanitor: true})
			if err != nil {
				return err
			}
			// The keys fill returns are dropped: they are the fill's, not
			// the store's, and are garbage when the heap is measured.
			if _, err := fill(ctx, b, spec); err != nil {
				return err
			}
			after := liveHeap()
			runtime.KeepAlive(b)
			perSession := float64(int64(after)-int64(before)) / float64(n)
			logf("memory   %-9s %8d sessions: %.0f bytes of heap per session", op, n, perSession)
			r.addValue("memory", "memory", op, float64(n), perSession, "bytes/session")
			if err := b.Close(); err != nil {
				return err
			}
		}
	}
	return nil
}

// liveHeap returns the bytes of live heap objects after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
