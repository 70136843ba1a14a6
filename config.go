package session

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/b4f9cdbb/session/codec"
)

// Defaults used when a Config leaves a field zero.
const (
	DefaultCookieName  = "__session"
	DefaultIdleTimeout = 24 * time.Hour
	DefaultLifetime    = 14 * 24 * time.Hour
)

// CookieOptions configures the session cookie. The zero value, plus
// Secrets, is the safe default: HttpOnly, Secure, SameSite=Lax, Path=/,
// a browser-session cookie named "__session".
type CookieOptions struct {
	// Name of the cookie; default "__session". A "__Host-" prefix requires
	// Secure, Path "/" and no Domain; "__Secure-" requires Secure.
	Name string
	// Secrets sign or seal the cookie. The first one is current: it makes
	// every new cookie. All of them are accepted when reading, and a cookie
	// made with an older one is re-issued with the current one on the next
	// commit. Rotate by putting a new secret first and dropping the oldest
	// after the session lifetime has passed. Each must be at least 32 bytes
	// of random data.
	Secrets []string
	// Path of the cookie; default "/".
	Path string
	// Domain of the cookie; default none (the host that set it only).
	Domain string
	// SameSite; default http.SameSiteLaxMode, always written out. None
	// requires Secure.
	SameSite http.SameSite
	// Insecure leaves out the Secure attribute so that the cookie works over
	// plain HTTP. Only for local development.
	Insecure bool
	// Partitioned adds the Partitioned attribute (CHIPS), for sessions in
	// third-party iframes. Requires Secure.
	Partitioned bool
	// Persistent makes new sessions "remember me" sessions: the cookie gets
	// a Max-Age and survives a browser restart. Without it the cookie lasts
	// until the browser closes (the server still enforces the timeouts).
	// Session.SetPersistent changes it per session.
	Persistent bool
}

// LegacyCookie reads a cookie left by another session library, so that the
// first request after a migration turns it into a session of this one
// (see package gorillacompat). The old cookie is expired in the browser by
// the commit that converts it and by every Destroy, with the Path and
// Domain it was set with (a browser drops a cookie only when both match),
// so a logout after the migration is final.
type LegacyCookie[T any] struct {
	// Name is the old cookie's name.
	Name string
	// Path the old cookie was set with; default "/" (gorilla/sessions'
	// default too).
	Path string
	// Domain the old cookie was set with, if any.
	Domain string
	// Read authenticates and decodes the old cookie's value and converts
	// it to the new type. Any error means "no session".
	Read func(value string, now time.Time) (T, error)
}

// Config configures a Storage. Only Cookie.Secrets is required (or Codec).
type Config[T any] struct {
	// Default is the data of a new session. Each session gets its own deep
	// copy: changing one session never changes another or the default.
	Default T
	// Cookie configures the session cookie.
	Cookie CookieOptions
	// Codec turns the session into a cookie value. Default: the native
	// sealed format (AES-256-GCM) for cookie storage and the native signed
	// format (HMAC-SHA256) for server-side storage, keyed by Cookie.Secrets.
	// Set it to codec.NewRemix(…) to share sessions with React Router.
	Codec codec.Codec
	// IdleTimeout ends a session that was not committed for this long.
	// Every commit slides it. Default 24 hours; negative disables it.
	IdleTimeout time.Duration
	// Lifetime ends a session this long after it began, however active it
	// is (the absolute timeout). Default 14 days.
	Lifetime time.Duration
	// Serializer encodes the session's data; default JSON.
	Serializer Serializer
	// UserID tells which user a session belongs to ("" for none). Stores
	// that implement store.UserIndex index sessions by it, which is what
	// ListUserSessions and RevokeUser need.
	UserID func(T) string
	// Legacy cookies are read when the request has no valid session cookie.
	Legacy []LegacyCookie[T]
	// Now is the clock; default time.Now. Tests set it.
	Now func() time.Time
	// Logger receives the few events worth logging (a rejected cookie, a
	// failed store call), never a session ID, with the request's context so
	// that trace IDs and request attributes reach the log. Default: no
	// logging.
	Logger *slog.Logger
	// Token, when set, also accepts the session as a token in a request
	// header, for API and mobile clients that keep no cookies; see
	// TokenOptions.
	Token *TokenOptions
	// Hooks receive each load's and commit's outcome, every store call and
	// the lifecycle events, for metrics and traces; see Hooks.
	Hooks Hooks
	// StrictConflicts makes Commit return ErrConflict when another request
	// of the same session committed first, instead of reading the newer
	// record and re-applying this request's changes (see Commit). For
	// applications that would rather retry whole requests themselves.
	StrictConflicts bool
	// AllowUnboundedCookies accepts a Codec that cannot carry the session's
	// expiry inside the cookie (codec.NewRemix) for cookie storage. Such a
	// cookie is valid for as long as its secret is: IdleTimeout and
	// Lifetime cannot be enforced, and a cookie copied before a logout
	// still loads a year later. Without it, NewCookieStorage refuses that
	// configuration. Server-side storage enforces the timeouts in the store
	// and never needs it.
	AllowUnboundedCookies bool
}

// cookieSpec is the validated, precomputed form of CookieOptions.
type cookieSpec struct {
	name string
	// pre goes between the value and Max-Age ("; Path=/; Domain=…"), post
	// after Expires ("; HttpOnly; Secure; SameSite=Lax").
	pre, post string
}

func (c *Config[T]) normalize(serverSide bool) (cookieSpec, error) {
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.Lifetime == 0 {
		c.Lifetime = DefaultLifetime
	}
	if c.Lifetime < 0 {
		return cookieSpec{}, fmt.Errorf("%w: Lifetime must be positive", ErrInvalidConfig)
	}
	if c.Serializer == nil {
		c.Serializer = JSON{}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Codec == nil {
		var err error
		if serverSide {
			c.Codec, err = codec.NewSigned(c.Cookie.Secrets...)
		} else {
			c.Codec, err = codec.NewSealed(c.Cookie.Secrets...)
		}
		if err != nil {
			return cookieSpec{}, fmt.Errorf("%w: Cookie.Secrets: %w", ErrInvalidConfig, err)
		}
	}
	if !serverSide && !c.AllowUnboundedCookies {
		if e, ok := c.Codec.(codec.ExpiryCarrier); ok && !e.CarriesExpiry() {
			return cookieSpec{}, fmt.Errorf("%w: this Codec cannot carry an expiry in the cookie, so IdleTimeout and Lifetime would not be enforced and a cookie copied before a logout would load until its secret is retired; use server-side storage with it, or set Config.AllowUnboundedCookies to accept that", ErrInvalidConfig)
		}
	}
	for i, l := range c.Legacy {
		if l.Read == nil || !validName(l.Name) {
			return cookieSpec{}, fmt.Errorf("%w: a LegacyCookie needs a valid Name and a Read function", ErrInvalidConfig)
		}
		if l.Path == "" {
			c.Legacy[i].Path = "/"
		}
		if err := checkPathDomain(c.Legacy[i].Path, l.Domain); err != nil {
			return cookieSpec{}, fmt.Errorf("%w: LegacyCookie %q: %w", ErrInvalidConfig, l.Name, err)
		}
	}
	return c.Cookie.spec()
}

// checkPathDomain reports why path or domain cannot be a cookie's Path or
// Domain attribute.
func checkPathDomain(path, domain string) error {
	if !validPath(path) {
		return fmt.Errorf("path %q must start with / and hold only URL path characters (no ';', ',', spaces or control characters)", path)
	}
	if domain != "" && !validDomain(domain) {
		return fmt.Errorf("domain %q is not a host name (letters, digits, '-' and '.', optionally one leading '.')", domain)
	}
	return nil
}

func (o CookieOptions) spec() (cookieSpec, error) {
	bad := func(format string, args ...any) (cookieSpec, error) {
		return cookieSpec{}, fmt.Errorf("%w: cookie: "+format, append([]any{ErrInvalidConfig}, args...)...)
	}
	name, path := o.Name, o.Path
	if name == "" {
		name = DefaultCookieName
	}
	if path == "" {
		path = "/"
	}
	secure := !o.Insecure
	if !validName(name) {
		return bad("name %q is not a valid cookie name", name)
	}
	if err := checkPathDomain(path, o.Domain); err != nil {
		return bad("%w", err)
	}
	// Browsers recognise the prefixes whatever their case.
	host, securePrefix := hasPrefixFold(name, "__Host-"), hasPrefixFold(name, "__Secure-")
	switch {
	case host && (!secure || o.Domain != "" || path != "/"):
		return bad("a __Host- cookie needs Secure, Path \"/\" and no Domain")
	case securePrefix && !secure:
		return bad("a __Secure- cookie needs Secure")
	case o.SameSite == http.SameSiteNoneMode && !secure:
		return bad("SameSite=None needs Secure (browsers drop such a cookie)")
	case o.Partitioned && !secure:
		return bad("Partitioned needs Secure")
	}
	var pre, post strings.Builder
	pre.WriteString("; Path=" + path)
	if o.Domain != "" {
		pre.WriteString("; Domain=" + strings.TrimPrefix(o.Domain, "."))
	}
	post.WriteString("; HttpOnly")
	if secure {
		post.WriteString("; Secure")
	}
	switch o.SameSite {
	case http.SameSiteStrictMode:
		post.WriteString("; SameSite=Strict")
	case http.SameSiteNoneMode:
		post.WriteString("; SameSite=None")
	default:
		post.WriteString("; SameSite=Lax")
	}
	if o.Partitioned {
		post.WriteString("; Partitioned")
	}
	return cookieSpec{name: name, pre: pre.String(), post: post.String()}, nil
}

// validName reports whether s is a cookie name (an RFC 7230 token).
func validName(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// validPath reports whether s can be a cookie's Path: it starts with "/"
// and holds only characters of a URL path that need no quoting in a
// Set-Cookie header (no ';', ',', space, quote or control character).
func validPath(s string) bool {
	if !strings.HasPrefix(s, "/") || len(s) > 1024 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(";,\"\\", c) >= 0 {
			return false
		}
	}
	return true
}

// validDomain reports whether s is a host name that can be a cookie's
// Domain: labels of letters, digits and '-', separated by single dots, with
// an optional leading dot (which browsers ignore).
func validDomain(s string) bool {
	s = strings.TrimPrefix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
