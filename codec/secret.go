package codec

import (
	"errors"
	"fmt"
	"strings"
)

// MinSecretLen is the shortest secret the native codecs accept, in bytes.
const MinSecretLen = 32

// ErrWeakSecret is returned when a codec is built with no secret, a short
// one, or an obvious placeholder.
var ErrWeakSecret = errors.New("session secret too weak")

// placeholders are fragments that mark a secret copied from documentation.
var placeholders = []string{"changeme", "change-me", "change_me", "replace-me", "replace_me", "your-secret", "your_secret", "example", "placeholder", "xxxxxxxx", "12345678", "password"}

// CheckSecrets validates a secret ring: at least one secret, each at least
// MinSecretLen bytes, not a placeholder, with some variety of bytes, and no
// duplicates.
func CheckSecrets(secrets []string) error {
	if len(secrets) == 0 {
		return fmt.Errorf("%w: no secret given; generate one with `openssl rand -base64 32`", ErrWeakSecret)
	}
	seen := make(map[string]bool, len(secrets))
	for i, s := range secrets {
		if err := checkSecret(s); err != nil {
			return fmt.Errorf("secret %d: %w", i, err)
		}
		if seen[s] {
			return fmt.Errorf("secret %d: %w: listed twice", i, ErrWeakSecret)
		}
		seen[s] = true
	}
	return nil
}

func checkSecret(s string) error {
	if len(s) < MinSecretLen {
		return fmt.Errorf("%w: %d bytes, need at least %d; generate one with `openssl rand -base64 32`", ErrWeakSecret, len(s), MinSecretLen)
	}
	lower := strings.ToLower(s)
	for _, p := range placeholders {
		if strings.Contains(lower, p) {
			return fmt.Errorf("%w: looks like a placeholder (contains %q)", ErrWeakSecret, p)
		}
	}
	var distinct [256]bool
	n := 0
	for i := 0; i < len(s); i++ {
		if !distinct[s[i]] {
			distinct[s[i]] = true
			n++
		}
	}
	if n < 8 {
		return fmt.Errorf("%w: only %d distinct bytes", ErrWeakSecret, n)
	}
	return nil
}
