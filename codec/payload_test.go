package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// nativeNow is the fake clock of the codec tests: every issue and decode
// time is derived from it, at millisecond precision.
var nativeNow = time.UnixMilli(1_767_225_600_123)

type payloadCase struct {
	name string
	p    Payload
}

// allBytes is every byte value once, as binary data.
func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// payloadCases returns fresh payloads (no memory shared between calls) that
// a native codec can carry at now: every Expires lies after now.
func payloadCases(now time.Time) []payloadCase {
	created := now.Add(-90*time.Minute + 7*time.Millisecond)
	expires := now.Add(2*time.Hour + 993*time.Millisecond)
	return []payloadCase{
		{"zero", Payload{}},
		{"ID only", Payload{ID: "Jr1cWm0vX4Zq9Ls2Tb8Nd6Ku3Ye7Ha5Pg0Fo1Ci2Bx", Expires: expires}},
		{"empty data", Payload{Data: []byte{}, Created: created, Expires: expires}},
		{"unicode data", Payload{Data: []byte("héllo wörld — 世界 🎉 \u2028"), Created: created, Expires: expires}},
		{"binary data", Payload{Data: allBytes(), Expires: expires}},
		{"one flash", Payload{Data: []byte(`{"u":7}`), Flash: map[string][]byte{"notice": []byte("saved")}, Expires: expires}},
		{"several flash", Payload{
			ID:   "sid",
			Data: []byte(`{"cart":[1,2,3]}`),
			Flash: map[string][]byte{
				"notice": []byte("Profile saved"),
				"error":  {},
				"ünï":    {0, 0xff, '\n', 0},
				"":       []byte("empty name"),
			},
			Created: created, Expires: expires,
		}},
		{"persistent", Payload{ID: "p", Data: []byte("x"), Created: created, Expires: now.Add(30 * 24 * time.Hour), Persistent: true}},
		{"one commit", Payload{Data: []byte("x"), Expires: expires, Commits: [RecentCommits]uint64{0x0123456789abcdef}}},
		{"all commits", Payload{Data: []byte("x"), Flash: map[string][]byte{"n": []byte("v")}, Expires: expires,
			Commits: [RecentCommits]uint64{1, 1 << 63, 0xffffffffffffffff, 42}}},
	}
}

// diffPayload describes how got differs from want, or returns "". Times are
// compared as instants; nil and empty Data or flash values are the same.
func diffPayload(got, want Payload) string {
	var d []string
	if got.ID != want.ID {
		d = append(d, fmt.Sprintf("ID %q, want %q", got.ID, want.ID))
	}
	if !bytes.Equal(got.Data, want.Data) {
		d = append(d, fmt.Sprintf("Data %q, want %q", got.Data, want.Data))
	}
	if len(got.Flash) != len(want.Flash) {
		d = append(d, fmt.Sprintf("%d flash values, want %d", len(got.Flash), len(want.Flash)))
	}
	for k, v := range want.Flash {
		if g, ok := got.Flash[k]; !ok || !bytes.Equal(g, v) {
			d = append(d, fmt.Sprintf("Flash[%q] = %q (present %v), want %q", k, g, ok, v))
		}
	}
	if !got.Created.Equal(want.Created) {
		d = append(d, fmt.Sprintf("Created %v, want %v", got.Created, want.Created))
	}
	if !got.Expires.Equal(want.Expires) {
		d = append(d, fmt.Sprintf("Expires %v, want %v", got.Expires, want.Expires))
	}
	if got.Persistent != want.Persistent {
		d = append(d, fmt.Sprintf("Persistent %v, want %v", got.Persistent, want.Persistent))
	}
	if got.Commits != want.Commits {
		d = append(d, fmt.Sprintf("Commits %x, want %x", got.Commits, want.Commits))
	}
	if got.Stale != want.Stale {
		d = append(d, fmt.Sprintf("Stale %v, want %v", got.Stale, want.Stale))
	}
	return strings.Join(d, "; ")
}

func payloadZero(p Payload) bool { return reflect.DeepEqual(p, Payload{}) }

// unmarshalMalformed checks that b is refused with ErrMalformed and an empty
// payload, and reports whether it was.
func unmarshalMalformed(t *testing.T, b []byte) bool {
	t.Helper()
	p, err := UnmarshalPayload(b)
	if !errors.Is(err, ErrMalformed) || !payloadZero(p) {
		t.Errorf("UnmarshalPayload(%x) = %+v, %v; want ErrMalformed and no data", b, p, err)
		return false
	}
	return true
}

func TestPayloadRoundTrip(t *testing.T) {
	cases := append(payloadCases(nativeNow),
		payloadCase{"before 1970", Payload{Created: time.UnixMilli(-1_234_567_890_123), Expires: time.UnixMilli(-1)}},
		payloadCase{"far future", Payload{Expires: time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC)}},
		payloadCase{"large data", Payload{Data: bytes.Repeat([]byte("0123456789abcdef"), 1<<12)}},
		payloadCase{"many flash", Payload{Flash: func() map[string][]byte {
			m := map[string][]byte{}
			for i := range 300 {
				m[fmt.Sprint("k", i)] = []byte(fmt.Sprint(i))
			}
			return m
		}()}},
	)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := AppendPayload([]byte("prefix"), &tc.p)
			if !bytes.HasPrefix(b, []byte("prefix")) {
				t.Fatalf("AppendPayload overwrote dst: %q", b[:6])
			}
			b = b[len("prefix"):]
			if n := PayloadSize(&tc.p); len(b) > n {
				t.Errorf("encoded %d bytes, more than PayloadSize %d", len(b), n)
			}
			got, err := UnmarshalPayload(b)
			if err != nil {
				t.Fatal(err)
			}
			if d := diffPayload(got, tc.p); d != "" {
				t.Error(d)
			}
		})
	}
}

// TestPayloadTruncation: every strict prefix of a valid encoding, and the
// encoding with a byte appended, is ErrMalformed, never a panic.
func TestPayloadTruncation(t *testing.T) {
	for _, tc := range payloadCases(nativeNow) {
		t.Run(tc.name, func(t *testing.T) {
			b := AppendPayload(nil, &tc.p)
			for i := range len(b) {
				if !unmarshalMalformed(t, b[:i:i]) {
					break
				}
			}
			unmarshalMalformed(t, append(b, 0))
		})
	}
}

func TestPayloadMalformed(t *testing.T) {
	valid := AppendPayload(nil, &Payload{ID: "i", Data: []byte("d")})
	with := func(i int, v byte) []byte { b := bytes.Clone(valid); b[i] = v; return b }
	overlong := append([]byte{payloadVersion, 0}, bytes.Repeat([]byte{0x80}, 11)...)
	cases := map[string][]byte{
		"nil":               nil,
		"version 0":         with(0, 0),
		"version 2":         with(0, 2),
		"version 0xff":      with(0, 0xff),
		"unknown flag 0x04": with(1, 0x04),
		"unknown flag 0x80": with(1, 0x81),
		"varint overflow":   append(overlong, 0),
		"ID longer than input": binary.AppendUvarint(
			[]byte{payloadVersion, 0, 0, 0}, 1<<40),
		"flash value missing": append([]byte{payloadVersion, 0, 0, 0, 0, 0, 1}, 1, 'k'),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) { unmarshalMalformed(t, b) })
	}
}

// TestPayloadCommitsMalformed: the commit IDs' count must be 1 to
// RecentCommits and match the bytes that follow, and no ID may be zero
// (zero marks the end of the list, so it could not round-trip).
func TestPayloadCommitsMalformed(t *testing.T) {
	head := AppendPayload(nil, &Payload{Data: []byte("d")})
	head[1] |= flagCommits
	id := binary.LittleEndian.AppendUint64(nil, 7)
	cases := map[string][]byte{
		"flag without count": head,
		"count 0":            append(bytes.Clone(head), 0),
		"count over the max": append(append(bytes.Clone(head), RecentCommits+1), bytes.Repeat(id, RecentCommits+1)...),
		"count beyond input": append(append(bytes.Clone(head), 2), id...),
		"short ID":           append(append(bytes.Clone(head), 1), id[:7]...),
		"zero ID":            append(append(bytes.Clone(head), 1), make([]byte, 8)...),
		"trailing byte":      append(append(append(bytes.Clone(head), 1), id...), 0),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) { unmarshalMalformed(t, b) })
	}
	ok := append(append(bytes.Clone(head), 1), id...)
	if p, err := UnmarshalPayload(ok); err != nil || p.Commits != [RecentCommits]uint64{7} {
		t.Errorf("one commit ID 7: %x, %v", p.Commits, err)
	}
}

// TestPayloadHugeFlashCount: a count of flash values far beyond what the
// input can hold is refused before a map of that size is made.
func TestPayloadHugeFlashCount(t *testing.T) {
	head := AppendPayload(nil, &Payload{})
	head = head[:len(head)-1] // drop the flash count (0)
	for _, n := range []uint64{1 << 62, 1 << 40, 1 << 20, 9} {
		b := binary.AppendUvarint(bytes.Clone(head), n)
		b = append(b, bytes.Repeat([]byte{0}, 16)...) // room for 8 entries
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		ok := unmarshalMalformed(t, b)
		runtime.ReadMemStats(&after)
		if grew := after.TotalAlloc - before.TotalAlloc; ok && grew > 64<<10 {
			t.Errorf("flash count %d: %d bytes allocated for a %d-byte input", n, grew, len(b))
		}
	}
	// The bound is not off by one: as many empty entries as fit are fine.
	b := binary.AppendUvarint(bytes.Clone(head), 8)
	b = append(b, bytes.Repeat([]byte{0}, 16)...)
	if p, err := UnmarshalPayload(b); err != nil || len(p.Flash) != 1 {
		t.Errorf("8 empty flash entries: %+v, %v; want one entry named \"\"", p, err)
	}
}

// TestPayloadSharesMemory pins the documented aliasing of Data and flash
// values with the input, and that appending to them cannot overwrite what
// follows in the input.
func TestPayloadSharesMemory(t *testing.T) {
	b := AppendPayload(nil, &Payload{Data: []byte("data"), Flash: map[string][]byte{"k": []byte("v")}})
	orig := bytes.Clone(b)
	p, err := UnmarshalPayload(b)
	if err != nil {
		t.Fatal(err)
	}
	_ = append(p.Data, "XXXXXXXX"...)
	_ = append(p.Flash["k"], "YYYYYYYY"...)
	if !bytes.Equal(b, orig) {
		t.Fatalf("appending to decoded values changed the input:\n%q\n%q", b, orig)
	}
	b[bytes.Index(b, []byte("data"))] = 'D'
	if string(p.Data) != "Data" {
		t.Errorf("Data = %q, want it to share memory with the input", p.Data)
	}
}
