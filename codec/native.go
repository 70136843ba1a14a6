package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash"
	"slices"
	"strings"
	"sync"
	"time"
)

// Native token layout (before base64url without padding):
//
//	signed: version | key ID (4) | body | HMAC-SHA256 tag (32)
//	sealed: version | key ID (4) | nonce (12) | AES-256-GCM(body) with tag (16)
//	body:   issued-at (8, big-endian Unix ms) | AppendPayload(p)
//
// The HMAC covers the cookie name, the header and the body; the GCM
// additional data is the cookie name and the header. The algorithm is chosen
// by the codec's configuration, never by the token: a sealed codec does not
// accept a signed token, nor the other way round.
const (
	nativeVersion = 0x01
	keyIDLen      = 4
	headerLen     = 1 + keyIDLen
	macLen        = sha256.Size
	nonceLen      = 12
	gcmTagLen     = 16
	issuedLen     = 8
	// MaxClockSkew is how far in the future an issue time may lie before a
	// token is rejected (clocks of several servers disagree a little).
	MaxClockSkew = time.Minute
)

var b64 = base64.RawURLEncoding.Strict()

// key is the material derived from one secret.
type key struct {
	id   [keyIDLen]byte
	macs sync.Pool // of hash.Hash (HMAC-SHA256 under the derived signing key)
	aead cipher.AEAD
}

type native struct {
	keys   []*key // keys[0] is current
	sealed bool
	bufs   sync.Pool // of *[]byte scratch buffers
}

// NewSealed returns the native codec that encrypts and authenticates with
// AES-256-GCM. secrets[0] seals new values; every secret opens. The keys are
// derived with HKDF-SHA256, one per purpose, from each secret.
func NewSealed(secrets ...string) (Codec, error) { return asCodec(newNative(secrets, true)) }

// NewSigned returns the native codec that authenticates with HMAC-SHA256
// and leaves the payload readable by the client. Use it where the cookie
// carries nothing secret (a session ID, or data the user may see).
func NewSigned(secrets ...string) (Codec, error) { return asCodec(newNative(secrets, false)) }

// asCodec returns c as a Codec, or a nil Codec on error: a nil *native
// in an interface would compare unequal to nil.
func asCodec(c *native, err error) (Codec, error) {
	if err != nil {
		return nil, err
	}
	return c, nil
}

func newNative(secrets []string, sealed bool) (*native, error) {
	if err := CheckSecrets(secrets); err != nil {
		return nil, err
	}
	c := &native{sealed: sealed}
	c.bufs.New = func() any { b := make([]byte, 0, 512); return &b }
	for _, s := range secrets {
		k, err := deriveKey([]byte(s), sealed)
		if err != nil {
			return nil, err
		}
		c.keys = append(c.keys, k)
	}
	return c, nil
}

const hkdfLabel = "github.com/b4f9cdbb/session native v1 "

// KeyID returns the key ID that every native value (NewSealed, NewSigned)
// made with secret carries in its header, right after the version byte. It
// is derived one way from the secret and reveals nothing of it; tools use it
// to tell which secret made a value, or that none of theirs did, without
// authenticating the value (cmd/sessionctl's inspect does).
func KeyID(secret string) [4]byte {
	id, _ := keyID([]byte(secret)) // HKDF-SHA256 fails only for outputs over 8 KiB
	return id
}

func keyID(secret []byte) ([keyIDLen]byte, error) {
	id, err := hkdf.Key(sha256.New, secret, nil, hkdfLabel+"key-id", keyIDLen)
	if err != nil {
		return [keyIDLen]byte{}, err
	}
	return [keyIDLen]byte(id), nil
}

func deriveKey(secret []byte, sealed bool) (*key, error) {
	k := &key{}
	var err error
	if k.id, err = keyID(secret); err != nil {
		return nil, err
	}
	if sealed {
		enc, err := hkdf.Key(sha256.New, secret, nil, hkdfLabel+"aes-256-gcm", 32)
		if err != nil {
			return nil, err
		}
		block, err := aes.NewCipher(enc)
		if err != nil {
			return nil, err
		}
		if k.aead, err = cipher.NewGCM(block); err != nil {
			return nil, err
		}
		return k, nil
	}
	sign, err := hkdf.Key(sha256.New, secret, nil, hkdfLabel+"hmac-sha256", 32)
	if err != nil {
		return nil, err
	}
	k.macs.New = func() any { return hmac.New(sha256.New, sign) }
	return k, nil
}

func (k *key) mac(dst, msg []byte) []byte {
	h := k.macs.Get().(hash.Hash)
	h.Reset()
	h.Write(msg)
	dst = h.Sum(dst)
	k.macs.Put(h)
	return dst
}

// appendNamePrefix writes the cookie name, length-prefixed, which is
// authenticated with every token but not stored in it.
func appendNamePrefix(dst []byte, name string) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(name)))
	return append(dst, name...)
}

func (c *native) AppendEncode(dst []byte, name string, p *Payload, now time.Time) ([]byte, error) {
	if len(name) > MaxCookieSize {
		return dst, fmt.Errorf("session cookie: name of %d bytes is too long", len(name))
	}
	bp := c.bufs.Get().(*[]byte)
	defer c.bufs.Put(bp)
	k := c.keys[0]
	buf := appendNamePrefix((*bp)[:0], name)
	pre := len(buf)
	buf = append(buf, nativeVersion)
	buf = append(buf, k.id[:]...)
	if c.sealed {
		buf = append(buf, make([]byte, nonceLen)...)
		nonce := buf[len(buf)-nonceLen:]
		rand.Read(nonce) // crypto/rand.Read never fails (it panics if the OS source does)
		bodyAt := len(buf)
		buf = binary.BigEndian.AppendUint64(buf, uint64(now.UnixMilli()))
		buf = AppendPayload(buf, p)
		// Seal in place; the room for the tag is made first so that Seal
		// does not move the buffer.
		buf = slices.Grow(buf, gcmTagLen)
		nonce = buf[pre+headerLen : bodyAt]
		body := buf[bodyAt:]
		sealed := k.aead.Seal(body[:0], nonce, body, buf[:pre+headerLen])
		buf = buf[:bodyAt+len(sealed)]
	} else {
		buf = binary.BigEndian.AppendUint64(buf, uint64(now.UnixMilli()))
		buf = AppendPayload(buf, p)
		buf = k.mac(buf, buf)
	}
	*bp = buf
	return b64.AppendEncode(dst, buf[pre:]), nil
}

func (c *native) Decode(name, value string, now time.Time) (Payload, error) {
	// The size is checked before anything is decoded or allocated. CR and LF
	// are refused with it: the base64 decoder skips them, so a value with
	// line breaks added would otherwise pass as the token it was made from.
	// (IndexByte is vectorised; a set scan cost a tenth of a decode.)
	if len(name)+len(value) > MaxCookieSize || len(value) == 0 ||
		strings.IndexByte(value, '\n') >= 0 || strings.IndexByte(value, '\r') >= 0 {
		return Payload{}, ErrInvalid
	}
	// One allocation holds the encoded value, then the name prefix and the
	// decoded token side by side, so that the authenticated bytes are
	// contiguous, and after them the room that open writes into: the
	// opened body (sealed) or the computed MAC (signed, which a stack
	// array passed to the hash interface would move to the heap anyway).
	// The payload's Data and Flash point into this memory, so it cannot
	// be a pooled buffer.
	tokLen := b64.DecodedLen(len(value))
	size := len(value) + 2 + len(name) + tokLen
	if c.sealed {
		size += tokLen
	} else {
		size += macLen
	}
	all := make([]byte, size)
	src := all[:copy(all, value)]
	buf := appendNamePrefix(all[len(value):len(value)], name)
	pre := len(buf)
	n, err := b64.Decode(buf[pre:pre+tokLen], src)
	if err != nil {
		return Payload{}, ErrInvalid
	}
	buf = buf[:pre+n]
	room := all[len(value)+pre+tokLen:]
	tok := buf[pre:]
	overhead := headerLen + issuedLen + macLen
	if c.sealed {
		overhead = headerLen + nonceLen + issuedLen + gcmTagLen
	}
	if len(tok) < overhead || tok[0] != nativeVersion {
		return Payload{}, ErrInvalid
	}
	var body []byte
	stale := false
	for i, k := range c.keys {
		if [keyIDLen]byte(tok[1:headerLen]) != k.id {
			continue
		}
		if body = c.open(k, buf, pre, room); body != nil {
			stale = i > 0
			break
		}
	}
	if body == nil {
		return Payload{}, ErrInvalid
	}
	issued := time.UnixMilli(int64(binary.BigEndian.Uint64(body)))
	p, err := UnmarshalPayload(body[issuedLen:])
	if err != nil {
		// Authentic but unparsable: only a codec bug or a leaked key could
		// produce this, so it is rejected like any other bad value.
		return Payload{}, ErrInvalid
	}
	if issued.After(now.Add(MaxClockSkew)) {
		return Payload{}, fmt.Errorf("%w: issued in the future", ErrExpired)
	}
	if !p.Expires.IsZero() && !now.Before(p.Expires) {
		return Payload{}, ErrExpired
	}
	p.Stale = stale
	return p, nil
}

// open authenticates buf (name prefix, then the token from pre on) under k
// and returns the body, or nil. room, which must not overlap buf, receives
// the opened body (sealed) or the computed MAC (signed).
func (c *native) open(k *key, buf []byte, pre int, room []byte) []byte {
	if c.sealed {
		aad := buf[:pre+headerLen]
		nonce := buf[pre+headerLen : pre+headerLen+nonceLen]
		ct := buf[pre+headerLen+nonceLen:]
		// Open beside the ciphertext, not over it: on failure with one key
		// the ciphertext must stay intact for the next key with the same
		// ID (a failed Open may overwrite its output).
		body, err := k.aead.Open(room[:0], nonce, ct, aad)
		if err != nil {
			return nil
		}
		return body
	}
	msg := buf[:len(buf)-macLen]
	if !hmac.Equal(k.mac(room[:0], msg), buf[len(buf)-macLen:]) {
		return nil
	}
	return buf[pre+headerLen : len(buf)-macLen]
}
