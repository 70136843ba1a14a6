package storetest

import (
	"sync"
	"time"
)

// Clock is a fake clock for a store's own tests: pass its Now method to the
// store's clock option (memstore.WithClock, filestore.WithClock, …) and
// call Advance to expire records without sleeping. It is safe for
// concurrent use, since the store's background janitor reads it too.
//
// Run itself needs a store on the real clock; use Clock only in the
// store-specific tests beside it.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock that reads start until it is advanced.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d (backward if d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
