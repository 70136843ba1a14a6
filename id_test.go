package session

import (
	"crypto/sha256"
	"strings"
	"testing"
)

func TestIDEntropyAndFormat(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 50_000
	}
	seen := make(map[[idBytes]byte]struct{}, n)
	for range n {
		id, key := newID()
		raw, err := idEncoding.DecodeString(id)
		if err != nil || len(id) != idLen || len(raw) != idBytes {
			t.Fatalf("ID %q: %d chars, %d bytes, %v", id, len(id), len(raw), err)
		}
		if key != sha256.Sum256(raw) {
			t.Fatal("key is not the SHA-256 of the raw ID")
		}
		if k, ok := parseID(id); !ok || k != key {
			t.Fatalf("parseID rejects a fresh ID %q", id)
		}
		r := [idBytes]byte(raw)
		if _, dup := seen[r]; dup {
			t.Fatalf("duplicate ID after %d", len(seen))
		}
		seen[r] = struct{}{}
	}
}

func TestIDPathTraversal(t *testing.T) {
	good, _ := newID()
	bad := []string{"", "../x", "a/b", `a\b`, "%2e%2e", "..", "x\x00", strings.Repeat("A", 10240),
		good + "=", good[:idLen-1], good[:idLen-1] + "/", good[:idLen-1] + ".", good[:idLen-1] + `\`,
		good[:idLen-1] + "\x00", good[:idLen-1] + "+", strings.Repeat("_", idLen-1) + "B"}
	for _, id := range bad {
		if _, ok := parseID(id); ok {
			t.Errorf("parseID accepted %q", id)
		}
	}
}

// FuzzSessionID: only IDs of exactly the issued shape are accepted, so
// '/', '.', '\' and NUL never reach a store.
func FuzzSessionID(f *testing.F) {
	good, _ := newID()
	for _, s := range []string{good, "../x", "a/b", "", strings.Repeat("A", idLen), "x\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		key, ok := parseID(id)
		if !ok {
			return
		}
		if len(id) != idLen || strings.ContainsAny(id, "/.\\\x00+=%") {
			t.Fatalf("accepted %q", id)
		}
		raw, err := idEncoding.DecodeString(id)
		if err != nil || key != sha256.Sum256(raw) || idEncoding.EncodeToString(raw) != id {
			t.Fatalf("accepted non-canonical %q", id)
		}
	})
}
