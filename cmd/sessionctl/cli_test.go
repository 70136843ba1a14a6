package main

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/codec"
)

func TestGenSecret(t *testing.T) {
	first := sessionctl(t, nil, "gen-secret")
	first.want(t, exitOK)
	for _, f := range []string{"SESSION_SECRETS=NEW,CURRENT", "drop CURRENT", "replace all the"} {
		if !strings.Contains(first.stderr, f) {
			t.Fatalf("the rotation advice on stderr lacks %q:\n%s", f, first.stderr)
		}
	}
	secret := strings.TrimSuffix(first.stdout, "\n")
	if strings.Contains(secret, "\n") {
		t.Fatalf("stdout holds more than the secret: %q", first.stdout)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(secret)
	if err != nil || len(raw) != 32 {
		t.Fatalf("secret %q is not 32 bytes of unpadded base64url (%d bytes, %v)", secret, len(raw), err)
	}
	// Accepted as it is by the codecs, the storage and SESSION_SECRETS.
	if err := codec.CheckSecrets([]string{secret}); err != nil {
		t.Fatal(err)
	}
	if got := splitSecrets(secret + "," + secret1); len(got) != 2 || got[0] != secret {
		t.Fatalf("SESSION_SECRETS=%s,… splits into %q", secret, got)
	}
	c := mint(t, newStorage(t, nil, time.Now, []string{secret}), "alice")
	inspectWith(t, secret, c.value).want(t, exitOK, "verdict     accepted")

	if again := sessionctl(t, nil, "gen-secret"); again.stdout == first.stdout {
		t.Fatal("two secrets were the same")
	}
	sessionctl(t, nil, "gen-secret", "extra").want(t, exitUsage, "gen-secret takes no arguments")
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"help"}, {"--help"}} {
		sessionctl(t, nil, args...).want(t, exitOK, "Commands:", "gen-secret", "revoke-all", "inspect",
			"Exit codes:", "0  success", "1  the operation failed", "2  usage error", "3  inspect: the cookie would be refused")
	}
	sessionctl(t, nil, "count", "-h").want(t, exitOK, "Usage: sessionctl count", "-store", "-dsn", "-timeout", "Exit codes")
	sessionctl(t, nil, "revoke-all", "-h").want(t, exitOK, "-yes")
	sessionctl(t, nil, "inspect", "-h").want(t, exitOK, "-name", "-codec", "-store-kind")

	sessionctl(t, nil).want(t, exitUsage, "Commands:")
	sessionctl(t, nil, "frobnicate").want(t, exitUsage, `unknown command "frobnicate"`)
	sessionctl(t, nil, "-store", "file", "count").want(t, exitUsage, "flags go after the command")
	sessionctl(t, nil, "count", "-nope").want(t, exitUsage, "flag provided but not defined: -nope", "sessionctl count -h")
	sessionctl(t, nil, "list", "-store", "file").want(t, exitUsage, "list needs USER")
	sessionctl(t, nil, "list", "a", "b").want(t, exitUsage, "list needs USER, got 2")
	sessionctl(t, nil, "count", "x").want(t, exitUsage, "count takes no arguments")
}

// TestFlagsAnywhere: flags may follow the arguments, and "--" ends them so
// that a user ID may start with "-".
func TestFlagsAnywhere(t *testing.T) {
	c := fileCase(t)
	sessions := newStorage(t, c.st, time.Now, []string{secret1})
	dash := mint(t, sessions, "-dash")
	alice := mint(t, sessions, "alice")
	sessionctl(t, nil, append([]string{"list", "alice"}, c.flags...)...).want(t, exitOK, alice.key.String())
	sessionctl(t, nil, append(append([]string{"list"}, c.flags...), "alice")...).want(t, exitOK, alice.key.String())
	sessionctl(t, nil, append(append([]string{"list"}, c.flags...), "--", "-dash")...).want(t, exitOK, dash.key.String())
	sessionctl(t, nil, append(append([]string{"revoke"}, c.flags...), "--", "-dash")...).want(t, exitOK, `revoked 1 session of user "-dash"`)
}
