package sqlitestore

import (
	"context"
	"database/sql"
	"errors"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/b4f9cdbb/session/internal/sqlstore"
	"github.com/b4f9cdbb/session/store"
)

// ErrCorrupt reports a row that no Store method could have written: a NULL
// or negative time, a version below 1 or a key of the wrong length. It means
// someone edited the table by hand or another program shares it; the store
// refuses the row rather than guess. It is store.ErrCorrupt, which every
// store reports.
var ErrCorrupt = store.ErrCorrupt

// Store is a SQLite session store. It is safe for use by many
// goroutines; build it with Open (or New on a *sql.DB you configured),
// create its table with Migrate and stop its janitor with Close.
type Store struct {
	db *sql.DB
	s  *sqlstore.Store
}

var (
	_ store.Versioned = (*Store)(nil)
	_ store.UserIndex = (*Store)(nil)
)

// dialect is SQLite's SQL: ? placeholders, double-quoted names, and a
// LIMIT in the subquery that picks a batch of expired rows.
var dialect = &sqlstore.Dialect{
	Name:        "sqlitestore",
	Quote:       quote,
	IsDuplicate: isUniqueViolation,
}

// quote quotes a validated identifier. KEY is a keyword, so the column
// names are quoted as well.
func quote(name string) string { return `"` + name + `"` }

// isUniqueViolation reports whether err is SQLite's refusal of a duplicate
// primary key.
func isUniqueViolation(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
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
	cfg, err := sqlstore.NewConfig(dialect.Name, opts)
	if err != nil {
		return nil, err
	}
	return &Store{db: db, s: sqlstore.New(sqlstore.SQLDB(db), dialect, cfg)}, nil
}

// Table returns the quoted table name the store uses, for tests and for
// administrative queries that must name the same table.
func (s *Store) Table() string { return s.s.Table() }

// Create inserts rec under key with version 1. A key that is present, even
// with an expired record the janitor has not deleted yet, gives
// store.ErrExists; keys are hashes of random IDs, so the caller just draws a
// new ID.
func (s *Store) Create(ctx context.Context, key store.Key, rec store.Record) error {
	return s.s.Create(ctx, key, rec)
}

// Read returns the record under key if it expires after the store's clock,
// and store.ErrNotFound otherwise. A row that breaks the schema's rules gives
// ErrCorrupt.
func (s *Store) Read(ctx context.Context, key store.Key) (store.Record, error) {
	return s.s.Read(ctx, key)
}

// Update replaces the live record under key and adds one to its version. It
// never inserts: when no live row matches (absent, expired, or deleted by a
// logout while this request was running) it returns store.ErrNotFound, so a
// slow request cannot bring a destroyed session back.
func (s *Store) Update(ctx context.Context, key store.Key, rec store.Record) error {
	return s.s.Update(ctx, key, rec)
}

// CompareAndUpdate is Update on the condition that the stored version is
// still rec.Version. When it is not, it returns store.ErrConflict, so that of
// two requests that read the same version only the first write wins and the
// second learns about it instead of silently overwriting it.
func (s *Store) CompareAndUpdate(ctx context.Context, key store.Key, rec store.Record) error {
	return s.s.CompareAndUpdate(ctx, key, rec)
}

// Delete removes the record under key. Deleting an absent key succeeds, so
// that a logout can be retried safely.
func (s *Store) Delete(ctx context.Context, key store.Key) error { return s.s.Delete(ctx, key) }

// ListUser returns the live sessions of userID through the user_id index.
// Records written with an empty UserID belong to no user, so ListUser("")
// returns none.
func (s *Store) ListUser(ctx context.Context, userID string) ([]store.Info, error) {
	return s.s.ListUser(ctx, userID)
}

// DeleteUser deletes the live sessions of userID ("sign out everywhere") and
// reports how many there were. Expired ones are left to the janitor: they
// already read as not found.
func (s *Store) DeleteUser(ctx context.Context, userID string) (int, error) {
	return s.s.DeleteUser(ctx, userID)
}

// DeleteExpired deletes every record that has expired by the store's clock,
// one batch at a time, and reports how many. The janitor calls it; call it
// yourself when the janitor is off (WithJanitorInterval(0)).
func (s *Store) DeleteExpired(ctx context.Context) (int64, error) { return s.s.DeleteExpired(ctx) }

// Close stops the janitor and waits until its goroutine has returned. A
// store made by Open then closes its database; one made by New leaves db to
// the caller. Close is safe to call more than once; later calls return nil.
func (s *Store) Close() error { return s.s.Close() }
