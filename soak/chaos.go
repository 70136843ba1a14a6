package main

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// outages records when the store's server was down or coming back, so that
// each answer can be judged against what the store was doing meanwhile.
type outages struct {
	mu      sync.Mutex
	windows []window
}

// window is one outage: from just before the stop until the server
// answered again (plus the grace period). end is zero while it lasts.
type window struct {
	start, end time.Time
}

// begin opens a window now, before the server is stopped.
func (o *outages) begin() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.windows = append(o.windows, window{start: time.Now()})
}

// finish closes the open window at t.
func (o *outages) finish(t time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if n := len(o.windows); n > 0 && o.windows[n-1].end.IsZero() {
		o.windows[n-1].end = t
	}
}

// overlaps reports whether a request that ran from start to end (end is
// now or earlier) overlapped an outage. A window opened after end cannot
// have touched it; begin takes its time under the lock, so that is exact.
func (o *outages) overlaps(start, end time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, w := range o.windows {
		if w.start.Before(end) && (w.end.IsZero() || start.Before(w.end)) {
			return true
		}
	}
	return false
}

// sinceRestart returns how long before t the last outage that ended
// before t ended, or -1 when none had.
func (o *outages) sinceRestart(t time.Time) time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.windows) - 1; i >= 0; i-- {
		if w := o.windows[i]; !w.end.IsZero() && !w.end.After(t) {
			return t.Sub(w.end)
		}
	}
	return -1
}

// count returns the number of outages and their total length so far.
func (o *outages) count() (int, time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var total time.Duration
	for _, w := range o.windows {
		if !w.end.IsZero() {
			total += w.end.Sub(w.start)
		}
	}
	return len(o.windows), total
}

// disruptor is what the chaos loop stops and starts: a throw-away server, or
// the fault window of an in-process store.
type disruptor interface {
	// stop takes the store away (crash: abruptly).
	stop(ctx context.Context, crash bool) error
	// start brings it back and returns once it accepts connections.
	start(ctx context.Context) error
}

// schedule says when the chaos loop disrupts the store.
type schedule struct {
	up    time.Duration // time with the store up before each stop
	down  time.Duration // time the store stays down
	grace time.Duration // after the server answers again, still counted as the outage
	crash bool
}

// chaos stops and starts d on the schedule until ctx ends, recording each
// outage in o. It always leaves the store up: when ctx ends during an
// outage, the store is started before chaos returns. It returns the first
// failure to stop or start the store (the run cannot go on then).
func chaos(ctx context.Context, d disruptor, sch schedule, o *outages) error {
	for {
		if !sleep(ctx, sch.up) {
			return nil
		}
		o.begin()
		if err := d.stop(context.WithoutCancel(ctx), sch.crash); err != nil {
			o.finish(time.Now())
			return fmt.Errorf("stopping the store's server: %w", err)
		}
		sleep(ctx, sch.down)
		// Starting must finish even when the run is over: the final
		// counters are read from the store.
		if err := d.start(context.WithoutCancel(ctx)); err != nil {
			o.finish(time.Now())
			return fmt.Errorf("starting the store's server again: %w", err)
		}
		o.finish(time.Now().Add(sch.grace))
		sleep(ctx, sch.grace)
	}
}

// sleep waits d or until ctx ends; it reports whether the whole d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
