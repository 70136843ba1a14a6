//go:build unix

package filestore

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// wantUnsafe checks that New refuses dir with ErrUnsafeDir, naming the
// path and the command that fixes it.
func wantUnsafe(t *testing.T, dir, fix string) {
	t.Helper()
	s, err := New(dir, WithJanitorInterval(0))
	if err == nil {
		s.Close()
		t.Fatalf("New(%s) succeeded; want it refused", dir)
	}
	if !errors.Is(err, ErrUnsafeDir) {
		t.Errorf("New(%s): %v; want an error wrapping ErrUnsafeDir", dir, err)
	}
	if !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), fix) {
		t.Errorf("New(%s): %q; want the path and %q in the message", dir, err, fix)
	}
}

func TestNewRefusesDirOfAnotherUser(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sessions")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	other := os.Geteuid() + 4242
	if err := os.Chown(dir, other, -1); err != nil {
		t.Skipf("cannot give a directory to another user (the test needs root): %v", err)
	}
	wantUnsafe(t, dir, "chown")
}

func TestNewRefusesWritableByOthers(t *testing.T) {
	for _, mode := range []fs.FileMode{0o777, 0o770, 0o702} {
		t.Run(mode.String(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "sessions")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, mode); err != nil {
				t.Fatal(err)
			}
			wantUnsafe(t, dir, "chmod 700 "+dir)
		})
	}
}

func TestNewRefusesSymlink(t *testing.T) {
	parent := t.TempDir()
	good := filepath.Join(parent, "good")
	if err := os.Mkdir(good, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(parent, "link")
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	wantUnsafe(t, link, "symbolic link")
	if entries, _ := os.ReadDir(good); len(entries) > 0 {
		t.Errorf("New followed the link and wrote %d entries in its target", len(entries))
	}
}

func TestNewRefusesUnsafeUsersFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sessions")
	users := filepath.Join(dir, usersDir)
	if err := os.MkdirAll(users, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(users, 0o777); err != nil {
		t.Fatal(err)
	}
	wantUnsafe(t, users, "chmod 700 "+users)
}

func TestNewCreatesPrivateDirs(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "a", "b", "sessions")
	s, err := New(dir, WithJanitorInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, p := range []string{filepath.Join(parent, "a"), filepath.Join(parent, "a", "b"), dir, filepath.Join(dir, usersDir)} {
		info, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if !info.IsDir() || info.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v, want a directory of mode 0700", p, info.Mode())
		}
	}
}

func TestNewAcceptsReadableByGroup(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sessions")
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	s, err := New(dir, WithJanitorInterval(0))
	if err != nil {
		t.Fatalf("New on a 0750 directory of ours: %v; group may read, only writing is refused", err)
	}
	s.Close()
}
