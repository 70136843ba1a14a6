package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// BusyTimeoutMillis is how long a connection opened by Open waits for
// another connection's write lock before failing with SQLITE_BUSY. SQLite
// lets one writer in at a time; with this wait, concurrent commits queue up
// instead of failing, and a request's context still ends the wait early.
const BusyTimeoutMillis = 5000

// pragmas are the connection settings Open applies to every connection the
// database/sql pool opens:
//
//   - busy_timeout: see BusyTimeoutMillis.
//   - journal_mode(WAL): readers never block the writer and the writer never
//     blocks readers, which is what a session store under concurrent
//     requests needs. The setting is stored in the file; it also creates the
//     -wal and -shm files beside it.
//   - synchronous(NORMAL): the recommended level in WAL mode. A committed
//     write survives a crash of the application; a power loss may drop the
//     last commits (a session is then logged out), never corrupt the file.
//   - foreign_keys(ON): SQLite's sane default, off for historical reasons.
//     The store's table has no foreign keys; it matters when the database
//     is shared with the application's own tables.
var pragmas = []string{
	fmt.Sprintf("busy_timeout(%d)", BusyTimeoutMillis),
	"journal_mode(WAL)",
	"synchronous(NORMAL)",
	"foreign_keys(ON)",
}

// dsn builds the driver's connection string for path: a file: URI, with the
// characters that URIs reserve escaped, so that any file name works.
func dsn(path string) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	var b strings.Builder
	b.WriteString("file:" + esc)
	for i, p := range pragmas {
		if i == 0 {
			b.WriteString("?")
		} else {
			b.WriteString("&")
		}
		b.WriteString("_pragma=" + p)
	}
	return b.String()
}

// Open opens (creating it if needed) the SQLite database file at path with
// the settings documented on pragmas (WAL, busy_timeout, synchronous=NORMAL,
// foreign_keys), checks that it can be opened, and returns a Store on it.
// The store owns the database: Close closes it. Call Migrate before first
// use.
//
// path must name a file: ":memory:" would give every pooled connection its
// own empty database.
func Open(path string, opts ...Option) (*Store, error) {
	if path == "" || path == ":memory:" {
		return nil, fmt.Errorf("sqlitestore: open: path %q does not name a file", path)
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open: %w", err)
	}
	// Connections apply the pragmas as they open; keep a few idle so that
	// bursts do not reopen the file each time.
	db.SetMaxIdleConns(4)
	if err := db.PingContext(context.Background()); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	s, err := New(db, opts...)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	s.s.Own(db.Close)
	return s, nil
}
