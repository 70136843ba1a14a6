package session

import (
	"context"
	"sync"

	"github.com/b4f9cdbb/session/store"
)

// Shared reads.
//
// Parallel requests of one session (a page firing several requests, a
// shared API token) each read the record when they arrive. On a store
// across the network each read is a round trip, and a hot session's reads
// queue on the store's connection pool behind one another. So the reads of
// one key in this process are shared: while a read of the key is in flight,
// the requests that arrive wait for it to land and then share the next
// read, which one of them sends.
//
// A request never takes a read that was sent before it arrived: a logout,
// a revocation or any commit that finished before the request came in,
// here or on another instance, is always seen, exactly as if the request
// had read alone. That is why the waiting requests do not simply take the
// read in flight.
//
// Reads are shared on stores that read over the network or from disk. A
// store that answers from this process's memory says so with a method
// InProcess() bool returning true (memstore does): a read there is cheaper
// than waiting.

// readStripe is one of the Storage's read stripes: the reads in flight, or
// about to be sent, of the keys that fall in it.
type readStripe struct {
	mu      sync.Mutex
	flights map[store.Key]*readFlight
}

// readFlight is one read of a key, shared by every request that waits for
// it. Until sent is set, requests that arrive join it; after, they join
// next.
type readFlight struct {
	sent bool
	// done is closed once rec and err are set; it is made only when some
	// request waits for the read, so that a read nobody shares costs no
	// channel.
	done chan struct{}
	rec  store.Record
	err  error
	// waiting are the contexts of the requests that share this read,
	// before it is sent: the read goes on while any of them is live.
	waiting []context.Context
	// next is the read that the requests arriving while this one is in
	// flight share, sent by the first of them once this one has landed.
	next *readFlight
}

// inProcess is implemented by stores whose reads need no round trip.
type inProcess interface{ InProcess() bool }

// sharesReads reports whether st's reads of one key are shared between
// parallel requests.
func sharesReads(st store.Store) bool {
	p, ok := st.(inProcess)
	return !ok || !p.InProcess()
}

// readShared reads the record under key, as read does, sharing the read
// with parallel requests of the same key that arrived no earlier than
// this one.
func (st *Storage[T]) readShared(ctx context.Context, key store.Key) (store.Record, error) {
	if !st.sharedReads {
		return st.read(ctx, key)
	}
	rs := &st.reads[int(key[0])%len(st.reads)]
	rs.mu.Lock()
	if rs.flights == nil {
		rs.flights = make(map[store.Key]*readFlight)
	}
	cur := rs.flights[key]
	switch {
	case cur == nil:
		// No read of the key in flight: send one.
		f := &readFlight{sent: true}
		rs.flights[key] = f
		rs.mu.Unlock()
		rec, err := st.read(ctx, key)
		rs.land(key, f, rec, err)
		return rec, err
	case !cur.sent:
		// A read about to be sent, after this request arrived: share it.
		return rs.share(ctx, cur)
	case cur.next != nil:
		return rs.share(ctx, cur.next)
	}
	// A read is in flight, sent before this request arrived: it may miss
	// a write that finished since. This request sends the next read, once
	// that one has landed, for itself and whoever arrives meanwhile.
	f := &readFlight{waiting: []context.Context{ctx}, done: make(chan struct{})}
	cur.next = f
	if cur.done == nil {
		cur.done = make(chan struct{})
	}
	landed := cur.done
	rs.mu.Unlock()
	// Not on ctx: the requests that joined f wait for this one to send it.
	// The read in flight is bounded by its own request's context.
	<-landed
	rs.mu.Lock()
	f.sent = true
	waiting := f.waiting
	f.waiting = nil
	rs.mu.Unlock()
	rctx, cancel := contextOfAll(ctx, waiting[1:])
	rec, err := st.read(rctx, key)
	cancel()
	rs.land(key, f, rec, err)
	return rec, err
}

// share waits for f, a read not yet sent, and returns its result; or
// returns ctx's error, if ctx is done first.
func (rs *readStripe) share(ctx context.Context, f *readFlight) (store.Record, error) {
	f.waiting = append(f.waiting, ctx)
	done := f.done
	rs.mu.Unlock()
	select {
	case <-done:
		return f.rec, f.err
	case <-ctx.Done():
		return store.Record{}, context.Cause(ctx)
	}
}

// land sets f's result, wakes the requests waiting for it, and makes the
// key's next read, if any, the one that requests arriving from now on
// join.
func (rs *readStripe) land(key store.Key, f *readFlight, rec store.Record, err error) {
	rs.mu.Lock()
	f.rec, f.err = rec, err
	if f.next != nil {
		rs.flights[key] = f.next
	} else {
		delete(rs.flights, key)
	}
	done := f.done
	rs.mu.Unlock()
	if done != nil {
		close(done)
	}
}
