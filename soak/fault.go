package main

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/b4f9cdbb/session/store"
)

// errOutage is what faultStore returns for every call during an outage.
var errOutage = errors.New("soak: simulated store outage (every store call fails until the window ends)")

// bug is a fault planted in faultStore by the soak's own tests, to prove
// that the report catches it. The command never plants one.
type bug int

const (
	noBug        bug = iota
	bugDropWrite     // every 7th CompareAndUpdate reports success without writing
	bugLateFail      // every 7th CompareAndUpdate writes, then reports an error, and the key's calls fail for a while
	bugForget        // every 200th Read reports not found
	bugFlaky         // every 25th Read fails, even with the store up
	bugLeak          // every Read leaves a goroutine behind until the store closes
	bugHoard         // every Read keeps 64 KiB until the store closes
)

// faultStore wraps an in-process store so that the chaos loop can take it
// away: during an outage every call fails with errOutage before reaching
// the store, as calls to a stopped server fail before they reach its data.
type faultStore struct {
	inner store.Versioned
	down  atomic.Bool
	bug   bug
	calls atomic.Int64 // counts the calls a planted bug looks at
	// lateEnd holds, for each key bugLateFail wrote, when its calls stop
	// failing: long enough for every read back of the session layer
	// (lostreply.go's readBackWaits, 310 ms in all), which would otherwise
	// find the write and settle it, to fail too. A count of failing calls
	// would not do: the other requests' calls use it up between the reads
	// back. One window per key, so that a late failure on another session
	// does not end this one's.
	lateMu  sync.Mutex
	lateEnd map[store.Key]time.Time

	release chan struct{} // bugLeak's goroutines wait on it
	mu      sync.Mutex
	hoard   [][]byte // bugHoard's memory
}

func newFaultStore(inner store.Versioned, planted bug) *faultStore {
	return &faultStore{inner: inner, bug: planted, release: make(chan struct{}), lateEnd: map[store.Key]time.Time{}}
}

// close ends what a planted bug holds on to.
func (f *faultStore) close() {
	close(f.release)
	f.mu.Lock()
	f.hoard = nil
	f.mu.Unlock()
}

var _ store.Versioned = (*faultStore)(nil)

func (f *faultStore) stop(context.Context, bool) error { f.down.Store(true); return nil }
func (f *faultStore) start(context.Context) error      { f.down.Store(false); return nil }

// lateFailWindow is how long bugLateFail fails the calls on the key it
// wrote: longer than the session layer's reads back take (310 ms).
const lateFailWindow = 500 * time.Millisecond

// fails reports the error the call on key must fail with before reaching
// the store, if any.
func (f *faultStore) fails(key store.Key) error {
	if f.down.Load() || f.lateFailing(key) {
		return errOutage
	}
	return nil
}

// lateFailing reports whether key is in bugLateFail's window.
func (f *faultStore) lateFailing(key store.Key) bool {
	if f.bug != bugLateFail {
		return false
	}
	f.lateMu.Lock()
	defer f.lateMu.Unlock()
	return time.Now().Before(f.lateEnd[key])
}

func (f *faultStore) Create(ctx context.Context, key store.Key, rec store.Record) error {
	if err := f.fails(key); err != nil {
		return err
	}
	return f.inner.Create(ctx, key, rec)
}

func (f *faultStore) Read(ctx context.Context, key store.Key) (store.Record, error) {
	if err := f.fails(key); err != nil {
		return store.Record{}, err
	}
	switch f.bug {
	case bugFlaky:
		if f.calls.Add(1)%25 == 0 {
			return store.Record{}, errors.New("soak: planted flaky store read")
		}
	case bugForget:
		if f.calls.Add(1)%200 == 0 {
			return store.Record{}, store.ErrNotFound
		}
	case bugLeak:
		go func() { <-f.release }()
	case bugHoard:
		f.mu.Lock()
		f.hoard = append(f.hoard, make([]byte, 64<<10))
		f.mu.Unlock()
	}
	return f.inner.Read(ctx, key)
}

func (f *faultStore) Update(ctx context.Context, key store.Key, rec store.Record) error {
	if err := f.fails(key); err != nil {
		return err
	}
	return f.inner.Update(ctx, key, rec)
}

func (f *faultStore) CompareAndUpdate(ctx context.Context, key store.Key, rec store.Record) error {
	if err := f.fails(key); err != nil {
		return err
	}
	switch {
	case f.bug == bugDropWrite && f.calls.Add(1)%7 == 0:
		return nil
	case f.bug == bugLateFail && f.calls.Add(1)%7 == 0:
		if err := f.inner.CompareAndUpdate(ctx, key, rec); err != nil {
			return err
		}
		f.lateMu.Lock()
		f.lateEnd[key] = time.Now().Add(lateFailWindow)
		f.lateMu.Unlock()
		return errors.New("soak: planted failure after the write")
	}
	return f.inner.CompareAndUpdate(ctx, key, rec)
}

func (f *faultStore) Delete(ctx context.Context, key store.Key) (bool, error) {
	if err := f.fails(key); err != nil {
		return false, err
	}
	return f.inner.Delete(ctx, key)
}
