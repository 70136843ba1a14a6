package session

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/b4f9cdbb/session/codec"
	"github.com/b4f9cdbb/session/store"
)

// Commit saves the session and sets its cookie on w. It is CommitHeader
// on w.Header(); see there for what it writes. Call it before the
// handler's first WriteHeader or Write: net/http ignores headers set after
// that, so the browser would not get the cookie (Middleware turns that
// mistake into ErrHeadersWritten).
//
// An unchanged session writes nothing and sets no cookie, unless its idle
// timeout needs sliding or its cookie re-issuing under a new secret.
//
// When another request of the same session committed first (parallel
// requests of one browser), Commit reads the newer record and re-applies
// this request's changes to it: the functions given to Update run again on
// the newer data, Set and Reset overwrite it (the last writer wins), and
// flash and SetPersistent changes are made again. A session destroyed or
// revoked meanwhile stays destroyed: Commit returns ErrSessionDestroyed.
// Config.StrictConflicts returns ErrConflict instead of re-applying.
// Within one process, the commits of a session that arrive while a write
// of it is in flight go out together as the next write (group commit), so
// that a busy session is not held to one commit per store round trip.
//
// When the store's reply is lost (the connection breaks after the server
// applied the write, or the driver sends the write twice), Commit reads the
// record back: each record carries the IDs of the commits that wrote it, so
// a write the store holds is reported as a success and never applied a
// second time, and one it never got is sent again. If the store cannot be
// read within about a third of a second, Commit returns the store's error;
// the changes may then have been saved or not.
//
// On error nothing is set on w. Errors: ErrCookieTooLarge,
// ErrSessionDestroyed, ErrConflict, or a store or context error; any of
// them should fail the request.
func (st *Storage[T]) Commit(ctx context.Context, w http.ResponseWriter, s *Session[T]) error {
	return st.CommitHeader(ctx, w.Header(), s)
}

// CommitHeader saves the session like Commit and writes into h exactly the
// headers Commit writes on a response: the Set-Cookie line (none when
// nothing changed), the deletions of legacy cookies it replaces,
// "Vary: Cookie" (always: the response was made with the request's
// cookie), and Cache-Control: no-cache="Set-Cookie" whenever it sets a
// cookie, so that shared caches do not hand the cookie to someone else. Use
// it with frameworks that build a header map before the response exists.
func (st *Storage[T]) CommitHeader(ctx context.Context, h http.Header, s *Session[T]) error {
	res, err := st.commit(ctx, s)
	if hook := st.cfg.Hooks.Commit; hook != nil {
		hook(ctx, CommitEvent{Outcome: commitOutcome(res, err), CookieSize: len(res.cookie), Attempts: res.attempts, Err: err})
	}
	if err != nil {
		return err
	}
	if s.token {
		st.token.markVary(h)
		if res.cookie != "" {
			st.token.setToken(h, res.cookie)
		}
		return nil
	}
	markVary(h)
	v := res.cookie
	if v == "" {
		return nil
	}
	// Direct map access: the keys are already canonical, and this is on
	// every committing request's path.
	h["Set-Cookie"] = append(h["Set-Cookie"], v)
	h["Set-Cookie"] = append(h["Set-Cookie"], s.legacy...)
	s.legacy = nil
	markUncacheable(h)
	return nil
}

// commitResult is what one commit did.
type commitResult struct {
	cookie   string // the Set-Cookie value (or the token), "" when none is needed
	wrote    bool   // the session was saved (in the store or the cookie)
	cleared  bool   // nothing saved, the request's duplicate cookies deleted
	attempts int    // store writes tried
	// reapplied: the changes were made again over another request's newer
	// commit of the session
	reapplied bool
}

// commit saves s and returns what it did.
func (st *Storage[T]) commit(ctx context.Context, s *Session[T]) (commitResult, error) {
	if s.destroyed {
		return commitResult{}, fmt.Errorf("%w: Commit after Destroy", ErrSessionDestroyed)
	}
	if s.failed != nil {
		return commitResult{}, fmt.Errorf("session: not committing a session that failed to load or regenerate: %w", s.failed)
	}
	now := st.cfg.Now()
	if !s.changed && !s.stale && !st.needsSlide(s, now) {
		if s.clear {
			s.clear = false
			return commitResult{cookie: st.cookie.deletion(st.cookie.name), cleared: true}, nil
		}
		return commitResult{}, nil
	}
	if s.created.IsZero() {
		s.created = now
	}
	if st.store == nil {
		p, err := st.payload(s, now)
		if err != nil {
			return commitResult{}, err
		}
		v, err := st.encode(s, &p, now, p.Expires)
		if err != nil {
			return commitResult{}, err
		}
		committed(s, p.Expires)
		return commitResult{cookie: v, wrote: true, attempts: 1}, nil
	}
	// A persistent cookie is re-sent to slide its Max-Age; a token has none.
	wantCookie := !s.hasRecord || s.stale || (s.persistent && !s.token) || s.clear
	sv, err := st.save(ctx, s, now)
	res := commitResult{attempts: sv.attempts, reapplied: sv.reapplied}
	if err != nil {
		return res, err
	}
	expires := sv.expires
	committed(s, expires)
	res.wrote = true
	if !wantCookie {
		return res, nil
	}
	// The cookie carries only the ID; its own expiry is the absolute one,
	// the idle timeout is the store's to enforce.
	idp := codec.Payload{ID: s.id, Created: s.created, Expires: s.created.Add(st.cfg.Lifetime), Persistent: s.persistent}
	res.cookie, err = st.encode(s, &idp, now, expires)
	return res, err
}

// encode returns the Set-Cookie value for p, or the bare token for a
// session that travels as one.
func (st *Storage[T]) encode(s *Session[T], p *codec.Payload, now, expires time.Time) (string, error) {
	if !s.token {
		return st.encodeCookie(p, now, expires)
	}
	v, err := st.cfg.Codec.AppendEncode(nil, st.token.name, p, now)
	if err != nil {
		return "", fmt.Errorf("session: encoding the token: %w", err)
	}
	if len(v) > codec.MaxCookieSize {
		return "", fmt.Errorf("%w: a %d-byte token, at most %d are issued; store less in the session or use server-side storage",
			ErrCookieTooLarge, len(v), codec.MaxCookieSize)
	}
	return string(v), nil
}

// needsSlide reports whether an unchanged session must be written anyway to
// slide its idle timeout. Writing on every request would cost a store write
// per read, so it waits until a tenth of the idle window has been used.
func (st *Storage[T]) needsSlide(s *Session[T], now time.Time) bool {
	if st.cfg.IdleTimeout <= 0 || s.isNew || s.expires.IsZero() {
		return false
	}
	return st.deadline(s.created, now).Sub(s.expires) >= st.cfg.IdleTimeout/10
}

// committed records that s was saved with this expiry.
func committed[T any](s *Session[T], expires time.Time) {
	s.changed, s.stale, s.clear, s.isNew = false, false, false, false
	s.ops = s.ops[:0] // saved: a later conflict re-applies only later changes
	s.expires = expires
}

func (st *Storage[T]) encodeCookie(p *codec.Payload, now, expires time.Time) (string, error) {
	// Room for the encoded value (base64 and the token's own bytes add about
	// a third to the payload) and the attributes, so that no append grows
	// the buffer on the way.
	size := len(st.cookie.name) + 1 + codec.PayloadSize(p)*3/2 + 128 + len(st.cookie.pre) + len(st.cookie.post) + 64
	buf := make([]byte, 0, size)
	buf = st.cookie.appendStart(buf)
	buf, err := st.cfg.Codec.AppendEncode(buf, st.cookie.name, p, now)
	if err != nil {
		return "", fmt.Errorf("session: encoding the cookie: %w", err)
	}
	if len(buf) > codec.MaxCookieSize+1 { // name + "=" + value
		return "", fmt.Errorf("%w: %d bytes of name and value, browsers keep at most %d; store less in the session or use server-side storage",
			ErrCookieTooLarge, len(buf)-1, codec.MaxCookieSize)
	}
	buf = st.cookie.appendAttrs(buf, p.Persistent, now, expires)
	return string(buf), nil
}

// errCommittedFirst is the error of a commit that lost a race under
// Config.StrictConflicts.
var errCommittedFirst = fmt.Errorf("session: another request committed this session first: %w", store.ErrConflict)

// maxCommitAttempts bounds how often one commit re-reads the record and
// re-applies its changes after losing a race. Each lost race means another
// request's commit succeeded, so the bound is only reached under a storm of
// parallel writes to one session.
const maxCommitAttempts = 16

// saved is what save did.
type saved struct {
	expires   time.Time // the record's new expiry
	attempts  int       // store writes tried
	reapplied bool      // the changes were re-applied over a newer commit
}

// save writes the session's record: Create for a session without one
// (under a fresh ID), Update (or CompareAndUpdate, re-applying this
// request's changes after a lost race) otherwise, in the stripe's turn
// (see saveInTurn). It returns the record's new expiry.
//
// Every write carries a fresh commit ID in the record (codec.Payload's
// Commits), so that a write whose reply was lost can be recognised when the
// record is read back: see settle.
func (st *Storage[T]) save(ctx context.Context, s *Session[T], now time.Time) (saved, error) {
	if s.hasRecord {
		return st.saveInTurn(ctx, s, now)
	}
	commit := newCommitID()
	rec, err := st.record(s, now, commit)
	if err != nil {
		return saved{}, err
	}
	return st.insert(ctx, s, rec, commit)
}

// rewrite writes s over its record, re-applying its changes on the newer
// record after each lost race. base, when not nil, is the newer record this
// process wrote since s was loaded: the changes are re-applied on it first,
// so that the write does not lose a race it cannot win. It returns the
// record stored, or nil when nothing needed writing.
func (st *Storage[T]) rewrite(ctx context.Context, s *Session[T], base *store.Record, now time.Time) (res saved, stored *store.Record, err error) {
	if base != nil {
		switch {
		case st.cfg.StrictConflicts:
			return res, nil, errCommittedFirst
		case len(s.ops) == 0:
			res.expires = st.deadline(s.created, now)
			return res, nil, nil // a touch; the other commit just wrote
		}
		res.reapplied = true
		if err := st.reapplyOn(s, *base, now); err != nil {
			return res, nil, err
		}
	}
	commit := newCommitID()
	rec, err := st.record(s, now, commit)
	if err != nil {
		return res, nil, err
	}
	lost := 0 // writes whose reply was lost and that did not reach the store
	for res.attempts = 1; ; res.attempts++ {
		rec.Version = s.version // ignored by stores that are not Versioned
		r := st.settle(ctx, s, s.key, rec, commit, st.update(ctx, s.key, rec))
		switch r.outcome {
		case written:
			s.version, s.commits = r.rec.Version, r.commits
			res.expires = r.rec.Expires
			return res, &r.rec, nil
		case gone:
			return res, nil, ErrSessionDestroyed
		case failed:
			return res, nil, fmt.Errorf("session: updating the session in the store: %w", r.err)
		case unsent:
			if lost++; lost > maxLostReplies {
				return res, nil, fmt.Errorf("session: updating the session in the store: %w", r.err)
			}
			continue
		}
		// superseded: another request committed the session first.
		switch {
		case st.cfg.StrictConflicts:
			return res, nil, errCommittedFirst
		case len(s.ops) == 0:
			// Only the idle timeout's slide or a re-issue under a new
			// secret: the request that won has just done the same.
			res.expires = rec.Expires
			return res, nil, nil
		case res.attempts == maxCommitAttempts:
			return res, nil, fmt.Errorf("session: gave up after %d attempts, other requests kept committing this session first: %w", res.attempts, store.ErrConflict)
		}
		if err := backoff(ctx, res.attempts); err != nil {
			return res, nil, err
		}
		res.reapplied = true
		if err := st.reapplyOn(s, r.rec, now); err != nil {
			return res, nil, err
		}
		if rec, err = st.record(s, now, commit); err != nil {
			return res, nil, err
		}
	}
}

// insert creates the record of a session that has none, under a fresh ID.
func (st *Storage[T]) insert(ctx context.Context, s *Session[T], rec store.Record, commit uint64) (res saved, _ error) {
	id, key := newID()
	lost := 0
	for res.attempts = 1; ; res.attempts++ {
		r := st.settle(ctx, s, key, rec, commit, st.create(ctx, key, rec))
		switch r.outcome {
		case written:
			s.id, s.key, s.hasRecord = id, key, true
			s.version, s.commits = r.rec.Version, r.commits
			res.expires = r.rec.Expires
			return res, nil
		case failed:
			return res, fmt.Errorf("session: creating the session in the store: %w", r.err)
		case unsent, gone: // gone: the record never arrived
			if lost++; lost > maxLostReplies {
				return res, fmt.Errorf("session: creating the session in the store: %w", r.err)
			}
		case superseded:
			// The key is taken: astronomically unlikely with 256-bit IDs.
			if res.attempts >= 3 {
				return res, fmt.Errorf("session: creating the session in the store: %w", store.ErrExists)
			}
			id, key = newID()
		}
	}
}

// payload encodes s's data as committed at now, with its new expiry.
func (st *Storage[T]) payload(s *Session[T], now time.Time) (codec.Payload, error) {
	data, err := st.encodeData(&s.data)
	if err != nil {
		return codec.Payload{}, fmt.Errorf("session: encoding the session data: %w", err)
	}
	return codec.Payload{Data: data, Flash: s.flash, Created: s.created, Expires: st.deadline(s.created, now), Persistent: s.persistent}, nil
}

// record encodes s as the store record to write at now, by the commit
// with ID commit.
func (st *Storage[T]) record(s *Session[T], now time.Time, commit uint64) (store.Record, error) {
	p, err := st.payload(s, now)
	if err != nil {
		return store.Record{}, err
	}
	p.Commits = withCommit(commit, s.commits)
	rec := store.Record{
		Data:    codec.AppendPayload(make([]byte, 0, codec.PayloadSize(&p)), &p),
		Created: s.created,
		Updated: now,
		Expires: p.Expires,
	}
	if st.cfg.UserID != nil {
		rec.UserID = st.cfg.UserID(s.data)
	}
	return rec, nil
}

// reapplyOn redoes this request's changes on rec, the newer record of the
// session, leaving s ready to write it over.
func (st *Storage[T]) reapplyOn(s *Session[T], rec store.Record, now time.Time) error {
	if !now.Before(rec.Expires) {
		return ErrSessionDestroyed
	}
	fresh := st.fresh()
	p, err := codec.UnmarshalPayload(rec.Data)
	if err != nil || !st.fromPayload(fresh, &p, now) {
		return fmt.Errorf("%w: the record another request committed cannot be used: %w", ErrSessionDestroyed, cmp.Or(err, fresh.loadErr))
	}
	for i := range s.ops {
		fresh.replay(&s.ops[i])
	}
	s.data, s.flash, s.persistent = fresh.data, fresh.flash, fresh.persistent
	s.created, s.version, s.commits = fresh.created, rec.Version, p.Commits
	if !rec.Created.IsZero() {
		s.created = rec.Created
	}
	return nil
}

// backoff waits a little, more after each lost race, with jitter so that
// parallel requests do not retry in lockstep.
func backoff(ctx context.Context, attempt int) error {
	if attempt < 2 {
		return nil
	}
	d := time.Duration(rand.Int64N(int64(attempt) * int64(100*time.Microsecond)))
	if err := pause(ctx, d); err != nil {
		return fmt.Errorf("session: waiting to retry a conflicting commit: %w", err)
	}
	return nil
}

// Destroy ends the session: it deletes the record (server-side storage) and
// sets a cookie that makes the browser drop the session cookie at once,
// with the same Name, Path and Domain, together with every cookie listed in
// Config.Legacy (with their own Path and Domain), so that a logout after a
// migration is final. Use it at logout. It is DestroyHeader on w.Header().
// When the store fails without saying whether it deleted the record (a
// connection broken mid-call), the delete is sent again for about a third
// of a second before Destroy returns the error: deleting is idempotent.
//
// With cookie storage nothing is kept on the server, so a copy of the old
// cookie stays valid until its expiry; see the README's security model.
func (st *Storage[T]) Destroy(ctx context.Context, w http.ResponseWriter, s *Session[T]) error {
	return st.DestroyHeader(ctx, w.Header(), s)
}

// DestroyHeader ends the session like Destroy and writes into h exactly the
// headers Destroy writes on a response: the deletion cookies, Vary: Cookie
// and Cache-Control: no-cache="Set-Cookie".
func (st *Storage[T]) DestroyHeader(ctx context.Context, h http.Header, s *Session[T]) error {
	if st.store != nil && s.hasRecord {
		if err := st.deleteRetrying(ctx, s.key); err != nil {
			err = fmt.Errorf("session: deleting the session from the store: %w", err)
			st.lifecycle(ctx, Destroyed, 0, err)
			return err
		}
	}
	st.lifecycle(ctx, Destroyed, 0, nil)
	s.destroyed, s.hasRecord, s.id = true, false, ""
	s.data, s.flash, s.ops, s.legacy = st.newDefaults(), nil, s.ops[:0], nil
	if s.token {
		st.token.setToken(h, "")
		return nil
	}
	h["Set-Cookie"] = append(h["Set-Cookie"], st.cookie.deletion(st.cookie.name))
	h["Set-Cookie"] = append(h["Set-Cookie"], st.legacyDeletions...)
	markVary(h)
	markUncacheable(h)
	return nil
}

// Regenerate gives the session a new ID and deletes the record under the
// old one at once, keeping the data. Call it at login and at every change
// of privilege, so that an ID an attacker planted or saw before is
// worthless afterwards. The new ID is issued by the next Commit. The
// session's lifetime starts again.
//
// With cookie storage it re-issues the cookie; the old cookie cannot be
// revoked (see the README's security model).
//
// Regenerate fails with ErrSessionDestroyed when another request revoked or
// destroyed the session after this one loaded it (it is not brought back
// under a new ID), and with the store's error when the old record could not
// be deleted. After any error the session can no longer be committed, so a
// handler that ignores the error cannot sign a user in under the old, maybe
// planted, ID.
func (st *Storage[T]) Regenerate(ctx context.Context, s *Session[T]) error {
	err := st.regenerate(ctx, s)
	st.lifecycle(ctx, Regenerated, 0, err)
	return err
}

func (st *Storage[T]) regenerate(ctx context.Context, s *Session[T]) error {
	if s.failed != nil {
		return fmt.Errorf("session: cannot regenerate: %w", s.failed)
	}
	if st.store != nil && s.hasRecord {
		// Delete reports, atomically with the removal, whether the record
		// was still live: that is how a revoke by another request is seen.
		live, err := st.delete(ctx, s.key)
		switch {
		case err != nil:
			s.failed = fmt.Errorf("session: deleting the old session record: %w", err)
			return s.failed
		case !live:
			s.failed = fmt.Errorf("%w: it was revoked or ended by another request before Regenerate", ErrSessionDestroyed)
			return s.failed
		}
	}
	s.hasRecord, s.id, s.key, s.version = false, "", store.Key{}, 0
	s.created = time.Time{}
	s.changed = true
	return nil
}
