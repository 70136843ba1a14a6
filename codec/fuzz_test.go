package codec

import (
	"crypto/rand"
	"errors"
	mathrand "math/rand/v2"
	"strings"
	"testing"
	"time"
)

// fuzzIssued is a token FuzzDecodeCookie made: the codec, the cookie name
// and the value.
type fuzzIssued struct{ kind, name, value string }

// issueFuzzTokens makes the only values FuzzDecodeCookie lets a codec
// accept, with the payload each must decode to. Sealed tokens carry a
// random nonce; crypto/rand's Reader (which rand.Read uses once replaced)
// is made deterministic meanwhile, so that every fuzzing process issues the
// same tokens and a corpus entry saved by one is still "issued" in the
// next. Flash values are kept to one, as their order in the token is a
// map's.
func issueFuzzTokens(f *testing.F, rings map[string][][]string) map[fuzzIssued]Payload {
	prev := rand.Reader
	rand.Reader = mathrand.NewChaCha8([32]byte{'f', 'u', 'z', 'z'})
	defer func() { rand.Reader = prev }()

	issued := map[fuzzIssued]Payload{}
	payloads := []Payload{
		{},
		{ID: "Jr1cWm0vX4Zq9Ls2Tb8Nd6Ku3Ye7Ha5Pg0Fo1Ci2Bx", Expires: nativeNow.Add(time.Hour)},
		{Data: []byte(`{"user":42}`), Flash: map[string][]byte{"notice": []byte("saved")}, Created: nativeNow, Expires: nativeNow.Add(time.Hour), Persistent: true},
		{Data: allBytes()},
	}
	for _, k := range nativeKinds {
		for i, ring := range rings[k.name] {
			c := k.codec(f, ring...)
			for _, name := range []string{"session", "__Host-s", ""} {
				for _, p := range payloads {
					v := nativeEncode(f, c, name, &p, nativeNow)
					p.Stale = i > 0 // issued with a retired key
					issued[fuzzIssued{k.name, name, v}] = p
					f.Add(name, v)
					if p.ID != "" {
						// Line breaks, which base64 decoding skips.
						f.Add(name, v+"\n")
						f.Add(name, v[:8]+"\r\n"+v[8:])
					}
				}
			}
		}
	}
	return issued
}

// FuzzDecodeCookie feeds any name and value to both native codecs: no
// panic, only the two documented errors, and a success only for a value
// the test issued, decoding to what was issued.
func FuzzDecodeCookie(f *testing.F) {
	rings := map[string][][]string{}
	codecs := map[string]Codec{}
	for _, k := range nativeKinds {
		// Current ring, then a ring of the retired key alone.
		rings[k.name] = [][]string{{nativeSecret2, nativeSecret1}, {nativeSecret1}}
		codecs[k.name] = k.codec(f, nativeSecret2, nativeSecret1)
	}
	issued := issueFuzzTokens(f, rings)
	for _, v := range []string{"", "A", "AAAA", "=", "-_", "\n", strings.Repeat("A", MaxCookieSize+1), "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		f.Add("session", v)
	}
	f.Fuzz(func(t *testing.T, name, value string) {
		for _, k := range nativeKinds {
			p, err := codecs[k.name].Decode(name, value, nativeNow)
			if err != nil {
				if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrExpired) || !payloadZero(p) {
					t.Fatalf("%s: Decode = %+v, %v; want ErrInvalid or ErrExpired and no data", k.name, p, err)
				}
				continue
			}
			want, ok := issued[fuzzIssued{k.name, name, value}]
			if !ok {
				t.Fatalf("%s accepted a value it never issued: name %q, value %q → %+v", k.name, name, value, p)
			}
			if d := diffPayload(p, want); d != "" {
				t.Fatalf("%s: %s", k.name, d)
			}
		}
	})
}

// FuzzPayload: UnmarshalPayload never panics, fails only with
// ErrMalformed, and what it accepts encodes again (within PayloadSize, and
// no longer than the input, duplicate flash names and overlong varints
// being dropped) to bytes that decode to the same payload.
func FuzzPayload(f *testing.F) {
	for _, tc := range payloadCases(nativeNow) {
		f.Add(AppendPayload(nil, &tc.p))
	}
	f.Add([]byte{})
	f.Add([]byte{payloadVersion, flagPersistent, 0x80, 0x00, 0, 0, 0, 2, 0, 0, 0, 0}) // overlong varint, duplicate flash name
	f.Add([]byte{payloadVersion, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := UnmarshalPayload(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) || !payloadZero(p) {
				t.Fatalf("UnmarshalPayload = %+v, %v; want ErrMalformed and no data", p, err)
			}
			return
		}
		if p.Stale {
			t.Fatal("Stale set by UnmarshalPayload")
		}
		enc := AppendPayload(nil, &p)
		if len(enc) > PayloadSize(&p) || len(enc) > len(b) {
			t.Fatalf("re-encoded to %d bytes: input %d, PayloadSize %d", len(enc), len(b), PayloadSize(&p))
		}
		q, err := UnmarshalPayload(enc)
		if err != nil {
			t.Fatalf("re-encoding %x of %+v: %v", enc, p, err)
		}
		if d := diffPayload(q, p); d != "" {
			t.Fatal(d)
		}
	})
}

// FuzzCheckSecrets: any secret is judged without panic, only with
// ErrWeakSecret, the same way by CheckSecrets and both constructors, and
// an accepted one has the documented length, variety and no placeholder.
func FuzzCheckSecrets(f *testing.F) {
	for _, s := range []string{"", nativeSecret1, nativeSecret1[:31], strings.Repeat("ab", 20), "ChangeMe" + nativeSecret2, "\x00\xff" + nativeSecret3} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckSecrets([]string{s})
		if err != nil && !errors.Is(err, ErrWeakSecret) {
			t.Fatalf("CheckSecrets: %v, not ErrWeakSecret", err)
		}
		for _, k := range nativeKinds {
			if _, cerr := k.new(s); (cerr == nil) != (err == nil) {
				t.Fatalf("New%s: %v, CheckSecrets: %v", k.name, cerr, err)
			}
		}
		if err != nil {
			if len(s) >= 8 && strings.Contains(err.Error(), s) {
				t.Fatalf("the error %q shows the secret", err)
			}
			return
		}
		distinct := map[byte]bool{}
		for i := range len(s) {
			distinct[s[i]] = true
		}
		lower := strings.ToLower(s)
		if len(s) < MinSecretLen || len(distinct) < 8 || strings.Contains(lower, "changeme") || strings.Contains(lower, "password") {
			t.Fatalf("weak secret %q accepted", s)
		}
	})
}
