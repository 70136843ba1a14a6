//go:build unix

package filestore

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkOwner refuses a directory that another user owns or that group or
// others may write: either could replace any record in it.
func checkOwner(dir string, info fs.FileInfo) error {
	if st, ok := info.Sys().(*syscall.Stat_t); ok && int64(st.Uid) != int64(os.Geteuid()) {
		return fmt.Errorf("%w: %s is owned by user %d, not by this process's user %d, so its owner can rewrite any session; "+
			"if you trust its owner, run `chown -R %d %s`, else remove it and let New create it",
			ErrUnsafeDir, dir, st.Uid, os.Geteuid(), os.Geteuid(), dir)
	}
	if perm := info.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("%w: %s has mode %v, so its group or others can rewrite any session; "+
			"run `chmod 700 %s` (and remove it instead if others may have written to it)",
			ErrUnsafeDir, dir, perm, dir)
	}
	return nil
}
