package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/b4f9cdbb/session/internal/janitor"
	"github.com/b4f9cdbb/session/store"
)

// Store is the shared implementation behind every SQL store's Store. It is
// safe for use by many goroutines.
type Store struct {
	db  DB
	d   *Dialect
	cfg Config
	q   queries

	janitor   *janitor.Janitor
	closeDB   func() error // set by Own: Close closes the database too
	closeOnce sync.Once
}

// New returns a Store on db and starts its janitor, which first runs one
// interval after New (none when the interval is zero). It does not touch
// the database.
func New(db DB, d *Dialect, cfg Config) *Store {
	s := &Store{db: db, d: d, cfg: cfg, q: d.queries(cfg.table)}
	s.janitor = janitor.Start(cfg.interval, s.sweep)
	return s
}

// Own makes Close close the database with closeDB, for a store that opened
// its database itself.
func (s *Store) Own(closeDB func() error) { s.closeDB = closeDB }

// Table returns the quoted table name.
func (s *Store) Table() string { return s.d.Quote(s.cfg.table) }

// TableName returns the table name as configured, unquoted, for the
// dialect's DDL (index names derive from it).
func (s *Store) TableName() string { return s.cfg.table }

// Fail wraps a driver error with the failed operation. When ctx has ended
// it also wraps ctx.Err(): drivers report an interrupted statement in many
// shapes (SQLITE_INTERRUPT, driver.ErrBadConn, "invalid connection", their
// own timeout errors), and errors.Is(err, context.DeadlineExceeded) must
// hold for all of them.
func (s *Store) Fail(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%s: %s: %w (%w)", s.d.Name, op, cerr, err)
	}
	return fmt.Errorf("%s: %s: %w", s.d.Name, op, err)
}

// is wraps a contract sentinel (or a corrupt row's error) with the
// operation.
func (s *Store) is(op string, err error) error {
	return fmt.Errorf("%s: %s: %w", s.d.Name, op, err)
}

// Create inserts rec under key with version 1, or reports store.ErrExists.
func (s *Store) Create(ctx context.Context, key store.Key, rec store.Record) error {
	f, err := s.toFields(rec)
	if err != nil {
		return err
	}
	_, err = s.db.Exec(ctx, s.q.create, key[:], f.data, f.created, f.updated, f.expires, f.userID)
	if err != nil && s.d.IsDuplicate(err) {
		return s.is("create", store.ErrExists)
	}
	if err != nil {
		return s.Fail(ctx, "create", err)
	}
	return nil
}

// Read returns the live record under key, store.ErrNotFound, or
// store.ErrCorrupt for a row that breaks the schema's rules.
func (s *Store) Read(ctx context.Context, key store.Key) (store.Record, error) {
	rows, err := s.db.Query(ctx, s.q.read, key[:], s.now())
	if err != nil {
		return store.Record{}, s.Fail(ctx, "read", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return store.Record{}, s.Fail(ctx, "read", err)
		}
		return store.Record{}, s.is("read", store.ErrNotFound)
	}
	var r scanned
	// The row has arrived: a Scan error here is about its values, not the
	// connection.
	if err := rows.Scan(&r.data, &r.created, &r.updated, &r.expires, &r.userID, &r.version); err != nil {
		return store.Record{}, fmt.Errorf("%s: read: %w: %w", s.d.Name, store.ErrCorrupt, err)
	}
	rec, err := r.record()
	if err != nil {
		return store.Record{}, s.is("read", err)
	}
	return rec, nil
}

// Update replaces the live record under key and adds one to its version,
// or reports store.ErrNotFound. Since the version always changes, a matched
// row is always a changed row, whichever of the two the server counts.
func (s *Store) Update(ctx context.Context, key store.Key, rec store.Record) error {
	return s.update(ctx, "update", false, key, rec)
}

// CompareAndUpdate is Update on the condition that the stored version is
// still rec.Version, or store.ErrConflict.
func (s *Store) CompareAndUpdate(ctx context.Context, key store.Key, rec store.Record) error {
	return s.update(ctx, "compare and update", true, key, rec)
}

func (s *Store) update(ctx context.Context, op string, versioned bool, key store.Key, rec store.Record) error {
	f, err := s.toFields(rec)
	if err != nil {
		return err
	}
	now := s.now()
	query, args := s.q.update, []any{f.data, f.created, f.updated, f.expires, f.userID, key[:], now}
	if versioned {
		if rec.Version > math.MaxInt64 {
			// No stored version can be this large: the row, if live, differs.
			return s.whyNoRow(ctx, op, versioned, key, now)
		}
		query, args = s.q.cas, append(args, int64(rec.Version))
	}
	n, err := s.db.Exec(ctx, query, args...)
	if err != nil {
		return s.Fail(ctx, op, err)
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
		return s.is(op, store.ErrNotFound)
	}
	rows, err := s.db.Query(ctx, s.q.probe, key[:], now)
	if err != nil {
		return s.Fail(ctx, op, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return s.Fail(ctx, op, err)
		}
		return s.is(op, store.ErrNotFound)
	}
	var v int64
	if err := rows.Scan(&v); err != nil {
		return s.Fail(ctx, op, err)
	}
	return fmt.Errorf("%s: %s: stored version %d: %w", s.d.Name, op, v, store.ErrConflict)
}

// Delete removes the record under key and reports whether it was live. The
// first statement deletes only a live row, so its count is the answer, and
// of several concurrent Deletes exactly one sees 1: the server's row lock
// decides. Only when it found none does a second statement remove a row
// left under key that is expired (or whose expiry is NULL), never a live
// row that a Create put there in between.
func (s *Store) Delete(ctx context.Context, key store.Key) (bool, error) {
	now := s.now()
	n, err := s.db.Exec(ctx, s.q.deleteLive, key[:], now)
	if err != nil {
		return false, s.Fail(ctx, "delete", err)
	}
	if n > 0 {
		return true, nil
	}
	if _, err := s.db.Exec(ctx, s.q.deleteLeftover, key[:], now); err != nil {
		return false, s.Fail(ctx, "delete", err)
	}
	return false, nil
}

// Close stops the janitor and waits until its goroutine has returned, then
// closes the database if the store owns it. It is safe to call more than
// once; later calls wait for the first and return nil.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.janitor.Stop()
		if s.closeDB != nil {
			if cerr := s.closeDB(); cerr != nil {
				err = s.is("close", cerr)
			}
		}
	})
	return err
}

func (s *Store) now() int64 { return s.cfg.now().UnixMilli() }
