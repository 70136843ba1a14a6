package codec

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"slices"
	"sync"
	"time"
)

// The Remix / React Router signed cookie, as createCookieSessionStorage and
// createSessionStorage write it when given secrets:
//
//	json   = JSON.stringify(session.data)     (cookie storage)
//	       | JSON.stringify(id)               (server-side storage)
//	b64    = standard base64 of utf8(json), with '=' padding
//	value  = b64 "." base64(HMAC-SHA256(key: utf8(secrets[0]), msg: b64)), '=' removed
//	cookie = encodeURIComponent(value)        ('+' %2B, '/' %2F, '=' %3D)
//
// Flash values share the object with the data, under "__flash_<name>__".

// ErrRemixPayload is returned by the Remix codec's AppendEncode for a
// Payload that this format cannot carry: data that is not a JSON object, a
// data key of the flash form "__flash_<name>__", flash values that are not
// JSON, or an ID together with data.
var ErrRemixPayload = errors.New("session cookie: payload not representable in the Remix format")

const (
	remixFlashPrefix = "__flash_"
	remixFlashSuffix = "__"
	// remixSigLen is the length of an unpadded base64 HMAC-SHA256.
	remixSigLen = 43
)

var (
	remixB64 = base64.StdEncoding.Strict()
	remixSig = base64.RawStdEncoding.Strict()
)

// RemixOptions configures NewRemixWith.
type RemixOptions struct {
	// Secrets are the React Router app's `secrets`, in the same order: the
	// first signs, every one verifies.
	Secrets []string

	// InsecureAllowWeakSecrets skips CheckSecrets, so that the secrets of an
	// existing React Router app can be used as they are, however short.
	//
	// DANGER: a short or guessable secret lets anyone who sees one cookie
	// find the secret offline and then forge any session, including an
	// administrator's. Use this only while you rotate to a strong secret:
	// put the strong one first and the old one after it; every cookie read
	// with the old secret is re-signed with the new one on its next commit
	// (Payload.Stale), and once they have all turned over, drop the old one
	// and this option. Empty secrets and an empty list stay errors.
	InsecureAllowWeakSecrets bool
}

// remixKey is one secret's HMAC-SHA256, pooled.
type remixKey struct{ macs sync.Pool }

type remix struct {
	keys []*remixKey // keys[0] signs
}

// NewRemix returns a codec that reads and writes the signed cookie of the
// Remix / React Router session storages (createCookieSessionStorage and
// createSessionStorage with `secrets`), so that a Go server and a React
// Router app sharing the secrets share one session. The secrets must pass
// CheckSecrets; see NewRemixWith to use an existing app's weaker ones.
//
// The native codecs (NewSealed, NewSigned) remain the default; choose this
// one only to share cookies with JavaScript. This format gives up:
//
//   - expiry: no issue or expiry time is signed, so a copied cookie is valid
//     for as long as its secret is; only the cookie's Max-Age/Expires, which
//     the client controls, ends it. Payload.Created, Expires and Persistent
//     are not written, and are zero after Decode. Idle and absolute timeouts
//     cannot be enforced on the server for cookie storage with this codec,
//     so session.NewCookieStorage refuses it unless
//     Config.AllowUnboundedCookies is set; with server-side storage the
//     store's expiry still applies.
//   - name binding: the cookie name is not signed, so a value is accepted
//     under any cookie name that uses the same secrets.
//   - confidentiality: the data is only signed, not encrypted; anyone
//     holding the cookie can read it (base64 of JSON).
//   - key separation: the secret itself is the HMAC key, with no derivation,
//     and no key ID: every secret is tried in turn.
//
// Payload mapping. For cookie storage (ID empty), Data must be a JSON
// object (as encoding/json writes a struct or map) and each Flash value a
// JSON value; the cookie's object is Data's members followed by one
// "__flash_<name>__" member per flash value, in name order. For server-side
// storage (ID set, no Data or Flash) the cookie is the JSON string of the
// ID. Decode splits them back: a JSON string gives ID; an object gives Data
// (the other members, as a JSON object) and Flash.
//
// JSON text. AppendEncode writes what JavaScript's JSON.stringify would
// write for the same value, byte for byte: it removes whitespace, un-escapes
// the '<', '>', '&', U+2028 and U+2029 that encoding/json escapes, and
// orders object members as JavaScript does (keys that are array indices,
// like "7", first in numeric order). Numbers are copied as written;
// encoding/json writes float64 as JavaScript does, except that JavaScript
// writes -0 as 0 and rounds integers beyond 2^53. Duplicate keys and
// nesting deeper than 64 levels are rejected in both directions, and so
// are keys of one object that differ only in case ("user" and "USER"),
// because encoding/json would let either fill the same struct field.
//
// Decode is strict where React Router is lenient: it checks the size
// (name and value at most MaxCookieSize) before anything else, then
// URL-decodes as decodeURIComponent, splits at the last '.', accepts only the
// canonical 43-character unpadded signature, compares it in constant time,
// and only then decodes the base64 (canonical, padded) and the JSON. Any
// failure is ErrInvalid; React Router instead reads an authentic but
// unparsable value as an empty session.
func NewRemix(secrets ...string) (Codec, error) {
	return NewRemixWith(RemixOptions{Secrets: secrets})
}

// NewRemixWith is NewRemix with options; see RemixOptions for reusing an
// existing React Router app's weak secrets during a rotation.
func NewRemixWith(o RemixOptions) (Codec, error) {
	if len(o.Secrets) == 0 {
		return nil, fmt.Errorf("%w: no secret given; React Router cookies must be signed", ErrWeakSecret)
	}
	if o.InsecureAllowWeakSecrets {
		for i, s := range o.Secrets {
			if s == "" {
				return nil, fmt.Errorf("secret %d: %w: empty", i, ErrWeakSecret)
			}
			if slices.Index(o.Secrets, s) != i {
				return nil, fmt.Errorf("secret %d: %w: listed twice", i, ErrWeakSecret)
			}
		}
	} else if err := CheckSecrets(o.Secrets); err != nil {
		return nil, err
	}
	c := &remix{}
	for _, s := range o.Secrets {
		secret := []byte(s)
		k := &remixKey{}
		k.macs.New = func() any { return hmac.New(sha256.New, secret) }
		c.keys = append(c.keys, k)
	}
	return c, nil
}

// sign appends the unpadded base64 HMAC of msg to dst.
func (k *remixKey) sign(dst, msg []byte) []byte {
	h := k.macs.Get().(hash.Hash)
	h.Reset()
	h.Write(msg)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	k.macs.Put(h)
	return remixSig.AppendEncode(dst, sum[:])
}

// verify reports whether sig (the raw 32-byte MAC) is msg's under k, in
// constant time.
func (k *remixKey) verify(msg, sig []byte) bool {
	h := k.macs.Get().(hash.Hash)
	h.Reset()
	h.Write(msg)
	var sum [sha256.Size]byte
	ok := hmac.Equal(h.Sum(sum[:0]), sig)
	k.macs.Put(h)
	return ok
}

// remixJSON builds the JSON text of p as JSON.stringify would write it.
func remixJSON(p *Payload) ([]byte, error) {
	if p.ID != "" {
		if len(p.Data) != 0 || len(p.Flash) != 0 {
			return nil, fmt.Errorf("%w: an ID with data or flash values", ErrRemixPayload)
		}
		out, ok := appendJSString(nil, p.ID)
		if !ok {
			return nil, fmt.Errorf("%w: ID is not valid UTF-8", ErrRemixPayload)
		}
		return out, nil
	}
	data := p.Data
	if len(data) == 0 {
		data = []byte("{}")
	}
	out, members, ok := canonicalJSON(make([]byte, 0, len(data)+64), data)
	if !ok || out[0] != '{' {
		return nil, fmt.Errorf("%w: data is not a JSON object", ErrRemixPayload)
	}
	for _, m := range members {
		if _, isFlash := remixFlashName(out[m.k0:m.k1]); isFlash {
			return nil, fmt.Errorf("%w: data key %s has the form of a flash key", ErrRemixPayload, out[m.k0:m.k1])
		}
	}
	if len(p.Flash) == 0 {
		return out, nil
	}
	names := make([]string, 0, len(p.Flash))
	for name := range p.Flash {
		names = append(names, name)
	}
	slices.Sort(names)
	out = out[:len(out)-1] // reopen the object
	for _, name := range names {
		if len(out) > 1 {
			out = append(out, ',')
		}
		out, ok = appendJSString(out, remixFlashPrefix+name+remixFlashSuffix)
		if !ok {
			return nil, fmt.Errorf("%w: flash name %q is not valid UTF-8", ErrRemixPayload, name)
		}
		out = append(out, ':')
		if out, _, ok = canonicalJSON(out, p.Flash[name]); !ok {
			return nil, fmt.Errorf("%w: flash value %q is not JSON", ErrRemixPayload, name)
		}
	}
	return append(out, '}'), nil
}

// remixFlashName returns the flash name in a canonical JSON key (with its
// quotes) of the form "__flash_<name>__".
func remixFlashName(key []byte) (string, bool) {
	k := key[1 : len(key)-1]
	if len(k) < len(remixFlashPrefix)+len(remixFlashSuffix) ||
		string(k[:len(remixFlashPrefix)]) != remixFlashPrefix ||
		string(k[len(k)-len(remixFlashSuffix):]) != remixFlashSuffix {
		return "", false
	}
	var name string
	if err := json.Unmarshal(append([]byte{'"'}, append(k[len(remixFlashPrefix):len(k)-len(remixFlashSuffix)], '"')...), &name); err != nil {
		return "", false
	}
	return name, true
}

// CarriesExpiry reports false: the React Router format signs no expiry.
// It implements ExpiryCarrier.
func (c *remix) CarriesExpiry() bool { return false }

// AppendEncode appends the React Router cookie value for p. Created,
// Expires and Persistent are not part of this format and are ignored.
func (c *remix) AppendEncode(dst []byte, name string, p *Payload, now time.Time) ([]byte, error) {
	if len(name) > MaxCookieSize {
		return dst, fmt.Errorf("session cookie: name of %d bytes is too long", len(name))
	}
	js, err := remixJSON(p)
	if err != nil {
		return dst, err
	}
	signed := remixB64.AppendEncode(make([]byte, 0, remixB64.EncodedLen(len(js))+1+remixSigLen), js)
	signed = c.keys[0].sign(append(signed, '.'), signed)
	return appendURIComponent(dst, signed), nil
}

// appendURIComponent escapes src, made of base64 characters and '.', as
// encodeURIComponent does.
func appendURIComponent(dst, src []byte) []byte {
	for _, b := range src {
		switch b {
		case '+':
			dst = append(dst, "%2B"...)
		case '/':
			dst = append(dst, "%2F"...)
		case '=':
			dst = append(dst, "%3D"...)
		default:
			dst = append(dst, b)
		}
	}
	return dst
}

// remixChar reports whether b may appear in an unescaped signed value.
func remixChar(b byte) bool {
	return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '+' || b == '/' || b == '=' || b == '.'
}

// decodeURIComponent undoes percent-encoding into dst. It fails on a '%'
// not followed by two hex digits (decodeURIComponent throws, and React
// Router then keeps the raw text, which can never verify) and on any byte
// that a signed value cannot contain.
func decodeURIComponent(dst []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b == '%' {
			if i+2 >= len(s) {
				return dst, false
			}
			hi, lo := hexVal(s[i+1]), hexVal(s[i+2])
			if hi < 0 || lo < 0 {
				return dst, false
			}
			b = byte(hi<<4 | lo)
			i += 2
		}
		if !remixChar(b) {
			return dst, false
		}
		dst = append(dst, b)
	}
	return dst, true
}

// Decode authenticates a React Router cookie value and splits it into a
// Payload; see NewRemix. Every failure is ErrInvalid.
func (c *remix) Decode(name, value string, now time.Time) (Payload, error) {
	// The size is checked before anything is decoded or allocated.
	if len(name)+len(value) > MaxCookieSize || len(value) == 0 {
		return Payload{}, ErrInvalid
	}
	raw, ok := decodeURIComponent(make([]byte, 0, len(value)), value)
	dot := bytes.LastIndexByte(raw, '.')
	if !ok || dot < 0 || len(raw)-dot-1 != remixSigLen {
		return Payload{}, ErrInvalid
	}
	msg := raw[:dot]
	var sig [sha256.Size]byte
	if n, err := remixSig.Decode(sig[:], raw[dot+1:]); err != nil || n != len(sig) {
		return Payload{}, ErrInvalid
	}
	verified := -1
	for i, k := range c.keys {
		if k.verify(msg, sig[:]) {
			verified = i
			break
		}
	}
	if verified < 0 {
		return Payload{}, ErrInvalid
	}
	// Authentic from here on.
	js := make([]byte, remixB64.DecodedLen(len(msg)))
	n, err := remixB64.Decode(js, msg)
	if err != nil {
		return Payload{}, ErrInvalid
	}
	p, err := splitRemixJSON(js[:n])
	if err != nil {
		return Payload{}, err
	}
	p.Stale = verified > 0
	return p, nil
}

// splitRemixJSON turns the signed JSON back into a Payload.
func splitRemixJSON(js []byte) (Payload, error) {
	var p Payload
	out, members, ok := canonicalJSON(make([]byte, 0, len(js)), js)
	if !ok {
		return p, ErrInvalid
	}
	switch out[0] {
	case '"':
		if err := json.Unmarshal(out, &p.ID); err != nil || p.ID == "" {
			return Payload{}, ErrInvalid
		}
		return p, nil
	case '{':
	default:
		return p, ErrInvalid
	}
	data := make([]byte, 0, len(out))
	data = append(data, '{')
	for _, m := range members {
		if name, isFlash := remixFlashName(out[m.k0:m.k1]); isFlash {
			if p.Flash == nil {
				p.Flash = make(map[string][]byte)
			} else if _, dup := p.Flash[name]; dup {
				// Two keys that differ only in unpaired surrogates.
				return Payload{}, ErrInvalid
			}
			p.Flash[name] = out[m.v0:m.v1:m.v1]
			continue
		}
		if len(data) > 1 {
			data = append(data, ',')
		}
		data = append(data, out[m.k0:m.v1]...)
	}
	p.Data = append(data, '}')
	return p, nil
}
