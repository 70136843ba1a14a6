package pgstore

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/b4f9cdbb/session/internal/sqlstore"
)

// explaining is the store's glue that asks the server for the plan of
// every batch, with the batch's own arguments, before running it.
type explaining struct {
	pool
	plans []string
}

func (e *explaining) ExecFreshPlan(ctx context.Context, query string, args ...any) (int64, error) {
	var plan string
	err := e.p.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+query, append([]any{pgx.QueryExecModeExec}, args...)...).Scan(&plan)
	if err != nil {
		return 0, err
	}
	e.plans = append(e.plans, plan)
	return e.pool.ExecFreshPlan(ctx, query, args...)
}

// TestExpiredBatchPlan: each batch of DeleteExpired finds its rows through
// the expires index and deletes them by ctid, with no scan of the whole
// table, also after the janitor has swept the table while it was empty (a
// plan kept from then scanned the table once per batch: quadratic in the
// number of expired rows).
func TestExpiredBatchPlan(t *testing.T) {
	p := testPool(t)
	st := testStore(t, p, WithJanitorInterval(0))
	table := st.s.TableName()
	cfg, err := sqlstore.NewConfig(dialect.Name, []Option{WithTable(table), WithJanitorInterval(0)}, Option.unwrap)
	if err != nil {
		t.Fatal(err)
	}
	db := &explaining{pool: pool{p}}
	s := sqlstore.New(db, dialect, cfg)
	defer s.Close()
	ctx := context.Background()
	for range 10 { // the janitor of a process that started with an empty table
		if _, err := s.DeleteExpired(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// 1000 live rows, then 3500 that expired long ago, 100 bytes of data each.
	_, err = p.Exec(ctx, `INSERT INTO `+st.Table()+` (key, data, created, updated, expires)
		SELECT sha256(int8send(i)), decode(repeat('ab', 100), 'hex'), 0, 0, CASE WHEN i <= 1000 THEN 9000000000000000 ELSE 1 END
		FROM generate_series(1, 4500) AS i`)
	if err != nil {
		t.Fatal(err)
	}
	db.plans = nil
	if n, err := s.DeleteExpired(ctx); err != nil || n != 3500 {
		t.Fatalf("DeleteExpired = %d, %v; want 3500", n, err)
	}
	if len(db.plans) != 4 {
		t.Fatalf("%d batches, want 4 of at most %d rows", len(db.plans), DefaultBatchSize)
	}
	for i, plan := range db.plans {
		for _, want := range []string{`"Tid Scan"`, `"Index Scan"`, `"` + table + `_expires_idx"`} {
			if !strings.Contains(plan, want) {
				t.Errorf("batch %d: plan without %s:\n%s", i, want, plan)
			}
		}
		for _, bad := range []string{`"Seq Scan"`, `"Bitmap Heap Scan"`, `"Sort"`, `"Hash Join"`, `"Nested Loop"`, `"Merge Join"`} {
			if strings.Contains(plan, bad) {
				t.Errorf("batch %d: plan with a %s:\n%s", i, bad, plan)
			}
		}
	}
	if n, err := s.Count(ctx); err != nil || n != 1000 {
		t.Errorf("Count = %d, %v after DeleteExpired; want the 1000 live rows", n, err)
	}
}
