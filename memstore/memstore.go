// Package memstore keeps session records in the memory of one process.
//
// It suits a single server, tests and the demo: records are lost when the
// process exits and are not shared between processes. It implements
// store.Store, store.Versioned (conflict detection), store.UserIndex (list
// and revoke a user's sessions) and store.Maintenance.
//
// # Expiry
//
// Expired records read as not found at once; a background sweeper frees
// their memory every minute (WithSweepInterval). Call Close to stop it.
//
// # Bounded by default
//
// A store holds at most DefaultMaxEntries records (about 50 MB with 200
// bytes of session data each) unless WithMaxEntries says otherwise, so a
// flood of requests without a cookie, each of which starts a new anonymous
// session, cannot exhaust memory. At the cap, Create evicts expired records
// first, then anonymous ones, and signed-in users' sessions last.
//
// # Concurrency
//
// Records are spread over up to 64 shards by their key, each with its own
// lock, expiry heaps and part of the per-user index, so requests for
// different sessions rarely wait for one another and throughput grows with
// cores.
package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/b4f9cdbb/session/internal/janitor"
	"github.com/b4f9cdbb/session/store"
)

// Store is an in-memory session store. Its zero value is not usable; build
// one with New. It is safe for concurrent use.
type Store struct {
	clock   func() time.Time
	shards  []shard
	shift   uint // a key's mixed hash >> shift is its shard's index
	sweeper *janitor.Janitor
}

var (
	_ store.Versioned = (*Store)(nil)
	_ store.UserIndex = (*Store)(nil)
)

// New returns an empty store and starts its sweeper. Call Close when done
// with it, or the sweeper goroutine keeps running.
func New(opts ...Option) *Store {
	c := defaultConfig()
	for _, o := range opts {
		o(&c)
	}
	s := &Store{clock: c.clock}
	s.shards, s.shift = newShards(c.maxEntries)
	s.sweeper = janitor.Start(c.sweepEvery, func(ctx context.Context) { _, _ = s.DeleteExpired(ctx) })
	return s
}

// Close stops the sweeper and waits for its goroutine to exit. It is safe
// to call more than once. The store still answers calls afterwards, but no
// longer frees expired records in the background.
func (s *Store) Close() error {
	s.sweeper.Stop()
	return nil
}

// expired reports whether rec reads as not found at now: Expires is the
// first instant at which it is gone.
func expired(rec store.Record, now time.Time) bool { return !now.Before(rec.Expires) }

// Create stores rec under key. It fails with store.ErrExists when a live
// record is there; an expired one is replaced. When the key's shard is
// full, Create first evicts a record as WithMaxEntries describes.
func (s *Store) Create(ctx context.Context, key store.Key, rec store.Record) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: create: %w", err)
	}
	e := &entry{key: key, rec: stored(rec, clone(rec.Data), 1)}
	now := s.clock()
	sh := s.shardFor(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if old, ok := sh.records[key]; ok {
		if !expired(old.rec, now) {
			return fmt.Errorf("memstore: create: %w (issue a new session ID and retry)", store.ErrExists)
		}
		sh.remove(old)
	}
	sh.makeRoom(now)
	sh.add(e)
	return nil
}

// InProcess reports true: a Read is a map lookup in this process, so the
// session layer does not make parallel requests of one session share
// their reads, as it does for stores across a network.
func (s *Store) InProcess() bool { return true }

// Read returns a copy of the live record under key, or store.ErrNotFound.
func (s *Store) Read(ctx context.Context, key store.Key) (store.Record, error) {
	if err := ctx.Err(); err != nil {
		return store.Record{}, fmt.Errorf("memstore: read: %w", err)
	}
	now := s.clock()
	sh := s.shardFor(key)
	sh.mu.RLock()
	e, ok := sh.records[key]
	var rec store.Record
	if ok {
		rec = e.rec
	}
	sh.mu.RUnlock()
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
	sh := s.shardFor(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.records[key]
	if !ok || expired(e.rec, now) {
		return fmt.Errorf("memstore: %s: %w (the session ended; start a new one)", op, store.ErrNotFound)
	}
	if compare && e.rec.Version != rec.Version {
		return fmt.Errorf("memstore: %s: stored version %d, caller read %d: %w (read the session again and reapply the change)",
			op, e.rec.Version, rec.Version, store.ErrConflict)
	}
	sh.replace(e, stored(rec, data, e.rec.Version+1))
	return nil
}

// Delete removes the record under key and reports whether it was live.
// Deleting an absent key is not an error, so a logout can be retried
// safely. The answer is decided under the same lock as the removal, so of
// two concurrent Deletes of a live record exactly one reports true.
func (s *Store) Delete(ctx context.Context, key store.Key) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("memstore: delete: %w", err)
	}
	now := s.clock()
	sh := s.shardFor(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.records[key]
	if !ok {
		return false, nil
	}
	sh.remove(e)
	return !expired(e.rec, now), nil
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
