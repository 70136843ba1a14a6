// Package memstore keeps session records in the memory of one process.
//
// It suits a single server, tests and the demo: records are lost when the
// process exits and are not shared between processes. It implements
// store.Store, store.Versioned (conflict detection) and store.UserIndex
// (list and revoke a user's sessions).
//
// Expired records read as not found at once; a background sweeper frees
// their memory every minute (WithSweepInterval). WithMaxEntries caps the
// number of records: when the store is full, Create evicts the record that
// expires soonest, which is the one its user would lose first anyway.
// Call Close to stop the sweeper.
package memstore

import (
	"container/heap"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/b4f9cdbb/session/internal/janitor"
	"github.com/b4f9cdbb/session/store"
)

// DefaultSweepInterval is how often the sweeper frees expired records unless
// WithSweepInterval says otherwise. Expired records are invisible at once;
// the interval only bounds how long their memory stays in use.
const DefaultSweepInterval = time.Minute

// Option configures a Store built by New.
type Option func(*config)

type config struct {
	clock      func() time.Time
	sweepEvery time.Duration
	maxEntries int
}

// WithClock sets the clock the store compares Record.Expires with. Tests use
// it to expire records without sleeping; the default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.clock = now
		}
	}
}

// WithSweepInterval sets how often the background sweeper frees expired
// records (default DefaultSweepInterval). A shorter interval frees memory
// sooner at the cost of more frequent locking; d <= 0 runs no sweeper, so
// expired records then stay in memory until they are deleted, replaced,
// evicted or swept by a call to Sweep.
func WithSweepInterval(d time.Duration) Option {
	return func(c *config) { c.sweepEvery = d }
}

// WithMaxEntries caps the number of records the store holds, so that a
// flood of new sessions cannot exhaust memory. When the store is full,
// Create evicts the record that expires soonest (expired records first).
// n <= 0 means no cap (the default).
//
// The soonest-expiring record is found with a min-heap ordered by Expires,
// the same heap the sweeper uses, so Create, Update and eviction cost
// O(log n) rather than a scan of every record.
func WithMaxEntries(n int) Option {
	return func(c *config) { c.maxEntries = n }
}

// Store is an in-memory session store. Its zero value is not usable; build
// one with New. It is safe for concurrent use.
type Store struct {
	clock      func() time.Time
	maxEntries int

	mu      sync.RWMutex
	records map[store.Key]*entry
	byUser  map[string]map[store.Key]struct{}
	expiry  expiryHeap

	sweeper *janitor.Janitor
}

// entry is one stored record. rec.Data is never modified after the entry is
// stored (Update stores a new slice), so Read may copy it after releasing
// the lock.
type entry struct {
	key   store.Key
	rec   store.Record
	index int // position in Store.expiry
}

var (
	_ store.Versioned = (*Store)(nil)
	_ store.UserIndex = (*Store)(nil)
)

// New returns an empty store and starts its sweeper. Call Close when done
// with it, or the sweeper goroutine keeps running.
func New(opts ...Option) *Store {
	c := config{clock: time.Now, sweepEvery: DefaultSweepInterval}
	for _, o := range opts {
		o(&c)
	}
	s := &Store{
		clock:      c.clock,
		maxEntries: c.maxEntries,
		records:    make(map[store.Key]*entry),
		byUser:     make(map[string]map[store.Key]struct{}),
	}
	s.sweeper = janitor.Start(c.sweepEvery, func(context.Context) { s.Sweep() })
	return s
}

// Close stops the sweeper and waits for its goroutine to exit. It is safe
// to call more than once. The store still answers calls afterwards, but no
// longer frees expired records in the background.
func (s *Store) Close() error {
	s.sweeper.Stop()
	return nil
}

// Sweep frees every expired record now and reports how many it freed. The
// sweeper calls it periodically; call it yourself if you run without one.
func (s *Store) Sweep() int {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for len(s.expiry) > 0 && expired(s.expiry[0].rec, now) {
		s.remove(s.expiry[0])
		n++
	}
	return n
}

// Len reports how many records the store holds, including expired ones the
// sweeper has not freed yet. It is meant for metrics and tests.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.records)
}

// expired reports whether rec reads as not found at now: Expires is the
// first instant at which it is gone.
func expired(rec store.Record, now time.Time) bool { return !now.Before(rec.Expires) }

// Create stores rec under key. It fails with store.ErrExists when a live
// record is there; an expired one is replaced.
func (s *Store) Create(ctx context.Context, key store.Key, rec store.Record) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: create: %w", err)
	}
	rec = stored(rec, clone(rec.Data), 1)
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.records[key]; ok {
		if !expired(e.rec, now) {
			return fmt.Errorf("memstore: create: %w (issue a new session ID and retry)", store.ErrExists)
		}
		s.remove(e)
	}
	if s.maxEntries > 0 {
		for len(s.records) >= s.maxEntries && len(s.expiry) > 0 {
			s.remove(s.expiry[0])
		}
	}
	e := &entry{key: key, rec: rec}
	s.records[key] = e
	heap.Push(&s.expiry, e)
	s.index(e)
	return nil
}

// Read returns a copy of the live record under key, or store.ErrNotFound.
func (s *Store) Read(ctx context.Context, key store.Key) (store.Record, error) {
	if err := ctx.Err(); err != nil {
		return store.Record{}, fmt.Errorf("memstore: read: %w", err)
	}
	now := s.clock()
	s.mu.RLock()
	e, ok := s.records[key]
	var rec store.Record
	if ok {
		rec = e.rec
	}
	s.mu.RUnlock()
	if !ok || expired(rec, now) {
		return store.Record{}, fmt.Errorf("memstore: read: %w", store.ErrNotFound)
	}
	rec.Data = clone(rec.Data)
	return rec, nil
}

// Update replaces the live record under key and increments its version, or
// returns store.ErrNotFound. It never creates a record.
func (s *Store) Update(ctx context.Context, key store.Key, rec store.Record) error {
	return s.update(ctx, "update", key, rec, false)
}

// CompareAndUpdate replaces the live record under key only if its version
// is still rec.Version; otherwise it returns store.ErrConflict, and
// store.ErrNotFound when there is no live record.
func (s *Store) CompareAndUpdate(ctx context.Context, key store.Key, rec store.Record) error {
	return s.update(ctx, "compare and update", key, rec, true)
}

func (s *Store) update(ctx context.Context, op string, key store.Key, rec store.Record, compare bool) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: %s: %w", op, err)
	}
	data := clone(rec.Data)
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.records[key]
	if !ok || expired(e.rec, now) {
		return fmt.Errorf("memstore: %s: %w (the session ended; start a new one)", op, store.ErrNotFound)
	}
	if compare && e.rec.Version != rec.Version {
		return fmt.Errorf("memstore: %s: stored version %d, caller read %d: %w (read the session again and reapply the change)",
			op, e.rec.Version, rec.Version, store.ErrConflict)
	}
	rec = stored(rec, data, e.rec.Version+1)
	if rec.UserID != e.rec.UserID {
		s.unindex(e)
		e.rec = rec
		s.index(e)
	} else {
		e.rec = rec
	}
	heap.Fix(&s.expiry, e.index)
	return nil
}

// Delete removes the record under key. Deleting an absent key is not an
// error, so a logout can be retried safely.
func (s *Store) Delete(ctx context.Context, key store.Key) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("memstore: delete: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.records[key]
	if !ok {
		return false, nil
	}
	live := s.clock().Before(e.rec.Expires)
	s.remove(e)
	return live, nil
}

// ListUser returns the live sessions of userID. It looks only at that
// user's entries in the per-user index, never at every record.
func (s *Store) ListUser(ctx context.Context, userID string) ([]store.Info, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memstore: list user: %w", err)
	}
	now := s.clock()
	s.mu.RLock()
	defer s.mu.RUnlock()
	keys := s.byUser[userID]
	list := make([]store.Info, 0, len(keys))
	for k := range keys {
		r := s.records[k].rec
		if !expired(r, now) {
			list = append(list, store.Info{Key: k, Created: r.Created, Updated: r.Updated, Expires: r.Expires})
		}
	}
	return list, nil
}

// DeleteUser deletes every session of userID ("sign out everywhere") and
// reports how many live sessions it ended.
func (s *Store) DeleteUser(ctx context.Context, userID string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("memstore: delete user: %w", err)
	}
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k := range s.byUser[userID] {
		e := s.records[k]
		if !expired(e.rec, now) {
			n++
		}
		s.remove(e)
	}
	return n, nil
}

// stored returns rec as the store keeps it: with data (the store's own copy
// of rec.Data), the given version, and times without monotonic clock
// readings.
func stored(rec store.Record, data []byte, version uint64) store.Record {
	rec.Data = data
	rec.Created = rec.Created.Round(0)
	rec.Updated = rec.Updated.Round(0)
	rec.Expires = rec.Expires.Round(0)
	rec.Version = version
	return rec
}

// clone copies b; an empty or nil b gives an empty, non-nil slice.
func clone(b []byte) []byte { return append([]byte{}, b...) }

// remove deletes e from the map, the heap and the user index. s.mu must be
// held for writing.
func (s *Store) remove(e *entry) {
	delete(s.records, e.key)
	heap.Remove(&s.expiry, e.index)
	s.unindex(e)
}

// index adds e to its user's index. s.mu must be held for writing.
func (s *Store) index(e *entry) {
	if e.rec.UserID == "" {
		return
	}
	keys := s.byUser[e.rec.UserID]
	if keys == nil {
		keys = make(map[store.Key]struct{})
		s.byUser[e.rec.UserID] = keys
	}
	keys[e.key] = struct{}{}
}

// unindex removes e from its user's index. s.mu must be held for writing.
func (s *Store) unindex(e *entry) {
	keys := s.byUser[e.rec.UserID]
	delete(keys, e.key)
	if len(keys) == 0 {
		delete(s.byUser, e.rec.UserID)
	}
}

// expiryHeap is a min-heap of entries ordered by Expires, for the sweeper
// and for eviction.
type expiryHeap []*entry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].rec.Expires.Before(h[j].rec.Expires) }
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *expiryHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	e.index = -1
	return e
}
