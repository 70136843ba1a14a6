package filestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/b4f9cdbb/session/store"
)

// addMarker records in the user index that key belongs to userID, durably.
func (s *Store) addMarker(userID string, key store.Key) error {
	if userID == "" {
		return nil
	}
	dir := s.userDir(userID)
	var err error
	// The janitor removes empty user folders; if it removed this one
	// between the mkdir and the create, try again.
	for range 3 {
		if err = ensureUserDir(dir); err != nil {
			continue
		}
		var f *os.File
		f, err = os.OpenFile(filepath.Join(dir, key.String()), os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			continue
		}
		if err = f.Close(); err != nil {
			continue
		}
		if err = s.fs.SyncDir(dir); err != nil {
			break
		}
		return s.fs.SyncDir(filepath.Dir(dir))
	}
	return fmt.Errorf("index the session under its user: %w", err)
}

// ensureUserDir makes dir a real folder: whatever else holds its name (a
// file or a link, from a hand edit or a bug) is removed first, so that a
// damaged index never stops its user from signing in.
func ensureUserDir(dir string) error {
	if info, err := os.Lstat(dir); err == nil && !info.IsDir() {
		if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return os.MkdirAll(dir, 0o700)
}

// removeMarker removes key from userID's index. A marker left behind by a
// failure here is harmless: ListUser checks every record it lists, and the
// janitor reaps markers without a matching record.
func (s *Store) removeMarker(userID string, key store.Key) {
	if userID != "" {
		_ = os.Remove(filepath.Join(s.userDir(userID), key.String()))
	}
}

// markers returns the keys in userID's index folder. Should something
// other than a folder hold the folder's name, it is removed and the user
// has no sessions indexed.
func (s *Store) markers(userID string) ([]store.Key, error) {
	dir := s.userDir(userID)
	info, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err == nil && !info.IsDir() {
		_ = os.Remove(dir)
		return nil, nil
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	keys := make([]store.Key, 0, len(entries))
	for _, e := range entries {
		if k, ok := parseName(e.Name()); ok {
			keys = append(keys, k)
		}
	}
	return keys, nil
}

// ListUser returns the live sessions of userID. It reads the user's index
// folder and each record in it, never the whole directory. Corrupt records
// are left out, not deleted: the session layer, which reads them next,
// deletes them, and so do DeleteUser and the janitor.
func (s *Store) ListUser(ctx context.Context, userID string) ([]store.Info, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("filestore: list user: %w", err)
	}
	keys, err := s.markers(userID)
	if err != nil {
		return nil, fmt.Errorf("filestore: list user: %w", err)
	}
	list := make([]store.Info, 0, len(keys))
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("filestore: list user: %w", err)
		}
		rec, err := s.readLive(k)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrCorrupt) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("filestore: list user: %w", err)
		}
		if rec.UserID == userID {
			list = append(list, store.Info{Key: k, Created: rec.Created, Updated: rec.Updated, Expires: rec.Expires})
		}
	}
	return list, nil
}

// removeCorrupt deletes the corrupt record of key and userID's marker of
// it: the marker is all that is known of the record's owner. The key's
// lock must be held.
func (s *Store) removeCorrupt(key store.Key, userID string) error {
	_, err := s.remove(key)
	s.removeMarker(userID, key)
	return err
}

// DeleteUser deletes every session of userID ("sign out everywhere"),
// corrupt ones included, and reports how many live, readable sessions it
// ended. If ctx ends midway, the sessions deleted so far stay deleted;
// call it again.
func (s *Store) DeleteUser(ctx context.Context, userID string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("filestore: delete user: %w", err)
	}
	keys, err := s.markers(userID)
	if err != nil {
		return 0, fmt.Errorf("filestore: delete user: %w", err)
	}
	n := 0
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return n, fmt.Errorf("filestore: delete user: %w", err)
		}
		live, err := s.deleteIfOwned(k, userID)
		if err != nil {
			return n, err
		}
		if live {
			n++
		}
	}
	return n, nil
}

// deleteIfOwned deletes key if its record still belongs to userID (it may
// have moved to another user since the marker was read) or is corrupt, and
// reports whether it ended a live session.
func (s *Store) deleteIfOwned(key store.Key, userID string) (bool, error) {
	defer s.lock(key)()
	rec, err := s.readFile(key)
	switch {
	case errors.Is(err, store.ErrCorrupt):
		return false, s.removeCorrupt(key, userID)
	case errors.Is(err, store.ErrNotFound) || (err == nil && rec.UserID != userID):
		s.removeMarker(userID, key)
		return false, nil
	case err != nil:
		return false, fmt.Errorf("filestore: delete user: %w", err)
	}
	return s.remove(key)
}
