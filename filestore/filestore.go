// Package filestore keeps session records as files in one directory.
//
// Each record is one file named by its key (64 lowercase hex digits: the
// SHA-256 hash of the session ID, never the ID itself), mode 0600, in a
// directory of mode 0700. A file holds a small versioned binary header
// (format version, Created, Updated, Expires as Unix milliseconds, the
// record version and the user ID), then the session data and a checksum; a
// damaged file reads as an error wrapping ErrCorrupt.
//
// Writes are crash-safe: the new contents go to a temp file in the same
// directory (".tmp-…"), which is written, fsynced and closed, then renamed
// over the record (Create links it instead, see below) and the directory is
// fsynced. A reader therefore sees the old record or the new one, never a
// mix, even after a crash or power loss.
//
// The store implements store.Versioned and store.UserIndex. The user index
// is a folder per user, users/<SHA-256 hex of the user ID>/, holding one
// empty marker file per session, named by key; ListUser reads that folder
// and checks each record, so it never scans every session.
//
// # Several processes sharing one directory
//
// Guaranteed across processes: Create is insert-only (it publishes the
// record with a hard link, which fails if the name exists), readers never
// see a torn record, and a record file is only ever written whole.
//
// Guaranteed only within one process: Update, CompareAndUpdate and Delete
// of one key are serialized by an in-process lock. Two processes can
// interleave them, so an Update racing a Delete in another process can
// bring a deleted session back, and two CompareAndUpdate calls from the
// same read can both succeed. Run one process per directory, or use a
// database store, when you need those guarantees across servers.
//
// The directory must be on a file system with hard links and an atomic
// rename (any local POSIX file system; not most network shares).
package filestore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/b4f9cdbb/session/internal/janitor"
	"github.com/b4f9cdbb/session/store"
)

// DefaultJanitorInterval is how often the janitor reaps expired records
// and stale temp files unless WithJanitorInterval says otherwise.
const DefaultJanitorInterval = 5 * time.Minute

// staleAfter is how old a temp file (or a marker without its record) must
// be before the janitor removes it. No write takes that long, so such a
// file is left over from a crash.
const staleAfter = time.Minute

// tmpPrefix starts the name of every temp file. It cannot be mistaken for
// a record, whose name is 64 hex digits.
const tmpPrefix = ".tmp-"

// usersDir is the subdirectory that holds the per-user index.
const usersDir = "users"

// stripes is the number of per-key locks. Keys are uniformly distributed
// hashes, so the first byte spreads them evenly.
const stripes = 64

// Option configures a Store built by New.
type Option func(*config)

type config struct {
	clock       func() time.Time
	janitorTick time.Duration
	fs          fileSystem
}

// WithClock sets the clock the store compares Record.Expires with, and the
// janitor uses to age temp files. Tests use it to expire records without
// sleeping; the default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.clock = now
		}
	}
}

// WithJanitorInterval sets how often the janitor removes expired records
// and stale temp files (default DefaultJanitorInterval). Expired records
// read as not found at once; the interval only bounds how long their files
// stay on disk. d <= 0 runs no janitor; call Reap yourself then.
func WithJanitorInterval(d time.Duration) Option {
	return func(c *config) { c.janitorTick = d }
}

// Store is a file-backed session store. Build one with New; it is safe for
// concurrent use.
type Store struct {
	dir   string
	clock func() time.Time
	fs    fileSystem
	locks [stripes]sync.Mutex

	janitor *janitor.Janitor
}

var (
	_ store.Versioned = (*Store)(nil)
	_ store.UserIndex = (*Store)(nil)
)

// New opens the store in dir, creating dir (mode 0700) if it is missing,
// and starts the janitor. Call Close to stop the janitor.
//
// Give the store a directory of its own: every file in it whose name is a
// key is taken for a record, and files named ".tmp-…" are removed.
func New(dir string, opts ...Option) (*Store, error) {
	c := config{clock: time.Now, janitorTick: DefaultJanitorInterval, fs: osFS{}}
	for _, o := range opts {
		o(&c)
	}
	if dir == "" {
		return nil, errors.New("filestore: empty directory name; pass the folder to keep sessions in")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("filestore: directory %q: %w", dir, err)
	}
	if err := os.MkdirAll(filepath.Join(abs, usersDir), 0o700); err != nil {
		return nil, fmt.Errorf("filestore: create the session directory (check its parent exists and is writable): %w", err)
	}
	s := &Store{
		dir:   abs,
		clock: c.clock,
		fs:    c.fs,
	}
	// Reap runs to the end even when Close comes meanwhile: Close waits.
	s.janitor = janitor.Start(c.janitorTick, func(context.Context) { _, _ = s.Reap(context.Background()) })
	return s, nil
}

// Close stops the janitor and waits for it to exit. It is safe to call more
// than once; the store still answers calls afterwards.
func (s *Store) Close() error {
	s.janitor.Stop()
	return nil
}

// lock returns the mutex that serializes writes to key in this process.
func (s *Store) lock(key store.Key) *sync.Mutex { return &s.locks[key[0]%stripes] }

func (s *Store) path(key store.Key) string { return filepath.Join(s.dir, key.String()) }

// userDir returns the index folder of userID. The user ID is hashed, so no
// user ID can name a path outside the store's directory.
func (s *Store) userDir(userID string) string {
	h := sha256.Sum256([]byte(userID))
	return filepath.Join(s.dir, usersDir, hex.EncodeToString(h[:]))
}

// parseName returns the key a directory entry names, if it names one in
// the canonical form (64 lowercase hex digits). Nothing else is a record.
func parseName(name string) (store.Key, bool) {
	k, err := store.ParseKey(name)
	return k, err == nil && k.String() == name
}

func expired(rec store.Record, now time.Time) bool { return !now.Before(rec.Expires) }

// readFile reads and decodes the file of key, live or not. A missing file
// is store.ErrNotFound.
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
		return store.Record{}, fmt.Errorf("record %s: %w", key, err)
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
// error wrapping ErrCorrupt if the file is damaged.
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
// caller retries with a new ID). It is insert-only across processes.
func (s *Store) Create(ctx context.Context, key store.Key, rec store.Record) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("filestore: create: %w", err)
	}
	rec.Version = 1
	b, err := encode(rec)
	if err != nil {
		return err
	}
	mu := s.lock(key)
	mu.Lock()
	defer mu.Unlock()
	if _, err := os.Lstat(s.path(key)); err == nil {
		return fmt.Errorf("filestore: create: %w (issue a new session ID and retry)", store.ErrExists)
	}
	// The marker goes first: a crash then leaves a marker without a
	// record (ignored, and reaped), never a record missing from its
	// user's list, which would escape "sign out everywhere".
	if err := s.addMarker(rec.UserID, key); err != nil {
		return fmt.Errorf("filestore: create: %w", err)
	}
	tmp, err := s.writeTemp(b)
	if err != nil {
		return fmt.Errorf("filestore: create: %w", err)
	}
	final := s.path(key)
	err = s.fs.Link(tmp, final)
	// Whether or not the link worked, the temp name goes. Should that
	// fail, the janitor removes it once it is stale.
	_ = s.fs.Remove(tmp)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("filestore: create: %w (issue a new session ID and retry)", store.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("filestore: create: publish the record (check the file system supports hard links): %w", err)
	}
	if err := s.fs.SyncDir(s.dir); err != nil {
		// Not durable: take it back so the caller's error means "not
		// created".
		_ = s.fs.Remove(final)
		return fmt.Errorf("filestore: create: sync directory: %w", err)
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
	mu := s.lock(key)
	mu.Lock()
	defer mu.Unlock()
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

// Delete removes the record under key; an absent key is not an error. A
// corrupt record file is removed too.
func (s *Store) Delete(ctx context.Context, key store.Key) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("filestore: delete: %w", err)
	}
	mu := s.lock(key)
	mu.Lock()
	defer mu.Unlock()
	_, err := s.remove(key)
	return err
}

// remove deletes the record file of key and its user marker, and reports
// whether a live record was removed. The key's lock must be held.
func (s *Store) remove(key store.Key) (live bool, err error) {
	old, rerr := s.readFile(key)
	if errors.Is(rerr, store.ErrNotFound) {
		return false, nil
	}
	if err := s.fs.Remove(s.path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("filestore: delete: %w", err)
	}
	if err := s.fs.SyncDir(s.dir); err != nil {
		return false, fmt.Errorf("filestore: delete: sync directory (the record may come back after a crash): %w", err)
	}
	if rerr == nil {
		s.removeMarker(old.UserID, key)
	}
	return rerr == nil && !expired(old, s.clock()), nil
}

// addMarker records in the user index that key belongs to userID, durably.
func (s *Store) addMarker(userID string, key store.Key) error {
	if userID == "" {
		return nil
	}
	dir := s.userDir(userID)
	var err error
	// The janitor removes empty user folders; if it removed this one
	// between MkdirAll and the create, try again.
	for range 3 {
		if err = os.MkdirAll(dir, 0o700); err != nil {
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

// removeMarker removes key from userID's index. A marker left behind by a
// failure here is harmless: ListUser checks every record it lists, and the
// janitor reaps markers without a matching record.
func (s *Store) removeMarker(userID string, key store.Key) {
	if userID != "" {
		_ = os.Remove(filepath.Join(s.userDir(userID), key.String()))
	}
}

// markers returns the keys in userID's index folder.
func (s *Store) markers(userID string) ([]store.Key, error) {
	entries, err := os.ReadDir(s.userDir(userID))
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
// folder and each record in it, never the whole directory.
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
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, ErrCorrupt) {
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

// DeleteUser deletes every session of userID ("sign out everywhere") and
// reports how many live sessions it ended. If ctx ends midway, the
// sessions deleted so far stay deleted; call it again.
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
// have moved to another user since the marker was read).
func (s *Store) deleteIfOwned(key store.Key, userID string) (bool, error) {
	mu := s.lock(key)
	mu.Lock()
	defer mu.Unlock()
	rec, err := s.readFile(key)
	if errors.Is(err, store.ErrNotFound) || (err == nil && rec.UserID != userID) {
		s.removeMarker(userID, key)
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("filestore: delete user: %w", err)
	}
	return s.remove(key)
}

// Reap removes expired records, temp files older than a minute and index
// markers whose record is gone, and reports how many records it removed.
// The janitor calls it; call it yourself if you run without one.
func (s *Store) Reap(ctx context.Context) (int, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return 0, fmt.Errorf("filestore: reap: %w", err)
	}
	now := s.clock()
	n := 0
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return n, fmt.Errorf("filestore: reap: %w", err)
		}
		name := e.Name()
		if strings.HasPrefix(name, tmpPrefix) {
			s.removeIfStale(filepath.Join(s.dir, name), now)
			continue
		}
		if k, ok := parseName(name); ok && s.reapIfExpired(k) {
			n++
		}
	}
	s.reapMarkers(ctx, now)
	return n, nil
}

// removeIfStale removes path if it was last modified over staleAfter ago.
func (s *Store) removeIfStale(path string, now time.Time) bool {
	info, err := os.Lstat(path)
	if err == nil && now.Sub(info.ModTime()) > staleAfter {
		return os.Remove(path) == nil
	}
	return false
}

func (s *Store) reapIfExpired(key store.Key) bool {
	mu := s.lock(key)
	mu.Lock()
	defer mu.Unlock()
	rec, err := s.readFile(key)
	if err != nil || !expired(rec, s.clock()) {
		return false
	}
	_, err = s.remove(key)
	return err == nil
}

// reapMarkers removes stale markers whose record is gone or belongs to
// someone else, and user folders left empty.
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
			continue
		}
		for _, m := range marks {
			k, ok := parseName(m.Name())
			if !ok {
				continue
			}
			rec, err := s.readFile(k)
			if errors.Is(err, store.ErrNotFound) || (err == nil && s.userDir(rec.UserID) != dir) {
				s.removeIfStale(filepath.Join(dir, m.Name()), now)
			}
		}
		_ = os.Remove(dir) // only succeeds if empty
	}
}
