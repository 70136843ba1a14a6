package storetest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/store"
)

// sessionData is what the session-level subtests keep in a session.
type sessionData struct {
	Count int
	User  string
}

// sessionSecret is a test-only secret of the strength the codecs require.
const sessionSecret = "storetest-only: q7Rv2mXkP9wLs4ZtB8nHc6YjD3fGa1Ue"

func newStorage(t *testing.T, s store.Store) *session.Storage[sessionData] {
	t.Helper()
	st, err := session.NewStorage(s, session.Config[sessionData]{
		Cookie: session.CookieOptions{Secrets: []string{sessionSecret}, Insecure: true},
		UserID: func(d sessionData) string { return d.User },
	})
	if err != nil {
		t.Fatalf("session.NewStorage: %v", err)
	}
	return st
}

// request returns a GET request carrying cookie ("" for none).
func request(cookie string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if cookie != "" {
		r.Header.Set("Cookie", cookie)
	}
	return r
}

// sessionCookie returns the "name=value" of the session cookie a response
// set, or "" if it set none.
func sessionCookie(st interface{ CookieName() string }, h http.Header) string {
	for _, v := range h.Values("Set-Cookie") {
		nv, _, _ := strings.Cut(v, ";")
		if strings.HasPrefix(nv, st.CookieName()+"=") {
			return nv
		}
	}
	return ""
}

// signIn commits a new session of user and returns its cookie and key.
func signIn(t *testing.T, st *session.Storage[sessionData], user string) (string, store.Key) {
	t.Helper()
	s, err := st.Get(request(""))
	if err != nil {
		t.Fatalf("Get without a cookie: %v", err)
	}
	s.Set(sessionData{User: user})
	w := httptest.NewRecorder()
	if err := st.Commit(context.Background(), w, s); err != nil {
		t.Fatalf("Commit of a new session: %v", err)
	}
	cookie := sessionCookie(st, w.Header())
	key, ok := s.Key()
	if cookie == "" || !ok {
		t.Fatalf("Commit of a new session set no cookie (%q) or left no record", w.Header().Values("Set-Cookie"))
	}
	return cookie, key
}

// load gets the session for cookie and requires that it was found.
func load(t *testing.T, st *session.Storage[sessionData], cookie string) *session.Session[sessionData] {
	t.Helper()
	s, err := st.Get(request(cookie))
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if s.IsNew() {
		t.Fatalf("Get: the committed session was not found (LoadError %v)", s.LoadError())
	}
	return s
}

func testSession(t *testing.T, s store.Store, o *options) {
	t.Run("RegenerateAfterRevoke", func(t *testing.T) { testRegenerateAfterRevoke(t, s) })
	t.Run("FailedRegenerateCannotCommit", func(t *testing.T) { testFailedRegenerate(t, s) })
	t.Run("ParallelRequestsOfOneSession", func(t *testing.T) {
		if _, ok := s.(store.Versioned); !ok {
			t.Skip("store does not implement store.Versioned: concurrent commits are last-writer-wins")
		}
		testParallelRequests(t, s)
	})
	t.Run("LostReplies", func(t *testing.T) { testLostReplies(t, s) })
	t.Run("JunkPayloadGivesFreshSession", func(t *testing.T) { testJunkPayload(t, s) })
	t.Run("CorruptRecordGivesFreshSession", func(t *testing.T) {
		if o.corrupt == nil {
			t.Skip("no storetest.WithCorrupt given")
		}
		testCorruptSession(t, s, o.corrupt)
	})
}

// testRegenerateAfterRevoke: a request loaded the session, then another
// request revoked it (sign out everywhere, sign out that device, logout in
// another tab). The first request's Regenerate (a login, a privilege
// change) must not bring the session back under a new ID.
func testRegenerateAfterRevoke(t *testing.T, s store.Store) {
	st := newStorage(t, s)
	ctx := context.Background()
	revokers := map[string]func(t *testing.T, cookie string, key store.Key, user string){
		"RevokeSession": func(t *testing.T, _ string, key store.Key, _ string) {
			if err := st.RevokeSession(ctx, key); err != nil {
				t.Fatalf("RevokeSession: %v", err)
			}
		},
		"RevokeUser": func(t *testing.T, _ string, _ store.Key, user string) {
			if _, err := st.RevokeUser(ctx, user); err != nil && !errors.Is(err, session.ErrNotSupported) {
				t.Fatalf("RevokeUser: %v", err)
			} else if err != nil {
				t.Skip("store has no user index")
			}
		},
		"LogoutInAnotherTab": func(t *testing.T, cookie string, _ store.Key, _ string) {
			other := load(t, st, cookie)
			if err := st.Destroy(ctx, httptest.NewRecorder(), other); err != nil {
				t.Fatalf("Destroy: %v", err)
			}
		},
	}
	for name, revoke := range revokers {
		t.Run(name, func(t *testing.T) {
			user := randomUserID()
			cookie, key := signIn(t, st, user)
			r1 := load(t, st, cookie)
			revoke(t, cookie, key, user)

			r1.Update(func(d *sessionData) { d.Count = 99 })
			err := st.Regenerate(ctx, r1)
			if !errors.Is(err, session.ErrSessionDestroyed) {
				t.Errorf("Regenerate of a session revoked meanwhile: err = %v, want ErrSessionDestroyed", err)
			}
			w := httptest.NewRecorder()
			if err := st.Commit(ctx, w, r1); err == nil {
				t.Errorf("Commit after Regenerate of a revoked session succeeded; want an error")
			}
			if c := sessionCookie(st, w.Header()); c != "" {
				t.Errorf("Commit after Regenerate of a revoked session set a cookie %q", c)
			}
			if list, err := st.ListUserSessions(ctx, user); err == nil && len(list) != 0 {
				t.Errorf("the revoked user has %d live sessions after the regenerate, want 0", len(list))
			}
		})
	}
}

// faultyDelete is a store whose Delete always fails, as during an outage.
type faultyDelete struct{ store.Store }

var errInjected = errors.New("storetest: injected Delete failure")

func (f faultyDelete) Delete(context.Context, store.Key) (bool, error) { return false, errInjected }

// testFailedRegenerate: when the old record cannot be deleted, the session
// must not be committable, so that a handler that ignores Regenerate's
// error cannot sign a user in under the old (possibly planted) ID.
func testFailedRegenerate(t *testing.T, s store.Store) {
	ctx := context.Background()
	cookie, key := signIn(t, newStorage(t, s), "")
	st := newStorage(t, faultyDelete{s})
	sess := load(t, st, cookie)
	sess.Update(func(d *sessionData) { d.User = "victim" })
	if err := st.Regenerate(ctx, sess); !errors.Is(err, errInjected) {
		t.Errorf("Regenerate with a failing Delete: err = %v, want the store's error", err)
	}
	w := httptest.NewRecorder()
	if err := st.Commit(ctx, w, sess); err == nil {
		t.Errorf("Commit after a failed Regenerate succeeded: the user is signed in under the old ID")
	}
	if c := sessionCookie(st, w.Header()); c != "" {
		t.Errorf("Commit after a failed Regenerate set a cookie %q", c)
	}
	rec, err := s.Read(ctx, key)
	if err != nil {
		t.Fatalf("Read of the old record: %v", err)
	}
	if strings.Contains(string(rec.Data), "victim") {
		t.Errorf("the old record was updated with the signed-in user after a failed Regenerate")
	}
}

// testParallelRequests: a browser sends several requests of one session at
// once. Every one of them must succeed, and every increment must count.
func testParallelRequests(t *testing.T, s store.Store) {
	st := newStorage(t, s)
	ctx := context.Background()
	cookie, _ := signIn(t, st, randomUserID())
	const clients, each = 8, 5
	var e errs
	// In the first round every client loads the session before any of them
	// commits, so that all but one commit certainly lose the race.
	var loaded sync.WaitGroup
	loaded.Add(clients)
	runWorkers(clients, func(w int) {
		for i := range each {
			sess, err := st.Get(request(cookie))
			if i == 0 {
				loaded.Done()
				loaded.Wait()
			}
			if err != nil || sess.IsNew() {
				e.add("client %d, request %d: Get = new %v, %v", w, i, sess.IsNew(), err)
				return
			}
			sess.Update(func(d *sessionData) { d.Count++ })
			if err := st.Commit(ctx, httptest.NewRecorder(), sess); err != nil {
				e.add("client %d, request %d: Commit: %v", w, i, err)
			}
		}
	})
	e.report(t)
	if got := load(t, st, cookie).Get().Count; got != clients*each {
		t.Errorf("after %d parallel increments the count is %d: updates were lost", clients*each, got)
	}

	t.Run("DestroyWins", func(t *testing.T) {
		cookie, key := signIn(t, st, randomUserID())
		loaded := make([]*session.Session[sessionData], 6)
		for i := range loaded {
			loaded[i] = load(t, st, cookie)
			loaded[i].Update(func(d *sessionData) { d.Count += i + 1 })
		}
		if err := st.Commit(ctx, httptest.NewRecorder(), loaded[0]); err != nil {
			t.Fatalf("first Commit: %v", err)
		}
		if err := st.Destroy(ctx, httptest.NewRecorder(), load(t, st, cookie)); err != nil {
			t.Fatalf("Destroy: %v", err)
		}
		for i, sess := range loaded[1:] {
			w := httptest.NewRecorder()
			if err := st.Commit(ctx, w, sess); !errors.Is(err, session.ErrSessionDestroyed) {
				t.Errorf("Commit %d after Destroy: err = %v, want ErrSessionDestroyed", i+1, err)
			}
			if c := sessionCookie(st, w.Header()); c != "" {
				t.Errorf("Commit %d after Destroy set a cookie", i+1)
			}
		}
		wantNotFound(t, s, key, "after Destroy raced with re-applied commits")
	})
}

// testCorruptSession: a damaged record must not lock its user out. The
// request gets a fresh session (not an error), the bad record is deleted,
// and the user's other sessions can still be listed and revoked.
func testCorruptSession(t *testing.T, s store.Store, corrupt func(context.Context, store.Key) error) {
	st := newStorage(t, s)
	ctx := context.Background()
	user := randomUserID()
	cookie, key := signIn(t, st, user)
	_, otherKey := signIn(t, st, user)
	_, listedKey := signIn(t, st, user)
	damage := func(key store.Key) {
		t.Helper()
		if err := corrupt(ctx, key); err != nil {
			t.Fatalf("damaging the record: %v", err)
		}
	}

	damage(key)
	sess, err := st.Get(request(cookie))
	if err != nil {
		t.Fatalf("Get of a damaged record: %v; want a fresh session, not an error (the user would be locked out)", err)
	}
	if !sess.IsNew() || !errors.Is(sess.LoadError(), session.ErrCorrupt) {
		t.Errorf("Get of a damaged record: IsNew %v, LoadError %v; want a new session and ErrCorrupt", sess.IsNew(), sess.LoadError())
	}
	if _, err := s.Read(ctx, key); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the damaged record is still there after Get (Read: %v); it must be deleted", err)
	}
	sess.Update(func(d *sessionData) { d.Count = 1 })
	w := httptest.NewRecorder()
	if err := st.Commit(ctx, w, sess); err != nil {
		t.Fatalf("Commit of the fresh session: %v", err)
	}
	if newKey, _ := sess.Key(); newKey == key {
		t.Errorf("the fresh session reuses the damaged record's ID; it must get a new one")
	}
	if c := sessionCookie(st, w.Header()); c == "" || c == cookie {
		t.Errorf("Commit of the fresh session set cookie %q, want a new one", c)
	}

	if _, ok := s.(store.UserIndex); !ok {
		return
	}
	damage(listedKey)
	list, err := st.ListUserSessions(ctx, user)
	if err != nil {
		t.Errorf("ListUserSessions with a damaged record: %v, want the readable session listed", err)
	} else if len(list) != 1 || list[0].Key != otherKey {
		t.Errorf("ListUserSessions with a damaged record listed %d sessions, want only the readable one", len(list))
	}
	if n, err := st.RevokeUser(ctx, user); err != nil || n != 1 {
		t.Errorf("RevokeUser with a damaged record = %d, %v; want 1, nil", n, err)
	}
}

// testJunkPayload: a record the store reads back fine but whose contents
// the session layer cannot decode (written by a bug, or by hand through
// the store's API) gives the user a fresh session with a new ID, and the
// record is deleted. It needs nothing of the store beyond the contract, so
// it runs on every store.
func testJunkPayload(t *testing.T, s store.Store) {
	st := newStorage(t, s)
	ctx := context.Background()
	cookie, key := signIn(t, st, randomUserID())
	rec, err := s.Read(ctx, key)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	rec.Data = []byte("\x00 not a session payload")
	if v, ok := s.(store.Versioned); ok {
		err = v.CompareAndUpdate(ctx, key, rec)
	} else {
		err = s.Update(ctx, key, rec)
	}
	if err != nil {
		t.Fatalf("writing junk into the record: %v", err)
	}
	sess, err := st.Get(request(cookie))
	if err != nil || !sess.IsNew() || !errors.Is(sess.LoadError(), session.ErrCorrupt) {
		t.Fatalf("Get of a junk record: new %v, err %v, LoadError %v; want a fresh session and ErrCorrupt", sess.IsNew(), err, sess.LoadError())
	}
	if _, err := s.Read(ctx, key); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the junk record is still there after Get (Read: %v)", err)
	}
	sess.Update(func(d *sessionData) { d.Count = 1 })
	if err := st.Commit(ctx, httptest.NewRecorder(), sess); err != nil {
		t.Fatalf("Commit of the fresh session: %v", err)
	}
	if k, _ := sess.Key(); k == key {
		t.Error("the fresh session reuses the junk record's ID")
	}
}
