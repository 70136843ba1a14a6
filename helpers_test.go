package session

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/codec"
	"github.com/b4f9cdbb/session/memstore"
	"github.com/b4f9cdbb/session/store"
)

// Secrets used by the tests: random-looking, long enough, distinct.
const (
	secret1 = "q8Vn2LxR7tWc4ZpK9sJd3HmF6gBy1AeU"
	secret2 = "Xo5Tz8Qw2Ri7Lk4Ns9Pv3Mj6Hc1Gb0Fd"
)

// testUser and testData exercise nested pointers, slices and maps.
type testUser struct {
	ID    int      `json:"id"`
	Email string   `json:"email"`
	Roles []string `json:"roles,omitempty"`
}

type testData struct {
	Count int               `json:"count"`
	User  *testUser         `json:"user,omitempty"`
	Tags  map[string]string `json:"tags,omitempty"`
}

// clock is a settable fake clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func baseConfig(c *clock) Config[testData] {
	cfg := Config[testData]{Cookie: CookieOptions{Secrets: []string{secret1}}}
	if c != nil {
		cfg.Now = c.Now
	}
	return cfg
}

func mustCookieStorage(t testing.TB, cfg Config[testData]) *Storage[testData] {
	t.Helper()
	st, err := NewCookieStorage(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// spyStore wraps a memstore, counts calls and can be made to fail or hang.
type spyStore struct {
	store.Store
	creates, reads, updates, deletes atomic.Int64
	keys                             sync.Map // every key the store was asked about
	fail                             atomic.Pointer[error]
	hang                             atomic.Bool
	// writeDelay is how long each update takes, as a network round trip
	// would; a cancelled context ends it early, before the write applies.
	writeDelay atomic.Int64
	// readHold, when set, holds every read after it has read the record,
	// until the channel is closed: the reply is on its way.
	readHold atomic.Pointer[chan struct{}]
}

func newSpyStore(t testing.TB, c *clock) *spyStore {
	opts := []memstore.Option{}
	if c != nil {
		opts = append(opts, memstore.WithClock(c.Now))
	}
	m := memstore.New(opts...)
	t.Cleanup(func() { m.Close() })
	return &spyStore{Store: m}
}

func (s *spyStore) gate(ctx context.Context, key store.Key) error {
	s.keys.Store(key, true)
	if s.hang.Load() {
		<-ctx.Done()
		return ctx.Err()
	}
	if e := s.fail.Load(); e != nil {
		return *e
	}
	return nil
}

func (s *spyStore) writes() int64 { return s.creates.Load() + s.updates.Load() + s.deletes.Load() }

func (s *spyStore) Create(ctx context.Context, key store.Key, rec store.Record) error {
	s.creates.Add(1)
	if err := s.gate(ctx, key); err != nil {
		return err
	}
	return s.Store.Create(ctx, key, rec)
}

func (s *spyStore) Read(ctx context.Context, key store.Key) (store.Record, error) {
	s.reads.Add(1)
	if err := s.gate(ctx, key); err != nil {
		return store.Record{}, err
	}
	rec, err := s.Store.Read(ctx, key)
	if hold := s.readHold.Load(); hold != nil {
		select {
		case <-*hold:
		case <-ctx.Done():
			return store.Record{}, ctx.Err()
		}
	}
	return rec, err
}

// slowWrite waits out writeDelay, or returns ctx's error if it ends first.
func (s *spyStore) slowWrite(ctx context.Context) error {
	if d := time.Duration(s.writeDelay.Load()); d > 0 {
		return pause(ctx, d)
	}
	return nil
}

func (s *spyStore) Update(ctx context.Context, key store.Key, rec store.Record) error {
	s.updates.Add(1)
	if err := s.gate(ctx, key); err != nil {
		return err
	}
	if err := s.slowWrite(ctx); err != nil {
		return err
	}
	return s.Store.Update(ctx, key, rec)
}

func (s *spyStore) Delete(ctx context.Context, key store.Key) (bool, error) {
	s.deletes.Add(1)
	if err := s.gate(ctx, key); err != nil {
		return false, err
	}
	return s.Store.Delete(ctx, key)
}

// versionedSpy adds the Versioned and UserIndex capabilities of the memstore.
type versionedSpy struct{ *spyStore }

func (s versionedSpy) CompareAndUpdate(ctx context.Context, key store.Key, rec store.Record) error {
	s.updates.Add(1)
	if err := s.gate(ctx, key); err != nil {
		return err
	}
	if err := s.slowWrite(ctx); err != nil {
		return err
	}
	return s.Store.(store.Versioned).CompareAndUpdate(ctx, key, rec)
}

func (s versionedSpy) ListUser(ctx context.Context, userID string) ([]store.Info, error) {
	return s.Store.(store.UserIndex).ListUser(ctx, userID)
}

func (s versionedSpy) DeleteUser(ctx context.Context, userID string) (int, error) {
	return s.Store.(store.UserIndex).DeleteUser(ctx, userID)
}

func mustStoreStorage(t testing.TB, st store.Store, cfg Config[testData]) *Storage[testData] {
	t.Helper()
	s, err := NewStorage(st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// browser keeps cookies between requests the way a browser does, for one
// host and Path=/.
type browser struct {
	t       testing.TB
	cookies map[string]string
	last    []*http.Cookie // the Set-Cookie headers of the last response
}

func newBrowser(t testing.TB) *browser { return &browser{t: t, cookies: map[string]string{}} }

func (b *browser) request(method, target string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	var parts []string
	for k, v := range b.cookies {
		parts = append(parts, k+"="+v)
	}
	if len(parts) > 0 {
		r.Header.Set("Cookie", strings.Join(parts, "; "))
	}
	return r
}

// absorb applies the response's Set-Cookie headers, checking that each is
// a valid cookie.
func (b *browser) absorb(w *httptest.ResponseRecorder) {
	b.t.Helper()
	b.last = nil
	for _, line := range w.Result().Header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			b.t.Fatalf("invalid Set-Cookie %q: %v", line, err)
		}
		if err := c.Valid(); err != nil {
			b.t.Fatalf("Set-Cookie %q not valid: %v", line, err)
		}
		b.last = append(b.last, c)
		if c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(time.Unix(1, 0))) {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
}

// do runs one request through h with the browser's cookies.
func (b *browser) do(h http.HandlerFunc, method, target string) *httptest.ResponseRecorder {
	b.t.Helper()
	w := httptest.NewRecorder()
	h(w, b.request(method, target))
	b.absorb(w)
	return w
}

// counterHandler increments Count and commits, failing the test on error.
func counterHandler(t testing.TB, st *Storage[testData]) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := st.Get(r)
		if err != nil {
			t.Errorf("Get: %v", err)
			return
		}
		s.Update(func(d *testData) { d.Count++ })
		if err := st.Commit(r.Context(), w, s); err != nil {
			t.Errorf("Commit: %v", err)
		}
	}
}

// load returns the session the browser's cookies yield.
func (b *browser) load(st *Storage[testData]) *Session[testData] {
	b.t.Helper()
	s, err := st.Get(b.request("GET", "/"))
	if err != nil {
		b.t.Fatalf("Get: %v", err)
	}
	return s
}

func mustSigned(t testing.TB, secrets ...string) codec.Codec {
	t.Helper()
	c, err := codec.NewSigned(secrets...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
