package session

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/memstore"
	"github.com/b4f9cdbb/session/store"
)

// loaded is what one Get returned.
type loaded struct {
	s   *Session[testData]
	err error
}

// getAsync starts a Get of the browser's session under ctx.
func getAsync(ctx context.Context, st *Storage[testData], b *browser) <-chan loaded {
	out := make(chan loaded, 1)
	r := b.request("GET", "/").WithContext(ctx)
	go func() {
		s, err := st.Get(r)
		out <- loaded{s, err}
	}()
	return out
}

// holdReads makes the spy's reads wait, once they have read the record,
// until the returned function is called.
func holdReads(t *testing.T, spy *spyStore) (release func()) {
	t.Helper()
	hold := make(chan struct{})
	spy.readHold.Store(&hold)
	var released bool
	release = func() {
		if !released {
			released = true
			close(hold)
			spy.readHold.Store(nil)
		}
	}
	t.Cleanup(release)
	return release
}

// eventually fails the test unless cond holds within 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

// waiters reports how many requests wait for the next read of key.
func waiters(st *Storage[testData], key store.Key) int {
	rs := &st.reads[int(key[0])%len(st.reads)]
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if f := rs.flights[key]; f != nil && f.next != nil {
		return len(f.next.waiting)
	}
	return 0
}

// heldRead is a storage whose session has a read in flight, held by the
// spy until release is called.
type heldRead struct {
	st      *Storage[testData]
	spy     *spyStore
	b       *browser
	key     store.Key
	release func()
	before  int64         // the spy's reads before the held one
	first   <-chan loaded // the Get whose read is held
}

func startHeldRead(t *testing.T) heldRead {
	t.Helper()
	st, spy, b := hotSession(t, 0)
	h := heldRead{st: st, spy: spy, b: b, key: b.load(st).key, release: holdReads(t, spy), before: spy.reads.Load()}
	h.first = getAsync(context.Background(), st, b)
	eventually(t, "the first read is in flight", func() bool { return spy.reads.Load() == h.before+1 })
	return h
}

// TestSharedReads: parallel requests of one session that arrive while its
// read is in flight share one further read, instead of each paying a
// round trip to the store.
func TestSharedReads(t *testing.T) {
	h := startHeldRead(t)
	st, spy, b, key, release, before, first := h.st, h.spy, h.b, h.key, h.release, h.before, h.first
	const parallel = 15
	rest := make([]<-chan loaded, parallel)
	for i := range rest {
		rest[i] = getAsync(context.Background(), st, b)
	}
	eventually(t, "every request waits", func() bool { return waiters(st, key) == parallel })
	release()
	for _, c := range append(rest, first) {
		l := <-c
		if l.err != nil || l.s.IsNew() || l.s.Get().Count != 1 {
			t.Fatalf("Get = count %d, new %v, err %v; want the stored session", l.s.Get().Count, l.s.IsNew(), l.err)
		}
	}
	if reads := spy.reads.Load() - before; reads != 2 {
		t.Errorf("%d store reads for %d parallel requests of one session, want 2 (the one in flight and one shared by the others)", reads, parallel+1)
	}
}

// TestSharedReadsSeeEarlierWrites: a request never takes a read that was
// sent before it arrived. Here another instance revokes the session while
// a read of it is in flight; a request arriving after the revocation must
// find no session, although the read in flight will return the record.
func TestSharedReadsSeeEarlierWrites(t *testing.T) {
	h := startHeldRead(t)
	st, spy, b, key, release, early := h.st, h.spy, h.b, h.key, h.release, h.first
	if _, err := spy.Store.Delete(context.Background(), key); err != nil { // the other instance's logout
		t.Fatal(err)
	}
	late := getAsync(context.Background(), st, b)
	eventually(t, "the late request waits", func() bool { return waiters(st, key) == 1 })
	release()
	if l := <-early; l.err != nil || l.s.IsNew() {
		t.Errorf("early Get = new %v, err %v; it read before the logout", l.s.IsNew(), l.err)
	}
	l := <-late
	if l.err != nil || !l.s.IsNew() || !errors.Is(l.s.LoadError(), store.ErrNotFound) {
		t.Errorf("late Get = new %v, load error %v, err %v; want a new session: it arrived after the logout", l.s.IsNew(), l.s.LoadError(), l.err)
	}
}

// TestSharedReadsContexts: the request that sends a shared read going away
// does not fail the others, and a waiting request whose context ends
// returns at once.
func TestSharedReadsContexts(t *testing.T) {
	h := startHeldRead(t)
	st, spy, b, key, release, before, first := h.st, h.spy, h.b, h.key, h.release, h.before, h.first

	senderCtx, cancelSender := context.WithCancel(context.Background())
	sender := getAsync(senderCtx, st, b) // sends the next read
	eventually(t, "the sender waits", func() bool { return waiters(st, key) == 1 })
	member := getAsync(context.Background(), st, b)
	eventually(t, "the member waits", func() bool { return waiters(st, key) == 2 })
	quitterCtx, quit := context.WithCancel(context.Background())
	quitter := getAsync(quitterCtx, st, b)
	eventually(t, "the quitter waits", func() bool { return waiters(st, key) == 3 })

	quit()
	select {
	case l := <-quitter:
		if !errors.Is(l.err, context.Canceled) {
			t.Errorf("Get after its context ended: err %v, want context.Canceled", l.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a request waiting for a shared read did not return when its context ended")
	}
	cancelSender()
	release()
	for name, c := range map[string]<-chan loaded{"first": first, "member": member, "sender": sender} {
		if l := <-c; name != "sender" && (l.err != nil || l.s.IsNew()) {
			t.Errorf("%s Get = new %v, err %v; want the stored session", name, l.s.IsNew(), l.err)
		}
	}
	if reads := spy.reads.Load() - before; reads != 2 {
		t.Errorf("%d store reads, want 2", reads)
	}
}

// TestSharedReadsErrors: a failed shared read fails every request that
// shared it, as the store's error, and the next requests read again.
func TestSharedReadsErrors(t *testing.T) {
	h := startHeldRead(t)
	st, spy, b, key, release, first := h.st, h.spy, h.b, h.key, h.release, h.first
	boom := errors.New("store down")
	spy.fail.Store(&boom)
	shared := []<-chan loaded{getAsync(context.Background(), st, b), getAsync(context.Background(), st, b)}
	eventually(t, "both requests wait", func() bool { return waiters(st, key) == 2 })
	release()
	if l := <-first; l.err != nil {
		t.Errorf("first Get: %v (its read succeeded)", l.err)
	}
	for _, c := range shared {
		if l := <-c; !errors.Is(l.err, boom) {
			t.Errorf("Get sharing a failed read: err %v, want the store's error", l.err)
		}
	}
	spy.fail.Store(nil)
	if s := b.load(st); s.IsNew() {
		t.Errorf("Get after the store recovered: new session, load error %v", s.LoadError())
	}
}

// TestInProcessStoreReadsAlone: memstore's reads are not shared; a map
// lookup is cheaper than waiting for another request's.
func TestInProcessStoreReadsAlone(t *testing.T) {
	m := memstore.New()
	defer m.Close()
	if sharesReads(m) {
		t.Error("memstore's reads are shared")
	}
	if !sharesReads(newSpyStore(t, nil)) {
		t.Error("a store that does not say it is in-process does not share reads")
	}
}
