package pgstore

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/b4f9cdbb/session/internal/sqlstore"
	"github.com/b4f9cdbb/session/store"
)

// Store is a PostgreSQL session store. It is safe for use by many
// goroutines; build it with New, create its table with Migrate and stop its
// janitor with Close.
type Store struct {
	pool *pgxpool.Pool
	s    *sqlstore.Store
}

var (
	_ store.Versioned   = (*Store)(nil)
	_ store.UserIndex   = (*Store)(nil)
	_ store.Maintenance = (*Store)(nil)
)

// dialect is PostgreSQL's SQL: numbered placeholders, names quoted the way
// pgx quotes them, and batches of expired rows picked by ctid in the order
// of the expires index. pgx prepares and caches each statement per
// connection, except the batches (pool.ExecFreshPlan).
var dialect = &sqlstore.Dialect{
	Name:        "pgstore",
	Quote:       quote,
	Numbered:    true,
	CTIDBatch:   true,
	IsDuplicate: isUniqueViolation,
}

func quote(name string) string { return pgx.Identifier{name}.Sanitize() }

// isUniqueViolation reports whether err is PostgreSQL's unique_violation.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// pool is the glue between pgx and the shared SQL flow.
type pool struct{ p *pgxpool.Pool }

func (p pool) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := p.p.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

// ExecFreshPlan runs query as the unnamed statement, which PostgreSQL
// plans for its arguments at every run, instead of as a prepared statement
// whose generic plan, made while the table was small, it may keep. One
// round trip, like a cached statement; the planning costs a fraction of a
// millisecond per batch.
func (p pool) ExecFreshPlan(ctx context.Context, query string, args ...any) (int64, error) {
	return p.Exec(ctx, query, append([]any{pgx.QueryExecModeExec}, args...)...)
}

func (p pool) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	r, err := p.p.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return rows{r}, nil
}

// rows gives pgx.Rows the Close of database/sql.
type rows struct{ pgx.Rows }

func (r rows) Close() error { r.Rows.Close(); return nil }

// New returns a Store that keeps records in pool's database. The pool stays
// the caller's: Close stops the store's janitor but does not close the pool,
// which the application usually shares with its other queries.
//
// New does not touch the database; call Migrate before first use (or create
// the table from the README's DDL). The janitor starts now and first runs one
// interval later.
func New(p *pgxpool.Pool, opts ...Option) (*Store, error) {
	if p == nil {
		return nil, errors.New("pgstore: pool is nil")
	}
	cfg, err := sqlstore.NewConfig(dialect.Name, opts, Option.unwrap)
	if err != nil {
		return nil, err
	}
	return &Store{pool: p, s: sqlstore.New(pool{p}, dialect, cfg)}, nil
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
// returns none. A corrupt row of the user is left out and deleted, so that
// it never hides the user's other sessions.
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
// one batch at a time (WithBatchSize), and reports how many. The janitor
// calls it; call it yourself when the janitor is off
// (WithJanitorInterval(0)). Each batch is one statement that locks only the
// rows it deletes, so reads never wait for it.
func (s *Store) DeleteExpired(ctx context.Context) (int, error) { return s.s.DeleteExpired(ctx) }

// Count reports how many live, readable records the table holds.
func (s *Store) Count(ctx context.Context) (int, error) { return s.s.Count(ctx) }

// DeleteAll deletes every record, in batches, and reports how many live,
// readable records it ended: every user is signed out.
func (s *Store) DeleteAll(ctx context.Context) (int, error) { return s.s.DeleteAll(ctx) }

// Close stops the janitor and waits until its goroutine has returned. It is
// safe to call more than once and does not close the pool.
func (s *Store) Close() error { return s.s.Close() }
