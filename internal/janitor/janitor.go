// Package janitor runs a store's background clean-up: one goroutine that
// calls a function at a fixed interval until it is stopped. memstore's
// sweeper, filestore's reaper and the SQL stores' expired-row janitor are
// all one Janitor.
package janitor

import (
	"context"
	"sync"
	"time"
)

// Janitor is a running (or never started) background loop. The zero value
// is not usable; build one with Start.
type Janitor struct {
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// Start calls run every interval in a new goroutine until Stop. The context
// passed to run is cancelled by Stop, so a long run can end early. An
// interval of zero or less starts nothing: Stop then returns at once.
func Start(every time.Duration, run func(ctx context.Context)) *Janitor {
	ctx, cancel := context.WithCancel(context.Background())
	j := &Janitor{cancel: cancel, done: make(chan struct{})}
	if every <= 0 {
		close(j.done)
		return j
	}
	go func() {
		defer close(j.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				run(ctx)
			}
		}
	}()
	return j
}

// Stop ends the loop and waits until its goroutine has returned (and with
// it any run in progress). It is safe to call more than once and from
// several goroutines; every call waits.
func (j *Janitor) Stop() {
	j.once.Do(j.cancel)
	<-j.done
}

// Done is closed once the goroutine has returned (at once when none was
// started).
func (j *Janitor) Done() <-chan struct{} { return j.done }
