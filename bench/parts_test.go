package bench

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"testing"
)

// BenchmarkParts times, one at a time, the work that any Read of a session
// kept in an encrypted cookie must do, whatever the library: decode the
// cookie's base64url, open one AES-256-GCM box of the cookie's size, and
// decode the session's JSON. With the floor request (BenchmarkRead/floor,
// the same run), their sum is what session-sealed's Read could cost at
// best; cmd/report prints the ratio "cookie Read / (floor + base64 + AEAD
// open + JSON decode)". Each part is timed at its cheapest (buffers
// reused, no allocation but json's own), so the ratio is an upper bound
// of our overhead.
//
// The inputs have the sizes of session-sealed's real cookie and session;
// input-B reports each one's size.
func BenchmarkParts(b *testing.B) {
	name, value := sealedCookie(b)
	token, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil {
		b.Fatalf("session-sealed's cookie is not unpadded base64url: %v", err)
	}

	b.Run("base64", func(b *testing.B) {
		src := []byte(value)
		buf := make([]byte, base64.RawURLEncoding.DecodedLen(len(src)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := base64.RawURLEncoding.Decode(buf, src); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(src)), "input-B")
	})

	b.Run("aead-open", func(b *testing.B) {
		// The token is version (1) | key ID (4) | nonce (12) | sealed body;
		// the body here is random, of the same size.
		const header, nonceLen = 1 + 4, 12
		aead := newGCM(b)
		nonce := make([]byte, nonceLen)
		body := make([]byte, len(token)-header-nonceLen-aead.Overhead())
		_, _ = rand.Read(nonce)
		_, _ = rand.Read(body)
		aad := append([]byte(name+"="), token[:header]...)
		sealed := aead.Seal(nil, nonce, body, aad)
		dst := make([]byte, 0, len(body))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := aead.Open(dst[:0], nonce, sealed, aad); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(sealed)), "input-B")
	})

	b.Run("json-decode", func(b *testing.B) {
		u := NewUser()
		payload, err := json.Marshal(Data{Count: 1, User: &u})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			var d Data
			if err := json.Unmarshal(payload, &d); err != nil || d.User == nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(payload)), "input-B")
	})
}

// sealedCookie returns the name and value of the cookie that
// session-sealed's New sets.
func sealedCookie(tb testing.TB) (name, value string) {
	tb.Helper()
	h, _, err := openSessionSealed(Env{})
	if err != nil {
		tb.Fatal(err)
	}
	r, _ := Seed(h)
	cs := r.Cookies()
	if len(cs) != 1 {
		tb.Fatalf("session-sealed's New set %d cookies, want 1", len(cs))
	}
	return cs[0].Name, cs[0].Value
}

func newGCM(tb testing.TB) cipher.AEAD {
	tb.Helper()
	block, err := aes.NewCipher([]byte(blockKey))
	if err != nil {
		tb.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		tb.Fatal(err)
	}
	return aead
}
