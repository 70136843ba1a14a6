package codec

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

// Test secrets: long enough, varied, and free of placeholder fragments.
const (
	nativeSecret1 = "q7Vd2LmZ0xPfR9sK4tWbN8hC3jGyE6uA"
	nativeSecret2 = "Tz5Hn1Xc8QwBv0Mk3Rj7Lp2Fs9Gd4Ya6"
	nativeSecret3 = "mB6eU0rW9yT3iO7pA2sD5fG8hJ1kL4zX"
)

// nativeKind is one of the two native codecs; every test runs on both.
type nativeKind struct {
	name   string
	new    func(...string) (Codec, error)
	sealed bool
	tagLen int
}

var nativeKinds = []nativeKind{
	{"sealed", NewSealed, true, gcmTagLen},
	{"signed", NewSigned, false, macLen},
}

// forEachNative runs test as a subtest for each native codec.
func forEachNative(t *testing.T, test func(t *testing.T, k nativeKind)) {
	for _, k := range nativeKinds {
		t.Run(k.name, func(t *testing.T) { test(t, k) })
	}
}

func (k nativeKind) codec(t testing.TB, secrets ...string) Codec {
	t.Helper()
	c, err := k.new(secrets...)
	if err != nil {
		t.Fatalf("New%s: %v", k.name, err)
	}
	return c
}

func nativeEncode(t testing.TB, c Codec, name string, p *Payload, now time.Time) string {
	t.Helper()
	v, err := c.AppendEncode(nil, name, p, now)
	if err != nil {
		t.Fatalf("AppendEncode: %v", err)
	}
	return string(v)
}

// rawToken base64url-decodes a cookie value.
func rawToken(t testing.TB, v string) []byte {
	t.Helper()
	raw, err := b64.DecodeString(v)
	if err != nil {
		t.Fatalf("value %q is not base64url: %v", v, err)
	}
	return raw
}

func encodeRaw(raw []byte) string { return b64.EncodeToString(raw) }

// expectInvalid checks that value is rejected the one generic way: exactly
// ErrInvalid, and no data. It reports whether it was.
func expectInvalid(t *testing.T, c Codec, name, value string, now time.Time) bool {
	t.Helper()
	p, err := c.Decode(name, value, now)
	if !errors.Is(err, ErrInvalid) || err.Error() != ErrInvalid.Error() || !payloadZero(p) {
		t.Errorf("Decode(%q, %q) = %+v, %v; want ErrInvalid and no data", name, value, p, err)
		return false
	}
	return true
}

// expectAccepted decodes value and compares it with want.
func expectAccepted(t *testing.T, c Codec, name, value string, now time.Time, want Payload) {
	t.Helper()
	got, err := c.Decode(name, value, now)
	if err != nil {
		t.Fatalf("Decode(%q, %q): %v", name, value, err)
	}
	if d := diffPayload(got, want); d != "" {
		t.Error(d)
	}
}

// sample is the token most tests tamper with: a small session that holds
// data and a flash value.
func sampleToken(t *testing.T, c Codec) string {
	t.Helper()
	return nativeEncode(t, c, "session", &Payload{
		ID:      "abc",
		Data:    []byte(`{"user":42,"role":"admin"}`),
		Flash:   map[string][]byte{"notice": []byte("hi")},
		Expires: nativeNow.Add(time.Hour),
	}, nativeNow)
}

func TestCodecRoundTrip(t *testing.T) {
	forEachNative(t, func(t *testing.T, k nativeKind) {
		c := k.codec(t, nativeSecret1)
		for _, tc := range payloadCases(nativeNow) {
			t.Run(tc.name, func(t *testing.T) {
				v := nativeEncode(t, c, "session", &tc.p, nativeNow)
				if i := strings.IndexFunc(v, func(r rune) bool {
					return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_')
				}); i >= 0 {
					t.Errorf("value %q has %q, outside the base64url alphabet", v, v[i])
				}
				// Decode at the issue time and just before expiry.
				expectAccepted(t, c, "session", v, nativeNow, tc.p)
				if !tc.p.Expires.IsZero() {
					expectAccepted(t, c, "session", v, tc.p.Expires.Add(-time.Millisecond), tc.p)
				}
				if len(tc.p.Data) >= 8 {
					visible := bytes.Contains(rawToken(t, v), tc.p.Data)
					if visible == k.sealed {
						t.Errorf("data visible in the token: %v; want %v", visible, !k.sealed)
					}
				}
			})
		}
		v1, v2 := sampleToken(t, c), sampleToken(t, c)
		if (v1 == v2) == k.sealed {
			t.Errorf("two encodings equal: %v; sealed values must differ (fresh nonce), signed ones must not", v1 == v2)
		}
	})
}

func TestCodecBitFlips(t *testing.T) {
	forEachNative(t, func(t *testing.T, k nativeKind) {
		c := k.codec(t, nativeSecret1)
		raw := rawToken(t, sampleToken(t, c))
		for i := range raw {
			for bit := range 8 {
				mod := bytes.Clone(raw)
				mod[i] ^= 1 << bit
				if !expectInvalid(t, c, "session", encodeRaw(mod), nativeNow) {
					t.Fatalf("accepted with byte %d bit %d flipped (token of %d bytes)", i, bit, len(raw))
				}
			}
		}
	})
}

func TestCodecTruncation(t *testing.T) {
	forEachNative(t, func(t *testing.T, k nativeKind) {
		c := k.codec(t, nativeSecret1)
		v := sampleToken(t, c)
		raw := rawToken(t, v)
		for i := range len(v) {
			if !expectInvalid(t, c, "session", v[:i], nativeNow) {
				t.Fatalf("prefix of %d characters accepted", i)
			}
		}
		// The same on bytes: every prefix of the token is valid base64url
		// once re-encoded, so each reaches the length and tag checks.
		for i := range len(raw) {
			if !expectInvalid(t, c, "session", encodeRaw(raw[:i]), nativeNow) {
				t.Fatalf("prefix of %d bytes accepted", i)
			}
		}
	})
}

func TestCodecAppendedGarbage(t *testing.T) {
	forEachNative(t, func(t *testing.T, k nativeKind) {
		c := k.codec(t, nativeSecret1)
		v, other := sampleToken(t, c), nativeEncode(t, c, "session", &Payload{ID: "other"}, nativeNow)
		raw := rawToken(t, v)
		at := len(v) / 2
		cases := map[string]string{
			"x":                       v + "x",
			"A":                       v + "A",
			"AAAA (a whole quantum)":  v + "AAAA",
			"itself":                  v + v,
			"another token":           v + other,
			"dot and itself":          v + "." + v,
			"padding =":               v + "=",
			"padding ==":              v + "==",
			"std alphabet + at end":   v + "+",
			"std alphabet / at end":   v + "/",
			"std alphabet + inside":   v[:at] + "+" + v[at+1:],
			"std alphabet / inside":   v[:at] + "/" + v[at+1:],
			"space before":            " " + v,
			"space after":             v + " ",
			"NUL after":               v + "\x00",
			"LF after":                v + "\n",
			"CRLF after":              v + "\r\n",
			"CR inside":               v[:at] + "\r" + v[at:],
			"LF inside":               v[:at] + "\n" + v[at:],
			"quoted":                  `"` + v + `"`,
			"raw token twice":         encodeRaw(append(bytes.Clone(raw), raw...)),
			"raw token and a zero":    encodeRaw(append(bytes.Clone(raw), 0)),
			"raw token and other's":   encodeRaw(append(bytes.Clone(raw), rawToken(t, other)...)),
			"other's raw and token's": encodeRaw(append(rawToken(t, other), raw...)),
		}
		if std := strings.NewReplacer("-", "+", "_", "/").Replace(v); std != v {
			cases["std alphabet throughout"] = std
		}
		for name, value := range cases {
			t.Run(name, func(t *testing.T) { expectInvalid(t, c, "session", value, nativeNow) })
		}
	})
}

func TestCodecTagTruncation(t *testing.T) {
	forEachNative(t, func(t *testing.T, k nativeKind) {
		c := k.codec(t, nativeSecret1)
		raw := rawToken(t, sampleToken(t, c))
		body, tag := raw[:len(raw)-k.tagLen], raw[len(raw)-k.tagLen:]
		for n := range k.tagLen {
			short := append(bytes.Clone(body), tag[:n]...)
			if !expectInvalid(t, c, "session", encodeRaw(short), nativeNow) {
				t.Errorf("tag cut to %d of %d bytes accepted", n, k.tagLen)
			}
		}
		for _, pad := range [][]byte{{0}, {0xff}, bytes.Repeat([]byte{0}, 16), tag} {
			long := append(bytes.Clone(raw), pad...)
			if !expectInvalid(t, c, "session", encodeRaw(long), nativeNow) {
				t.Errorf("tag padded with %x accepted", pad)
			}
		}
	})
}

// TestCodecWrongSecret: a token made with another secret is refused with the
// very error a tampered or meaningless value gets.
func TestCodecWrongSecret(t *testing.T) {
	forEachNative(t, func(t *testing.T, k nativeKind) {
		c := k.codec(t, nativeSecret1)
		raw := rawToken(t, sampleToken(t, c))
		raw[len(raw)-1] ^= 1
		other := nativeKinds[0]
		if k.sealed {
			other = nativeKinds[1]
		}
		values := []struct{ name, value string }{
			{"tampered", encodeRaw(raw)},
			{"other secret", sampleToken(t, k.codec(t, nativeSecret3))},
			{"other secret, same ring size", sampleToken(t, k.codec(t, nativeSecret3, nativeSecret2))},
			{"same secret, other algorithm", sampleToken(t, other.codec(t, nativeSecret1))},
			{"meaningless", "bm90IGEgdG9rZW4"},
			{"empty", ""},
		}
		var first error
		for _, tc := range values {
			_, err := c.Decode("session", tc.value, nativeNow)
			if first == nil {
				first = err
			}
			if !errors.Is(err, ErrInvalid) || err.Error() != first.Error() {
				t.Errorf("%s: %v; want ErrInvalid, as %q", tc.name, err, first)
			}
		}
	})
}

func TestCodecKeyRotation(t *testing.T) {
	forEachNative(t, func(t *testing.T, k nativeKind) {
		old := k.codec(t, nativeSecret1)
		ring := k.codec(t, nativeSecret2, nativeSecret1)
		next := k.codec(t, nativeSecret2)
		p := Payload{ID: "rot", Data: []byte("kept"), Expires: nativeNow.Add(time.Hour)}
		v1 := nativeEncode(t, old, "session", &p, nativeNow)

		stale := p
		stale.Stale = true
		expectAccepted(t, ring, "session", v1, nativeNow, stale)

		got, _ := ring.Decode("session", v1, nativeNow)
		v2 := nativeEncode(t, ring, "session", &got, nativeNow)
		if bytes.Equal(rawToken(t, v1)[1:headerLen], rawToken(t, v2)[1:headerLen]) {
			t.Error("re-issued token carries the old key ID")
		}
		expectAccepted(t, ring, "session", v2, nativeNow, p)
		expectAccepted(t, next, "session", v2, nativeNow, p)
		expectInvalid(t, next, "session", v1, nativeNow)
	})
}

// nativeReauth returns raw, a token c issued under name, with its header
// changed by edit and then authenticated again under c's current key, as
// only a holder of that key could: the HMAC recomputed, or the body
// re-sealed with the new header as additional data. Whatever rejects the
// result is then a check of the header itself.
func nativeReauth(t *testing.T, c Codec, name string, raw []byte, edit func(hdr []byte)) []byte {
	t.Helper()
	n := c.(*native)
	key := n.keys[0]
	out := bytes.Clone(raw)
	aad := func() []byte { return append(appendNamePrefix(nil, name), out[:headerLen]...) }
	if !n.sealed {
		edit(out[:headerLen])
		copy(out[len(out)-macLen:], key.mac(nil, append(appendNamePrefix(nil, name), out[:len(out)-macLen]...)))
		return out
	}
	nonce := out[headerLen : headerLen+nonceLen]
	body, err := key.aead.Open(nil, nonce, out[headerLen+nonceLen:], aad())
	if err != nil {
		t.Fatalf("opening the token to re-seal it: %v", err)
	}
	edit(out[:headerLen])
	return key.aead.Seal(out[:headerLen+nonceLen], nonce, body, aad())
}

func TestCodecUnknownVersionOrKeyID(t *testing.T) {
	forEachNative(t, func(t *testing.T, k nativeKind) {
		issuer := k.codec(t, nativeSecret1)
		ring := k.codec(t, nativeSecret2, nativeSecret1)
		p := Payload{ID: "v", Data: []byte("d"), Expires: nativeNow.Add(time.Hour)}
		raw := rawToken(t, nativeEncode(t, issuer, "session", &p, nativeNow))
		id2 := k.codec(t, nativeSecret2).(*native).keys[0].id
		id3 := k.codec(t, nativeSecret3).(*native).keys[0].id

		// Control: re-authenticating without a change, or with the version
		// it already has, yields an accepted token, so each case below is
		// refused by its header check alone.
		stale := p
		stale.Stale = true
		for _, edit := range []func([]byte){func([]byte) {}, func(h []byte) { h[0] = nativeVersion }} {
			expectAccepted(t, ring, "session", encodeRaw(nativeReauth(t, issuer, "session", raw, edit)), nativeNow, stale)
		}
		cases := map[string]func(h []byte){
			"version 0x00":                  func(h []byte) { h[0] = 0x00 },
			"version 0x02":                  func(h []byte) { h[0] = 0x02 },
			"version 0xFF":                  func(h []byte) { h[0] = 0xFF },
			"key ID bit flipped":            func(h []byte) { h[1] ^= 0x80 },
			"key ID last byte changed":      func(h []byte) { h[keyIDLen]++ },
			"key ID zero":                   func(h []byte) { clear(h[1:]) },
			"key ID of a secret not in use": func(h []byte) { copy(h[1:], id3[:]) },
			// The ID names another key of the ring, but the token is
			// authenticated under key 1: the ID must select the key.
			"key ID of the other ring key": func(h []byte) { copy(h[1:], id2[:]) },
		}
		for name, edit := range cases {
			t.Run(name, func(t *testing.T) {
				expectInvalid(t, ring, "session", encodeRaw(nativeReauth(t, issuer, "session", raw, edit)), nativeNow)
			})
		}
	})
}

func TestCodecNameBinding(t *testing.T) {
	forEachNative(t, func(t *testing.T, k nativeKind) {
		c := k.codec(t, nativeSecret1)
		p := Payload{ID: "n", Expires: nativeNow.Add(time.Hour)}
		v := nativeEncode(t, c, "a", &p, nativeNow)
		expectAccepted(t, c, "a", v, nativeNow, p)
		for _, name := range []string{"b", "A", "", "a ", "aa", "__Host-a", "a\x00"} {
			expectInvalid(t, c, name, v, nativeNow)
		}
	})
}

func TestCodecExpiryInPayload(t *testing.T) {
	const skew = MaxClockSkew
	ms := time.Millisecond
	cases := []struct {
		name           string
		issued, decode time.Duration // from nativeNow
		expires        time.Duration // from nativeNow; 0 means none
		want           error
	}{
		{"well before expiry", 0, 59 * time.Minute, time.Hour, nil},
		{"1ms before expiry", 0, time.Hour - ms, time.Hour, nil},
		{"exactly at expiry", 0, time.Hour, time.Hour, ErrExpired},
		{"1ms after expiry", 0, time.Hour + ms, time.Hour, ErrExpired},
		{"long after expiry", 0, 48 * time.Hour, time.Hour, ErrExpired},
		{"expiry before issue", 0, 0, -time.Second, ErrExpired},
		{"no expiry, a year on", 0, 365 * 24 * time.Hour, 0, nil},
		{"issued a day ago", -24 * time.Hour, 0, time.Hour, nil},
		{"issued within skew", skew / 2, 0, time.Hour, nil},
		{"issued at the skew limit", skew, 0, time.Hour, nil},
		{"issued 1ms beyond skew", skew + ms, 0, time.Hour, ErrExpired},
		{"issued a day ahead", 24 * time.Hour, 0, 48 * time.Hour, ErrExpired},
	}
	forEachNative(t, func(t *testing.T, k nativeKind) {
		c := k.codec(t, nativeSecret1)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p := Payload{ID: "e", Data: []byte("secret data")}
				if tc.expires != 0 {
					p.Expires = nativeNow.Add(tc.expires)
				}
				v := nativeEncode(t, c, "session", &p, nativeNow.Add(tc.issued))
				got, err := c.Decode("session", v, nativeNow.Add(tc.decode))
				switch {
				case tc.want == nil && err != nil:
					t.Fatalf("rejected: %v", err)
				case tc.want == nil:
					if d := diffPayload(got, p); d != "" {
						t.Error(d)
					}
				case !errors.Is(err, tc.want) || errors.Is(err, ErrInvalid) || !payloadZero(got):
					t.Errorf("Decode = %+v, %v; want %v and no data", got, err, tc.want)
				}
			})
		}
	})
}

// TestDecodeInputLimit: a name and value over MaxCookieSize are refused
// before anything is decoded or allocated, even when authentic.
func TestDecodeInputLimit(t *testing.T) {
	forEachNative(t, func(t *testing.T, k nativeKind) {
		c := k.codec(t, nativeSecret1)
		big := strings.Repeat("A", 10<<10) // valid base64url all the way
		for _, in := range []struct{ name, value string }{
			{"session", big},
			{"", big[:MaxCookieSize+1]},
			{"session", big[:MaxCookieSize+1-len("session")]},
			{big[:MaxCookieSize], "A"},
		} {
			var err error
			allocs := testing.AllocsPerRun(50, func() { _, err = c.Decode(in.name, in.value, nativeNow) })
			if allocs != 0 || !errors.Is(err, ErrInvalid) {
				t.Errorf("name+value of %d bytes: %v allocations, %v; want 0 and ErrInvalid",
					len(in.name)+len(in.value), allocs, err)
			}
		}
		// Control: at the limit the value is decoded, which allocates; so
		// the zero above measures the early check, not a free decoder.
		if allocs := testing.AllocsPerRun(10, func() { c.Decode("s", big[:MaxCookieSize-1], nativeNow) }); allocs == 0 {
			t.Error("a value at the limit decoded without allocating: the measurement proves nothing")
		}

		// An authentic token is refused once its name makes the pair too
		// long, and accepted at exactly MaxCookieSize.
		p := Payload{ID: "lim", Expires: nativeNow.Add(time.Hour)}
		v := nativeEncode(t, c, "n", &p, nativeNow)
		for _, n := range []int{MaxCookieSize - len(v), MaxCookieSize - len(v) + 1} {
			name := strings.Repeat("n", n)
			v := nativeEncode(t, c, name, &p, nativeNow)
			if n+len(v) <= MaxCookieSize {
				expectAccepted(t, c, name, v, nativeNow, p)
			} else {
				expectInvalid(t, c, name, v, nativeNow)
			}
		}
	})
}

func benchPayload() *Payload {
	return &Payload{
		Data:    []byte(`{"user_id":1234567,"role":"editor","theme":"dark","lang":"en"}`),
		Created: nativeNow,
		Expires: nativeNow.Add(24 * time.Hour),
	}
}

func benchEncode(b *testing.B, k nativeKind) {
	c := k.codec(b, nativeSecret1)
	p, dst := benchPayload(), make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if dst, err = c.AppendEncode(dst[:0], "session", p, nativeNow); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(dst)), "value-bytes")
}

func benchDecode(b *testing.B, k nativeKind) {
	c := k.codec(b, nativeSecret1)
	v := nativeEncode(b, c, "session", benchPayload(), nativeNow)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode("session", v, nativeNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSealedEncode(b *testing.B) { benchEncode(b, nativeKinds[0]) }
func BenchmarkSealedDecode(b *testing.B) { benchDecode(b, nativeKinds[0]) }
func BenchmarkSignedEncode(b *testing.B) { benchEncode(b, nativeKinds[1]) }
func BenchmarkSignedDecode(b *testing.B) { benchDecode(b, nativeKinds[1]) }

// TestKeyIDInHeader: the 4 bytes after the version byte of a native value
// are KeyID of the secret that made it, so that a tool holding several
// secrets can name the one a value needs; distinct secrets get distinct IDs.
func TestKeyIDInHeader(t *testing.T) {
	forEachNative(t, func(t *testing.T, k nativeKind) {
		seen := map[[4]byte]string{}
		for _, s := range []string{nativeSecret1, nativeSecret2, nativeSecret3} {
			v, err := k.codec(t, s).AppendEncode(nil, "n", &Payload{}, nativeNow)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := base64.RawURLEncoding.DecodeString(string(v))
			if err != nil {
				t.Fatal(err)
			}
			if got := [4]byte(tok[1:5]); got != KeyID(s) {
				t.Errorf("header key ID %x, KeyID says %x", got, KeyID(s))
			}
			if other, dup := seen[KeyID(s)]; dup {
				t.Errorf("secrets %q and %q share a key ID", other, s)
			}
			seen[KeyID(s)] = s
		}
	})
}
