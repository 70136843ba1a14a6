package pgstore

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
)

// schema is the table and its indexes, the same DDL as in README.md. Times
// are Unix milliseconds in BIGINT columns so that every store keeps them the
// same way and compares them with a "now" sent from Go.
const schema = `
CREATE TABLE IF NOT EXISTS {t} (
    key     BYTEA  PRIMARY KEY,
    data    BYTEA  NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    expires BIGINT NOT NULL,
    user_id TEXT,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS {i_expires} ON {t} (expires);
CREATE INDEX IF NOT EXISTS {i_user} ON {t} (user_id) WHERE user_id IS NOT NULL;
`

// Migrate creates the store's table and indexes when they do not exist. It
// is idempotent and safe to run from several processes at once: a
// transaction-scoped advisory lock keyed by the table name serialises
// concurrent runs, which plain CREATE ... IF NOT EXISTS does not.
func (s *Store) Migrate(ctx context.Context) error {
	table := s.s.TableName()
	ddl := strings.NewReplacer(
		"{t}", quote(table),
		"{i_expires}", quote(table+"_expires_idx"),
		"{i_user}", quote(table+"_user_id_idx"),
	).Replace(schema)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "pgstore:"+table); err != nil {
			return err
		}
		// Several statements in one Exec without parameters use the simple
		// protocol, which allows them.
		_, err := tx.Exec(ctx, ddl)
		return err
	})
	if err != nil {
		return s.s.Fail(ctx, "migrate", err)
	}
	return nil
}
