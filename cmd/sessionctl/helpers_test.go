package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/store"
)

// TestMain fails the package if a command leaves a goroutine behind (a
// store's janitor, a connection pool): every command closes what it opens.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Test secrets: long enough, varied, free of placeholder fragments.
const (
	secret1 = "q7Vd2LmZ0xPfR9sK4tWbN8hC3jGyE6uA"
	secret2 = "Tz5Hn1Xc8QwBv0Mk3Rj7Lp2Fs9Gd4Ya6"
	secret3 = "mB6eU0rW9yT3iO7pA2sD5fG8hJ1kL4zX"
)

var allSecrets = []string{secret1, secret2, secret3}

// result is what one sessionctl run printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

// sessionctl runs the command in-process with stdin and returns its result.
// No run may print a secret.
func sessionctl(t *testing.T, stdin io.Reader, args ...string) result {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errOut bytes.Buffer
	code := run(args, stdin, &out, &errOut)
	r := result{code, out.String(), errOut.String()}
	for _, s := range allSecrets {
		if strings.Contains(r.stdout+r.stderr, s) {
			t.Fatalf("sessionctl %q printed a secret:\n%s%s", args, r.stdout, r.stderr)
		}
	}
	return r
}

// want fails the test unless r exited with code and its stdout (or, for a
// non-zero code, stdout and stderr) contains every fragment.
func (r result) want(t *testing.T, code int, fragments ...string) {
	t.Helper()
	text := r.stdout
	if code != exitOK {
		text += r.stderr
	}
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	for _, f := range fragments {
		if !strings.Contains(text, f) {
			t.Fatalf("output lacks %q\nstdout:\n%s\nstderr:\n%s", f, r.stdout, r.stderr)
		}
	}
}

// Data is the session data of the tests, shaped like the demo's.
type Data struct {
	Count int    `json:"count"`
	User  string `json:"user,omitempty"`
}

// newStorage returns a storage on st (cookie storage when st is nil) with
// secrets and the clock now, indexing sessions by Data.User.
func newStorage(t *testing.T, st store.Store, now func() time.Time, secrets []string, cfg ...func(*session.Config[Data])) *session.Storage[Data] {
	t.Helper()
	c := session.Config[Data]{
		Cookie: session.CookieOptions{Secrets: secrets},
		UserID: func(d Data) string { return d.User },
		Now:    now,
	}
	for _, f := range cfg {
		f(&c)
	}
	var (
		sessions *session.Storage[Data]
		err      error
	)
	if st == nil {
		sessions, err = session.NewCookieStorage(c)
	} else {
		sessions, err = session.NewStorage(st, c)
	}
	if err != nil {
		t.Fatal(err)
	}
	return sessions
}

// minted is a committed session: its cookie value and, server-side, its
// store key and ID.
type minted struct {
	value string
	key   store.Key
	id    string
}

// mint commits a new session of user through sessions, after change (if
// any) has had its way with it, and returns its cookie.
func mint(t *testing.T, sessions *session.Storage[Data], user string, change ...func(*session.Session[Data])) minted {
	t.Helper()
	s, err := sessions.Get(httptest.NewRequest(http.MethodGet, "/", nil))
	if err != nil {
		t.Fatal(err)
	}
	s.Update(func(d *Data) { d.User = user; d.Count = 2 })
	for _, f := range change {
		f(s)
	}
	w := httptest.NewRecorder()
	if err := sessions.Commit(context.Background(), w, s); err != nil {
		t.Fatal(err)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == sessions.CookieName() {
			key, _ := s.Key()
			return minted{value: c.Value, key: key, id: s.ID()}
		}
	}
	t.Fatalf("commit set no %s cookie: %v", sessions.CookieName(), w.Header())
	return minted{}
}

// unique returns a name no other test run uses, for tables and prefixes.
func unique(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}
