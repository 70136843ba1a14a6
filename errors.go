package session

import (
	"errors"

	"github.com/b4f9cdbb/session/codec"
	"github.com/b4f9cdbb/session/store"
)

// Errors a caller can test for with errors.Is. Every error this package
// returns wraps one of these (or a context error), with details added.
var (
	// ErrInvalidConfig: a storage was built with a configuration that would be
	// unsafe or cannot work (a weak secret, "__Host-" with a Domain, SameSite
	// None without Secure, …). The message says what to change.
	ErrInvalidConfig = errors.New("session: invalid configuration")

	// ErrCookieTooLarge: the cookie's name and value together exceed the 4096
	// bytes browsers keep. Nothing was written; keep less in the session or
	// move it to server-side storage.
	ErrCookieTooLarge = errors.New("session: cookie too large")

	// ErrSessionDestroyed: Commit found that the session's record no longer
	// exists, because another request destroyed it (a logout) or it expired.
	// The session is not brought back and no cookie is written.
	ErrSessionDestroyed = errors.New("session: session was destroyed or expired meanwhile")

	// ErrConflict: Commit lost a race with another request that committed the
	// same session first (only with stores implementing store.Versioned).
	// Nothing was written; load the session again and redo the change.
	ErrConflict = store.ErrConflict

	// ErrNotFound is what a Store returns for an absent or expired record.
	ErrNotFound = store.ErrNotFound

	// ErrCookieInvalid is a LoadError: the request's cookie was malformed,
	// forged, truncated, oversized or signed with an unknown secret.
	ErrCookieInvalid = codec.ErrInvalid

	// ErrExpired is a LoadError: the session's idle timeout or absolute
	// lifetime has passed.
	ErrExpired = codec.ErrExpired

	// ErrDuplicateCookie is a LoadError: the request carried more than one
	// valid session cookie (for example for two different Paths). Neither is
	// trusted; the session starts empty and the cookie is cleared on commit.
	ErrDuplicateCookie = errors.New("session: more than one valid session cookie")

	// ErrCorrupt is a LoadError: the stored record or the cookie's contents
	// could not be decoded into the session's type.
	ErrCorrupt = errors.New("session: stored data could not be decoded")
)
