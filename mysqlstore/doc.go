// Package mysqlstore keeps server-side session records in a MySQL or MariaDB
// table, through database/sql and github.com/go-sql-driver/mysql.
//
// It implements store.Store and the optional capabilities store.Versioned
// (compare-and-update on a version column, so two concurrent commits of one
// session cannot silently lose an update), store.UserIndex (list and revoke
// a user's sessions through an index on user_id) and store.Maintenance
// (DeleteExpired, Count, DeleteAll) for operators.
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
//
// A row that no Store method could have written (a time or version out of
// range, NULL where the schema forbids it) is never taken for a session:
// Read reports it as an error wrapping store.ErrCorrupt, ListUser leaves it
// out and deletes it, and DeleteUser deletes it without counting it, so a
// bad row never locks its user out.
//
// # Floods of new sessions
//
// Every session a handler writes is a row until IdleTimeout after its last
// commit, plus up to one janitor interval. A flood of R cookie-less
// requests per second that write their session therefore keeps about
// R × (IdleTimeout + janitor interval) rows of about 500 bytes each (a
// 100-byte session, measured by BenchmarkFootprint): at 100 requests/s and
// the default 24-hour IdleTimeout, 4.3 GB. The janitor is not the limit: it
// deleted 35,000 or more expired rows per second, in batches that never
// make a read wait, while the store wrote 4,000 new ones per second. The
// live rows are the limit: write sessions only when there is something to
// keep, keep IdleTimeout short where anonymous traffic writes, and
// rate-limit session creation per client. The README has the figures.
package mysqlstore
