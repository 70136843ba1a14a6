package filestore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrUnsafeDir is returned by New when the directory it was given (or its
// "users" subfolder) could let someone else rewrite sessions: it
// is a symbolic link, is owned by another user, or is writable by group or
// others. The message names the directory and the command that fixes it.
var ErrUnsafeDir = errors.New("filestore: unsafe session directory")

// prepareDir creates dir and its users subfolder if they are missing and
// checks that both are safe to trust.
func prepareDir(dir string) error {
	if err := ensureSafeDir(dir); err != nil {
		return err
	}
	return ensureSafeDir(filepath.Join(dir, usersDir))
}

// ensureSafeDir creates dir with mode 0700 (its missing parents too) if it
// does not exist, then checks what is there without following a link.
func ensureSafeDir(dir string) error {
	info, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
			return fmt.Errorf("filestore: create the parents of %s (check they can be created): %w", dir, err)
		}
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("filestore: create %s (check its parent is writable): %w", dir, err)
		}
		info, err = os.Lstat(dir)
	}
	if err != nil {
		return fmt.Errorf("filestore: directory %s: %w", dir, err)
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%w: %s is a symbolic link, which can be pointed elsewhere; pass the directory it points to, or remove the link and let New create a directory", ErrUnsafeDir, dir)
	}
	if !info.IsDir() {
		return fmt.Errorf("filestore: %s is not a directory; pass a folder for the sessions (New creates a missing one)", dir)
	}
	return checkOwner(dir, info)
}
