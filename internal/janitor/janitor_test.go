package janitor

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunsUntilStopped(t *testing.T) {
	var n atomic.Int64
	var stopped atomic.Bool
	j := Start(time.Millisecond, func(ctx context.Context) {
		if stopped.Load() {
			t.Error("run called after Stop returned")
		}
		n.Add(1)
	})
	deadline := time.Now().Add(5 * time.Second)
	for n.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("run called %d times in 5 s at a 1 ms interval", n.Load())
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case <-j.Done():
		t.Fatal("Done closed before Stop")
	default:
	}
	var wg sync.WaitGroup
	for range 3 { // concurrent and repeated Stop calls all wait and return
		wg.Add(1)
		go func() { defer wg.Done(); j.Stop() }()
	}
	wg.Wait()
	stopped.Store(true)
	select {
	case <-j.Done():
	default:
		t.Fatal("Stop returned before the goroutine exited")
	}
	j.Stop()
	time.Sleep(5 * time.Millisecond)
}

func TestStopCancelsRun(t *testing.T) {
	started := make(chan struct{})
	j := Start(time.Millisecond, func(ctx context.Context) {
		select {
		case started <- struct{}{}:
		default:
		}
		<-ctx.Done() // a run that only ends when cancelled
	})
	<-started
	done := make(chan struct{})
	go func() { j.Stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Stop did not cancel the run in progress")
	}
}

func TestZeroIntervalStartsNothing(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second} {
		j := Start(d, func(context.Context) { t.Error("run called") })
		select {
		case <-j.Done():
		default:
			t.Fatalf("interval %v: Done not closed", d)
		}
		j.Stop()
		j.Stop()
	}
}
