package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/codec"
	"github.com/b4f9cdbb/session/store"
)

// Server-side lifecycle: what the storage asks of the store, and when.

func memStorage(t *testing.T, c *clock) (*Storage[testData], *spyStore) {
	spy := newSpyStore(t, c)
	cfg := baseConfig(c)
	cfg.UserID = func(d testData) string {
		if d.User == nil {
			return ""
		}
		return d.User.Email
	}
	return mustStoreStorage(t, versionedSpy{spy}, cfg), spy
}

// forge returns a cookie value for id signed with the storage's secret, as
// if the attacker knew the secret or the ID had been issued before.
func forge(t *testing.T, id string) string {
	c := mustSigned(t, secret1)
	v, err := c.AppendEncode(nil, "__session", &codec.Payload{ID: id, Expires: time.Now().Add(time.Hour)}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return string(v)
}

func TestUnknownIDNotAdopted(t *testing.T) {
	st, spy := memStorage(t, nil)
	attackerID, attackerKey := newID()
	b := newBrowser(t)
	b.cookies["__session"] = forge(t, attackerID)
	b.do(counterHandler(t, st), "GET", "/")
	s := b.load(st)
	if s.ID() == attackerID || s.ID() == "" || s.Get().Count != 1 {
		t.Fatalf("session after an unknown ID: id adopted=%v count=%d", s.ID() == attackerID, s.Get().Count)
	}
	if _, err := spy.Store.Read(context.Background(), attackerKey); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a record exists under the attacker's key: %v", err)
	}
}

func TestMalformedIDNeverReachesStore(t *testing.T) {
	st, spy := memStorage(t, nil)
	ids := []string{"../x", "a/b", `a\b`, "%2e%2e%2f", "x\x00y", strings.Repeat("A", 10240), strings.Repeat(".", idLen),
		strings.Repeat("/", idLen), strings.Repeat("A", idLen-1) + "=", strings.Repeat("A", idLen+1), ""}
	for _, id := range ids {
		b := newBrowser(t)
		b.cookies["__session"] = forge(t, id)
		if s := b.load(st); !s.IsNew() {
			t.Fatalf("ID %q yielded a session", id)
		}
	}
	if n := spy.reads.Load() + spy.writes(); n != 0 {
		t.Fatalf("malformed IDs made %d store calls", n)
	}
}

func TestRegenerateOnLogin(t *testing.T) {
	st, _ := memStorage(t, nil)
	b := newBrowser(t)
	b.do(counterHandler(t, st), "GET", "/")
	oldCookie := b.cookies["__session"]
	a := b.load(st)
	idA := a.ID()
	b.do(func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.Get(r)
		if err := st.Regenerate(r.Context(), s); err != nil {
			t.Fatal(err)
		}
		s.Update(func(d *testData) { d.User = &testUser{Email: "u@example.com"} })
		if err := st.Commit(r.Context(), w, s); err != nil {
			t.Fatal(err)
		}
	}, "POST", "/login")
	s := b.load(st)
	if s.ID() == idA || s.ID() == "" {
		t.Fatal("ID not regenerated")
	}
	if d := s.Get(); d.Count != 1 || d.User == nil {
		t.Fatalf("data lost on regenerate: %+v", d)
	}
	old := newBrowser(t)
	old.cookies["__session"] = oldCookie
	if s := old.load(st); !s.IsNew() {
		t.Fatal("old ID still loads after Regenerate")
	}
}

func TestReplayAfterDestroy(t *testing.T) {
	st, _ := memStorage(t, nil)
	b := newBrowser(t)
	b.do(counterHandler(t, st), "GET", "/")
	stolen := b.cookies["__session"]
	b.do(func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.Get(r)
		if err := st.Destroy(r.Context(), w, s); err != nil {
			t.Fatal(err)
		}
	}, "POST", "/logout")
	if c := b.last[0]; c.Value != "" || c.MaxAge >= 0 || c.Path != "/" {
		t.Fatalf("deletion cookie %+v", c)
	}
	replay := newBrowser(t)
	replay.cookies["__session"] = stolen
	if s := replay.load(st); !s.IsNew() || !errors.Is(s.LoadError(), ErrNotFound) {
		t.Fatalf("destroyed session replayed: %v", s.LoadError())
	}
}

// TestReplayAfterDestroyCookieStore pins the documented limit of cookie
// storage: a copied cookie stays valid until it expires.
func TestReplayAfterDestroyCookieStore(t *testing.T) {
	c := newClock()
	cfg := baseConfig(c)
	cfg.IdleTimeout = time.Hour
	st := mustCookieStorage(t, cfg)
	b := newBrowser(t)
	b.do(counterHandler(t, st), "GET", "/")
	stolen := b.cookies["__session"]
	b.do(func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.Get(r)
		st.Destroy(r.Context(), w, s)
	}, "POST", "/logout")
	replay := newBrowser(t)
	replay.cookies["__session"] = stolen
	if s := replay.load(st); s.IsNew() {
		t.Fatal("documented limit changed: a copied cookie no longer replays; update the README's security model")
	}
	c.Advance(time.Hour)
	if s := replay.load(st); !s.IsNew() {
		t.Fatal("copied cookie replays past its expiry")
	}
}

func TestLogoutNotResurrected(t *testing.T) {
	st, _ := memStorage(t, nil)
	b := newBrowser(t)
	b.do(counterHandler(t, st), "GET", "/")
	slow := b.load(st)                                  // R1 loads…
	b.do(func(w http.ResponseWriter, r *http.Request) { // …R2 logs out…
		s, _ := st.Get(r)
		st.Destroy(r.Context(), w, s)
	}, "POST", "/logout")
	slow.Update(func(d *testData) { d.Count = 99 }) // …R1 commits late.
	w := httptest.NewRecorder()
	if err := st.Commit(context.Background(), w, slow); !errors.Is(err, ErrSessionDestroyed) {
		t.Fatalf("late commit after logout = %v, want ErrSessionDestroyed", err)
	}
	if len(w.Header().Values("Set-Cookie")) != 0 {
		t.Fatal("late commit set a cookie")
	}
	again := newBrowser(t)
	again.cookies = map[string]string{"__session": forgeFrom(t, slow)}
	if s := again.load(st); !s.IsNew() {
		t.Fatal("session came back")
	}
}

// forgeFrom returns the cookie for a loaded session's ID.
func forgeFrom(t *testing.T, s *Session[testData]) string { return forge(t, s.ID()) }

// TestConcurrentWritersLostUpdate: n requests load one session and commit
// at once. By default every commit succeeds and every increment counts
// (the losers re-read and re-apply); with StrictConflicts exactly one wins
// and the others get ErrConflict. No update is ever lost silently.
func TestConcurrentWritersLostUpdate(t *testing.T) {
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprintf("strict=%v", strict), func(t *testing.T) {
			spy := newSpyStore(t, nil)
			cfg := baseConfig(nil)
			cfg.StrictConflicts = strict
			st := mustStoreStorage(t, versionedSpy{spy}, cfg)
			b := newBrowser(t)
			b.do(counterHandler(t, st), "GET", "/")
			const n = 8
			var (
				wg        sync.WaitGroup
				mu        sync.Mutex
				ok, lost  int
				loaded    []*Session[testData]
				unexpects []error
			)
			for range n {
				loaded = append(loaded, b.load(st))
			}
			readsBefore := spy.reads.Load()
			for _, s := range loaded {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s.Update(func(d *testData) { d.Count++ })
					err := st.Commit(context.Background(), httptest.NewRecorder(), s)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						ok++
					case errors.Is(err, ErrConflict):
						lost++
					default:
						unexpects = append(unexpects, err)
					}
				}()
			}
			wg.Wait()
			wantOK, wantCount := n, 1+n
			if strict {
				wantOK, wantCount = 1, 2
			}
			if ok != wantOK || lost != n-wantOK || len(unexpects) > 0 {
				t.Fatalf("%d commits from one read: %d succeeded, %d conflicts, errors %v; want %d succeeded", n, ok, lost, unexpects, wantOK)
			}
			if rereads := spy.reads.Load() - readsBefore; rereads != 0 {
				t.Errorf("%d re-reads of the store: commits racing within one process should re-apply on the record this process just wrote", rereads)
			}
			if got := b.load(st).Get().Count; got != wantCount {
				t.Fatalf("count %d, want %d", got, wantCount)
			}
		})
	}
}

// TestReapplyReplaysEachKindOfChange: after a lost race, Update runs again
// on the newer data, Set overwrites it, flash set and take and
// SetPersistent are redone, and a touch-only commit is simply dropped.
func TestReapplyReplaysEachKindOfChange(t *testing.T) {
	st, _ := memStorage(t, nil)
	b := newBrowser(t)
	b.do(counterHandler(t, st), "GET", "/")
	ctx := context.Background()
	commit := func(s *Session[testData]) {
		t.Helper()
		if err := st.Commit(ctx, httptest.NewRecorder(), s); err != nil {
			t.Fatal(err)
		}
	}
	// Flash set by one request, then taken by a request that loses a race.
	first := b.load(st)
	if err := SetFlash(first, "notice", "hello"); err != nil {
		t.Fatal(err)
	}
	commit(first)
	slow, fast := b.load(st), b.load(st)
	fast.Update(func(d *testData) { d.Count += 10 })
	commit(fast)
	if v, ok := TakeFlash[string](slow, "notice"); !ok || v != "hello" {
		t.Fatalf("TakeFlash = %q, %v", v, ok)
	}
	if err := SetFlash(slow, "other", 7); err != nil {
		t.Fatal(err)
	}
	slow.Update(func(d *testData) { d.Count++ })
	slow.SetPersistent(true)
	commit(slow)
	got := b.load(st)
	if got.Get().Count != 12 || got.HasFlash("notice") || !got.HasFlash("other") || !got.Persistent() {
		t.Fatalf("after re-apply: count %d (want 12), notice %v (want taken), other %v, persistent %v",
			got.Get().Count, got.HasFlash("notice"), got.HasFlash("other"), got.Persistent())
	}
	// Set: the last writer wins, whatever the other request did.
	setter, adder := b.load(st), b.load(st)
	adder.Update(func(d *testData) { d.Count += 100 })
	commit(adder)
	setter.Set(testData{Count: 5})
	commit(setter)
	if c := b.load(st).Get().Count; c != 5 {
		t.Fatalf("after Set lost a race: count %d, want 5 (last writer wins)", c)
	}
}

func TestNoWriteForUntouchedRequest(t *testing.T) {
	st, spy := memStorage(t, nil)
	run := func(name string, cookie string, h http.HandlerFunc) {
		before := spy.writes()
		b := newBrowser(t)
		if cookie != "" {
			b.cookies["__session"] = cookie
		}
		b.do(h, "GET", "/")
		if d := spy.writes() - before; d != 0 {
			t.Errorf("%s: %d store writes", name, d)
		}
	}
	readOnly := func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.Get(r)
		_ = s.Get().Count
		st.Commit(r.Context(), w, s)
	}
	logout := func(w http.ResponseWriter, r *http.Request) {
		s, _ := st.Get(r)
		st.Destroy(r.Context(), w, s)
	}
	unknown, _ := newID()
	run("anonymous GET", "", readOnly)
	run("unknown ID", forge(t, unknown), readOnly)
	run("logout without a session", "", logout)
	b := newBrowser(t)
	b.do(counterHandler(t, st), "GET", "/")
	run("existing session read", b.cookies["__session"], readOnly)
}

func TestStoreDown(t *testing.T) {
	st, spy := memStorage(t, nil)
	b := newBrowser(t)
	b.do(counterHandler(t, st), "GET", "/")
	down := errors.New("connection refused")
	spy.fail.Store(&down)
	r := b.request("GET", "/")
	s, err := st.Get(r)
	if !errors.Is(err, down) || s == nil {
		t.Fatalf("Get with the store down = %v, %v", s, err)
	}
	s.Update(func(d *testData) { d.Count++ })
	w := httptest.NewRecorder()
	if err := st.Commit(r.Context(), w, s); !errors.Is(err, down) {
		t.Fatalf("Commit with the store down = %v", err)
	}
	if len(w.Header().Values("Set-Cookie")) != 0 {
		t.Fatal("Set-Cookie despite a failed commit")
	}
	spy.fail.Store(nil)
	// The store is back, but the empty session of the failed load must not
	// replace the user's cookie.
	w = httptest.NewRecorder()
	if err := st.Commit(r.Context(), w, s); !errors.Is(err, down) || len(w.Header().Values("Set-Cookie")) != 0 {
		t.Fatalf("Commit of a session whose load failed = %v, Set-Cookie %q", err, w.Header().Values("Set-Cookie"))
	}
	if got := b.load(st).Get().Count; got != 1 {
		t.Fatalf("stored session damaged by the outage: count %d", got)
	}
}

func TestSlowStoreDeadline(t *testing.T) {
	st, spy := memStorage(t, nil)
	b := newBrowser(t)
	b.do(counterHandler(t, st), "GET", "/")
	spy.hang.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := st.Get(b.request("GET", "/").WithContext(ctx))
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("Get on a hanging store = %v after %v", err, time.Since(start))
	}
}

func TestStoreKeysHashedAndNamespaced(t *testing.T) {
	var logs bytes.Buffer
	spy := newSpyStore(t, nil)
	cfg := baseConfig(nil)
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st := mustStoreStorage(t, spy, cfg)
	b := newBrowser(t)
	b.do(counterHandler(t, st), "GET", "/")
	s := b.load(st)
	id := s.ID()
	key, _ := s.Key()
	raw, _ := idEncoding.DecodeString(id)
	spy.keys.Range(func(k, _ any) bool {
		kb := k.(store.Key)
		if bytes.Contains(kb[:], raw) || strings.Contains(kb.String(), id) {
			t.Fatal("a store key contains the raw ID")
		}
		if kb != key {
			t.Fatalf("store saw key %v, want the ID's hash %v", kb, key)
		}
		return true
	})
	// Make the storage log (a store failure) and check the ID is not there.
	boom := errors.New("boom")
	spy.fail.Store(&boom)
	st.Get(b.request("GET", "/"))
	if logs.Len() == 0 {
		t.Fatal("nothing logged: the check below proves nothing")
	}
	if strings.Contains(logs.String(), id) {
		t.Fatalf("raw session ID in the logs: %s", logs.String())
	}
}

func TestUserSessions(t *testing.T) {
	st, _ := memStorage(t, nil)
	login := func(b *browser) {
		b.do(func(w http.ResponseWriter, r *http.Request) {
			s, _ := st.Get(r)
			st.Regenerate(r.Context(), s)
			s.Update(func(d *testData) { d.User = &testUser{Email: "u@example.com"} })
			if err := st.Commit(r.Context(), w, s); err != nil {
				t.Fatal(err)
			}
		}, "POST", "/login")
	}
	b1, b2 := newBrowser(t), newBrowser(t)
	login(b1)
	login(b2)
	ctx := context.Background()
	infos, err := st.ListUserSessions(ctx, "u@example.com")
	if err != nil || len(infos) != 2 {
		t.Fatalf("ListUserSessions = %d, %v", len(infos), err)
	}
	k1, _ := b1.load(st).Key()
	if err := st.RevokeSession(ctx, k1); err != nil {
		t.Fatal(err)
	}
	if !b1.load(st).IsNew() || b2.load(st).IsNew() {
		t.Fatal("RevokeSession revoked the wrong session")
	}
	if n, err := st.RevokeUser(ctx, "u@example.com"); n != 1 || err != nil {
		t.Fatalf("RevokeUser = %d, %v", n, err)
	}
	if !b2.load(st).IsNew() {
		t.Fatal("RevokeUser left a session")
	}
	cookieOnly := mustCookieStorage(t, baseConfig(nil))
	if _, err := cookieOnly.ListUserSessions(ctx, "u"); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("cookie storage ListUserSessions = %v", err)
	}
}
