package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/codec"
)

// The codecs refuse every bad value with the one error codec.ErrInvalid,
// so that an attacker learns nothing from the answer. The operator holds
// the secrets, and is owed the reason: this file finds it by looking at the
// value the way the codecs do, and by trying what the codecs cannot guess
// (another cookie name, the other storage kind, the clock at which an
// expired value was still valid).

// Storage kinds, as -store-kind names them.
const (
	kindCookie = "cookie" // cookie storage: the whole session in the cookie
	kindServer = "server" // server-side storage: a session ID in the cookie
)

// ring is the secrets of SESSION_SECRETS and the codecs built from them.
type ring struct {
	format  string // "native" or "remix"
	secrets []string
	// build makes the codec of one storage kind from secrets. The remix
	// format has one codec for both kinds.
	build func(kind string, secrets ...string) (codec.Codec, error)
}

func newRing(format string, secrets []string) (*ring, error) {
	r := &ring{format: format, secrets: secrets}
	switch format {
	case "native":
		r.build = func(kind string, secrets ...string) (codec.Codec, error) {
			if kind == kindServer {
				return codec.NewSigned(secrets...) // as session.Config's default for server-side storage
			}
			return codec.NewSealed(secrets...) // the default for cookie storage
		}
	case "remix":
		r.build = func(_ string, secrets ...string) (codec.Codec, error) { return codec.NewRemix(secrets...) }
	default:
		return nil, usageErrorf("-codec %q: want native or remix", format)
	}
	if _, err := r.build(kindCookie, secrets...); err != nil {
		return nil, usageErrorf("SESSION_SECRETS: %v", err)
	}
	return r, nil
}

// decoded is an authentic value: what it carries and how it was made.
type decoded struct {
	p    codec.Payload
	kind string
	// secret is the index in SESSION_SECRETS of the secret that made it
	// (0: the current one).
	secret int
	// expired: the value is authentic but past its expiry; future: its
	// issue time lies ahead of this clock by more than codec.MaxClockSkew.
	// p then holds what it carried, if recovered (see recoverTimed).
	expired, future, recovered bool
}

// decode authenticates value under name with the kinds asked for (both
// when kinds is empty), and returns what it carries, or nil if no kind
// accepts it.
func (r *ring) decode(name, value string, kinds []string, now time.Time) (*decoded, error) {
	for _, kind := range kinds {
		c, err := r.build(kind, r.secrets...)
		if err != nil {
			return nil, err
		}
		p, err := c.Decode(name, value, now)
		d := &decoded{p: p, kind: kind}
		switch {
		case errors.Is(err, codec.ErrExpired):
			d.future = err != codec.ErrExpired // a plain ErrExpired is a past expiry; see recoverTimed
			d.expired = !d.future
			var at time.Time
			if d.p, at, d.recovered = recoverTimed(c, name, value, now, d.future); !d.recovered {
				at = now
			}
			d.secret = r.secretIndex(kind, name, value, at)
		case err != nil:
			continue
		default:
			d.secret = r.secretIndex(kind, name, value, now)
		}
		if r.format == "remix" {
			d.kind = kindCookie
			if d.p.ID != "" {
				d.kind = kindServer
			}
		}
		return d, nil
	}
	return nil, nil
}

// secretIndex returns the index of the secret that authenticates value, or
// -1.
func (r *ring) secretIndex(kind, name, value string, at time.Time) int {
	for i, s := range r.secrets {
		c, err := r.build(kind, s)
		if err != nil {
			continue
		}
		if _, err := c.Decode(name, value, at); err == nil || errors.Is(err, codec.ErrExpired) {
			return i
		}
	}
	return -1
}

// recoverTimed finds what an authentic native value carries although it is
// expired (or issued in the future), by decoding it at a clock reading
// inside its validity window, from its issue time (less the allowed skew)
// to its expiry. Decode says on which side of the window a reading lies:
// a plain codec.ErrExpired after it, an error wrapping it before it (the
// "issued in the future" check comes first), so a binary search finds the
// window, which is at least codec.MaxClockSkew wide.
func recoverTimed(c codec.Codec, name, value string, now time.Time, future bool) (codec.Payload, time.Time, bool) {
	lo, hi := time.UnixMilli(1), now
	if future {
		lo, hi = now, now.AddDate(50, 0, 0)
	}
	for range 64 {
		mid := lo.Add(hi.Sub(lo) / 2)
		p, err := c.Decode(name, value, mid)
		switch {
		case err == nil:
			return p, mid, true
		case err == codec.ErrExpired:
			hi = mid
		case errors.Is(err, codec.ErrExpired):
			lo = mid
		default:
			return codec.Payload{}, time.Time{}, false
		}
	}
	return codec.Payload{}, time.Time{}, false
}

// refusal says why a value is not authentic under the flags given, and
// what to do.
type refusal struct {
	verdict string // a few words: "wrong secret", "malformed", …
	why     string
}

// commonNames are cookie names worth trying when a native value does not
// verify under -name: the default and the usual prefixed forms.
var commonNames = []string{session.DefaultCookieName, "__Host-session", "__Secure-session", "session", "__Host-__session", "__Secure-__session"}

// diagnose explains why no codec accepted value under name with kinds.
func (r *ring) diagnose(name, value string, kinds []string, now time.Time) refusal {
	if n := len(name) + len(value); n > codec.MaxCookieSize {
		return refusal{"too large", fmt.Sprintf("the name and value are %d bytes; a browser keeps at most %d, and the codecs refuse more before decoding anything", n, codec.MaxCookieSize)}
	}
	if r.format == "remix" {
		return r.diagnoseRemix(value)
	}
	tok, err := base64.RawURLEncoding.Strict().DecodeString(value)
	if err != nil || value == "" || strings.ContainsAny(value, "\r\n") {
		why := "not unpadded base64url, which every native value is"
		if strings.ContainsAny(value, ".%") {
			why += "; it looks like a React Router cookie: try -codec remix"
		}
		return refusal{"malformed", why}
	}
	// The shortest native token: a sealed one (version, key ID, nonce,
	// issue time, GCM tag) or a signed one (version, key ID, issue time,
	// HMAC), with an empty payload.
	if len(tok) < 1+4+12+8+16 {
		return refusal{"malformed", fmt.Sprintf("%d bytes decoded, shorter than any native value: truncated, or not a session cookie", len(tok))}
	}
	if tok[0] != 0x01 {
		return refusal{"malformed", fmt.Sprintf("format version 0x%02x, this library writes 0x01: not a native session cookie, or altered", tok[0])}
	}
	if !slices.ContainsFunc(r.secrets, func(s string) bool { return codec.KeyID(s) == [4]byte(tok[1:5]) }) {
		return refusal{"wrong secret", "made with a secret that is not in SESSION_SECRETS: by another environment or application, with a secret retired too early, or forged. After a rotation keep the old secret after the new one until the session lifetime has passed"}
	}
	// The key is ours: the value does not verify under this name or kind.
	tried := func(n, k string) bool { return n == name && slices.Contains(kinds, k) }
	for _, n := range append([]string{name}, commonNames...) {
		for _, k := range []string{kindCookie, kindServer} {
			if tried(n, k) {
				continue
			}
			if d, _ := r.decode(n, value, []string{k}, now); d != nil {
				if n == name {
					return refusal{"another storage kind", fmt.Sprintf("made for %s storage, not %s storage: pass -store-kind %s (or leave it out to detect it)", kindWords(k), kindWords(kinds[0]), k)}
				}
				return refusal{"another cookie name", fmt.Sprintf("made for the cookie %q, not %q: a native value is bound to its cookie's name, so it is refused under any other; pass -name %s", n, name, n)}
			}
		}
	}
	return refusal{"tampered", fmt.Sprintf("the key ID names one of your secrets, but the value does not verify under the cookie name %q: it was altered or truncated, or it was made for another cookie name (pass the right -name)", name)}
}

func (r *ring) diagnoseRemix(value string) refusal {
	i := strings.LastIndexByte(value, '.')
	sig := value[i+1:]
	if i < 0 {
		why := "no '.' before a signature: not a React Router signed cookie"
		if _, err := base64.RawURLEncoding.Strict().DecodeString(value); err == nil && value != "" {
			why += "; it looks like a native value: try -codec native"
		}
		return refusal{"malformed", why}
	}
	if len(strings.NewReplacer("%2B", "+", "%2F", "/", "%3D", "=").Replace(sig)) != 43 {
		return refusal{"malformed", "the signature after the last '.' is not the 43 characters of an HMAC-SHA256: truncated or altered"}
	}
	return refusal{"wrong secret or tampered", "the signature does not verify with any secret in SESSION_SECRETS: the value was altered, or made with another secret (this format carries no key ID to tell which)"}
}

func kindWords(kind string) string {
	if kind == kindServer {
		return "server-side"
	}
	return "cookie"
}
