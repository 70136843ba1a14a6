package filestore

import (
	"errors"
	"fmt"
)

// ErrFull is returned by Create when the store already holds the number of
// record files WithMaxFiles allows. Existing sessions keep working; new
// ones fail until the janitor deletes expired records.
var ErrFull = errors.New("filestore: session directory is full")

// WithMaxFiles caps the number of record files (live or expired but not
// yet deleted) at n, so that a flood of new sessions cannot fill the disk:
// past the cap, Create fails with an error wrapping ErrFull. n <= 0 means
// no cap (the default).
//
// The count is kept in memory: New counts the files once, Create and
// Delete keep the count, and every DeleteExpired (the janitor) counts them
// again, which also takes in files other processes wrote (and may miss by
// the few files written while it runs). Run the janitor often enough to
// free room: expired files hold their place until it runs.
func WithMaxFiles(n int) Option {
	return func(c *config) { c.maxFiles = n }
}

// reserve takes a place for a new record file, or fails with ErrFull.
func (s *Store) reserve() error {
	if s.maxFiles <= 0 {
		return nil
	}
	if s.files.Add(1) > s.maxFiles {
		s.files.Add(-1)
		return fmt.Errorf("%w (%d record files, the WithMaxFiles cap): wait for the janitor to delete expired sessions, "+
			"raise the cap, or rate-limit new sessions", ErrFull, s.maxFiles)
	}
	return nil
}

// release gives back the place of a record file that was removed or never
// written.
func (s *Store) release() {
	if s.maxFiles > 0 {
		s.files.Add(-1)
	}
}
