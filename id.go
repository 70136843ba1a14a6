package session

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"

	"github.com/b4f9cdbb/session/store"
)

// Session IDs are 32 bytes from crypto/rand (256 bits, well above OWASP's
// 128-bit floor), written as 43 characters of unpadded base64url. Stores
// never see an ID: they get its SHA-256 hash, so a leaked database or a log
// line cannot be replayed as a cookie.
const (
	idBytes = 32
	idLen   = 43 // base64.RawURLEncoding.EncodedLen(idBytes)
)

var idEncoding = base64.RawURLEncoding.Strict()

// newID returns a fresh session ID and the store key derived from it.
func newID() (string, store.Key) {
	var raw [idBytes]byte
	rand.Read(raw[:]) // never fails: crypto/rand panics rather than return short
	return idEncoding.EncodeToString(raw[:]), sha256.Sum256(raw[:])
}

// parseID checks that id has exactly the shape newID produces and returns
// its store key. Anything else (a path, a NUL, a longer string, another
// alphabet) is refused here, before it can reach a store, a file name or a
// log.
func parseID(id string) (store.Key, bool) {
	if len(id) != idLen {
		return store.Key{}, false
	}
	var raw [idBytes + 1]byte // room for DecodedLen rounding
	n, err := idEncoding.Decode(raw[:], []byte(id))
	if err != nil || n != idBytes {
		return store.Key{}, false
	}
	return sha256.Sum256(raw[:idBytes]), true
}
