// Package pgstore keeps server-side session records in a PostgreSQL table,
// through a pgx connection pool.
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
// PostgreSQL cannot expire rows by itself, so every read compares the
// expires column with the store's clock (passed from Go as a query
// parameter, so that the database's own clock never matters) and a janitor
// goroutine deletes expired rows in batches until Close is called.
package pgstore
