package memstore

import (
	"context"
	"time"

	"github.com/b4f9cdbb/session/store"
)

var _ store.Maintenance = (*Store)(nil)

// DeleteExpired frees every expired record now and reports how many it
// freed. The background sweeper calls it every sweep interval; call it
// yourself if you run without one (WithSweepInterval(0)). It locks one
// shard at a time, so requests for other shards go on meanwhile, and it
// stops between shards when ctx is done.
func (s *Store) DeleteExpired(ctx context.Context) (int, error) {
	now := s.clock()
	return s.sum(ctx, "delete expired", true, func(sh *shard) int {
		return sh.deleteExpired(&sh.anon, now) + sh.deleteExpired(&sh.users, now)
	})
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
	now := s.clock()
	return s.sum(ctx, "count", false, func(sh *shard) int { return sh.live(now) })
}

// Len reports how many records the store holds, including expired ones the
// sweeper has not freed yet: the number the cap applies to. It is meant for
// metrics and tests; Count reports live records only.
func (s *Store) Len() int {
	n, _ := s.sum(context.Background(), "len", false, func(sh *shard) int { return len(sh.records) })
	return n
}

// DeleteAll deletes every record (every user is signed out) and reports
// how many live records it ended. It clears one shard at a time: a record
// created meanwhile in a shard already cleared survives. If ctx is done
// before the last shard, the shards already cleared stay cleared.
func (s *Store) DeleteAll(ctx context.Context) (int, error) {
	now := s.clock()
	return s.sum(ctx, "delete all", true, func(sh *shard) int {
		n := sh.live(now)
		sh.reset()
		return n
	})
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
