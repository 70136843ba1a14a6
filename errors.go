package session

import (
	"errors"

	"github.com/b4f9cdbb/session/codec"
	"github.com/b4f9cdbb/session/store"
)

// Errors a caller can test for with errors.Is. Every error this package
// returns wraps one of these (or a context error), with details added.
var (
	// ErrInvalidConfig is returned by NewCookieStorage and NewStorage when
	// the configuration would be unsafe or cannot work (a weak secret,
	// "__Host-" with a Domain, SameSite None without Secure, …), and by
	// ListUserSessions, RevokeUser and UseToken when the configuration
	// lacks what they need. The message says what to change.
	ErrInvalidConfig = errors.New("session: invalid configuration")

	// ErrCookieTooLarge is returned by Commit when the cookie's name and
	// value together would exceed the 4096 bytes browsers keep (or a token
	// the same size). Nothing was written; keep less in the session or move
	// it to server-side storage.
	ErrCookieTooLarge = errors.New("session: cookie too large")

	// ErrSessionDestroyed is returned by Commit and Regenerate when the
	// session's record no longer exists because another request destroyed
	// or revoked it (a logout, "sign out everywhere") or it expired, and by
	// Commit after Destroy. The session is not brought back and no cookie is
	// written; treat the user as signed out.
	ErrSessionDestroyed = errors.New("session: session was destroyed or expired meanwhile")

	// ErrConflict is returned by Commit when another request committed the
	// same session first and Config.StrictConflicts is set (or, without it,
	// when other requests won the race every time Commit tried again).
	// Nothing was written; load the session again and redo the change.
	ErrConflict = store.ErrConflict

	// ErrNotFound is a Session.LoadError: the cookie named a session that
	// the store no longer has (revoked, destroyed or expired). Stores return
	// it (as store.ErrNotFound) for an absent or expired record.
	ErrNotFound = store.ErrNotFound

	// ErrCookieInvalid is a Session.LoadError: the request's cookie was
	// malformed, forged, truncated, oversized or signed with an unknown
	// secret.
	ErrCookieInvalid = codec.ErrInvalid

	// ErrExpired is a Session.LoadError: the session's idle timeout or
	// absolute lifetime has passed.
	ErrExpired = codec.ErrExpired

	// ErrDuplicateCookie is a Session.LoadError: the request carried more
	// than one session cookie (or token) that could be valid, for example
	// one an attacker planted for another Path or a subdomain. None is
	// trusted; the session starts empty and the cookie is cleared on
	// commit.
	ErrDuplicateCookie = errors.New("session: more than one valid session cookie")

	// ErrCorrupt is a Session.LoadError: the stored record or the cookie's
	// contents could not be decoded into the session's type. A corrupt
	// record is deleted, and the new session gets a new ID when committed.
	ErrCorrupt = errors.New("session: stored data could not be decoded")
)
