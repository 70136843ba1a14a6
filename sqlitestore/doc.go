// Package sqlitestore keeps server-side session records in a SQLite
// database, through database/sql and the pure-Go driver modernc.org/sqlite
// (no cgo, so it cross-compiles and runs in minimal containers).
//
// It implements store.Store and both optional capabilities, store.Versioned
// (compare-and-update on a version column, so two concurrent commits of one
// session cannot silently lose an update) and store.UserIndex (list and
// revoke a user's sessions through an index on user_id).
//
// Open is the short way in: it opens a database file with the connection
// settings that suit many goroutines (see Open). The table is created by
// Migrate, never implicitly, and the same DDL is printed in the package
// README.
//
// SQLite cannot expire rows by itself, so every read compares the expires
// column with the store's clock (passed from Go as a query parameter) and a
// janitor goroutine deletes expired rows in batches until Close is called.
package sqlitestore
