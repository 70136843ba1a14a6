package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/b4f9cdbb/session/codec"
)

// secretBytes is the strength of a generated secret: 256 bits, the key
// size of the AES-256-GCM and HMAC-SHA256 keys derived from it.
const secretBytes = 32

// genSecret prints a new secret on stdout, alone on its line so that
// scripts can capture it, and how to rotate it in on stderr.
func genSecret(e *env, args []string) error {
	fs := newFlagSet(e)
	if _, err := parseArgs(e, fs, args); err != nil {
		return err
	}
	secret := newSecret()
	fmt.Fprintln(e.stdout, secret)
	fmt.Fprint(e.stderr, `This is 32 random bytes as unpadded base64url (43 characters, no commas),
as session.CookieOptions.Secrets and SESSION_SECRETS take it.
Keep it out of source control.

To rotate without logging anyone out, put it first and keep the current
secret after it:
    SESSION_SECRETS=NEW,CURRENT
New cookies use NEW; cookies made with CURRENT are still accepted and are
re-issued with NEW on their next commit. Once the session lifetime has
passed (Config.Lifetime, 14 days by default), drop CURRENT.

To end every session at once instead (a leaked secret), replace all the
secrets with NEW alone: every cookie made before is refused. A React
Router app sharing the sessions (-codec remix) needs the same secrets in
the same order.
`)
	return nil
}

// newSecret returns secretBytes from crypto/rand as unpadded base64url:
// no comma (SESSION_SECRETS' separator), no space, nothing to quote in a
// shell or an environment file. It is drawn again in the unlikely case
// that codec.CheckSecrets refuses it (a placeholder-like run of
// characters), so that every secret it returns is accepted.
func newSecret() string {
	for {
		var b [secretBytes]byte
		rand.Read(b[:]) // never fails: crypto/rand panics rather than return short
		s := base64.RawURLEncoding.EncodeToString(b[:])
		if codec.CheckSecrets([]string{s}) == nil {
			return s
		}
	}
}
