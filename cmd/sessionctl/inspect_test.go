package main

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/codec"
	"github.com/b4f9cdbb/session/memstore"
)

// inspectWith runs sessionctl inspect with SESSION_SECRETS set to secrets.
func inspectWith(t *testing.T, secrets string, args ...string) result {
	t.Helper()
	t.Setenv("SESSION_SECRETS", secrets)
	return sessionctl(t, nil, append([]string{"inspect"}, args...)...)
}

// withFlash gives the session a flash error and makes it persistent.
func withFlash(s *session.Session[Data]) {
	if err := session.SetFlash(s, "error", "Invalid email/password"); err != nil {
		panic(err)
	}
	s.SetPersistent(true)
}

func TestInspectCookie(t *testing.T) {
	c := mint(t, newStorage(t, nil, time.Now, []string{secret1}), "alice", withFlash)
	inspectWith(t, secret1, c.value).want(t, exitOK,
		"cookie      __session, native format",
		"storage     cookie (the whole session in the cookie, sealed with AES-256-GCM)",
		"secret      the current one (1 of 1 in SESSION_SECRETS)",
		"created     ", "expires     ", "(in ",
		"persistent  yes",
		`"user": "alice"`, `"count": 2`,
		`flash       "error" = "Invalid email/password"`,
		"verdict     accepted")
	// A value pasted with its name and attributes, or from stdin.
	inspectWith(t, secret1, "__session="+c.value+"; Path=/; HttpOnly").want(t, exitOK, "verdict     accepted")
	t.Setenv("SESSION_SECRETS", secret1)
	sessionctl(t, strings.NewReader(c.value+"\n"), "inspect", "-").want(t, exitOK, `"user": "alice"`, "verdict     accepted")
	// -store is not needed, and not used, for cookie storage.
	inspectWith(t, secret1, c.value, "-store", "memory").want(t, exitOK, "-store ignored")
}

func TestInspectExpired(t *testing.T) {
	// Minted two days ago: the idle timeout (24 h) ended a day ago.
	past := func() time.Time { return time.Now().Add(-48 * time.Hour) }
	c := mint(t, newStorage(t, nil, past, []string{secret1}), "alice")
	r := inspectWith(t, secret1, c.value)
	r.want(t, exitRefused, "verdict     refused: expired", "past its expiry time", "h0m0s ago)", `"user": "alice"`)

	future := func() time.Time { return time.Now().Add(2 * time.Hour) }
	c = mint(t, newStorage(t, nil, future, []string{secret1}), "alice")
	inspectWith(t, secret1, c.value).want(t, exitRefused, "verdict     refused: issued in the future", "clocks")
}

func TestInspectTampered(t *testing.T) {
	c := mint(t, newStorage(t, nil, time.Now, []string{secret1}), "alice")
	// Change one character in the middle, keeping the header (version and
	// key ID, the first 7 characters) intact.
	b := []byte(c.value)
	i := len(b) / 2
	b[i] = map[bool]byte{true: 'A', false: 'B'}[b[i] != 'A']
	inspectWith(t, secret1, string(b)).want(t, exitRefused, "verdict     refused: tampered", "key ID names one of your secrets")
	// Cut short, and cut to nothing much.
	tok, _ := base64.RawURLEncoding.DecodeString(c.value)
	inspectWith(t, secret1, base64.RawURLEncoding.EncodeToString(tok[:len(tok)-8])).want(t, exitRefused, "refused: tampered")
	inspectWith(t, secret1, c.value[:20]).want(t, exitRefused, "refused: malformed", "shorter than any native value")
	inspectWith(t, secret1, "!!not base64!!").want(t, exitRefused, "refused: malformed", "not unpadded base64url")
	// The first character holds the top six bits of the version byte.
	inspectWith(t, secret1, "Q"+c.value[1:]).want(t, exitRefused, "refused: malformed", "format version 0x41")
}

func TestInspectCookieName(t *testing.T) {
	named := func(name string) func(*session.Config[Data]) {
		return func(c *session.Config[Data]) { c.Cookie.Name = name }
	}
	host := mint(t, newStorage(t, nil, time.Now, []string{secret1}, named("__Host-session")), "alice")
	inspectWith(t, secret1, host.value).want(t, exitRefused,
		"verdict     refused: another cookie name", `made for the cookie "__Host-session", not "__session"`, "pass -name __Host-session")
	inspectWith(t, secret1, "-name", "__Host-session", host.value).want(t, exitOK, "cookie      __Host-session", "verdict     accepted")

	// A name sessionctl cannot guess: tampered or another name.
	other := mint(t, newStorage(t, nil, time.Now, []string{secret1}, named("myapp")), "alice")
	inspectWith(t, secret1, other.value).want(t, exitRefused, "refused: tampered", "made for another cookie name (pass the right -name)")
	inspectWith(t, secret1, other.value, "-name", "myapp").want(t, exitOK, "verdict     accepted")
}

func TestInspectSecrets(t *testing.T) {
	old := mint(t, newStorage(t, nil, time.Now, []string{secret2}), "alice")
	// The old secret still in the ring, after the new one: accepted, stale.
	inspectWith(t, secret1+","+secret2, old.value).want(t, exitOK,
		"secret      an old one (2 of 2 in SESSION_SECRETS): stale, the next commit re-issues it with the current secret", "verdict     accepted")
	// Retired: refused, and said to be another secret rather than tampering.
	inspectWith(t, secret1+","+secret3, old.value).want(t, exitRefused,
		"verdict     refused: wrong secret", "not in SESSION_SECRETS", "keep the old secret after the new one")

	t.Setenv("SESSION_SECRETS", "")
	sessionctl(t, nil, "inspect", old.value).want(t, exitUsage, "SESSION_SECRETS is not set")
	inspectWith(t, "short", old.value).want(t, exitUsage, "SESSION_SECRETS: secret 0", "too weak")
}

func TestInspectRemix(t *testing.T) {
	remix, err := codec.NewRemix(secret1)
	if err != nil {
		t.Fatal(err)
	}
	useRemix := func(c *session.Config[Data]) { c.Codec, c.AllowUnboundedCookies = remix, true }
	c := mint(t, newStorage(t, nil, time.Now, []string{secret1}, useRemix), "alice", withFlash)
	inspectWith(t, secret1, "-codec", "remix", c.value).want(t, exitOK,
		"cookie      __session, remix format",
		"storage     cookie (the whole session in the cookie, signed, readable by the client)",
		"expires     never: this format signs no expiry",
		`"user": "alice"`, `flash       "error" = "Invalid email/password"`,
		"verdict     accepted")
	// Under the native codec it is malformed, with a hint.
	inspectWith(t, secret1, c.value).want(t, exitRefused, "refused: malformed", "try -codec remix")
	// Another secret, or a changed byte: the format cannot tell which.
	inspectWith(t, secret2, "-codec", "remix", c.value).want(t, exitRefused, "refused: wrong secret or tampered")
	inspectWith(t, secret1, "-codec", "remix", strings.Replace(c.value, "eyJ", "eyK", 1)).want(t, exitRefused, "refused: wrong secret or tampered")
	inspectWith(t, secret1, "-codec", "remix", c.value[:len(c.value)-5]).want(t, exitRefused, "refused: malformed", "43 characters")

	// Server-side storage with the remix codec: the cookie is the ID.
	st := memstore.New()
	t.Cleanup(func() { st.Close() })
	srv := mint(t, newStorage(t, st, time.Now, []string{secret1}, useRemix), "alice")
	r := inspectWith(t, secret1, "-codec", "remix", srv.value)
	r.want(t, exitOK, "storage     server-side (the cookie carries a signed session ID)", "store key   "+srv.key.String())
	if strings.Contains(r.stdout, srv.id) {
		t.Fatal("inspect printed the session ID")
	}
	inspectWith(t, secret1, "-codec", "remix", "-store-kind", "cookie", srv.value).want(t, exitRefused, "refused: another storage kind", "pass -store-kind server")
}

func TestInspectServerSide(t *testing.T) {
	st := memstore.New()
	t.Cleanup(func() { st.Close() })
	c := mint(t, newStorage(t, st, time.Now, []string{secret1}), "alice")
	r := inspectWith(t, secret1, c.value)
	r.want(t, exitOK,
		"storage     server-side (the cookie carries a session ID, signed with HMAC-SHA256)",
		"store key   "+c.key.String()+" (the SHA-256 of the session ID; the ID is not shown)",
		"lifetime    ", "record      not looked up: pass -store",
		"verdict     cookie accepted; the session is live only if its record is")
	if strings.Contains(r.stdout, c.id) {
		t.Fatal("inspect printed the session ID")
	}
	inspectWith(t, secret1, "-store-kind", "server", c.value).want(t, exitOK, "store key")
	inspectWith(t, secret1, "-store-kind", "cookie", c.value).want(t, exitRefused, "refused: another storage kind", "made for server-side storage, not cookie storage", "pass -store-kind server")
	inspectWith(t, secret1, "-store-kind", "both", c.value).want(t, exitUsage, "want cookie or server")
	inspectWith(t, secret1, "-codec", "gorilla", c.value).want(t, exitUsage, "want native or remix")
}

func TestInspectTooLarge(t *testing.T) {
	inspectWith(t, secret1, strings.Repeat("A", codec.MaxCookieSize)).want(t, exitRefused, "refused: too large", "at most 4096")
	inspectWith(t, secret1, "-codec", "remix", strings.Repeat("A", codec.MaxCookieSize)).want(t, exitRefused, "refused: too large")
}
