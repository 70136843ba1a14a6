// Package mysqlstore keeps server-side session records in a MySQL or MariaDB
// table, through database/sql and github.com/go-sql-driver/mysql.
//
// It implements store.Store and both optional capabilities, store.Versioned
// (compare-and-update on a version column, so two concurrent commits of one
// session cannot silently lose an update) and store.UserIndex (list and
// revoke a user's sessions through an index on user_id).
//
// The table is created by Migrate, never implicitly: schema changes belong to
// whoever deploys the application, and the same DDL is printed in the
// package README for those who manage their schema with their own tools.
//
// Neither server can expire rows by itself, so every read compares the
// expires column with the store's clock (passed from Go as a query
// parameter, so that the database's own clock and time zone never matter)
// and a janitor goroutine deletes expired rows in batches until Close is
// called.
//
// The store works with any DSN the driver accepts: it does not rely on
// clientFoundRows (see Store.Update for why).
package mysqlstore
