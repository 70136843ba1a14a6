package filestore

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
)

func TestCorruptFile(t *testing.T) {
	s, dir := newTestStore(t)
	ctx := context.Background()
	good := storetest.RandomKey()
	if err := s.Create(ctx, good, record("payload", "u", time.Hour)); err != nil {
		t.Fatal(err)
	}
	valid, err := os.ReadFile(filepath.Join(dir, good.String()))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte { b := bytes.Clone(valid); b[i] ^= 1; return b }
	version := bytes.Clone(valid)
	version[4] = 2
	cases := map[string][]byte{
		"Empty":         {},
		"Garbage":       []byte("not a session record at all, just text in a file"),
		"Truncated":     valid[:len(valid)-3],
		"HeaderOnly":    valid[:headerSize],
		"Appended":      append(bytes.Clone(valid), 'x'),
		"FlippedData":   flip(len(valid) - 6),
		"FlippedExpiry": flip(25),
		"NewerVersion":  version,
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			key := storetest.RandomKey()
			if err := os.WriteFile(filepath.Join(dir, key.String()), b, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := s.Read(ctx, key)
			if !errors.Is(err, store.ErrCorrupt) || errors.Is(err, store.ErrNotFound) {
				t.Errorf("Read of a %s file: %v, want an error wrapping store.ErrCorrupt", name, err)
			}
			if err := s.Update(ctx, key, record("x", "", time.Hour)); !errors.Is(err, store.ErrCorrupt) {
				t.Errorf("Update of a %s file: %v, want an error wrapping store.ErrCorrupt", name, err)
			}
			if live, err := s.Delete(ctx, key); err != nil || live {
				t.Errorf("Delete of a %s file = %v, %v; want false (not a live record), nil", name, live, err)
			}
			if _, err := s.Read(ctx, key); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Read after Delete of a corrupt file: %v, want ErrNotFound", err)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	b, _ := encode(record("seed", "user", time.Hour))
	f.Add(b)
	f.Add([]byte{})
	f.Add([]byte(magic + "\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := decode(b)
		if err != nil {
			if !errors.Is(err, store.ErrCorrupt) {
				t.Fatalf("decode error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		again, err := encode(rec)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("decode accepted bytes that do not re-encode to themselves")
		}
	})
}

// TestBadUserFolder: a file (or a link) where a user's index folder should
// be must not lock the user out: listing and signing out work, and a new
// session of the user is indexed again.
func TestBadUserFolder(t *testing.T) {
	for _, bad := range []string{"file", "link"} {
		t.Run(bad, func(t *testing.T) {
			s, _ := newTestStore(t)
			ctx := context.Background()
			dir := s.userDir("alice")
			plant := func() {
				t.Helper()
				_ = os.RemoveAll(dir)
				var err error
				if bad == "file" {
					err = os.WriteFile(dir, []byte("junk"), 0o600)
				} else {
					err = os.Symlink(t.TempDir(), dir)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			plant()
			if list, err := s.ListUser(ctx, "alice"); err != nil || len(list) != 0 {
				t.Errorf("ListUser with a bad index folder = %v, %v; want nothing, no error", list, err)
			}
			plant()
			if n, err := s.DeleteUser(ctx, "alice"); err != nil || n != 0 {
				t.Errorf("DeleteUser with a bad index folder = %d, %v; want 0, no error", n, err)
			}
			plant()
			key := storetest.RandomKey()
			if err := s.Create(ctx, key, record("x", "alice", time.Hour)); err != nil {
				t.Fatalf("Create for a user whose index folder is bad: %v (the user could not sign in)", err)
			}
			if list, err := s.ListUser(ctx, "alice"); err != nil || !listed(list, key) {
				t.Errorf("ListUser after Create = %v, %v; want the new session", list, err)
			}
			if n, err := s.DeleteUser(ctx, "alice"); err != nil || n != 1 {
				t.Errorf("DeleteUser after Create = %d, %v; want 1", n, err)
			}
		})
	}
}

// TestDeleteExpiredRemovesCorrupt: the janitor deletes corrupt records
// (nobody can read them) without counting them as expired sessions.
func TestDeleteExpiredRemovesCorrupt(t *testing.T) {
	s, dir := newTestStore(t)
	ctx := context.Background()
	bad, good := storetest.RandomKey(), storetest.RandomKey()
	if err := s.Create(ctx, good, record("fine", "", time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, bad.String()), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteExpired(ctx); err != nil || n != 0 {
		t.Errorf("DeleteExpired = %d, %v; want 0 (a corrupt record is not an expired session)", n, err)
	}
	if _, err := os.Stat(filepath.Join(dir, bad.String())); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the corrupt record survived DeleteExpired: %v", err)
	}
	if _, err := s.Read(ctx, good); err != nil {
		t.Errorf("the good record did not survive DeleteExpired: %v", err)
	}
}
