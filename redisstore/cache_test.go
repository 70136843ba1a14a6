package redisstore

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
	"github.com/redis/go-redis/v9"
)

// never is a DrainInterval that no test outlives: the client then applies
// an invalidation only when it next uses the connection that carries it,
// which makes a stale cached copy last as long as a test needs it.
const never = time.Hour

// cachingClient returns a client of the test server with go-redis's
// client-side cache (RESP3), closed when tb ends. drain is the cache's
// DrainInterval; 0 keeps go-redis's default.
func cachingClient(tb testing.TB, drain time.Duration) *redis.Client {
	tb.Helper()
	return connect(tb, &redis.Options{
		Addr:                  redisAddr(tb),
		Protocol:              3,
		ContextTimeoutEnabled: true,
		ClientSideCacheConfig: &redis.ClientSideCacheConfig{MaxEntries: 10_000, DrainInterval: drain},
	})
}

// cachedStore returns a Store with WithClientSideCache on its own caching
// client (one "instance") under prefix.
func cachedStore(tb testing.TB, prefix string, drain time.Duration) (*Store, *redis.Client) {
	tb.Helper()
	c := cachingClient(tb, drain)
	return mustNew(tb, c, WithPrefix(prefix), WithClientSideCache()), c
}

// hits is how many reads the client's cache has answered so far.
func hits(c *redis.Client) uint64 { return c.CSCStats().Hits }

// TestClientSideCacheConformance: the whole contract holds with reads
// served from the cache. The damage the suite does behind the store's back
// is another instance's write, seen once its invalidation has arrived, so
// the corrupter waits for that.
func TestClientSideCacheConformance(t *testing.T) {
	raw := testClient(t)
	s, _ := cachedStore(t, testPrefix(), 0)
	t.Cleanup(func() { deletePrefix(t, raw, s.Prefix()) })
	damage := corrupter(s, raw)
	storetest.Run(t, s, storetest.WithCorrupt(func(ctx context.Context, key store.Key) error {
		if err := damage(ctx, key); err != nil {
			return err
		}
		for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); {
			if _, err := s.Read(ctx, key); err != nil {
				return nil
			}
		}
		return errors.New("the cache still serves the record a second after it was damaged")
	}))
}

// TestClientSideCacheServesReads: a Read of an unchanged record is a cache
// hit, and a Read after this store's own write returns that write even
// while the invalidation has not been applied (drain never).
func TestClientSideCacheServesReads(t *testing.T) {
	ctx := context.Background()
	raw := testClient(t)
	s, c := cachedStore(t, testPrefix(), never)
	t.Cleanup(func() { deletePrefix(t, raw, s.Prefix()) })
	key := storetest.RandomKey()
	// With a user, every write is a pipeline: it goes over another
	// connection than the cached read, which leaves that read's
	// invalidation unread.
	if err := s.Create(ctx, key, record("me", "v1", time.Hour)); err != nil {
		t.Fatal(err)
	}
	mustReadData(t, s, key, "v1")
	before := hits(c)
	mustReadData(t, s, key, "v1")
	if hits(c) != before+1 {
		t.Fatalf("the second Read of an unchanged record was not a cache hit (hits %d → %d)", before, hits(c))
	}

	if err := s.Update(ctx, key, record("me", "v2", time.Hour)); err != nil {
		t.Fatal(err)
	}
	mustReadData(t, s, key, "v2") // read your own write
	mustReadData(t, s, key, "v2") // and never go back

	got, err := s.Read(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	next := record("me", "v3", time.Hour)
	next.Version = got.Version
	if err := s.CompareAndUpdate(ctx, key, next); err != nil {
		t.Fatal(err)
	}
	mustReadData(t, s, key, "v3")

	if _, err := s.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(ctx, key); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Read after this store's Delete = %v, want ErrNotFound (a logout must be final at once)", err)
	}
}

func mustReadData(t *testing.T, s *Store, key store.Key, want string) store.Record {
	t.Helper()
	rec, err := s.Read(context.Background(), key)
	if err != nil || string(rec.Data) != want {
		t.Fatalf("Read = %q, %v; want %q", rec.Data, err, want)
	}
	return rec
}

// TestClientSideCacheStaleWriteConflicts (b): instance B reads version N
// from its cache after instance A wrote N+1. B's CompareAndUpdate based on
// N fails with ErrConflict and leaves A's write alone (the version check
// runs in Redis), and B's next Read returns N+1, not its cached N, so the
// session layer's retry can succeed.
func TestClientSideCacheStaleWriteConflicts(t *testing.T) {
	ctx := context.Background()
	prefix := testPrefix()
	a, ac := cachedStore(t, prefix, 0)
	b, bc := cachedStore(t, prefix, never)
	t.Cleanup(func() { deletePrefix(t, ac, prefix) })
	key := storetest.RandomKey()
	if err := a.Create(ctx, key, record("u", "created", time.Hour)); err != nil {
		t.Fatal(err)
	}
	mustReadData(t, b, key, "created") // B caches version 1

	v1 := mustReadData(t, a, key, "created")
	fromA := record("u", "written by A", time.Hour)
	fromA.Version = v1.Version
	if err := a.CompareAndUpdate(ctx, key, fromA); err != nil {
		t.Fatal(err)
	}

	before := hits(bc)
	stale := mustReadData(t, b, key, "created")
	if hits(bc) != before+1 || stale.Version != v1.Version {
		t.Fatalf("B's Read after A's write: hit %v, version %d; the test needs a stale cached read of version %d", hits(bc) == before+1, stale.Version, v1.Version)
	}
	fromB := record("u", "written by B", time.Hour)
	fromB.Version = stale.Version
	if err := b.CompareAndUpdate(ctx, key, fromB); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("B's CompareAndUpdate based on a stale cached read = %v, want ErrConflict", err)
	}
	mustReadData(t, a, key, "written by A") // not overwritten

	fresh := mustReadData(t, b, key, "written by A") // B re-reads: not its cached copy
	fromB.Version = fresh.Version
	if err := b.CompareAndUpdate(ctx, key, fromB); err != nil {
		t.Fatalf("B's CompareAndUpdate after re-reading: %v", err)
	}
	if got := mustReadData(t, b, key, "written by B"); got.Version != fresh.Version+1 {
		t.Errorf("version after B's write = %d, want %d", got.Version, fresh.Version+1)
	}
}

// TestClientSideCacheSessionRetry (b) through the session layer: two
// instances each add one to a counter, B from a stale cached copy. B's
// commit conflicts, re-reads and re-applies, and both increments count.
func TestClientSideCacheSessionRetry(t *testing.T) {
	ctx := context.Background()
	prefix := testPrefix()
	a, ac := cachedStore(t, prefix, 0)
	b, bc := cachedStore(t, prefix, never)
	t.Cleanup(func() { deletePrefix(t, ac, prefix) })
	type counter struct {
		N    int
		User string
	}
	storage := func(s *Store) *session.Storage[counter] {
		sessions, err := session.NewStorage(s, session.Config[counter]{
			Cookie: session.CookieOptions{Secrets: []string{"redisstore test only: 6f1Q9xKz2LmP7wRt4VbN8cYd3HsJ5gAe"}, Insecure: true},
			UserID: func(c counter) string { return c.User }, // pipelined writes
		})
		if err != nil {
			t.Fatal(err)
		}
		return sessions
	}
	sa, sb := storage(a), storage(b)
	get := func(sessions *session.Storage[counter], cookie string) *session.Session[counter] {
		t.Helper()
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if cookie != "" {
			r.Header.Set("Cookie", cookie)
		}
		s, err := sessions.Get(r)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	commit := func(sessions *session.Storage[counter], s *session.Session[counter]) string {
		t.Helper()
		w := httptest.NewRecorder()
		if err := sessions.Commit(ctx, w, s); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		i := slices.IndexFunc(w.Result().Cookies(), func(c *http.Cookie) bool { return c.Name == sessions.CookieName() })
		if i < 0 {
			return ""
		}
		return w.Result().Cookies()[i].String()
	}

	first := get(sa, "")
	first.Set(counter{User: "u"})
	cookie, _, _ := strings.Cut(commit(sa, first), ";")
	if got := get(sb, cookie).Get().N; got != 0 { // B caches N=0
		t.Fatalf("B reads N=%d, want 0", got)
	}
	inA := get(sa, cookie)
	inA.Update(func(c *counter) { c.N++ })
	commit(sa, inA)

	before := hits(bc)
	inB := get(sb, cookie)
	if inB.Get().N != 0 || hits(bc) != before+1 {
		t.Fatalf("B's Get after A's commit: N=%d, cache hit %v; the test needs the stale cached N=0", inB.Get().N, hits(bc) == before+1)
	}
	inB.Update(func(c *counter) { c.N++ })
	commit(sb, inB)
	if got := get(sa, cookie).Get().N; got != 2 {
		t.Errorf("after one increment on each instance N=%d, want 2 (an update was lost)", got)
	}
}

// TestClientSideCacheInvalidationDelay (a) measures how long another
// instance keeps serving a record from its cache after a write: B caches
// the record, A deletes (or updates) it, and B polls its Read every 200 µs,
// every poll a cache hit until the invalidation lands. The bound asserted is generous
// (the machine is shared); the measured figures are logged.
func TestClientSideCacheInvalidationDelay(t *testing.T) {
	if testing.Short() {
		t.Skip("measures invalidation delays; skipped with -short")
	}
	const rounds, bound, pollEvery = 40, time.Second, 200 * time.Microsecond
	ctx := context.Background()
	prefix := testPrefix()
	a, ac := cachedStore(t, prefix, 0)
	b, bc := cachedStore(t, prefix, 0)
	t.Cleanup(func() { deletePrefix(t, ac, prefix) })

	measure := func(t *testing.T, change func(key store.Key) error, seen func(rec store.Record, err error) bool) {
		var delays []time.Duration
		var polls, hitsDuring uint64
		for range rounds {
			key := storetest.RandomKey()
			if err := a.Create(ctx, key, record("u", "before", time.Hour)); err != nil {
				t.Fatal(err)
			}
			mustReadData(t, b, key, "before")
			mustReadData(t, b, key, "before") // cached now
			h := hits(bc)
			if err := change(key); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			n := uint64(0)
			for {
				n++
				if seen(b.Read(ctx, key)) {
					break
				}
				if time.Since(start) > bound {
					t.Fatalf("instance B still served the old record %v after the change on A", bound)
				}
				// Poll, do not spin: a spinning reader would take the CPU
				// from the goroutine that applies the invalidation.
				time.Sleep(pollEvery)
			}
			delays = append(delays, time.Since(start))
			polls += n
			hitsDuring += hits(bc) - h
		}
		slices.Sort(delays)
		t.Logf("%d rounds: instance B saw the change after p50 %v, p90 %v, max %v; %d of its %d polling reads were cache hits",
			rounds, delays[len(delays)/2], delays[len(delays)*9/10], delays[len(delays)-1], hitsDuring, polls)
		if hitsDuring == 0 {
			t.Errorf("no polling read was a cache hit: the test measured nothing")
		}
	}
	t.Run("Delete", func(t *testing.T) {
		measure(t, func(key store.Key) error { _, err := a.Delete(ctx, key); return err },
			func(_ store.Record, err error) bool { return errors.Is(err, store.ErrNotFound) })
	})
	t.Run("Update", func(t *testing.T) {
		measure(t, func(key store.Key) error { return a.Update(ctx, key, record("u", "after", time.Hour)) },
			func(rec store.Record, err error) bool { return err == nil && string(rec.Data) == "after" })
	})
}

// TestWithClientSideCacheNeedsACachingClient: the option refuses a client
// whose reads go-redis would not cache, and says what to change.
func TestWithClientSideCacheNeedsACachingClient(t *testing.T) {
	cache := &redis.ClientSideCacheConfig{MaxEntries: 10}
	cases := []struct {
		name   string
		client redis.UniversalClient
		want   string
	}{
		{"NoCache", redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), "ClientSideCacheConfig"},
		{"RESP2", redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", Protocol: 2, ClientSideCacheConfig: cache}), "Protocol: 3"},
		{"DB1", redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DB: 1, ClientSideCacheConfig: cache}), "DB 0"},
		{"Cluster", redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}}), "single-node"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer tc.client.Close()
			_, err := New(tc.client, WithClientSideCache())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New with WithClientSideCache = %v, want an error that mentions %q", err, tc.want)
			}
			if s, err := New(tc.client); err != nil || s.fences != nil {
				t.Errorf("New without the option = %v; want an uncached store", err)
			}
		})
	}
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ClientSideCacheConfig: &redis.ClientSideCacheConfig{MaxEntries: 10, MaxStaleness: 3 * time.Second}})
	defer c.Close()
	s, err := New(c) // detected without the option
	if err != nil || s.fences == nil || s.fences.life != 3*time.Second {
		t.Errorf("New on a caching client: err %v, fences %+v; want fences that last MaxStaleness", err, s.fences)
	}
}
