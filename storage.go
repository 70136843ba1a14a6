package session

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/b4f9cdbb/session/codec"
	"github.com/b4f9cdbb/session/store"
)

// Storage loads and saves sessions of type T. Build one when the program
// starts, with NewCookieStorage or NewStorage, and use it from every
// handler; it is safe for concurrent use.
type Storage[T any] struct {
	cfg         Config[T]
	cookie      cookieSpec
	store       store.Store     // nil for cookie storage
	versioned   store.Versioned // store as Versioned, or nil
	index       store.UserIndex // store as UserIndex, or nil
	newDefaults func() T
	decodeData  func(data []byte, v *T) error // the serializer's Unmarshal, or its faster twin (dataDecoder)
	encodeData  func(v *T) ([]byte, error)    // the serializer's Marshal, or its faster twin (dataEncoder)
	// legacyDeletions expire every Config.Legacy cookie with its own Path
	// and Domain; Destroy sends them all.
	legacyDeletions []string
	token           *tokenSpec // nil unless Config.Token is set
	// stripes serialise the updates of one session within this process
	// (striped by key) and group them; see groupcommit.go.
	stripes [256]commitStripe[T]
	// reads share the reads of one session between parallel requests,
	// when sharedReads; see sharedread.go.
	reads       [256]readStripe
	sharedReads bool
}

// NewCookieStorage returns a Storage that keeps the whole session in the
// cookie, sealed with AES-256-GCM by default. Nothing is kept on the server,
// so a cookie cannot be revoked before it expires: see the README's
// security model.
func NewCookieStorage[T any](cfg Config[T]) (*Storage[T], error) {
	return newStorage(nil, cfg)
}

// NewStorage returns a Storage that keeps sessions in st and only a signed
// session ID in the cookie.
func NewStorage[T any](st store.Store, cfg Config[T]) (*Storage[T], error) {
	if st == nil {
		return nil, fmt.Errorf("%w: NewStorage needs a store (use NewCookieStorage for cookie-only sessions)", ErrInvalidConfig)
	}
	return newStorage(st, cfg)
}

func newStorage[T any](st store.Store, cfg Config[T]) (*Storage[T], error) {
	spec, err := cfg.normalize(st != nil)
	if err != nil {
		return nil, err
	}
	copyDefault, err := copier(cfg.Default, cfg.Serializer)
	if err != nil {
		return nil, fmt.Errorf("%w: Default cannot be copied with the serializer: %w", ErrInvalidConfig, err)
	}
	tok, err := cfg.Token.spec(spec.name)
	if err != nil {
		return nil, err
	}
	s := &Storage[T]{cfg: cfg, cookie: spec, store: st, newDefaults: copyDefault, token: tok}
	s.decodeData = dataDecoder(cfg.Serializer, copyDefault)
	s.encodeData = dataEncoder[T](cfg.Serializer)
	s.versioned, _ = st.(store.Versioned)
	s.index, _ = st.(store.UserIndex)
	s.sharedReads = st != nil && sharesReads(st)
	own := spec.deletion(spec.name)
	for _, l := range cfg.Legacy {
		d := spec.deletionAt(l.Name, l.Path, l.Domain)
		if d != own && !slices.Contains(s.legacyDeletions, d) {
			s.legacyDeletions = append(s.legacyDeletions, d)
		}
	}
	return s, nil
}

// CookieName returns the name of the session cookie.
func (st *Storage[T]) CookieName() string { return st.cookie.name }

func (st *Storage[T]) fresh() *Session[T] {
	return &Session[T]{
		data:       st.newDefaults(),
		ser:        st.cfg.Serializer,
		defaults:   st.newDefaults,
		persistent: st.cfg.Cookie.Persistent,
		isNew:      true,
	}
}

// deadline is when a session created at created and committed at now
// expires: the idle timeout from now, capped by the absolute lifetime.
func (st *Storage[T]) deadline(created, now time.Time) time.Time {
	end := created.Add(st.cfg.Lifetime)
	if st.cfg.IdleTimeout > 0 {
		if idle := now.Add(st.cfg.IdleTimeout); idle.Before(end) {
			return idle
		}
	}
	return end
}

// Get returns the request's session, or a new one from the defaults when
// the request has none, or one that is invalid, expired, revoked or corrupt
// (then Session.LoadError says why; a corrupt record is deleted, and the
// new session gets a new ID). The session is never nil. The error is
// non-nil only when the store failed: the request should then fail too
// (5xx), since the user may well have a session that could not be read.
// Such a session can be read but not committed: Commit refuses it, so that
// a passing outage cannot replace the user's cookie with an empty session.
//
// Under this storage's Middleware, Get returns the middleware's session of
// the request (the one FromContext returns), so that a handler mixing both
// styles never holds two copies of one session.
func (st *Storage[T]) Get(r *http.Request) (*Session[T], error) {
	if m := st.state(r.Context()); m != nil {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.ensureLoaded()
		return m.s, m.loadErr
	}
	return st.load(r.Context(), r.Header)
}

// maxCookieValues bounds how many values of our cookie's name one request
// may carry. Each is decoded (a bounded amount of work, since the codec
// checks the size first); a request with more is not trusted at all.
const maxCookieValues = 32

// load reads the session from the request's headers and reports how that
// went to Hooks.Load.
func (st *Storage[T]) load(ctx context.Context, h http.Header) (*Session[T], error) {
	s, err := st.loadSession(ctx, h)
	if hook := st.cfg.Hooks.Load; hook != nil {
		hook(ctx, LoadEvent{Outcome: loadOutcome(s, err), Err: cmp.Or(err, s.loadErr)})
	}
	return s, err
}

func (st *Storage[T]) loadSession(ctx context.Context, h http.Header) (*Session[T], error) {
	now := st.cfg.Now()
	s := st.fresh()
	var (
		p       codec.Payload
		found   int
		seen    int
		lastErr error
	)
	decode := func(name, value string) bool {
		if seen++; seen > maxCookieValues {
			return false
		}
		q, err := st.cfg.Codec.Decode(name, value, now)
		if err != nil {
			lastErr = err
			return true
		}
		found++
		p = q
		return true
	}
	if values, ok := st.token.values(h); ok {
		// A request that sends a token is an API client's: its cookies, if
		// any, are not looked at, and the session stays on the token.
		s.token = true
		for _, v := range values {
			if !decode(st.token.name, v) {
				break
			}
		}
	} else {
		// Every value is looked at: a valid cookie planted by an attacker
		// (through a subdomain or a path of its own) must not win over the
		// victim's by coming first, nor hide it behind junk values.
		eachCookie(h, st.cookie.name, func(value string) bool { return decode(st.cookie.name, value) })
	}
	switch {
	case found > 1 || seen > maxCookieValues:
		s.loadErr = ErrDuplicateCookie
		s.clear = !s.token
		st.cfg.Logger.WarnContext(ctx, "session: request carried more than one session cookie or token that could be valid; starting a new session")
		return s, nil
	case found == 0:
		s.loadErr = lastErr
		// A legacy cookie may even share our cookie's name (then lastErr
		// is our codec rejecting it): it is tried either way.
		if !s.token && st.loadLegacy(h, s, now) {
			s.loadErr = nil
		}
		return s, nil
	}
	if st.store == nil {
		st.fromPayload(s, &p, now)
		return s, nil
	}
	key, ok := parseID(p.ID)
	if !ok {
		// Authentic but not an ID we issue: never look it up.
		s.loadErr = ErrCookieInvalid
		return s, nil
	}
	rec, err := st.readShared(ctx, key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.loadErr = err
		return s, nil
	case errors.Is(err, store.ErrCorrupt):
		st.dropCorrupt(ctx, s, key, err)
		return s, nil
	case err != nil:
		st.cfg.Logger.ErrorContext(ctx, "session: store read failed", "key", key.String(), "err", err)
		s.failed = fmt.Errorf("session: reading the session from the store: %w", err)
		return s, s.failed
	case !now.Before(rec.Expires):
		s.loadErr = ErrExpired
		return s, nil
	}
	q, err := codec.UnmarshalPayload(rec.Data)
	if err != nil {
		st.dropCorrupt(ctx, s, key, err)
		return s, nil
	}
	q.Stale = p.Stale
	if !st.fromPayload(s, &q, now) {
		if errors.Is(s.loadErr, ErrCorrupt) {
			st.dropCorrupt(ctx, s, key, s.loadErr)
		}
		return s, nil
	}
	s.id, s.key, s.hasRecord = p.ID, key, true
	s.version, s.commits = rec.Version, q.Commits
	s.expires = rec.Expires
	if !rec.Created.IsZero() {
		s.created = rec.Created
	}
	return s, nil
}

// dropCorrupt handles a record that cannot be decoded: a bug, a disk fault
// or a hand edit must not lock the user out until the cookie expires. The
// record is deleted and s stays a new session, which gets a new ID when it
// is committed, as after an expiry.
func (st *Storage[T]) dropCorrupt(ctx context.Context, s *Session[T], key store.Key, cause error) {
	s.loadErr = fmt.Errorf("%w: %w", ErrCorrupt, cause)
	st.cfg.Logger.WarnContext(ctx, "session: stored record is corrupt; deleting it and starting a new session", "key", key.String(), "err", cause)
	if _, err := st.delete(ctx, key); err != nil {
		st.cfg.Logger.WarnContext(ctx, "session: deleting a corrupt record failed", "key", key.String(), "err", err)
	}
}

// fromPayload fills s from a decoded payload, enforcing the absolute
// lifetime. It reports whether s now holds the loaded session.
func (st *Storage[T]) fromPayload(s *Session[T], p *codec.Payload, now time.Time) bool {
	if !p.Created.IsZero() && !now.Before(p.Created.Add(st.cfg.Lifetime)) {
		s.loadErr = ErrExpired
		return false
	}
	// s.data is already a fresh copy of the defaults: fields the stored
	// data lacks keep their default. Only a failed decode needs another.
	if err := st.decodeData(p.Data, &s.data); err != nil {
		s.data = st.newDefaults()
		s.loadErr = fmt.Errorf("%w: %w", ErrCorrupt, err)
		return false
	}
	s.flash = p.Flash
	s.created = p.Created
	s.expires = p.Expires
	s.persistent = p.Persistent
	s.stale = p.Stale
	s.isNew = false
	return true
}

// loadLegacy fills s from the first legacy cookie that reads, and reports
// whether one did.
func (st *Storage[T]) loadLegacy(h http.Header, s *Session[T], now time.Time) bool {
	for _, l := range st.cfg.Legacy {
		var data T
		ok := false
		eachCookie(h, l.Name, func(value string) bool {
			d, err := l.Read(value, now)
			if err != nil {
				return true
			}
			data, ok = d, true
			return false
		})
		if ok {
			s.data = data
			s.changed = true // write the new cookie at the next commit
			// The commit that writes the new cookie expires the old one,
			// unless the new cookie simply replaces it.
			if d := st.cookie.deletionAt(l.Name, l.Path, l.Domain); d != st.cookie.deletion(st.cookie.name) {
				s.legacy = []string{d}
			}
			return true
		}
	}
	return false
}
