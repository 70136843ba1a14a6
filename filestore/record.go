package filestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/b4f9cdbb/session/store"
)

// readFile reads and decodes the file of key, live or not. A missing file
// is store.ErrNotFound, a damaged one an error wrapping store.ErrCorrupt.
func (s *Store) readFile(key store.Key) (store.Record, error) {
	b, err := os.ReadFile(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return store.Record{}, store.ErrNotFound
	}
	if err != nil {
		return store.Record{}, err
	}
	rec, err := decode(b)
	if err != nil {
		return store.Record{}, fmt.Errorf("record %s: %w (Delete removes it)", key, err)
	}
	return rec, nil
}

// readLive reads the live record of key: expired is store.ErrNotFound.
func (s *Store) readLive(key store.Key) (store.Record, error) {
	rec, err := s.readFile(key)
	if err == nil && expired(rec, s.clock()) {
		return store.Record{}, store.ErrNotFound
	}
	return rec, err
}

// Read returns the live record under key, or store.ErrNotFound, or an
// error wrapping store.ErrCorrupt if the file is damaged.
func (s *Store) Read(ctx context.Context, key store.Key) (store.Record, error) {
	if err := ctx.Err(); err != nil {
		return store.Record{}, fmt.Errorf("filestore: read: %w", err)
	}
	rec, err := s.readLive(key)
	if err != nil {
		return store.Record{}, fmt.Errorf("filestore: read: %w", err)
	}
	return rec, nil
}

// Create writes rec under key, or fails with store.ErrExists if a record
// file is there, even an expired one the janitor has not reaped yet (the
// caller retries with a new ID). It is insert-only across processes. With
// WithMaxFiles, it fails with ErrFull when the store is full.
func (s *Store) Create(ctx context.Context, key store.Key, rec store.Record) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("filestore: create: %w", err)
	}
	rec.Version = 1
	b, err := encode(rec)
	if err != nil {
		return err
	}
	if err := s.reserve(); err != nil {
		return err
	}
	defer s.lock(key)()
	if err := s.create(key, rec.UserID, b); err != nil {
		s.release()
		return fmt.Errorf("filestore: create: %w", err)
	}
	return nil
}

// create publishes b as the record of key. The key's lock must be held.
func (s *Store) create(key store.Key, userID string, b []byte) error {
	if _, err := os.Lstat(s.path(key)); err == nil {
		return fmt.Errorf("%w (issue a new session ID and retry)", store.ErrExists)
	}
	// The marker goes first: a crash then leaves a marker without a
	// record (ignored, and reaped), never a record missing from its
	// user's list, which would escape "sign out everywhere".
	if err := s.addMarker(userID, key); err != nil {
		return err
	}
	tmp, err := s.writeTemp(b)
	if err != nil {
		return err
	}
	final := s.path(key)
	err = s.fs.Link(tmp, final)
	// Whether or not the link worked, the temp name goes. Should that
	// fail, the janitor removes it once it is stale.
	_ = s.fs.Remove(tmp)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w (issue a new session ID and retry)", store.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("publish the record (check the file system supports hard links): %w", err)
	}
	if err := s.fs.SyncDir(s.dir); err != nil {
		// Not durable: take it back so the caller's error means "not
		// created".
		_ = s.fs.Remove(final)
		return fmt.Errorf("sync directory: %w", err)
	}
	return nil
}

// writeTemp writes b to a new temp file in the store's directory, fsyncs
// and closes it, and returns its name. On failure it removes the temp file.
func (s *Store) writeTemp(b []byte) (string, error) {
	f, err := s.fs.CreateTemp(s.dir, tmpPrefix+"*")
	if err != nil {
		return "", fmt.Errorf("create temp file (check the directory is writable and the disk not full): %w", err)
	}
	fail := func(step string, err error) (string, error) {
		_ = s.fs.Remove(f.Name())
		return "", fmt.Errorf("%s temp file (check the disk is not full or failing): %w", step, err)
	}
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		return fail("write", err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fail("sync", err)
	}
	if err := f.Close(); err != nil {
		return fail("close", err)
	}
	return f.Name(), nil
}

// replace writes b over the record of key through a temp file and a
// rename. The old contents stay in place until the rename, which is atomic.
func (s *Store) replace(key store.Key, b []byte) error {
	tmp, err := s.writeTemp(b)
	if err != nil {
		return err
	}
	if err := s.fs.Rename(tmp, s.path(key)); err != nil {
		_ = s.fs.Remove(tmp)
		return fmt.Errorf("rename temp file over the record: %w", err)
	}
	if err := s.fs.SyncDir(s.dir); err != nil {
		return fmt.Errorf("sync directory (the new record is in place but may not survive a crash): %w", err)
	}
	return nil
}

// Update replaces the live record under key and increments its version, or
// returns store.ErrNotFound. It never creates a record.
func (s *Store) Update(ctx context.Context, key store.Key, rec store.Record) error {
	return s.update(ctx, "update", key, rec, false)
}

// CompareAndUpdate replaces the live record under key only if its version
// is still rec.Version, returning store.ErrConflict otherwise and
// store.ErrNotFound when there is no live record. See the package
// documentation for what holds when several processes share the directory.
func (s *Store) CompareAndUpdate(ctx context.Context, key store.Key, rec store.Record) error {
	return s.update(ctx, "compare and update", key, rec, true)
}

func (s *Store) update(ctx context.Context, op string, key store.Key, rec store.Record, compare bool) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("filestore: %s: %w", op, err)
	}
	defer s.lock(key)()
	old, err := s.readLive(key)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("filestore: %s: %w (the session ended; start a new one)", op, err)
	}
	if err != nil {
		return fmt.Errorf("filestore: %s: %w", op, err)
	}
	if compare && old.Version != rec.Version {
		return fmt.Errorf("filestore: %s: stored version %d, caller read %d: %w (read the session again and reapply the change)",
			op, old.Version, rec.Version, store.ErrConflict)
	}
	rec.Version = old.Version + 1
	b, err := encode(rec)
	if err != nil {
		return err
	}
	if rec.UserID != old.UserID {
		if err := s.addMarker(rec.UserID, key); err != nil {
			return fmt.Errorf("filestore: %s: %w", op, err)
		}
	}
	if err := s.replace(key, b); err != nil {
		return fmt.Errorf("filestore: %s: %w", op, err)
	}
	if rec.UserID != old.UserID {
		s.removeMarker(old.UserID, key)
	}
	return nil
}

// Delete removes the record under key and reports whether it was live (not
// expired, not corrupt); an absent key is not an error. A corrupt record
// file is removed too. The report is decided under the key's lock, together
// with the removal, so of two Deletes racing in this process only one says
// true; see the package documentation for several processes.
func (s *Store) Delete(ctx context.Context, key store.Key) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("filestore: delete: %w", err)
	}
	defer s.lock(key)()
	return s.remove(key)
}

// remove deletes the record file of key and its user marker, makes that
// durable, and reports whether a live record was removed. The key's lock
// must be held.
func (s *Store) remove(key store.Key) (live bool, err error) {
	found, live, err := s.unlink(key)
	if err != nil || !found {
		return false, err
	}
	if err := s.syncRemoval(); err != nil {
		return false, err
	}
	return live, nil
}

// syncRemoval makes the removals done so far durable.
func (s *Store) syncRemoval() error {
	if err := s.fs.SyncDir(s.dir); err != nil {
		return fmt.Errorf("filestore: delete: sync directory (the record may come back after a crash): %w", err)
	}
	return nil
}

// unlink deletes the record file of key and its user marker, without
// syncing the directory, and reports whether there was a file and whether
// it held a live record. The key's lock must be held. The marker of a
// corrupt record, whose owner cannot be read, is left to the caller or to
// the janitor.
func (s *Store) unlink(key store.Key) (found, live bool, err error) {
	old, rerr := s.readFile(key)
	if errors.Is(rerr, store.ErrNotFound) {
		return false, false, nil
	}
	switch err := s.fs.Remove(s.path(key)); {
	case err == nil:
		s.release()
	case !errors.Is(err, fs.ErrNotExist):
		return false, false, fmt.Errorf("filestore: delete: %w", err)
	}
	if rerr == nil {
		s.removeMarker(old.UserID, key)
	}
	return true, rerr == nil && !expired(old, s.clock()), nil
}
