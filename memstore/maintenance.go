package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/b4f9cdbb/session/store"
)

// DeleteExpired frees every expired record now and reports how many it
// freed. The background sweeper calls it every sweep interval; call it
// yourself if you run without one (WithSweepInterval(0)). It locks one
// shard at a time, so requests for other shards go on meanwhile, and it
// stops between shards when ctx is done.
func (s *Store) DeleteExpired(ctx context.Context) (int, error) {
	now := s.clock()
	n := 0
	for i := range s.shards {
		if err := ctx.Err(); err != nil {
			return n, fmt.Errorf("memstore: delete expired: %w", err)
		}
		sh := &s.shards[i]
		sh.mu.Lock()
		n += sh.deleteExpired(&sh.anon, now) + sh.deleteExpired(&sh.users, now)
		sh.mu.Unlock()
	}
	return n, nil
}

// deleteExpired removes the expired records of h, one of sh's heaps, and
// reports how many. sh.mu must be held for writing.
func (sh *shard) deleteExpired(h *expiryHeap, now time.Time) int {
	n := 0
	for e := h.top(); e != nil && expired(e.rec, now); e = h.top() {
		sh.remove(e)
		n++
	}
	return n
}

// Count reports how many live records the store holds. Unlike Len it
// leaves out expired records the sweeper has not freed yet; finding them
// costs time in proportion to their number, not to the store's size.
func (s *Store) Count(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("memstore: count: %w", err)
	}
	now := s.clock()
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		n += sh.live(now)
		sh.mu.RUnlock()
	}
	return n, nil
}

// live counts the shard's records that have not expired. sh.mu must be
// held.
func (sh *shard) live(now time.Time) int {
	return len(sh.records) - sh.anon.countExpired(now) - sh.users.countExpired(now)
}

// countExpired counts the expired entries of h. In a min-heap, a node that
// has not expired has no expired descendant, so only expired nodes and
// their children are visited.
func (h expiryHeap) countExpired(now time.Time) int {
	n := 0
	stack := []int{0}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if i >= len(h) || !expired(h[i].rec, now) {
			continue
		}
		n++
		stack = append(stack, 2*i+1, 2*i+2)
	}
	return n
}

// DeleteAll deletes every record (every user is signed out) and reports
// how many live records it ended. It clears one shard at a time: a record
// created meanwhile in a shard already cleared survives.
func (s *Store) DeleteAll(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("memstore: delete all: %w", err)
	}
	now := s.clock()
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += sh.live(now)
		sh.reset()
		sh.mu.Unlock()
	}
	return n, nil
}

var _ store.Maintenance = (*Store)(nil)
