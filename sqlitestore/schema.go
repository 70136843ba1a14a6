package sqlitestore

import (
	"context"
	"strings"
)

// schema is the table and its indexes, the same DDL as in README.md. The
// BIGINT columns have SQLite's INTEGER affinity (64-bit); times are Unix
// milliseconds, compared with a "now" sent from Go.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS {t} (
    "key"   BLOB   NOT NULL PRIMARY KEY,
    data    BLOB   NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    expires BIGINT NOT NULL,
    user_id TEXT,
    version BIGINT NOT NULL DEFAULT 1
)`,
	`CREATE INDEX IF NOT EXISTS {i_expires} ON {t} (expires)`,
	`CREATE INDEX IF NOT EXISTS {i_user} ON {t} (user_id) WHERE user_id IS NOT NULL`,
}

// Migrate creates the store's table and indexes when they do not exist. It
// is idempotent; each statement is atomic, and concurrent runs are
// serialised by SQLite's write lock.
func (s *Store) Migrate(ctx context.Context) error {
	table := s.s.TableName()
	r := strings.NewReplacer(
		"{t}", quote(table),
		"{i_expires}", quote(table+"_expires_idx"),
		"{i_user}", quote(table+"_user_id_idx"),
	)
	for _, stmt := range schema {
		if _, err := s.db.ExecContext(ctx, r.Replace(stmt)); err != nil {
			return s.s.Fail(ctx, "migrate", err)
		}
	}
	return nil
}
