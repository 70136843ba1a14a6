package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/codec"
	"github.com/b4f9cdbb/session/internal/storeflag"
	"github.com/b4f9cdbb/session/store"
)

// maxStdinValue bounds what inspect reads from stdin: far more than any
// cookie, so that an oversized value is still reported as too large.
const maxStdinValue = 1 << 20

// inspectFlags are inspect's own flags.
type inspectFlags struct {
	name, format, kind string
}

// inspect decodes a cookie value with the secrets of SESSION_SECRETS and
// reports what it carries and whether the application would accept it.
func inspect(e *env, args []string) error {
	var (
		f  inspectFlags
		sf storeFlags
	)
	fs := newFlagSet(e)
	fs.StringVar(&f.name, "name", session.DefaultCookieName, "the cookie's name (a native value is bound to it)")
	fs.StringVar(&f.format, "codec", "native", "the cookie format: native or remix (React Router)")
	fs.StringVar(&f.kind, "store-kind", "", "cookie (cookie storage) or server (server-side storage); default: detected")
	sf.register(fs)
	pos, err := parseArgs(e, fs, args, "VALUE (or - to read it from stdin)")
	if err != nil {
		return err
	}
	kinds, err := kindsOf(f.kind)
	if err != nil {
		return err
	}
	value, err := readValue(e, pos[0], f.name)
	if err != nil {
		return err
	}
	secrets := splitSecrets(os.Getenv("SESSION_SECRETS"))
	if len(secrets) == 0 {
		return usageErrorf("SESSION_SECRETS is not set: set it to the application's secrets, comma-separated, current first, to inspect a cookie")
	}
	r, err := newRing(f.format, secrets)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(e, sf)
	defer cancel()
	now := time.Now()
	out := &report{w: e.stdout, now: now}
	out.field("cookie", "%s, %s format", f.name, f.format)
	d, err := r.decode(f.name, value, kinds, now)
	if err != nil {
		return err
	}
	if d == nil {
		return out.refuse(r.diagnose(f.name, value, kinds, now))
	}
	if !slices.Contains(kinds, d.kind) { // the remix format: one codec, kind told by the payload
		return out.refuse(refusal{"another storage kind", fmt.Sprintf("made for %s storage, not %s storage: pass -store-kind %s (or leave it out to detect it)", kindWords(d.kind), kindWords(kinds[0]), d.kind)})
	}
	out.field("storage", "%s", kindDescription(r.format, d.kind))
	out.secret(d.secret, len(secrets))
	switch {
	case d.future:
		out.times(d)
		return out.refuse(refusal{"issued in the future", fmt.Sprintf("authentic, but issued more than %v ahead of this machine's clock: the clocks of the servers disagree (run NTP), or this machine's clock is behind", codec.MaxClockSkew)})
	case d.expired:
		out.times(d)
		out.payload(d)
		why := "authentic, but past its expiry time (the idle timeout or the absolute lifetime): the application starts a new session"
		if !d.recovered {
			why = "authentic, but past its expiry time: the application starts a new session"
		}
		return out.refuse(refusal{"expired", why})
	}
	if d.kind == kindCookie {
		out.times(d)
		out.payload(d)
		if sf.store != "" {
			out.field("note", "-store ignored: cookie storage keeps the whole session in the cookie")
		}
		out.field("verdict", "accepted")
		return nil
	}
	return inspectServer(ctx, out, d, sf)
}

// inspectServer reports a server-side session cookie: the store key of its
// ID and, with -store, the record.
func inspectServer(ctx context.Context, out *report, d *decoded, sf storeFlags) error {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(d.p.ID)
	if err != nil || len(raw) != 32 || len(d.p.ID) != 43 {
		return out.refuse(refusal{"not a session ID", "authentic, but it carries an ID of a shape this library never issues (a React Router app's own server-side session, for example), so the application refuses it without looking it up"})
	}
	key := store.Key(sha256.Sum256(raw))
	out.field("store key", "%s (the SHA-256 of the session ID; the ID is not shown)", key)
	out.times(d)
	if sf.store == "" {
		out.field("record", "not looked up: pass -store (and -dsn) to check that the session still exists")
		out.field("verdict", "cookie accepted; the session is live only if its record is")
		return nil
	}
	s, err := openStore(ctx, sf)
	if err != nil {
		return err
	}
	defer s.close()
	rec, err := s.Read(ctx, key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		out.field("record", "none in %s", s)
		return out.refuse(refusal{"no record", "the cookie is authentic, but the store has no live record under its key: the session was destroyed (logout), revoked, or it expired (idle timeout); the application starts a new session"})
	case errors.Is(err, store.ErrCorrupt):
		out.field("record", "corrupt in %s: %v", s, err)
		return out.refuse(refusal{"corrupt record", "the record cannot be decoded: the application deletes it and starts a new session"})
	case err != nil:
		return fmt.Errorf("reading the record from %s: %w", s, err)
	}
	out.field("record", "found in %s", s)
	out.field("  created", "%s", formatTime(rec.Created))
	out.field("  written", "%s", formatTime(rec.Updated))
	out.field("  expires", "%s", out.when(rec.Expires))
	if rec.UserID != "" {
		out.field("  user", "%q", rec.UserID)
	}
	if rec.Version != 0 {
		out.field("  version", "%d", rec.Version)
	}
	p, err := codec.UnmarshalPayload(rec.Data)
	if err != nil {
		return out.refuse(refusal{"corrupt record", fmt.Sprintf("the record's data cannot be decoded (%v): the application deletes it and starts a new session", err)})
	}
	out.payload(&decoded{p: p, kind: kindCookie})
	out.field("verdict", "accepted")
	return nil
}

// kindsOf returns the storage kinds to try for -store-kind.
func kindsOf(flag string) ([]string, error) {
	switch flag {
	case "":
		return []string{kindCookie, kindServer}, nil
	case kindCookie, kindServer:
		return []string{flag}, nil
	}
	return nil, usageErrorf("-store-kind %q: want cookie or server (or leave it out to detect it)", flag)
}

func kindDescription(format, kind string) string {
	switch {
	case format == "remix" && kind == kindServer:
		return "server-side (the cookie carries a signed session ID)"
	case format == "remix":
		return "cookie (the whole session in the cookie, signed, readable by the client)"
	case kind == kindServer:
		return "server-side (the cookie carries a session ID, signed with HMAC-SHA256)"
	}
	return "cookie (the whole session in the cookie, sealed with AES-256-GCM)"
}

// readValue returns the cookie value from the argument, or from stdin for
// "-". A value pasted with its name ("__session=…") or its attributes
// ("…; Path=/") is cut down to the value.
func readValue(e *env, arg, name string) (string, error) {
	if arg == "-" {
		b, err := io.ReadAll(io.LimitReader(e.stdin, maxStdinValue))
		if err != nil {
			return "", fmt.Errorf("reading the value from stdin: %w", err)
		}
		arg = string(b)
	}
	v, _, _ := strings.Cut(arg, ";")
	v = strings.TrimSpace(v)
	// No value of either format contains '=' at its start: native values
	// are unpadded base64url, React Router ones URL-encoded base64.
	v = strings.TrimPrefix(v, name+"=")
	if v == "" {
		return "", usageErrorf("inspect: the value is empty")
	}
	return v, nil
}

// splitSecrets splits SESSION_SECRETS as the demo does: comma-separated,
// spaces trimmed, empty entries skipped.
func splitSecrets(env string) []string { return storeflag.SplitSecrets(env) }

// report writes inspect's findings, one labelled line each.
type report struct {
	w   io.Writer
	now time.Time
}

func (r *report) field(label, format string, args ...any) {
	fmt.Fprintf(r.w, "%-11s %s\n", label, fmt.Sprintf(format, args...))
}

// refuse writes the verdict and why, and returns the error that exits with
// exitRefused.
func (r *report) refuse(f refusal) error {
	r.field("verdict", "refused: %s", f.verdict)
	r.field("why", "%s", f.why)
	return &codeError{code: exitRefused}
}

func (r *report) secret(i, n int) {
	switch {
	case i == 0:
		r.field("secret", "the current one (1 of %d in SESSION_SECRETS)", n)
	case i > 0:
		r.field("secret", "an old one (%d of %d in SESSION_SECRETS): stale, the next commit re-issues it with the current secret", i+1, n)
	}
}

// when formats t with how far it is from now.
func (r *report) when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := t.Sub(r.now).Round(time.Second)
	if d < 0 {
		return fmt.Sprintf("%s (%v ago)", formatTime(t), -d)
	}
	return fmt.Sprintf("%s (in %v)", formatTime(t), d)
}

func (r *report) times(d *decoded) {
	if !d.recovered && (d.expired || d.future) {
		return
	}
	p := &d.p
	if p.Created.IsZero() && p.Expires.IsZero() {
		r.field("expires", "never: this format signs no expiry, so the cookie is valid for as long as its secret is")
		return
	}
	r.field("created", "%s", formatTime(p.Created))
	label := "expires"
	if d.kind == kindServer {
		label = "lifetime" // the cookie's own expiry is the absolute one
	}
	r.field(label, "%s", r.when(p.Expires))
	if p.Persistent {
		r.field("persistent", "yes (a remember-me cookie with Max-Age)")
	} else {
		r.field("persistent", "no (a browser-session cookie)")
	}
}

// payload writes the session data and flash values, as JSON when they are.
func (r *report) payload(d *decoded) {
	if !d.recovered && (d.expired || d.future) {
		return
	}
	if d.kind == kindServer && d.p.ID != "" {
		return // the data is in the store
	}
	fmt.Fprintf(r.w, "%-11s %s\n", "data", jsonText(d.p.Data, "            "))
	names := make([]string, 0, len(d.p.Flash))
	for n := range d.p.Flash {
		names = append(names, n)
	}
	slices.Sort(names)
	if len(names) == 0 {
		r.field("flash", "none")
	}
	for _, n := range names {
		r.field("flash", "%q = %s", n, jsonText(d.p.Flash[n], "            "))
	}
}

// jsonText returns b indented if it is JSON, or says what it is.
func jsonText(b []byte, indent string) string {
	if len(b) == 0 {
		return "(none)"
	}
	var buf bytes.Buffer
	if json.Indent(&buf, b, indent, "  ") == nil {
		return buf.String()
	}
	const max = 256
	s := b
	if len(s) > max {
		s = s[:max]
	}
	return fmt.Sprintf("(%d bytes, not JSON: the application uses another Serializer) %q", len(b), s)
}
