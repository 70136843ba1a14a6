package memstore

import (
	"container/heap"
	"context"
	"encoding/binary"
	"fmt"
	"math/bits"
	"sync"

	"github.com/b4f9cdbb/session/store"
)

// maxShards is how many shards a store with a large enough cap has. Each
// shard has its own lock, so requests for different sessions seldom wait
// for one another; 64 keeps that true well beyond the cores of one server.
const maxShards = 64

// minShare is the smallest share of the cap a shard gets: a store whose
// cap is too small to give every one of maxShards shards this many records
// has fewer shards (down to one), so that its eviction order holds across
// the whole store rather than within tiny shards.
const minShare = 1024

// shard holds the records whose keys hash to it, the expiry heaps that
// order them for eviction and sweeping, and its part of the per-user
// index. Every field is guarded by mu.
type shard struct {
	mu      sync.RWMutex
	max     int // this shard's share of the cap
	records map[store.Key]*entry
	byUser  map[string]*entry // the first of each user's records here
	anon    expiryHeap        // records with an empty UserID
	users   expiryHeap        // records with a UserID
	_       [64]byte          // keep the next shard's lock off this cache line
}

// entry is one stored record. rec.Data is never modified after the entry is
// stored (Update stores a new slice), so Read may copy it after releasing
// the lock.
type entry struct {
	key   store.Key
	rec   store.Record
	index int // position in its expiry heap (shard.heapOf)
	// prev and next link the records of rec.UserID in this shard, a list
	// whose first entry is in shard.byUser (see users.go).
	prev, next *entry
}

// newShards splits the cap maxEntries among as many shards as it allows
// (a power of two, at most maxShards); the shares add up to maxEntries.
// It also returns the shift that maps a 64-bit hash to a shard's index.
func newShards(maxEntries int) ([]shard, uint) {
	n := maxShards
	for n > 1 && maxEntries/n < minShare {
		n /= 2
	}
	shards := make([]shard, n)
	for i := range shards {
		sh := &shards[i]
		sh.max = maxEntries / n
		if i < maxEntries%n {
			sh.max++
		}
		sh.reset()
	}
	return shards, uint(64 - bits.TrailingZeros(uint(n)))
}

// reset empties the shard, giving back the memory of its maps and heaps.
// sh.mu must be held for writing (or sh not yet shared).
func (sh *shard) reset() {
	sh.records = make(map[store.Key]*entry)
	sh.byUser = make(map[string]*entry)
	sh.anon, sh.users = nil, nil
}

// shardFor returns the shard that holds key. Keys are SHA-256 hashes, but
// all 32 bytes are folded and mixed so that keys differing only in a few
// bytes (a counter in a test or benchmark) spread over the shards too.
func (s *Store) shardFor(key store.Key) *shard {
	h := binary.LittleEndian.Uint64(key[0:]) ^ binary.LittleEndian.Uint64(key[8:]) ^
		binary.LittleEndian.Uint64(key[16:]) ^ binary.LittleEndian.Uint64(key[24:])
	h *= 0x9e3779b97f4a7c15 // Fibonacci hashing: the top bits depend on every bit
	return &s.shards[h>>s.shift]
}

// sum calls fn on every shard in turn, under the shard's write lock when
// write is set and its read lock otherwise, and adds up what fn returns.
// Only one shard is locked at a time. Once ctx is done it stops before the
// next shard and returns the sum so far with ctx's error, wrapped for op.
func (s *Store) sum(ctx context.Context, op string, write bool, fn func(sh *shard) int) (int, error) {
	n := 0
	for i := range s.shards {
		if err := ctx.Err(); err != nil {
			return n, fmt.Errorf("memstore: %s: %w", op, err)
		}
		sh := &s.shards[i]
		if write {
			sh.mu.Lock()
			n += fn(sh)
			sh.mu.Unlock()
		} else {
			sh.mu.RLock()
			n += fn(sh)
			sh.mu.RUnlock()
		}
	}
	return n, nil
}

// heapOf returns the expiry heap that holds (or is to hold) e.
func (sh *shard) heapOf(e *entry) *expiryHeap {
	if e.rec.UserID == "" {
		return &sh.anon
	}
	return &sh.users
}

// add stores e in the map, its heap and the user index. sh.mu must be held
// for writing.
func (sh *shard) add(e *entry) {
	sh.records[e.key] = e
	heap.Push(sh.heapOf(e), e)
	sh.index(e)
}

// remove deletes e from the map, its heap and the user index. sh.mu must
// be held for writing.
func (sh *shard) remove(e *entry) {
	delete(sh.records, e.key)
	heap.Remove(sh.heapOf(e), e.index)
	sh.unindex(e)
}

// replace gives the stored entry e the record rec, moving it to the right
// heap position, heap and user. sh.mu must be held for writing.
func (sh *shard) replace(e *entry, rec store.Record) {
	if rec.UserID == e.rec.UserID {
		e.rec = rec
		heap.Fix(sh.heapOf(e), e.index)
		return
	}
	sh.remove(e)
	e.rec = rec
	sh.add(e)
}

// expiryHeap is a min-heap of entries ordered by Expires, for the sweeper
// and for eviction. It implements heap.Interface.
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

// top returns the entry that expires soonest, or nil when h is empty.
func (h expiryHeap) top() *entry {
	if len(h) == 0 {
		return nil
	}
	return h[0]
}
