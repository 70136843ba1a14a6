package mysqlstore

import (
	"context"
	"strings"
)

// schema is the table with its indexes, the same DDL as in README.md. The
// indexes are declared inside CREATE TABLE because MySQL (unlike MariaDB) has
// no CREATE INDEX IF NOT EXISTS; this keeps Migrate idempotent on both.
// user_id is VARBINARY so that it compares byte for byte: under a
// case-insensitive collation "Alice" would list "alice"'s sessions.
const schema = "CREATE TABLE IF NOT EXISTS {t} (\n" +
	"    `key`     BINARY(32)     NOT NULL PRIMARY KEY,\n" +
	"    `data`    LONGBLOB       NOT NULL,\n" +
	"    `created` BIGINT         NOT NULL,\n" +
	"    `updated` BIGINT         NOT NULL,\n" +
	"    `expires` BIGINT         NOT NULL,\n" +
	"    `user_id` VARBINARY(255) NULL,\n" +
	"    `version` BIGINT         NOT NULL DEFAULT 1,\n" +
	"    INDEX `{n}_expires_idx` (`expires`),\n" +
	"    INDEX `{n}_user_id_idx` (`user_id`)\n" +
	") ENGINE=InnoDB"

// Migrate creates the store's table and indexes when they do not exist. It
// is idempotent, and concurrent runs are safe: the server serialises CREATE
// TABLE IF NOT EXISTS on the table's metadata lock.
func (s *Store) Migrate(ctx context.Context) error {
	table := s.s.TableName()
	ddl := strings.NewReplacer("{t}", quote(table), "{n}", table).Replace(schema)
	if _, err := s.db.ExecContext(ctx, ddl); err != nil {
		return s.s.Fail(ctx, "migrate", err)
	}
	return nil
}
