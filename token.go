package session

import (
	"fmt"
	"net/http"
	"net/textproto"
	"strings"
)

// TokenOptions let clients that keep no cookies (API and mobile clients)
// carry the session in a request header instead: the same storage, codec,
// expiry, secret rotation, regeneration and revocation as cookies, with the
// value sent as "Authorization: Bearer <token>" (or in a header of your
// choice) and issued in a response header.
//
// A request that carries the token header is served from the token alone;
// its cookies are not looked at. A session starts carrying a token when it
// was loaded from one, or when the handler calls Storage.UseToken (at an
// API login, say). Commit then sets ResponseHeader to the new token
// whenever a cookie would have been set, and Destroy sets it empty, which
// tells the client to forget its token. Tokens are not sent by browsers on
// their own, so they need no CSRF protection; keep them out of URLs and
// logs like any bearer credential.
type TokenOptions struct {
	// Header the client sends the token in; default "Authorization".
	Header string
	// Scheme before the token in Header; default "Bearer" when Header is
	// Authorization, none otherwise. It is matched ignoring case.
	Scheme string
	// ResponseHeader carries a new or re-issued token in responses;
	// default "Session-Token".
	ResponseHeader string
}

// tokenSpec is the validated form of TokenOptions.
type tokenSpec struct {
	header   string // canonical request header
	scheme   string // "" for none
	response string // canonical response header
	// name binds tokens in the codec: a cookie's value is not a valid token
	// and a token is not a valid cookie value (the native codecs
	// authenticate the name).
	name string
}

func (o *TokenOptions) spec(cookieName string) (*tokenSpec, error) {
	if o == nil {
		return nil, nil
	}
	t := &tokenSpec{
		header:   textproto.CanonicalMIMEHeaderKey(o.Header),
		scheme:   o.Scheme,
		response: textproto.CanonicalMIMEHeaderKey(o.ResponseHeader),
		name:     cookieName + ".token",
	}
	if t.header == "" {
		t.header = "Authorization"
	}
	if t.scheme == "" && t.header == "Authorization" {
		t.scheme = "Bearer"
	}
	if t.response == "" {
		t.response = "Session-Token"
	}
	for _, h := range []string{t.header, t.response} {
		if !validName(h) {
			return nil, fmt.Errorf("%w: Token: %q is not a valid header name", ErrInvalidConfig, h)
		}
	}
	if t.scheme != "" && !validName(t.scheme) {
		return nil, fmt.Errorf("%w: Token: scheme %q is not a valid token", ErrInvalidConfig, t.scheme)
	}
	if t.header == "Cookie" || t.response == "Set-Cookie" {
		return nil, fmt.Errorf("%w: Token: the token headers cannot be the cookie headers", ErrInvalidConfig)
	}
	return t, nil
}

// values returns the token values the request carries and whether it
// carries the token header at all (then it is a token request, even when
// the value is unusable). A value without the scheme is still a value (one
// that will not decode), so that a malformed header never falls back to
// the cookies.
func (t *tokenSpec) values(h http.Header) ([]string, bool) {
	if t == nil {
		return nil, false
	}
	lines := h[t.header]
	if len(lines) == 0 {
		return nil, false
	}
	if t.scheme == "" {
		return lines, true
	}
	values := make([]string, 0, len(lines))
	for _, line := range lines {
		scheme, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok || !strings.EqualFold(scheme, t.scheme) {
			// Another scheme (Basic, say): not ours, but the client chose
			// the header over cookies, so it gets no cookie session.
			values = append(values, "")
			continue
		}
		values = append(values, strings.TrimLeft(v, " "))
	}
	return values, true
}

// UseToken makes the session travel as a token instead of a cookie from its
// next commit on (see TokenOptions): at an API login, for example, where
// the client sent no token yet. It returns ErrInvalidConfig if the storage
// has no Config.Token. The session counts as changed, so that the next
// commit issues the token.
func (st *Storage[T]) UseToken(s *Session[T]) error {
	if st.token == nil {
		return fmt.Errorf("%w: UseToken needs Config.Token", ErrInvalidConfig)
	}
	if !s.token {
		s.token = true
		s.stale = true // issue the token at the next commit, changed or not
	}
	return nil
}

// UsesToken reports whether the session travels as a token rather than a
// cookie: it was loaded from one, or UseToken was called.
func (s *Session[T]) UsesToken() bool { return s.token }

// markVary says that the response depends on the request's token header.
func (t *tokenSpec) markVary(h http.Header) {
	if !headerHasToken(h, "Vary", t.header) {
		h["Vary"] = append(h["Vary"], t.header)
	}
}

// setToken writes a token issued by a commit (or "" at Destroy) into h.
func (t *tokenSpec) setToken(h http.Header, value string) {
	h[t.response] = []string{value}
	t.markVary(h)
	// A response that carries a credential must never be stored by a cache.
	h["Cache-Control"] = []string{"no-store"}
}
