package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/b4f9cdbb/session/bench"
	"github.com/b4f9cdbb/session/store"
)

// A fill writes many records into a backend before a measurement. Memory
// and Redis are filled through the store's own Create, from several
// goroutines (Redis keeps a user index beside the records that only the
// store's scripts maintain). The SQL stores are filled through their
// table directly, in bulk (PostgreSQL's COPY, multi-row INSERTs for SQLite
// and MariaDB), with the columns and units their README's DDL documents:
// filling a million rows one Create at a time would take longer than the
// runs. Every fill then reads a sample of its records back through the
// store, so a fast path that wrote rows the store cannot read fails the
// run instead of measuring nothing.

// fillSpec says what records a fill writes.
type fillSpec struct {
	n       int
	data    int       // bytes of session data per record
	expires time.Time // in the past for expired records
	// user returns the user of the i-th record ("" for an anonymous one);
	// nil makes them all anonymous.
	user func(i int) string
}

// fillRecord is the i-th record of spec.
func (spec fillSpec) record(data []byte, now time.Time, i int) store.Record {
	rec := store.Record{Data: data, Created: now, Updated: now, Expires: spec.expires}
	if spec.user != nil {
		rec.UserID = spec.user(i)
	}
	return rec
}

// fill writes spec.n new records into b and returns their keys.
func fill(ctx context.Context, b *bench.Backend, spec fillSpec) ([]store.Key, error) {
	keys := make([]store.Key, spec.n)
	raw := make([]byte, spec.n*store.KeySize)
	_, _ = rand.Read(raw)
	for i := range keys {
		copy(keys[i][:], raw[i*store.KeySize:])
	}
	data := make([]byte, spec.data)
	_, _ = rand.Read(data)
	now := time.Now()
	var err error
	switch {
	case b.PG != nil:
		err = fillCopy(ctx, b, spec, keys, data, now)
	case b.DB != nil:
		err = fillInsert(ctx, b, spec, keys, data, now)
	default:
		err = fillCreate(ctx, b.Store, spec, keys, data, now)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: filling %d records: %w", b.Name, spec.n, err)
	}
	return keys, checkFill(ctx, b, spec, keys)
}

// fillCreate writes through the store's Create from several goroutines.
func fillCreate(ctx context.Context, st store.Store, spec fillSpec, keys []store.Key, data []byte, now time.Time) error {
	workers := 4 * runtime.GOMAXPROCS(0)
	if _, ok := st.(interface{ ExpiresNatively() bool }); ok {
		workers = 32 // a network round trip per Create: keep many in flight
	}
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(keys); i += workers {
				if err := st.Create(ctx, keys[i], spec.record(data, now, i)); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// columns are the SQL stores' columns, in the order the fills write them.
var columns = []string{"key", "data", "created", "updated", "expires", "user_id", "version"}

// row returns the i-th record as column values.
func row(spec fillSpec, keys []store.Key, data []byte, now time.Time, i int) []any {
	rec := spec.record(data, now, i)
	var user any
	if rec.UserID != "" {
		user = rec.UserID
	}
	ms := rec.Updated.UnixMilli()
	return []any{keys[i][:], data, ms, ms, rec.Expires.UnixMilli(), user, int64(1)}
}

// fillCopy writes PostgreSQL rows with COPY.
func fillCopy(ctx context.Context, b *bench.Backend, spec fillSpec, keys []store.Key, data []byte, now time.Time) error {
	const chunk = 50_000
	for from := 0; from < len(keys); from += chunk {
		to := min(from+chunk, len(keys))
		rows := make([][]any, 0, to-from)
		for i := from; i < to; i++ {
			rows = append(rows, row(spec, keys, data, now, i))
		}
		if _, err := b.PG.CopyFrom(ctx, pgx.Identifier{b.Table}, columns, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
	}
	return nil
}

// fillInsert writes SQLite and MariaDB rows with multi-row INSERTs, many
// per transaction.
func fillInsert(ctx context.Context, b *bench.Backend, spec fillSpec, keys []store.Key, data []byte, now time.Time) error {
	quote := func(s string) string { return `"` + s + `"` }
	perStmt := 100 // SQLite's default limit is 32766 parameters
	if b.Name == "mariadb" {
		quote = func(s string) string { return "`" + s + "`" }
		perStmt = 1000
	}
	var cols []string
	for _, c := range columns {
		cols = append(cols, quote(c))
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(columns)), ",") + ")"
	head := "INSERT INTO " + quote(b.Table) + " (" + strings.Join(cols, ",") + ") VALUES "
	const perTx = 20_000
	for from := 0; from < len(keys); from += perTx {
		to := min(from+perTx, len(keys))
		tx, err := b.DB.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for i := from; i < to; i += perStmt {
			j := min(i+perStmt, to)
			args := make([]any, 0, (j-i)*len(columns))
			for k := i; k < j; k++ {
				args = append(args, row(spec, keys, data, now, k)...)
			}
			q := head + strings.TrimSuffix(strings.Repeat(one+",", j-i), ",")
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				_ = tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// checkFill reads up to 50 of the records back through the store: live
// ones must read with their user, expired ones as not found.
func checkFill(ctx context.Context, b *bench.Backend, spec fillSpec, keys []store.Key) error {
	live := spec.expires.After(time.Now())
	step := max(1, len(keys)/50)
	for i := 0; i < len(keys); i += step {
		rec, err := b.Store.Read(ctx, keys[i])
		switch {
		case !live && errors.Is(err, store.ErrNotFound):
		case !live:
			return fmt.Errorf("%s: the filled expired record %d reads as %v, %v; want not found", b.Name, i, rec, err)
		case err != nil:
			return fmt.Errorf("%s: the filled record %d does not read back: %w", b.Name, i, err)
		case len(rec.Data) != spec.data || (spec.user != nil && rec.UserID != spec.user(i)):
			return fmt.Errorf("%s: the filled record %d reads back with %d bytes of data and user %q", b.Name, i, len(rec.Data), rec.UserID)
		}
	}
	return nil
}
