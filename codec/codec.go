// Package codec turns a session's contents into a cookie value and back.
//
// A Codec is chosen when a storage is built. The native codecs (NewSealed,
// NewSigned) are the default: a versioned binary token, authenticated with
// keys derived by HKDF from each secret, bound to the cookie name and
// carrying its own issue and expiry times. Other codecs exist for interop
// with other session libraries.
//
// Decoding never hands unauthenticated bytes to anything: a Codec checks the
// size first, then the signature or AEAD tag, and only then parses.
package codec

import (
	"errors"
	"time"
)

// MaxCookieSize is the most bytes a browser keeps for one cookie's name and
// value together. Encoders refuse to produce more, decoders refuse to look at
// more.
const MaxCookieSize = 4096

// Errors returned by Decode. Every failure to authenticate (tampering, a
// wrong or retired secret, truncation, an unknown version or key ID, a value
// moved to another cookie name) is the same ErrInvalid, so that nothing tells
// an attacker which check failed.
var (
	// ErrInvalid: the value is not a token this codec issued.
	ErrInvalid = errors.New("session cookie: invalid or tampered value")
	// ErrExpired: the value is authentic but its expiry time has passed, or
	// it claims to be issued in the future.
	ErrExpired = errors.New("session cookie: expired")
)

// Payload is what a cookie carries: the whole session for cookie storage, or
// just the session ID for server-side storage.
type Payload struct {
	// ID is the session ID (server-side storage) or empty (cookie storage).
	ID string
	// Data is the user's data as the session's serializer wrote it.
	Data []byte
	// Flash holds the pending flash values by name, each as the serializer
	// wrote it.
	Flash map[string][]byte
	// Created is when the session began; zero if the codec does not keep it.
	Created time.Time
	// Expires is when the session ends; zero means the codec does not keep
	// it. Decode rejects a value whose Expires has passed.
	Expires time.Time
	// Persistent reports a "remember me" session (a cookie with Max-Age)
	// rather than a browser-session cookie.
	Persistent bool
	// Stale is set by Decode when the value was made with a secret other
	// than the current one, so that the storage re-issues it.
	Stale bool
	// Commits identifies the last commits that wrote a server-side record,
	// newest first, zero after the last one; cookies carry none. A commit
	// whose reply from the store was lost (the connection broke after the
	// server applied the write, or the driver sent the write twice) reads
	// the record back and finds its own ID here, so that it neither fails
	// nor applies its changes a second time.
	Commits [RecentCommits]uint64
}

// RecentCommits is how many commit IDs a server-side record remembers. A
// commit recognises its own write after a lost reply as long as fewer
// commits than this came after it, in the moment between the write and
// the read that checks it.
const RecentCommits = 4

// Codec encodes and decodes cookie values. Implementations must be safe for
// concurrent use.
type Codec interface {
	// AppendEncode appends the cookie value for p, under the cookie name, to
	// dst. The value must need no further escaping in a Set-Cookie header.
	AppendEncode(dst []byte, name string, p *Payload, now time.Time) ([]byte, error)
	// Decode authenticates value, read from the cookie called name, and
	// returns its payload. It returns an error wrapping ErrInvalid or
	// ErrExpired; it must not panic on any input.
	Decode(name, value string, now time.Time) (Payload, error)
}

// ExpiryCarrier is implemented by a Codec that can say whether its values
// carry an authenticated expiry time. The storage refuses a Codec whose
// CarriesExpiry is false for cookie storage (where the cookie is the whole
// session, so its timeouts could not be enforced) unless the application
// opts in; see session.Config.AllowUnboundedCookies. A Codec without this
// method is taken to carry one, as the native codecs do.
type ExpiryCarrier interface {
	CarriesExpiry() bool
}
