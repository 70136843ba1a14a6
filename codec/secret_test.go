package codec

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func TestWeakSecretRejected(t *testing.T) {
	good := nativeSecret1
	weak := []struct {
		name string
		ring []string
	}{
		{"nil ring", nil},
		{"empty ring", []string{}},
		{"empty secret", []string{""}},
		{"31 bytes", []string{good[:31]}},
		{"changeme placeholder, 40 bytes", []string{"changeme-" + nativeSecret2[:31]}},
		{"CHANGEME in capitals", []string{nativeSecret2[:16] + "CHANGEME" + nativeSecret3[:16]}},
		{"your-secret placeholder", []string{"your-secret-" + nativeSecret2}},
		{"one character 40 times", []string{strings.Repeat("a", 40)}},
		{"seven distinct bytes", []string{strings.Repeat("abcdefg", 6)}},
		{"duplicate", []string{good, good}},
		{"duplicate, not adjacent", []string{good, nativeSecret2, good}},
		{"good then short", []string{good, "Zx8!kP2q"}},
		{"good then empty", []string{good, ""}},
	}
	constructors := []struct {
		name string
		fn   func(...string) (Codec, error)
	}{
		{"CheckSecrets", func(r ...string) (Codec, error) { return nil, CheckSecrets(r) }},
		{"NewSealed", NewSealed},
		{"NewSigned", NewSigned},
	}
	for _, tc := range weak {
		for _, ctor := range constructors {
			c, err := ctor.fn(tc.ring...)
			if !errors.Is(err, ErrWeakSecret) || c != nil {
				// c != nil also catches a nil *native in a non-nil Codec.
				t.Errorf("%s: %s = %v, %v; want no codec and ErrWeakSecret", tc.name, ctor.name, c, err)
				continue
			}
			for _, s := range tc.ring {
				if len(s) >= 8 && strings.Contains(err.Error(), s) {
					t.Errorf("%s: the error %q shows the secret", tc.name, err)
				}
			}
		}
	}

	random := make([]byte, 32)
	rand.Read(random)
	strong := [][]string{
		{string(random)},
		{hex.EncodeToString(random)},
		{good},
		{nativeSecret2, good, nativeSecret3},
	}
	for _, ring := range strong {
		for _, ctor := range constructors {
			if _, err := ctor.fn(ring...); err != nil {
				t.Errorf("%s(%d secrets of %d bytes): %v", ctor.name, len(ring), len(ring[0]), err)
			}
		}
	}
}
