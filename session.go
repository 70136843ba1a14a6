package session

import (
	"time"

	"github.com/b4f9cdbb/session/codec"
	"github.com/b4f9cdbb/session/store"
)

// Session is one user's session during one request: the user's data of type
// T, pending flash values, and what the storage needs to save it. Get it
// from Storage.Get, change it, and save it with Storage.Commit.
//
// A Session belongs to one request; it is not safe for concurrent use.
// Change the data only through Set, Update and Reset, so that the session
// knows it changed: committing an unchanged session writes nothing.
type Session[T any] struct {
	data     T
	flash    map[string][]byte
	ser      Serializer
	defaults func() T

	id        string    // session ID; "" for cookie storage or before the first commit
	key       store.Key // hash of id, valid when hasRecord
	hasRecord bool      // a store record exists under key (server-side storage)
	created   time.Time // zero until the first commit (or after Regenerate)
	expires   time.Time // the deadline as loaded or last committed; zero if unknown
	version   uint64    // record version, for store.Versioned
	// commits are the IDs of the last commits that wrote the record, as
	// loaded; the next commit puts its own ID in front (see codec.Payload).
	commits    [codec.RecentCommits]uint64
	persistent bool

	isNew   bool // no valid session came with the request
	changed bool // must be written on commit
	// ops are this request's changes, in order. When a commit loses a race
	// with another request of the same session, the storage reads the
	// record again and re-applies them to the fresh data (see Commit).
	// opsBuf holds the first few without an allocation of their own.
	ops       []change[T]
	opsBuf    [2]change[T]
	destroyed bool
	stale     bool     // the cookie was made with an older secret or format
	clear     bool     // the request's cookie must be cleared (duplicates)
	token     bool     // the session travels as a token, not a cookie (TokenOptions)
	legacy    []string // deletions of converted legacy cookies, sent by the next commit
	loadErr   error
	failed    error // the store failed while loading: never commit this session
}

// Get returns a copy of the session's data. A T that holds pointers, maps
// or slices shares them with the session: change those only inside Update.
func (s *Session[T]) Get() T { return s.data }

// Set replaces the session's data. If another request of the same session
// commits first, Set still wins: the last writer's data is kept (use
// Update for changes that must combine, such as counters).
func (s *Session[T]) Set(v T) {
	s.data = v
	s.record(change[T]{kind: opSet, v: v})
}

// Update changes the data in place, as Astro Session's and Remix's
// session.set(key, fn) does: s.Update(func(d *Data) { d.Count++ }).
//
// fn may run more than once: if another request of the same session
// commits first, Commit reads the newer data and runs fn on it again, so
// that two parallel increments both count. fn should therefore only change
// the data it is given.
func (s *Session[T]) Update(fn func(*T)) {
	fn(&s.data)
	s.record(change[T]{kind: opUpdate, fn: fn})
}

// Reset puts the data back to a fresh copy of the storage's defaults.
// Flash values are kept.
func (s *Session[T]) Reset() {
	s.data = s.defaults()
	s.record(change[T]{kind: opReset})
}

// opKind is the kind of a recorded change.
type opKind uint8

const (
	opSet opKind = iota
	opUpdate
	opReset
	opSetFlash
	opTakeFlash
	opPersistent
)

// change is one change made to a session during a request, kept so that it
// can be made again on newer data after a lost race. Values, not closures:
// recording a change costs no allocation.
type change[T any] struct {
	kind opKind
	on   bool     // opPersistent
	fn   func(*T) // opUpdate
	v    T        // opSet
	key  string   // opSetFlash, opTakeFlash
	val  []byte   // opSetFlash
}

// record marks the session changed and remembers how to redo the change on
// newer data, should the commit lose a race.
func (s *Session[T]) record(c change[T]) {
	s.changed = true
	if s.ops == nil {
		s.ops = s.opsBuf[:0]
	}
	s.ops = append(s.ops, c)
}

// replay makes the recorded change c again, on s.
func (s *Session[T]) replay(c *change[T]) {
	switch c.kind {
	case opSet:
		s.data = c.v
	case opUpdate:
		c.fn(&s.data)
	case opReset:
		s.data = s.defaults()
	case opSetFlash:
		s.setFlash(c.key, c.val)
	case opTakeFlash:
		delete(s.flash, c.key)
	case opPersistent:
		s.persistent = c.on
	}
}

// IsNew reports that the request brought no valid session: this one started
// empty, from the storage's defaults.
func (s *Session[T]) IsNew() bool { return s.isNew }

// Changed reports whether the session will be written on commit.
func (s *Session[T]) Changed() bool { return s.changed }

// ID returns the session ID for server-side storage, or "" for cookie
// storage and for a server-side session not yet committed. It is a bearer
// credential: never log it or put it in a URL.
func (s *Session[T]) ID() string { return s.id }

// Key returns the store key (the SHA-256 hash of the ID), for comparing
// with Info.Key, for example to mark "this device" in a list of the
// user's sessions. ok is false when the session has no record.
func (s *Session[T]) Key() (key Key, ok bool) { return s.key, s.hasRecord }

// Created returns when the session began, or the zero time before its first
// commit (and for formats that do not keep it).
func (s *Session[T]) Created() time.Time { return s.created }

// Expires returns when the session ends unless it is committed again, or
// the zero time if unknown.
func (s *Session[T]) Expires() time.Time { return s.expires }

// Persistent reports whether the cookie outlives the browser session.
func (s *Session[T]) Persistent() bool { return s.persistent }

// SetPersistent chooses a persistent ("remember me") cookie, which survives
// a browser restart, or a browser-session cookie. Either way the server
// enforces the idle timeout and lifetime.
func (s *Session[T]) SetPersistent(on bool) {
	if s.persistent != on {
		s.persistent = on
		s.record(change[T]{kind: opPersistent, on: on})
	}
}

// LoadError says why the request's cookie did not yield a session (nil if
// it did or there was none): it wraps ErrCookieInvalid, ErrExpired,
// ErrNotFound, ErrDuplicateCookie or ErrCorrupt. It is for logs and
// metrics; the session is simply new.
func (s *Session[T]) LoadError() error { return s.loadErr }
