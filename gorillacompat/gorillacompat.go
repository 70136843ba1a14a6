// Package gorillacompat reads the cookies of gorilla/sessions' CookieStore
// (the gorilla/securecookie format), so that an application moving to
// package session keeps its users signed in: the first request that comes
// with an old cookie gets a session of the new kind, with the old values
// converted by a function of yours, and the old cookie is cleared when the
// new one is committed.
//
// It only reads; it never writes the old format. It uses the standard
// library only and shares no code with gorilla.
//
// The format, as gorilla/securecookie v1.1 writes it with its defaults:
//
//	values = gob encoding of the session's map[interface{}]interface{}
//	body   = values, or, with a block key, IV (16 random bytes) | AES-CTR(values)
//	mac    = HMAC-SHA256(hash key, name "|" date "|" base64url(body))
//	cookie = base64url(date "|" base64url(body) "|" mac)
//
// where date is the Unix time in seconds, in decimal, and base64url is the
// URL alphabet with '=' padding.
//
// Reading checks the size first, then the MAC (in constant time), and only
// then looks at the date, decrypts and decodes. Values are decoded with
// encoding/gob into a map[any]any: your own types stored in the old
// sessions must be registered with gob (gob.Register, or gob.RegisterName
// with the name the old program used, such as "main.User") before the first
// read, as they were in the old program.
package gorillacompat

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/gob"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"sync"
	"time"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/codec"
)

// DefaultMaxAge is gorilla/sessions' default: a cookie older than 30 days
// is no longer accepted.
const DefaultMaxAge = 30 * 24 * time.Hour

// Errors, for errors.Is. An unauthentic value (tampered, truncated,
// oversized, made with another key or for another cookie name) is
// codec.ErrInvalid and one that is too old is codec.ErrExpired, as for the
// library's own cookies.
var (
	// ErrConfig: Options cannot work (no name, no hash key, a block key
	// that is not an AES key, a negative MaxAge).
	ErrConfig = errors.New("gorillacompat: invalid options")
	// ErrValues: the value is authentic but its contents could not be
	// decoded, most often because a type stored in the old session is not
	// registered with gob in this program.
	ErrValues = errors.New("gorillacompat: authentic cookie whose values cannot be decoded")
)

// KeyPair is one hash key and optional block key, as passed in pairs to
// gorilla's sessions.NewCookieStore(keyPairs...).
type KeyPair struct {
	// HashKey authenticates the value (HMAC-SHA256). Required.
	HashKey []byte
	// BlockKey, when set, is the AES key (16, 24 or 32 bytes) the values
	// were encrypted with.
	BlockKey []byte
}

// Options describes the old cookies.
type Options struct {
	// Name is the old session's name, which is the cookie's name: the first
	// argument of store.Get(r, name) in the old program. It is part of the
	// MAC, so it must be exact.
	Name string
	// HashKey and BlockKey are the old store's first key pair.
	HashKey, BlockKey []byte
	// OlderKeys are further key pairs, tried in order after the first, for
	// a store that was built with several (key rotation).
	OlderKeys []KeyPair
	// MaxAge is how old a cookie may be, counted from its last save: the
	// old store's MaxAge. Zero means DefaultMaxAge (gorilla's 30 days);
	// there is no way to turn the check off.
	MaxAge time.Duration
}

// maxGobSize bounds the gob bytes handed to encoding/gob. A value within
// codec.MaxCookieSize cannot hold more, but the check does not rely on it.
const maxGobSize = codec.MaxCookieSize

type keyState struct {
	macs  sync.Pool // of hash.Hash
	block cipher.Block
}

// Reader authenticates and decodes gorilla/securecookie values. It is safe
// for concurrent use.
type Reader struct {
	name   string
	maxAge time.Duration
	keys   []*keyState
}

var (
	outerB64 = base64.URLEncoding.Strict()
	innerB64 = base64.URLEncoding.Strict()
)

// NewReader returns a Reader for the cookies described by opts.
func NewReader(opts Options) (*Reader, error) {
	if opts.Name == "" {
		return nil, fmt.Errorf("%w: Name is required (the old session's name)", ErrConfig)
	}
	if opts.MaxAge < 0 {
		return nil, fmt.Errorf("%w: MaxAge %v is negative", ErrConfig, opts.MaxAge)
	}
	r := &Reader{name: opts.Name, maxAge: opts.MaxAge}
	if r.maxAge == 0 {
		r.maxAge = DefaultMaxAge
	}
	pairs := append([]KeyPair{{HashKey: opts.HashKey, BlockKey: opts.BlockKey}}, opts.OlderKeys...)
	for i, p := range pairs {
		if len(p.HashKey) == 0 {
			return nil, fmt.Errorf("%w: key pair %d has no hash key", ErrConfig, i)
		}
		hashKey := bytes.Clone(p.HashKey)
		k := &keyState{}
		k.macs.New = func() any { return hmac.New(sha256.New, hashKey) }
		if len(p.BlockKey) > 0 {
			b, err := aes.NewCipher(p.BlockKey)
			if err != nil {
				return nil, fmt.Errorf("%w: key pair %d: block key: %w", ErrConfig, i, err)
			}
			k.block = b
		}
		r.keys = append(r.keys, k)
	}
	return r, nil
}

// Name returns the name of the cookies this Reader reads.
func (r *Reader) Name() string { return r.name }

// verify reports whether mac is the MAC of name|rest under k.
func (k *keyState) verify(name string, rest, mac []byte) bool {
	h := k.macs.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(name))
	h.Write([]byte{'|'})
	h.Write(rest)
	var sum [sha256.Size]byte
	ok := hmac.Equal(h.Sum(sum[:0]), mac)
	k.macs.Put(h)
	return ok
}

// Decode authenticates value, the old cookie's value, and returns the old
// session's values. now is the current time, for the age check. Errors wrap
// codec.ErrInvalid, codec.ErrExpired or ErrValues.
func (r *Reader) Decode(value string, now time.Time) (map[any]any, error) {
	// The size is checked before anything is decoded or allocated.
	if len(r.name)+len(value) > codec.MaxCookieSize || len(value) == 0 {
		return nil, codec.ErrInvalid
	}
	b := make([]byte, outerB64.DecodedLen(len(value)))
	n, err := outerB64.Decode(b, []byte(value))
	if err != nil {
		return nil, codec.ErrInvalid
	}
	b = b[:n]
	// date "|" body "|" mac; neither date nor body contains '|', the mac
	// may.
	i := bytes.IndexByte(b, '|')
	if i < 0 {
		return nil, codec.ErrInvalid
	}
	j := bytes.IndexByte(b[i+1:], '|')
	if j < 0 {
		return nil, codec.ErrInvalid
	}
	j += i + 1
	signed, mac := b[:j], b[j+1:]
	if len(mac) != sha256.Size {
		return nil, codec.ErrInvalid
	}
	var key *keyState
	for _, k := range r.keys {
		if k.verify(r.name, signed, mac) {
			key = k
			break
		}
	}
	if key == nil {
		return nil, codec.ErrInvalid
	}
	// Authentic from here on.
	date, body := b[:i], b[i+1:j]
	secs, err := strconv.ParseInt(string(date), 10, 64)
	if err != nil || secs < 0 || date[0] == '+' {
		return nil, codec.ErrInvalid
	}
	saved := time.Unix(secs, 0)
	if saved.Before(now.Add(-r.maxAge)) {
		return nil, fmt.Errorf("%w: saved %v ago, more than %v", codec.ErrExpired, now.Sub(saved).Round(time.Second), r.maxAge)
	}
	if saved.After(now.Add(codec.MaxClockSkew)) {
		return nil, fmt.Errorf("%w: saved in the future", codec.ErrExpired)
	}
	raw := make([]byte, innerB64.DecodedLen(len(body)))
	if n, err = innerB64.Decode(raw, body); err != nil {
		return nil, codec.ErrInvalid
	}
	raw = raw[:n]
	if key.block != nil {
		bs := key.block.BlockSize()
		if len(raw) <= bs {
			return nil, codec.ErrInvalid
		}
		cipher.NewCTR(key.block, raw[:bs]).XORKeyStream(raw[bs:], raw[bs:])
		raw = raw[bs:]
	}
	return decodeValues(raw)
}

// decodeValues runs encoding/gob on authenticated bytes, bounded in size,
// and turns any failure of gob, even a panic, into ErrValues.
func decodeValues(raw []byte) (values map[any]any, err error) {
	if len(raw) > maxGobSize {
		return nil, fmt.Errorf("%w: %d bytes of values", ErrValues, len(raw))
	}
	defer func() {
		if p := recover(); p != nil {
			values, err = nil, fmt.Errorf("%w: gob: %v", ErrValues, p)
		}
	}()
	rd := bytes.NewReader(raw)
	if err := gob.NewDecoder(rd).Decode(&values); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrValues, err)
	}
	if rd.Len() != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the values", ErrValues, rd.Len())
	}
	if values == nil {
		values = map[any]any{}
	}
	return values, nil
}

// Cookie returns a session.LegacyCookie that reads the old gorilla cookie
// described by opts and converts its values with convert. Put it in
// session.Config.Legacy; see the package documentation and
// docs/migrate-from-gorilla.md.
func Cookie[T any](opts Options, convert func(values map[any]any) (T, error)) (session.LegacyCookie[T], error) {
	if convert == nil {
		return session.LegacyCookie[T]{}, fmt.Errorf("%w: convert is required", ErrConfig)
	}
	r, err := NewReader(opts)
	if err != nil {
		return session.LegacyCookie[T]{}, err
	}
	return session.LegacyCookie[T]{
		Name: r.Name(),
		Read: func(value string, now time.Time) (T, error) {
			values, err := r.Decode(value, now)
			if err != nil {
				var zero T
				return zero, err
			}
			return convert(values)
		},
	}, nil
}
