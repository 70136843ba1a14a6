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
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/codec"
)

var (
	hashKey  = []byte("0123456789abcdef0123456789abcdef-hash-key-for-tests-only-64bytes")
	blockKey = []byte("an AES-256 key of 32 bytes!!!!!!")
	otherKey = []byte("another hash key, not the one the cookie was made with")
	t0       = time.Unix(1_750_000_000, 0)
)

// testEncode writes the securecookie format from its description, so
// that these tests do not depend on gorilla (the interop module checks
// against the real package).
func testEncode(t testing.TB, name string, values map[any]any, hk, bk []byte, at time.Time) string {
	t.Helper()
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(values); err != nil {
		t.Fatal(err)
	}
	return sealRaw(t, name, buf.Bytes(), hk, bk, strconv.FormatInt(at.Unix(), 10))
}

// sealRaw builds a cookie around arbitrary body bytes and date text.
func sealRaw(t testing.TB, name string, body, hk, bk []byte, date string) string {
	t.Helper()
	if bk != nil {
		block, err := aes.NewCipher(bk)
		if err != nil {
			t.Fatal(err)
		}
		iv := bytes.Repeat([]byte{7}, block.BlockSize())
		ct := make([]byte, len(body))
		cipher.NewCTR(block, iv).XORKeyStream(ct, body)
		body = append(iv, ct...)
	}
	msg := date + "|" + base64.URLEncoding.EncodeToString(body)
	m := hmac.New(sha256.New, hk)
	m.Write([]byte(name + "|" + msg))
	return base64.URLEncoding.EncodeToString(append([]byte(msg+"|"), m.Sum(nil)...))
}

func newReader(t testing.TB, o Options) *Reader {
	t.Helper()
	r, err := NewReader(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestDecodeRoundTrip(t *testing.T) {
	values := map[any]any{"user": "zoë", "count": 3, "admin": false, 7: 1.5, "tags": []string{"a", "b"}}
	for _, bk := range [][]byte{nil, blockKey[:16], blockKey[:24], blockKey} {
		r := newReader(t, Options{Name: "session-name", HashKey: hashKey, BlockKey: bk})
		got, err := r.Decode(testEncode(t, "session-name", values, hashKey, bk, t0), t0.Add(time.Hour))
		if err != nil || !reflect.DeepEqual(got, values) {
			t.Errorf("block key of %d bytes: %v, %v", len(bk), got, err)
		}
	}
	// Empty values.
	r := newReader(t, Options{Name: "s", HashKey: hashKey})
	if got, err := r.Decode(testEncode(t, "s", map[any]any{}, hashKey, nil, t0), t0); err != nil || len(got) != 0 || got == nil {
		t.Errorf("empty: %v, %v", got, err)
	}
}

func TestKeyRotation(t *testing.T) {
	r := newReader(t, Options{Name: "s", HashKey: otherKey, OlderKeys: []KeyPair{{HashKey: hashKey, BlockKey: blockKey}}})
	if _, err := r.Decode(testEncode(t, "s", map[any]any{"a": 1}, hashKey, blockKey, t0), t0); err != nil {
		t.Errorf("older key pair: %v", err)
	}
	only := newReader(t, Options{Name: "s", HashKey: otherKey, BlockKey: blockKey})
	if _, err := only.Decode(testEncode(t, "s", map[any]any{"a": 1}, hashKey, blockKey, t0), t0); !errors.Is(err, codec.ErrInvalid) {
		t.Errorf("wrong hash key: %v", err)
	}
}

func TestMaxAge(t *testing.T) {
	v := testEncode(t, "s", map[any]any{"a": 1}, hashKey, nil, t0)
	def := newReader(t, Options{Name: "s", HashKey: hashKey})
	for _, tc := range []struct {
		r   *Reader
		now time.Time
		ok  bool
	}{
		{def, t0.Add(DefaultMaxAge), true},
		{def, t0.Add(DefaultMaxAge + time.Second), false},
		{def, t0.Add(-codec.MaxClockSkew), true},
		{def, t0.Add(-codec.MaxClockSkew - time.Second), false},
		{newReader(t, Options{Name: "s", HashKey: hashKey, MaxAge: time.Hour}), t0.Add(time.Hour + time.Second), false},
		{newReader(t, Options{Name: "s", HashKey: hashKey, MaxAge: 365 * 24 * time.Hour}), t0.Add(100 * 24 * time.Hour), true},
	} {
		_, err := tc.r.Decode(v, tc.now)
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, codec.ErrExpired)) {
			t.Errorf("max age %v at t0%+v: %v", tc.r.maxAge, tc.now.Sub(t0), err)
		}
	}
}

func TestRejects(t *testing.T) {
	r := newReader(t, Options{Name: "s", HashKey: hashKey, BlockKey: blockKey})
	good := testEncode(t, "s", map[any]any{"user": "a"}, hashKey, blockKey, t0)
	reject := func(what, v string, want error) {
		t.Helper()
		if got, err := r.Decode(v, t0); !errors.Is(err, want) {
			t.Errorf("%s: %v, %v; want %v", what, got, err, want)
		}
	}
	raw, _ := base64.URLEncoding.DecodeString(good)
	for i := 0; i < len(raw)*8; i++ {
		b := bytes.Clone(raw)
		b[i/8] ^= 1 << (i % 8)
		reject(fmt.Sprint("bit flip ", i), base64.URLEncoding.EncodeToString(b), codec.ErrInvalid)
	}
	for i := range len(good) {
		reject("truncated", good[:i], codec.ErrInvalid)
	}
	for i := range len(raw) {
		reject("truncated raw", base64.URLEncoding.EncodeToString(raw[:i]), codec.ErrInvalid)
	}
	for _, v := range []string{
		good + "x", good + "====", good + good, strings.TrimRight(good, "="), " " + good,
		strings.NewReplacer("-", "+", "_", "/").Replace(good) + "+/",
		base64.URLEncoding.EncodeToString(append(raw, 'x')),
		strings.Repeat("A", codec.MaxCookieSize),
	} {
		reject("malformed", v, codec.ErrInvalid)
	}
	// Another cookie name, another hash key, no block key.
	reject("other name", testEncode(t, "t", map[any]any{"user": "a"}, hashKey, blockKey, t0), codec.ErrInvalid)
	reject("other key", testEncode(t, "s", map[any]any{"user": "a"}, otherKey, blockKey, t0), codec.ErrInvalid)
	// Authentic but odd: only the key's holder can make these.
	reject("signed bad date", sealRaw(t, "s", []byte("x"), hashKey, blockKey, "+1750000000"), codec.ErrInvalid)
	reject("signed negative date", sealRaw(t, "s", []byte("x"), hashKey, blockKey, "-1"), codec.ErrInvalid)
	reject("signed empty date", sealRaw(t, "s", []byte("x"), hashKey, blockKey, ""), codec.ErrInvalid)
	reject("signed junk gob", sealRaw(t, "s", []byte("not gob at all"), hashKey, blockKey, "1750000000"), ErrValues)
	reject("signed empty body", sealRaw(t, "s", nil, hashKey, nil, "1750000000"), codec.ErrInvalid)
	var gobBuf bytes.Buffer
	_ = gob.NewEncoder(&gobBuf).Encode(map[any]any{"a": 1})
	reject("trailing bytes", sealRaw(t, "s", append(gobBuf.Bytes(), 0), hashKey, blockKey, "1750000000"), ErrValues)
	// A registered type in the old program, unknown here.
	type unregistered struct{ X int }
	gob.RegisterName("gorillacompat_test.unregistered", unregistered{})
	var withType bytes.Buffer
	if err := gob.NewEncoder(&withType).Encode(map[any]any{"u": unregistered{1}}); err != nil {
		t.Fatal(err)
	}
	renamed := bytes.Replace(withType.Bytes(), []byte("gorillacompat_test.unregistered"), []byte("gorillacompat_test.unknownname"), 1)
	reject("unregistered type", sealRaw(t, "s", renamed, hashKey, blockKey, "1750000000"), ErrValues)
}

func TestDecodeInputLimit(t *testing.T) {
	r := newReader(t, Options{Name: "s", HashKey: hashKey})
	big := strings.Repeat("A", codec.MaxCookieSize)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := r.Decode(big, t0); !errors.Is(err, codec.ErrInvalid) {
			t.Fatal("oversized value accepted")
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations before rejecting an oversized value", allocs)
	}
}

func TestOptions(t *testing.T) {
	for _, o := range []Options{
		{HashKey: hashKey},
		{Name: "s"},
		{Name: "s", HashKey: hashKey, BlockKey: []byte("short")},
		{Name: "s", HashKey: hashKey, MaxAge: -time.Second},
		{Name: "s", HashKey: hashKey, OlderKeys: []KeyPair{{}}},
	} {
		if _, err := NewReader(o); !errors.Is(err, ErrConfig) {
			t.Errorf("NewReader(%+v) = %v; want ErrConfig", o, err)
		}
	}
	if _, err := Cookie[int](Options{Name: "s", HashKey: hashKey}, nil); !errors.Is(err, ErrConfig) {
		t.Errorf("nil convert: %v", err)
	}
}

func TestCookie(t *testing.T) {
	type user struct{ Name string }
	l, err := Cookie(Options{Name: "old", HashKey: hashKey}, func(v map[any]any) (user, error) {
		name, ok := v["name"].(string)
		if !ok {
			return user{}, errors.New("no name")
		}
		return user{Name: name}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if l.Name != "old" {
		t.Errorf("Name = %q", l.Name)
	}
	got, err := l.Read(testEncode(t, "old", map[any]any{"name": "ann"}, hashKey, nil, t0), t0)
	if err != nil || got.Name != "ann" {
		t.Errorf("Read = %+v, %v", got, err)
	}
	if _, err := l.Read(testEncode(t, "old", map[any]any{"x": 1}, hashKey, nil, t0), t0); err == nil {
		t.Error("convert's error not returned")
	}
	if _, err := l.Read("junk", t0); !errors.Is(err, codec.ErrInvalid) {
		t.Errorf("junk: %v", err)
	}
}

// FuzzGorillaDecode checks that Decode never panics, and that whatever it
// accepts (only values made with the test keys, which the seeds are)
// decodes to a non-nil map.
func FuzzGorillaDecode(f *testing.F) {
	hashOnly := newReader(f, Options{Name: "s", HashKey: hashKey})
	sealed := newReader(f, Options{Name: "s", HashKey: hashKey, BlockKey: blockKey})
	f.Add(testEncode(f, "s", map[any]any{"user": "a", "n": 1, "ok": true}, hashKey, nil, t0), false)
	f.Add(testEncode(f, "s", map[any]any{"user": "a", 2: []byte("x")}, hashKey, blockKey, t0), true)
	f.Add(sealRaw(f, "s", []byte("\x03\x04\x00\xff"), hashKey, nil, "1750000000"), false)
	f.Add("", false)
	f.Fuzz(func(t *testing.T, value string, useBlock bool) {
		r := hashOnly
		if useBlock {
			r = sealed
		}
		values, err := r.Decode(value, t0)
		if err != nil {
			if !errors.Is(err, codec.ErrInvalid) && !errors.Is(err, codec.ErrExpired) && !errors.Is(err, ErrValues) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if values == nil {
			t.Fatal("nil values without an error")
		}
	})
}

// FuzzGorillaValues feeds the gob decoder what only a key holder could:
// arbitrary authenticated bytes. It must never panic.
func FuzzGorillaValues(f *testing.F) {
	for _, v := range []map[any]any{{"a": 1}, {"s": "x", 1: true, "f": 2.5, "b": []byte{1}}, {}} {
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(v); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		values, err := decodeValues(raw)
		if err == nil && values == nil {
			t.Fatal("nil values without an error")
		}
		if err != nil && !errors.Is(err, ErrValues) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}
