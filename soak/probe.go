package main

import (
	"bufio"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"
)

// procStatus returns a field of /proc/self/status in bytes (VmRSS, VmHWM),
// or 0 where there is no such file.
func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}

// rssSampler reads VmRSS every interval until stopped.
type rssSampler struct {
	mu      sync.Mutex
	samples []rssSample
	stopped chan struct{}
	done    sync.WaitGroup
}

type rssSample struct {
	at  time.Time
	rss int64
}

func sampleRSS(every time.Duration) *rssSampler {
	r := &rssSampler{stopped: make(chan struct{})}
	r.done.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			r.mu.Lock()
			r.samples = append(r.samples, rssSample{time.Now(), procStatus("VmRSS")})
			r.mu.Unlock()
			select {
			case <-t.C:
			case <-r.stopped:
				return
			}
		}
	})
	return r
}

// stop ends the sampling and returns the largest RSS seen in the second
// quarter of the samples (after the warm-up) and in the last quarter: a
// store or library that keeps memory per request shows as late > early.
func (r *rssSampler) stop() (early, late int64) {
	close(r.stopped)
	r.done.Wait()
	n := len(r.samples)
	peak := func(from, to int) int64 {
		var m int64
		for _, s := range r.samples[from:to] {
			m = max(m, s.rss)
		}
		return m
	}
	return peak(n/4, n/2), peak(n*3/4, n)
}

// liveHeap returns the bytes of heap objects still reachable, after a
// collection.
func liveHeap() int64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64())
}

// steadyGoroutines waits until the number of goroutines has not changed for
// a quarter of a second (3 s at most) and returns it.
func steadyGoroutines() int {
	last, same := runtime.NumGoroutine(), 0
	for deadline := time.Now().Add(3 * time.Second); same < 5 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		if n := runtime.NumGoroutine(); n == last {
			same++
		} else {
			last, same = n, 0
		}
	}
	return last
}

// goroutinesDownTo waits until at most target goroutines run and returns
// the number. Connections and pools close asynchronously, so it waits as
// long as the number keeps falling (10 s at most), and gives up after one
// second without progress.
func goroutinesDownTo(target int) int {
	n := runtime.NumGoroutine()
	progress := time.Now()
	for deadline := progress.Add(10 * time.Second); n > target && time.Now().Before(deadline) && time.Since(progress) < time.Second; {
		time.Sleep(50 * time.Millisecond)
		if m := runtime.NumGoroutine(); m < n {
			n, progress = m, time.Now()
		}
	}
	return n
}
