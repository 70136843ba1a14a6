package session

import (
	"context"
	"sync"
	"time"

	"github.com/b4f9cdbb/session/store"
)

// Group commit.
//
// The commits of the sessions whose keys fall in one stripe take turns:
// one write of the stripe is in flight at a time, and the stripe remembers
// the last record it wrote, so that a commit that loaded an older version
// re-applies its changes on that record instead of first losing a race
// against the store.
//
// Taking turns alone would let a hot session (a page firing parallel
// requests, a shared API token) commit at most once per store round trip.
// So the commits of one session that queue behind a write of it go out
// together as the next write: the commit whose turn it is (the leader)
// re-applies every queued commit's changes, in the order they queued, on
// the record this process just wrote, writes once, and hands each of them
// the result. Every change is made exactly as if the commits had gone out
// one after another and re-applied their changes (see Commit); only the
// number of round trips differs. Grouping needs conflict detection, so it
// is done on store.Versioned stores, and not under Config.StrictConflicts.

// maxGroup bounds how many queued commits one write takes along, so that
// the leader's re-applying stays short.
const maxGroup = 64

// commitStripe is one of the Storage's stripes: its turn, the commits
// queued for it and the last record written in it.
type commitStripe[T any] struct {
	mu      sync.Mutex
	busy    bool // a commit holds the turn
	queue   []*queuedCommit[T]
	key     store.Key
	last    store.Record // Version is the stored version after the write
	hasLast bool
}

// queuedCommit is a commit waiting for its stripe's turn. When ready is
// closed, it either holds the turn (lead) or was written with another
// commit's write (res and err), or must queue again (retry).
type queuedCommit[T any] struct {
	s     *Session[T]
	ctx   context.Context
	ready chan struct{}
	lead  bool
	retry bool
	res   saved
	err   error
}

// saveInTurn saves s, a session with a record, in its stripe's turn.
func (st *Storage[T]) saveInTurn(ctx context.Context, s *Session[T], now time.Time) (saved, error) {
	stripe := &st.stripes[int(s.key[0])%len(st.stripes)]
	grouping := st.versioned != nil && !st.cfg.StrictConflicts
	for {
		q := stripe.wait(ctx, s)
		switch {
		case q == nil || q.lead:
			return st.lead(ctx, stripe, s, grouping, now)
		case !q.retry:
			return q.res, q.err
		}
	}
}

// wait returns when the commit of s holds the stripe's turn (nil, or lead
// set) or was written, or failed, with another commit's write.
func (c *commitStripe[T]) wait(ctx context.Context, s *Session[T]) *queuedCommit[T] {
	c.mu.Lock()
	if !c.busy {
		c.busy = true
		c.mu.Unlock()
		return nil
	}
	q := &queuedCommit[T]{s: s, ctx: ctx, ready: make(chan struct{})}
	c.queue = append(c.queue, q)
	c.mu.Unlock()
	<-q.ready // not on ctx: the leader may be writing this commit's changes
	return q
}

// lead writes s, with the commits of the same session queued behind it,
// and passes the turn on, also when a change panics.
func (st *Storage[T]) lead(ctx context.Context, stripe *commitStripe[T], s *Session[T], grouping bool, now time.Time) (res saved, err error) {
	var stored *store.Record
	defer func() { stripe.pass(s.key, stored) }()
	base, group := stripe.take(s, grouping)
	if len(group) > 0 {
		var ok bool
		if res, stored, err, ok = st.writeGroup(ctx, s, group, base, now); ok {
			return res, err
		}
		// A change panicked when it was made again: each commit of the
		// group was sent back to commit alone, where a panic of its own
		// stays with its own request. This one goes alone too.
		base, _ = stripe.take(s, false)
	}
	res, stored, err = st.rewrite(ctx, s, base, now)
	return res, err
}

// take returns this process's newer record of s, if any, and, when
// grouping, removes from the queue and returns the commits of the same
// session, which can be re-applied on that record.
func (c *commitStripe[T]) take(s *Session[T], grouping bool) (*store.Record, []*queuedCommit[T]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var base *store.Record
	if c.hasLast && c.key == s.key && c.last.Version > s.version {
		last := c.last
		base = &last
	}
	if !grouping || !c.hasLast || c.key != s.key {
		return base, nil
	}
	var group []*queuedCommit[T]
	kept := c.queue[:0]
	for _, q := range c.queue {
		if q.s.key == s.key && len(group) < maxGroup {
			group = append(group, q)
		} else {
			kept = append(kept, q)
		}
	}
	clear(c.queue[len(kept):])
	c.queue = kept
	if len(group) > 0 {
		last := c.last
		base = &last // the group's changes are re-applied on it
	}
	return base, group
}

// pass ends a turn: it remembers the record written, if any, and passes the
// turn to the first queued commit.
func (c *commitStripe[T]) pass(key store.Key, stored *store.Record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if stored != nil {
		c.key, c.last, c.hasLast = key, *stored, true
	}
	if len(c.queue) == 0 {
		c.busy = false
		return
	}
	next := c.queue[0]
	c.queue[0] = nil
	c.queue = c.queue[1:]
	next.lead = true
	close(next.ready)
}

// writeGroup writes the changes of s and of the group in one write, re-
// applied on base, and gives each commit of the group the result. It
// reports ok false, having sent the group back to commit alone, when one
// of the changes panicked.
func (st *Storage[T]) writeGroup(ctx context.Context, s *Session[T], group []*queuedCommit[T], base *store.Record, now time.Time) (res saved, stored *store.Record, err error, ok bool) {
	defer func() {
		if recover() != nil {
			for _, q := range group {
				q.retry = true
				close(q.ready)
			}
			ok = false
		}
	}()
	work := &Session[T]{
		ser: s.ser, defaults: s.defaults,
		id: s.id, key: s.key, hasRecord: true, changed: true, created: s.created,
		ops: append([]change[T](nil), s.ops...),
	}
	for _, q := range group {
		work.ops = append(work.ops, q.s.ops...)
	}
	// The write goes on while any commit of the group still waits for
	// it: one request going away must not fail the others.
	others := make([]context.Context, len(group))
	for i, q := range group {
		others[i] = q.ctx
	}
	wctx, cancel := contextOfAll(ctx, others)
	defer cancel()
	res, stored, err = st.rewrite(wctx, work, base, now)
	res.reapplied = true
	for _, q := range group {
		if err == nil {
			q.s.version, q.s.commits = work.version, work.commits
		}
		q.res, q.err = res, err
		close(q.ready)
	}
	if err == nil {
		s.version, s.commits = work.version, work.commits
	}
	return res, stored, err, true
}

// contextOfAll returns a context with ctx's values that is cancelled when
// ctx and every one of others are done: work done for several requests at
// once goes on while any of them still waits for it.
func contextOfAll(ctx context.Context, others []context.Context) (context.Context, context.CancelFunc) {
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var mu sync.Mutex
	left := 1 + len(others)
	stops := make([]func() bool, 0, left)
	one := func() {
		mu.Lock()
		defer mu.Unlock()
		if left--; left == 0 {
			cancel()
		}
	}
	stops = append(stops, context.AfterFunc(ctx, one))
	for _, o := range others {
		stops = append(stops, context.AfterFunc(o, one))
	}
	return wctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}
