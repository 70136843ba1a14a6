package mysqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/go-sql-driver/mysql"

	"github.com/b4f9cdbb/session/internal/sqlstore"
	"github.com/b4f9cdbb/session/store"
)

// MaxUserIDLen is the longest Record.UserID, in bytes, that the user_id
// column (VARBINARY(255)) holds. Longer IDs are refused with an error rather
// than truncated, which could merge two users' sessions.
const MaxUserIDLen = 255

// Store is a MySQL / MariaDB session store. It is safe for use by many
// goroutines; build it with New, create its table with Migrate and stop its
// janitor with Close.
type Store struct {
	db *sql.DB
	s  *sqlstore.Store
}

var (
	_ store.Versioned   = (*Store)(nil)
	_ store.UserIndex   = (*Store)(nil)
	_ store.Maintenance = (*Store)(nil)
)

// dialect is MySQL's and MariaDB's SQL: ? placeholders, backticks, and
// DELETE … LIMIT for a batch of expired rows (neither server takes a LIMIT
// in an IN subquery).
var dialect = &sqlstore.Dialect{
	Name:         "mysqlstore",
	Quote:        quote,
	DeleteLimit:  true,
	IsDuplicate:  isDuplicateEntry,
	MaxUserIDLen: MaxUserIDLen,
}

// quote quotes a validated identifier for MySQL. KEY is a reserved word
// there, so the column names are quoted as well.
func quote(name string) string { return "`" + name + "`" }

// errDuplicateEntry is MySQL's and MariaDB's ER_DUP_ENTRY.
const errDuplicateEntry = 1062

func isDuplicateEntry(err error) bool {
	var myErr *mysql.MySQLError
	return errors.As(err, &myErr) && myErr.Number == errDuplicateEntry
}

// New returns a Store that keeps records in db's database. db stays the
// caller's: Close stops the store's janitor but does not close db, which the
// application usually shares with its other queries.
//
// New does not touch the database; call Migrate before first use (or create
// the table from the README's DDL). The janitor starts now and first runs one
// interval later.
func New(db *sql.DB, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, errors.New("mysqlstore: db is nil")
	}
	cfg, err := sqlstore.NewConfig(dialect.Name, opts, Option.unwrap)
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
// and store.ErrNotFound otherwise. A row that no Store method could have
// written (a NULL or negative time, a version below 1) gives an error
// wrapping store.ErrCorrupt: someone edited the table by hand or another
// program shares it, and the store refuses the row rather than guess.
func (s *Store) Read(ctx context.Context, key store.Key) (store.Record, error) {
	return s.s.Read(ctx, key)
}

// Update replaces the live record under key and adds one to its version. It
// never inserts: when no live row matches (absent, expired, or deleted by a
// logout while this request was running) it returns store.ErrNotFound, so a
// slow request cannot bring a destroyed session back.
//
// MySQL's affected-rows count is, by default, the number of rows the UPDATE
// changed, not the number it matched: rewriting a row with identical values
// would report 0 and look like "not found". The DSN flag clientFoundRows=true
// switches the count to matched rows, but the store does not get to choose
// the DSN. It does not need to: every UPDATE sets version = version + 1, so a
// matched row always changes and both counts agree.
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

// Delete removes the record under key and reports whether it was live
// (unexpired). The answer comes from the DELETE that removed the row, so of
// several requests deleting one session at once exactly one learns that it
// ended it. Deleting an absent key succeeds, so that a logout can be retried
// safely.
func (s *Store) Delete(ctx context.Context, key store.Key) (bool, error) {
	return s.s.Delete(ctx, key)
}

// ListUser returns the live sessions of userID through the user_id index.
// Records written with an empty UserID belong to no user, so ListUser("")
// returns none. User IDs compare byte for byte (the column is binary), so
// "Alice" and "alice" are different users whatever the server's collation.
// A corrupt row of the user is left out and deleted, so that it never hides
// the user's other sessions.
func (s *Store) ListUser(ctx context.Context, userID string) ([]store.Info, error) {
	return s.s.ListUser(ctx, userID)
}

// DeleteUser deletes every session of userID ("sign out everywhere"),
// expired and corrupt rows included, and reports how many live, readable
// sessions it ended.
func (s *Store) DeleteUser(ctx context.Context, userID string) (int, error) {
	return s.s.DeleteUser(ctx, userID)
}

// DeleteExpired deletes every record that has expired by the store's clock,
// one batch (DELETE … LIMIT) at a time (WithBatchSize), and reports how many. The janitor
// calls it; call it yourself when the janitor is off
// (WithJanitorInterval(0)). Each batch is one statement that locks only the
// rows it deletes (and the index gap after the last one), and InnoDB's
// consistent reads never wait for those locks.
func (s *Store) DeleteExpired(ctx context.Context) (int, error) { return s.s.DeleteExpired(ctx) }

// Count reports how many live, readable records the table holds.
func (s *Store) Count(ctx context.Context) (int, error) { return s.s.Count(ctx) }

// DeleteAll deletes every record, in batches, and reports how many live,
// readable records it ended: every user is signed out.
func (s *Store) DeleteAll(ctx context.Context) (int, error) { return s.s.DeleteAll(ctx) }

// Close stops the janitor and waits until its goroutine has returned. It is
// safe to call more than once and does not close db.
func (s *Store) Close() error { return s.s.Close() }
