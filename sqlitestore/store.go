package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/b4f9cdbb/session/store"
)

// Store is a SQLite session store. It is safe for use by many
// goroutines; build it with Open (or New on a *sql.DB you configured),
// create its table with Migrate and stop its janitor with Close.
type Store struct {
	db    *sql.DB
	owned bool // db was opened by Open, so Close closes it
	cfg   config
	q     queries

	stop      context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
}

var (
	_ store.Versioned = (*Store)(nil)
	_ store.UserIndex = (*Store)(nil)
)

// queries holds every statement with the (validated, quoted) table name in
// place.
type queries struct {
	create, read, update, cas, probe, del string
	listUser, deleteUser, deleteExpired   string
}

// quote quotes a validated identifier. KEY is a keyword, so the column
// names are quoted as well.
func quote(name string) string { return `"` + name + `"` }

func newQueries(table string) queries {
	r := strings.NewReplacer("{t}", quote(table))
	const set = `data = ?, created = ?, updated = ?, expires = ?, user_id = ?, version = version + 1`
	const live = ` WHERE "key" = ? AND expires > ?`
	return queries{
		create: r.Replace(`INSERT INTO {t} ("key", data, created, updated, expires, user_id, version) VALUES (?, ?, ?, ?, ?, ?, 1)`),
		read:   r.Replace(`SELECT data, created, updated, expires, user_id, version FROM {t}` + live),
		update: r.Replace(`UPDATE {t} SET ` + set + live),
		cas:    r.Replace(`UPDATE {t} SET ` + set + live + ` AND version = ?`),
		probe:  r.Replace(`SELECT version FROM {t}` + live),
		del:    r.Replace(`DELETE FROM {t} WHERE "key" = ?`),
		listUser: r.Replace(`SELECT "key", created, updated, expires FROM {t}
			WHERE user_id = ? AND expires > ?`),
		deleteUser: r.Replace(`DELETE FROM {t} WHERE user_id = ? AND expires > ?`),
		deleteExpired: r.Replace(`DELETE FROM {t} WHERE "key" IN
			(SELECT "key" FROM {t} WHERE expires <= ? LIMIT ?)`),
	}
}

// New returns a Store that keeps records in db, a database/sql handle opened
// with the driver name "sqlite" (modernc.org/sqlite). db stays the caller's:
// Close stops the store's janitor but does not close db. Configure db as
// Open does (WAL, busy_timeout) or writes from many goroutines will fail
// with SQLITE_BUSY instead of waiting their turn.
//
// New does not touch the database; call Migrate before first use (or create
// the table from the README's DDL). The janitor starts now and first runs one
// interval later.
func New(db *sql.DB, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlitestore: db is nil")
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, cfg: cfg, q: newQueries(cfg.table), done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	if cfg.interval > 0 {
		go s.janitor(ctx)
	} else {
		close(s.done)
	}
	return s, nil
}

// Table returns the quoted table name the store uses, for tests and for
// administrative queries that must name the same table.
func (s *Store) Table() string { return quote(s.cfg.table) }

// fail wraps a driver error with the failed operation. When ctx has ended it
// also wraps ctx.Err(): the driver reports an interrupted statement as
// SQLITE_INTERRUPT, and errors.Is(err, context.DeadlineExceeded) must hold
// all the same.
func fail(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("sqlitestore: %s: %w (%w)", op, cerr, err)
	}
	return fmt.Errorf("sqlitestore: %s: %w", op, err)
}

// Create inserts rec under key with version 1. A key that is present, even
// with an expired record the janitor has not deleted yet, gives
// store.ErrExists; keys are hashes of random IDs, so the caller just draws a
// new ID.
func (s *Store) Create(ctx context.Context, key store.Key, rec store.Record) error {
	f, err := toFields(rec)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, s.q.create, key[:], f.data, f.created, f.updated, f.expires, f.userID)
	if isUniqueViolation(err) {
		return fmt.Errorf("sqlitestore: create: %w", store.ErrExists)
	}
	if err != nil {
		return fail(ctx, "create", err)
	}
	return nil
}

// isUniqueViolation reports whether err is SQLite's refusal of a duplicate
// primary key.
func isUniqueViolation(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// Read returns the record under key if it expires after the store's clock,
// and store.ErrNotFound otherwise. A row that breaks the schema's rules gives
// ErrCorrupt.
func (s *Store) Read(ctx context.Context, key store.Key) (store.Record, error) {
	rows, err := s.db.QueryContext(ctx, s.q.read, key[:], s.now())
	if err != nil {
		return store.Record{}, fail(ctx, "read", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return store.Record{}, fail(ctx, "read", err)
		}
		return store.Record{}, fmt.Errorf("sqlitestore: read: %w", store.ErrNotFound)
	}
	var r scanned
	// The row has arrived: a Scan error here is about its values, not the
	// connection.
	if err := rows.Scan(&r.data, &r.created, &r.updated, &r.expires, &r.userID, &r.version); err != nil {
		return store.Record{}, fmt.Errorf("sqlitestore: read: %w: %w", ErrCorrupt, err)
	}
	rec, err := r.record()
	if err != nil {
		return store.Record{}, fmt.Errorf("sqlitestore: read: %w", err)
	}
	return rec, nil
}

// Update replaces the live record under key and adds one to its version. It
// never inserts: when no live row matches (absent, expired, or deleted by a
// logout while this request was running) it returns store.ErrNotFound, so a
// slow request cannot bring a destroyed session back.

func (s *Store) Update(ctx context.Context, key store.Key, rec store.Record) error {
	return s.update(ctx, "update", false, key, rec)
}

// CompareAndUpdate is Update on the condition that the stored version is
// still rec.Version. When it is not, it returns store.ErrConflict, so that of
// two requests that read the same version only the first write wins and the
// second learns about it instead of silently overwriting it.
func (s *Store) CompareAndUpdate(ctx context.Context, key store.Key, rec store.Record) error {
	return s.update(ctx, "compare and update", true, key, rec)
}

func (s *Store) update(ctx context.Context, op string, versioned bool, key store.Key, rec store.Record) error {
	f, err := toFields(rec)
	if err != nil {
		return err
	}
	now := s.now()
	// Placeholders in statement order: SET values first, then WHERE.
	query, args := s.q.update, []any{f.data, f.created, f.updated, f.expires, f.userID, key[:], now}
	if versioned {
		if rec.Version > math.MaxInt64 {
			// No stored version can be this large: the row, if live, differs.
			return s.whyNoRow(ctx, op, versioned, key, now)
		}
		query, args = s.q.cas, append(args, int64(rec.Version))
	}
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return fail(ctx, op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fail(ctx, op, err)
	}
	if n == 0 {
		return s.whyNoRow(ctx, op, versioned, key, now)
	}
	return nil
}

// whyNoRow tells store.ErrNotFound from store.ErrConflict after an update
// matched no row. For a versioned update a live row means its version
// differed; a plain update has no other condition, so the row was deleted or
// expired in between and is not found either way.
func (s *Store) whyNoRow(ctx context.Context, op string, versioned bool, key store.Key, now int64) error {
	if !versioned {
		return fmt.Errorf("sqlitestore: %s: %w", op, store.ErrNotFound)
	}
	var v int64
	err := s.db.QueryRowContext(ctx, s.q.probe, key[:], now).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("sqlitestore: %s: %w", op, store.ErrNotFound)
	case err != nil:
		return fail(ctx, op, err)
	}
	return fmt.Errorf("sqlitestore: %s: stored version %d: %w", op, v, store.ErrConflict)
}

// Delete removes the record under key. Deleting an absent key succeeds, so
// that a logout can be retried safely.
func (s *Store) Delete(ctx context.Context, key store.Key) error {
	if _, err := s.db.ExecContext(ctx, s.q.del, key[:]); err != nil {
		return fail(ctx, "delete", err)
	}
	return nil
}

// ListUser returns the live sessions of userID through the user_id index.
// Records written with an empty UserID belong to no user, so ListUser("")
// returns none.
func (s *Store) ListUser(ctx context.Context, userID string) ([]store.Info, error) {
	rows, err := s.db.QueryContext(ctx, s.q.listUser, userID, s.now())
	if err != nil {
		return nil, fail(ctx, "list user", err)
	}
	defer rows.Close()
	var out []store.Info
	for rows.Next() {
		var r scanned
		if err := rows.Scan(&r.key, &r.created, &r.updated, &r.expires); err != nil {
			return nil, fmt.Errorf("sqlitestore: list user: %w: %w", ErrCorrupt, err)
		}
		in, err := r.info()
		if err != nil {
			return nil, fmt.Errorf("sqlitestore: list user: %w", err)
		}
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fail(ctx, "list user", err)
	}
	return out, nil
}

// DeleteUser deletes the live sessions of userID ("sign out everywhere") and
// reports how many there were. Expired ones are left to the janitor: they
// already read as not found.
func (s *Store) DeleteUser(ctx context.Context, userID string) (int, error) {
	n, err := s.exec(ctx, s.q.deleteUser, userID, s.now())
	if err != nil {
		return 0, fail(ctx, "delete user", err)
	}
	return int(n), nil
}

// DeleteExpired deletes every record that has expired by the store's clock,
// one batch at a time, and reports how many. The janitor
// calls it; call it yourself when the janitor is off (WithJanitorInterval(0)).
func (s *Store) DeleteExpired(ctx context.Context) (int64, error) {
	var total int64
	for {
		n, err := s.exec(ctx, s.q.deleteExpired, s.now(), s.cfg.batch)
		if err != nil {
			return total, fail(ctx, "delete expired", err)
		}
		total += n
		if n < int64(s.cfg.batch) {
			return total, nil
		}
	}
}

// exec runs a statement and returns its affected-rows count.
func (s *Store) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Close stops the janitor and waits until its goroutine has returned. A
// store made by Open then closes its database; one made by New leaves db to
// the caller. Close is safe to call more than once; later calls return nil.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.stop()
		<-s.done
		if s.owned {
			if err = s.db.Close(); err != nil {
				err = fmt.Errorf("sqlitestore: close: %w", err)
			}
		}
	})
	return err
}

func (s *Store) janitor(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.cfg.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := s.DeleteExpired(ctx)
			if err != nil && ctx.Err() == nil {
				s.cfg.log.Warn("sqlitestore: janitor failed", "table", s.cfg.table, "deleted", n, "err", err)
			}
		}
	}
}

func (s *Store) now() int64 { return s.cfg.now().UnixMilli() }
