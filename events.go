package session

import (
	"context"
	"errors"
	"time"

	"github.com/b4f9cdbb/session/store"
)

// Hooks receive what a Storage does, for metrics, traces and logs (package
// github.com/b4f9cdbb/session/otelsession builds OpenTelemetry metrics and
// spans on them). Set the ones you need on Config.Hooks; a nil hook costs
// nothing. Hooks run synchronously on the request's goroutine with the
// request's context, so they must be quick and safe for concurrent use.
// They never receive a session ID or a user ID.
type Hooks struct {
	// Load is called once per loaded session (Get, or the middleware's
	// first FromContext) with how the load ended.
	Load func(ctx context.Context, e LoadEvent)
	// Commit is called once per Commit (or CommitHeader, or the
	// middleware's automatic commit) with how it ended.
	Commit func(ctx context.Context, e CommitEvent)
	// Lifecycle is called after Destroy, Regenerate, RevokeSession and
	// RevokeUser.
	Lifecycle func(ctx context.Context, e LifecycleEvent)
	// StoreCall is called before every call to the store. It may return a
	// derived context (carrying a span, say) for the call; the returned
	// function, if not nil, is called when the call has returned, with its
	// error and duration. A call made for several requests at once (a read
	// shared by parallel requests of one session, or a grouped commit) is
	// reported once, with the context of the request that made it.
	StoreCall func(ctx context.Context, op StoreOp) (context.Context, func(err error, took time.Duration))
}

// LoadOutcome says how loading a session ended.
type LoadOutcome uint8

// The outcomes of a load. Every one but LoadLoaded (and LoadStoreError,
// which fails the request) yields a new, empty session.
const (
	LoadNew        LoadOutcome = iota // the request carried no session cookie
	LoadLoaded                        // the session was found and is live
	LoadLegacy                        // a Config.Legacy cookie was converted
	LoadInvalid                       // the cookie was malformed, forged or from an unknown secret
	LoadExpired                       // its idle timeout or lifetime had passed
	LoadNotFound                      // the store had no record (revoked, destroyed, expired)
	LoadCorrupt                       // the stored record could not be decoded; it was deleted
	LoadDuplicate                     // more than one session cookie could be valid; none is trusted
	LoadStoreError                    // the store failed; Get returned the error
)

var loadOutcomes = [...]string{"new", "loaded", "legacy", "invalid", "expired", "not_found", "corrupt", "duplicate", "store_error"}

// String returns the outcome as a short snake_case word, for metric
// attributes and logs.
func (o LoadOutcome) String() string {
	if int(o) < len(loadOutcomes) {
		return loadOutcomes[o]
	}
	return "unknown"
}

// LoadEvent describes one load.
type LoadEvent struct {
	Outcome LoadOutcome
	// Err is the reason for every outcome but LoadNew and LoadLoaded.
	Err error
}

// CommitOutcome says how a commit ended.
type CommitOutcome uint8

// The outcomes of a commit.
const (
	CommitUnchanged CommitOutcome = iota // nothing to write; no cookie set
	CommitWritten                        // saved at the first attempt
	CommitReapplied                      // saved after re-applying its changes over a newer commit
	CommitConflict                       // lost the race (StrictConflicts, or too many attempts)
	CommitDestroyed                      // the session was destroyed or revoked meanwhile
	CommitTooLarge                       // the cookie would exceed the browser's limit
	CommitError                          // the store, the serializer or the context failed
	CommitCleared                        // nothing saved; the request's duplicate session cookies were deleted
)

var commitOutcomes = [...]string{"unchanged", "written", "reapplied", "conflict", "destroyed", "too_large", "error", "cleared"}

// String returns the outcome as a short snake_case word.
func (o CommitOutcome) String() string {
	if int(o) < len(commitOutcomes) {
		return commitOutcomes[o]
	}
	return "unknown"
}

// CommitEvent describes one commit.
type CommitEvent struct {
	Outcome CommitOutcome
	// CookieSize is the length of the Set-Cookie value written, 0 if none.
	CookieSize int
	// Attempts is how many times the store was asked to save the session
	// (more than 1 after races lost to other instances; 0 when a race with
	// this process was settled without a write).
	Attempts int
	Err      error
}

// LifecycleKind names a change to a session's life other than a commit.
type LifecycleKind uint8

// The lifecycle events.
const (
	Destroyed      LifecycleKind = iota // Destroy (a logout)
	Regenerated                         // Regenerate (a login, a privilege change)
	RevokedSession                      // RevokeSession
	RevokedUser                         // RevokeUser
)

var lifecycleKinds = [...]string{"destroy", "regenerate", "revoke_session", "revoke_user"}

// String returns the kind as a short snake_case word.
func (k LifecycleKind) String() string {
	if int(k) < len(lifecycleKinds) {
		return lifecycleKinds[k]
	}
	return "unknown"
}

// LifecycleEvent describes one Destroy, Regenerate or revocation.
type LifecycleEvent struct {
	Kind LifecycleKind
	// Count is how many sessions RevokeUser ended.
	Count int
	Err   error
}

// StoreOp names a call to the store.
type StoreOp uint8

// The store calls.
const (
	StoreRead StoreOp = iota
	StoreCreate
	StoreUpdate
	StoreCompareAndUpdate
	StoreDelete
	StoreListUser
	StoreDeleteUser
)

var storeOps = [...]string{"read", "create", "update", "compare_and_update", "delete", "list_user", "delete_user"}

// String returns the operation as a short snake_case word.
func (op StoreOp) String() string {
	if int(op) < len(storeOps) {
		return storeOps[op]
	}
	return "unknown"
}

// loadOutcome classifies a finished load.
func loadOutcome[T any](s *Session[T], err error) LoadOutcome {
	switch le := s.loadErr; {
	case err != nil:
		return LoadStoreError
	case le == nil && s.isNew && s.changed:
		return LoadLegacy
	case le == nil && s.isNew:
		return LoadNew
	case le == nil:
		return LoadLoaded
	case errors.Is(le, ErrDuplicateCookie):
		return LoadDuplicate
	case errors.Is(le, ErrCorrupt):
		return LoadCorrupt
	case errors.Is(le, ErrExpired):
		return LoadExpired
	case errors.Is(le, store.ErrNotFound):
		return LoadNotFound
	default:
		return LoadInvalid
	}
}

// commitOutcome classifies a finished commit.
func commitOutcome(res commitResult, err error) CommitOutcome {
	switch {
	case err == nil && res.cleared:
		return CommitCleared
	case err == nil && !res.wrote:
		return CommitUnchanged
	case err == nil && res.reapplied:
		return CommitReapplied
	case err == nil:
		return CommitWritten
	case errors.Is(err, ErrSessionDestroyed):
		return CommitDestroyed
	case errors.Is(err, ErrConflict):
		return CommitConflict
	case errors.Is(err, ErrCookieTooLarge):
		return CommitTooLarge
	default:
		return CommitError
	}
}

func (st *Storage[T]) lifecycle(ctx context.Context, kind LifecycleKind, count int, err error) {
	if h := st.cfg.Hooks.Lifecycle; h != nil {
		h(ctx, LifecycleEvent{Kind: kind, Count: count, Err: err})
	}
}
