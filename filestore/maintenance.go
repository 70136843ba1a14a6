package filestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/b4f9cdbb/session/store"
)

// scanBatch is how many directory entries a scan reads at a time, so that
// a directory of millions of files is never held in memory at once.
const scanBatch = 1024

// scan calls fn with the name of every entry of the store's directory,
// reading it in batches, until fn or ctx ends it.
func (s *Store) scan(ctx context.Context, op string, fn func(name string) error) error {
	d, err := os.Open(s.dir)
	if err != nil {
		return fmt.Errorf("filestore: %s: %w", op, err)
	}
	defer d.Close()
	for {
		names, err := d.Readdirnames(scanBatch)
		for _, name := range names {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("filestore: %s: %w", op, err)
			}
			if err := fn(name); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("filestore: %s: read the directory: %w", op, err)
		}
	}
}

// DeleteExpired deletes the expired records now, without waiting for the
// janitor, and reports how many it deleted. It also deletes corrupt
// records (not counted), temp files and index markers left over from a
// crash, and recounts the files for WithMaxFiles. The janitor calls it.
func (s *Store) DeleteExpired(ctx context.Context) (int, error) {
	now := s.clock()
	n, files := 0, 0
	err := s.scan(ctx, "delete expired", func(name string) error {
		if strings.HasPrefix(name, tmpPrefix) {
			s.removeIfStale(filepath.Join(s.dir, name), now)
			return nil
		}
		k, ok := parseName(name)
		if !ok {
			return nil
		}
		deleted, kept := s.reap(k)
		if deleted {
			n++
		}
		if kept {
			files++
		}
		return nil
	})
	// One sync for every removal: an expired record that a crash brings
	// back reads as not found all the same.
	if serr := s.syncRemoval(); err == nil {
		err = serr
	}
	if err != nil {
		return n, err
	}
	s.reapMarkers(ctx, now)
	if s.maxFiles > 0 {
		s.files.Store(int64(files))
	}
	return n, nil
}

// reap deletes key's record, without syncing the directory, if it is
// expired or corrupt. It reports whether it deleted an expired record, and
// whether a file is left under key.
func (s *Store) reap(key store.Key) (deleted, kept bool) {
	defer s.lock(key)()
	rec, err := s.readFile(key)
	corrupt := errors.Is(err, store.ErrCorrupt)
	if !corrupt && (err != nil || !expired(rec, s.clock())) {
		return false, !errors.Is(err, store.ErrNotFound)
	}
	if _, _, err := s.unlink(key); err != nil {
		return false, true
	}
	return !corrupt, false
}

// removeIfStale removes path if it was last modified over staleAfter ago.
func (s *Store) removeIfStale(path string, now time.Time) {
	info, err := os.Lstat(path)
	if err == nil && now.Sub(info.ModTime()) > staleAfter {
		_ = os.Remove(path)
	}
}

// reapMarkers removes stale markers whose record is gone, corrupt or
// belongs to someone else, and user folders left empty (or that are not
// folders at all).
func (s *Store) reapMarkers(ctx context.Context, now time.Time) {
	root := filepath.Join(s.dir, usersDir)
	users, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, u := range users {
		if ctx.Err() != nil {
			return
		}
		dir := filepath.Join(root, u.Name())
		marks, err := os.ReadDir(dir)
		if err != nil {
			_ = os.Remove(dir)
			continue
		}
		for _, m := range marks {
			k, ok := parseName(m.Name())
			if !ok {
				continue
			}
			rec, err := s.readFile(k)
			gone := errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrCorrupt)
			if gone || (err == nil && s.userDir(rec.UserID) != dir) {
				s.removeIfStale(filepath.Join(dir, m.Name()), now)
			}
		}
		_ = os.Remove(dir) // only succeeds if empty
	}
}

// Count reports how many live records the store holds. It reads every
// record file, so it takes time in proportion to their number.
func (s *Store) Count(ctx context.Context) (int, error) {
	return s.count(ctx, "count", func(k store.Key) bool {
		_, err := s.readLive(k)
		return err == nil
	})
}

// countFiles counts the record files, live or not.
func (s *Store) countFiles(ctx context.Context) (int, error) {
	return s.count(ctx, "count files", func(store.Key) bool { return true })
}

// count counts the record files whose key passes keep.
func (s *Store) count(ctx context.Context, op string, keep func(store.Key) bool) (int, error) {
	n := 0
	err := s.scan(ctx, op, func(name string) error {
		if k, ok := parseName(name); ok && keep(k) {
			n++
		}
		return nil
	})
	return n, err
}

// DeleteAll deletes every record (every user is signed out) and reports
// how many live records it ended. Records created while it runs may
// survive. If ctx ends midway, the records deleted so far stay deleted;
// call it again.
func (s *Store) DeleteAll(ctx context.Context) (int, error) {
	n := 0
	err := s.scan(ctx, "delete all", func(name string) error {
		k, ok := parseName(name)
		if !ok {
			return nil
		}
		live, err := s.lockedUnlink(k)
		if live {
			n++
		}
		return err
	})
	// One sync for every removal, before DeleteAll reports success.
	if serr := s.syncRemoval(); err == nil {
		err = serr
	}
	if err == nil {
		s.reapMarkers(ctx, s.clock())
	}
	return n, err
}

// lockedUnlink is unlink under the key's lock; it reports whether a live
// record was deleted.
func (s *Store) lockedUnlink(key store.Key) (bool, error) {
	defer s.lock(key)()
	_, live, err := s.unlink(key)
	return live, err
}
