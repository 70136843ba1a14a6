package sqlstore

import (
	"context"
)

// DeleteExpired deletes every record expired by the store's clock, one
// batch at a time, and reports how many. Each batch is its own statement
// (and transaction), so no lock is held across batches: PostgreSQL and
// InnoDB lock only the rows a batch deletes, readers never wait for them,
// and SQLite's single write lock is released between batches.
func (s *Store) DeleteExpired(ctx context.Context) (int, error) {
	return s.batches(ctx, "delete expired", s.q.deleteExpired, s.now())
}

// Count reports how many live, readable records the table holds.
func (s *Store) Count(ctx context.Context) (int, error) {
	rows, err := s.db.Query(ctx, s.q.count, s.now())
	if err != nil {
		return 0, s.Fail(ctx, "count", err)
	}
	defer rows.Close()
	var n int64
	if rows.Next() {
		err = rows.Scan(&n)
	}
	if err == nil {
		err = rows.Err()
	}
	if err != nil {
		return 0, s.Fail(ctx, "count", err)
	}
	return int(n), nil
}

// DeleteAll deletes every record, in batches, and reports how many live,
// readable records it ended: first those (counted), then the expired and
// the corrupt ones. Records created meanwhile may survive; they began after
// the call.
func (s *Store) DeleteAll(ctx context.Context) (int, error) {
	now := s.now()
	n, err := s.batches(ctx, "delete all", s.q.deleteLiveBatch, now)
	if err != nil {
		return n, err
	}
	for _, q := range []string{s.q.deleteExpired, s.q.deleteCorruptBatch} {
		if _, err := s.batches(ctx, "delete all", q, now); err != nil {
			return n, err
		}
	}
	return n, nil
}

// batches runs query, a batch DELETE that takes now and the batch size,
// until a batch deletes fewer rows than the batch size, and reports how
// many rows it deleted in all. Each batch is planned afresh where the DB
// can (FreshPlanner).
func (s *Store) batches(ctx context.Context, op, query string, now int64) (int, error) {
	exec := s.db.Exec
	if f, ok := s.db.(FreshPlanner); ok {
		exec = f.ExecFreshPlan
	}
	total := 0
	for {
		n, err := exec(ctx, query, now, s.cfg.batch)
		if err != nil {
			return total, s.Fail(ctx, op, err)
		}
		total += int(n)
		if n < int64(s.cfg.batch) {
			return total, nil
		}
	}
}

// sweep is one janitor run. It has no caller to report to, so it logs.
func (s *Store) sweep(ctx context.Context) {
	n, err := s.DeleteExpired(ctx)
	if err != nil && ctx.Err() == nil {
		s.cfg.log.Warn(s.d.Name+": janitor failed", "table", s.cfg.table, "deleted", n, "err", err)
	}
}
