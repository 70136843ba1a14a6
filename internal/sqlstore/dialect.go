// Package sqlstore is what the SQL session stores (sqlitestore, pgstore,
// mysqlstore) share: their options, the row ↔ store.Record conversion with
// its corruption checks, the CRUD, compare-and-update and user-index flow,
// the error wrapping and the janitor. It is written once against DB, a
// small interface that a *sql.DB (through SQLDB) or a driver's own pool
// (through a few lines of glue in the store package) satisfies, and a
// Dialect that says how the server spells things.
//
// It is internal: each store package keeps its own exported API and
// documentation and forwards to a *Store from this package. Those one-line
// methods and With… functions are the only code the three stores repeat,
// on purpose: embedding a *Store would hide its methods from godoc (go/doc
// does not follow an embedded type into another package), and an alias or
// a variable would print this internal path in the stores' documentation.
// Options reach a Config wrapped in each store's own opaque Option struct.
package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// DB is the database access the flow needs, in the terms both database/sql
// and pgx can give cheaply.
type DB interface {
	// Exec runs a statement and returns how many rows it affected.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	// Query runs a query. The caller closes the rows.
	Query(ctx context.Context, query string, args ...any) (Rows, error)
}

// Rows is a query's result, as *sql.Rows already is.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// FreshPlanner is implemented by a DB whose Exec may run a statement with
// a plan the server made earlier and kept: pgx prepares each statement once
// per connection, and PostgreSQL settles on a generic plan after five runs
// of a prepared statement. The batch DELETEs run through ExecFreshPlan
// instead, because the janitor first plans them on a table that is small
// (where a scan of the whole table is the cheap plan) and must not keep
// that plan for the flood of rows that expires later.
type FreshPlanner interface {
	// ExecFreshPlan is Exec with a plan made for these arguments and the
	// table as it is now.
	ExecFreshPlan(ctx context.Context, query string, args ...any) (int64, error)
}

// SQLDB adapts a database/sql handle.
func SQLDB(db *sql.DB) DB { return sqlDB{db} }

type sqlDB struct{ db *sql.DB }

func (d sqlDB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := d.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (d sqlDB) Query(ctx context.Context, query string, args ...any) (Rows, error) {
	return d.db.QueryContext(ctx, query, args...)
}

// Dialect describes one server: how it quotes names, writes placeholders,
// reports a duplicate key, and what else it needs done differently.
type Dialect struct {
	// Name is the store package's name; every error and log line starts
	// with it.
	Name string
	// Quote quotes a validated identifier. Every column name is quoted
	// too, since KEY is a keyword almost everywhere.
	Quote func(name string) string
	// Numbered placeholders ($1, $2, …) instead of ?.
	Numbered bool
	// DeleteLimit: the server takes DELETE … LIMIT n but not a LIMIT in an
	// IN subquery (MySQL, MariaDB). Otherwise a batch of rows to delete is
	// chosen by a subquery (SQLite, PostgreSQL).
	DeleteLimit bool
	// CTIDBatch: a batch is chosen by its rows' addresses, PostgreSQL's
	// ctid, taken in the order of the expires index (see batch). Its
	// statements number their placeholders whatever Numbered says.
	CTIDBatch bool
	// IsDuplicate reports whether err is the server refusing a duplicate
	// primary key.
	IsDuplicate func(err error) bool
	// MaxUserIDLen, when positive, is the longest user ID the user_id
	// column holds, in bytes. A longer one is refused rather than
	// truncated, which could merge two users' sessions.
	MaxUserIDLen int
	// Typeless: a column holds a value of any type whatever its declared
	// type (SQLite), so a row is readable only if its integer columns hold
	// integers (typeof(c) = 'integer').
	Typeless bool
}

// queries holds every statement with the (validated, quoted) table name in
// place. Arguments go in statement order: SET values first, then WHERE.
type queries struct {
	create, read, update, cas, probe      string
	deleteLive, deleteLeftover, listUser  string
	deleteUserLive, deleteUserRest        string
	count, deleteLiveBatch, deleteExpired string
	deleteCorruptBatch                    string
}

func (d *Dialect) queries(table string) queries {
	q := d.Quote
	t := q(table)
	key, data, created, updated, expires, user, version := q("key"), q("data"), q("created"), q("updated"), q("expires"), q("user_id"), q("version")
	set := data + " = ?, " + created + " = ?, " + updated + " = ?, " + expires + " = ?, " + user + " = ?, " + version + " = " + version + " + 1"
	live := " WHERE " + key + " = ? AND " + expires + " > ?"
	// readable is, in SQL, what record.go accepts from a row: the other
	// time columns and the version set and in range, a 32-byte key. A NULL
	// anywhere makes it NULL, which WHERE treats as false; COALESCE turns
	// that into a plain false where the statement negates it.
	readable := created + " >= 0 AND " + updated + " >= 0 AND " + version + " >= 1 AND length(" + key + ") = 32"
	if d.Typeless {
		for _, c := range []string{created, updated, expires, version} {
			readable += " AND typeof(" + c + ") = 'integer'"
		}
	}
	liveReadable := expires + " > ? AND " + readable
	notLiveReadable := "NOT COALESCE(" + liveReadable + ", FALSE)"
	return queries{
		create:         d.bind("INSERT INTO " + t + " (" + strings.Join([]string{key, data, created, updated, expires, user, version}, ", ") + ") VALUES (?, ?, ?, ?, ?, ?, 1)"),
		read:           d.bind("SELECT " + strings.Join([]string{data, created, updated, expires, user, version}, ", ") + " FROM " + t + live),
		update:         d.bind("UPDATE " + t + " SET " + set + live),
		cas:            d.bind("UPDATE " + t + " SET " + set + live + " AND " + version + " = ?"),
		probe:          d.bind("SELECT " + version + " FROM " + t + live),
		deleteLive:     d.bind("DELETE FROM " + t + live),
		deleteLeftover: d.bind("DELETE FROM " + t + " WHERE " + key + " = ? AND NOT COALESCE(" + expires + " > ?, FALSE)"),
		listUser:       d.bind("SELECT " + strings.Join([]string{key, created, updated, expires, version}, ", ") + " FROM " + t + " WHERE " + user + " = ? AND " + expires + " > ?"),
		deleteUserLive: d.bind("DELETE FROM " + t + " WHERE " + user + " = ? AND " + liveReadable),
		deleteUserRest: d.bind("DELETE FROM " + t + " WHERE " + user + " = ? AND " + notLiveReadable),
		count:          d.bind("SELECT count(*) FROM " + t + " WHERE " + liveReadable),
		deleteExpired:  d.batch(t, key, expires, expires+" <= ?"),
		// A live row either is readable or is corrupt: between them the
		// two batches delete every row that is not expired.
		deleteLiveBatch:    d.batch(t, key, expires, liveReadable),
		deleteCorruptBatch: d.batch(t, key, expires, expires+" > ? AND NOT COALESCE("+readable+", FALSE)"),
	}
}

// batch is a DELETE of at most ? rows (the last argument) that match cond,
// whose every other ? is the same "now" (the first argument). MySQL and
// MariaDB take DELETE … LIMIT but no LIMIT in an IN subquery on the same
// table; SQLite (without a compile option) takes only the subquery.
//
// PostgreSQL's batch is different. There "key IN (SELECT key … LIMIT n)"
// let the planner find each batch by a scan from the table's first page,
// past the dead rows of every earlier batch, and join the keys back with a
// plan made from the table's size, which a kept plan misjudges: 1 M expired
// rows took 72 to 130 s. Here a batch walks the expires index (under a
// LIMIT, ORDER BY expires is far cheaper than sorting the table, so the
// planner takes the index) and deletes each row at its ctid, a TID scan
// with no join to plan: about 1.5 s for the same rows. The condition is
// checked again on each deleted row: when a concurrent UPDATE has moved a
// row, PostgreSQL may follow it to its new version and recheck the
// condition but not the ctid, and on a table partitioned by hand a ctid is
// unique only within its partition. IS TRUE keeps the planner from
// answering that check with a scan of the expires index, which would visit
// every expired row in every batch.
func (d *Dialect) batch(table, key, expires, cond string) string {
	switch {
	case d.DeleteLimit:
		return d.bind("DELETE FROM " + table + " WHERE " + cond + " LIMIT ?")
	case d.CTIDBatch:
		now := strings.ReplaceAll(cond, "?", "$1")
		return "DELETE FROM " + table + " WHERE ctid = ANY(ARRAY(SELECT ctid FROM " + table + " WHERE " + now +
			" ORDER BY " + expires + " LIMIT $2)) AND (" + now + ") IS TRUE"
	}
	return d.bind("DELETE FROM " + table + " WHERE " + key + " IN (SELECT " + key + " FROM " + table + " WHERE " + cond + " LIMIT ?)")
}

// Statement returns query with its ? placeholders in the dialect's form,
// for tests that write rows behind the store's back. query must have no ?
// other than placeholders.
func (d *Dialect) Statement(query string) string { return d.bind(query) }

// bind numbers the ? placeholders of query when the dialect wants that.
// No statement here has a ? anywhere else.
func (d *Dialect) bind(query string) string {
	if !d.Numbered {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
