package filestore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/b4f9cdbb/session/internal/janitor"
	"github.com/b4f9cdbb/session/store"
)

// DefaultJanitorInterval is how often the janitor deletes expired records
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
	maxFiles    int
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

// WithJanitorInterval sets how often the janitor runs DeleteExpired
// (default DefaultJanitorInterval). Expired records read as not found at
// once; the interval only bounds how long their files stay on disk. d <= 0
// runs no janitor; call DeleteExpired yourself then.
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

	// maxFiles is the WithMaxFiles cap (0: none); files counts the record
	// files while there is a cap.
	maxFiles int64
	files    atomic.Int64

	janitor *janitor.Janitor
}

var (
	_ store.Versioned   = (*Store)(nil)
	_ store.UserIndex   = (*Store)(nil)
	_ store.Maintenance = (*Store)(nil)
)

// New opens the store in dir and starts the janitor; call Close to stop it.
//
// A missing dir is created with mode 0700 (its missing parents too). An
// existing dir must be a real directory, not a symbolic link, owned by the
// process's effective user and not writable by group or others; otherwise
// New fails with an error wrapping ErrUnsafeDir that says how to fix it.
// See the package documentation for why, and for what is checked on
// systems other than Unix.
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
	if err := prepareDir(abs); err != nil {
		return nil, err
	}
	s := &Store{dir: abs, clock: c.clock, fs: c.fs, maxFiles: int64(max(c.maxFiles, 0))}
	if s.maxFiles > 0 {
		n, err := s.countFiles(context.Background())
		if err != nil {
			return nil, err
		}
		s.files.Store(int64(n))
	}
	// DeleteExpired runs to the end even when Close comes meanwhile: Close
	// waits.
	s.janitor = janitor.Start(c.janitorTick, func(context.Context) { _, _ = s.DeleteExpired(context.Background()) })
	return s, nil
}

// Close stops the janitor and waits for it to exit. It is safe to call more
// than once; the store still answers calls afterwards.
func (s *Store) Close() error {
	s.janitor.Stop()
	return nil
}

// lock locks the mutex that serializes writes to key in this process and
// returns its unlock function: defer s.lock(key)().
func (s *Store) lock(key store.Key) (unlock func()) {
	mu := &s.locks[key[0]%stripes]
	mu.Lock()
	return mu.Unlock
}

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
