package sqlstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
)

// same is the unwrap of a store whose options are the shared ones.
func same(o Option) Option { return o }

func TestOptionsAreValidated(t *testing.T) {
	bad := map[string]Option{
		"empty table":       WithTable(""),
		"injection":         WithTable(`sessions"; DROP TABLE users; --`),
		"backtick":          WithTable("sessions`; DROP TABLE users; --"),
		"dotted":            WithTable("main.sessions"),
		"leading digit":     WithTable("1sessions"),
		"too long":          WithTable(strings.Repeat("a", 49)),
		"negative interval": WithJanitorInterval(-time.Second),
		"zero batch":        WithBatchSize(0),
		"negative batch":    WithBatchSize(-1),
		"nil clock":         WithClock(nil),
		"nil logger":        WithLogger(nil),
	}
	for name, opt := range bad {
		_, err := NewConfig("xstore", []Option{opt}, same)
		if err == nil {
			t.Errorf("%s: NewConfig succeeded, want an error", name)
		} else if !strings.HasPrefix(err.Error(), "xstore: ") {
			t.Errorf("%s: error %q does not name the store", name, err)
		}
	}
	c, err := NewConfig("xstore", []Option{WithTable(strings.Repeat("a", 48)), nil, WithJanitorInterval(0), WithBatchSize(1)}, same)
	if err != nil {
		t.Fatalf("valid options: %v", err)
	}
	if c.table != strings.Repeat("a", 48) || c.interval != 0 || c.batch != 1 {
		t.Errorf("config = %+v", c)
	}
	d, err := NewConfig("xstore", nil, same)
	if err != nil || d.table != DefaultTable || d.interval != DefaultJanitorInterval || d.batch != DefaultBatchSize || d.now == nil || d.log == nil {
		t.Errorf("defaults = %+v, %v", d, err)
	}
}

func TestStatements(t *testing.T) {
	quote := func(s string) string { return `"` + s + `"` }
	pg := (&Dialect{Quote: quote, Numbered: true, CTIDBatch: true}).queries("t")
	if want := `UPDATE "t" SET "data" = $1, "created" = $2, "updated" = $3, "expires" = $4, "user_id" = $5, "version" = "version" + 1 WHERE "key" = $6 AND "expires" > $7 AND "version" = $8`; pg.cas != want {
		t.Errorf("numbered cas =\n%s\nwant\n%s", pg.cas, want)
	}
	if want := `DELETE FROM "t" WHERE ctid = ANY(ARRAY(SELECT ctid FROM "t" WHERE "expires" <= $1 ORDER BY "expires" LIMIT $2)) AND ("expires" <= $1) IS TRUE`; pg.deleteExpired != want {
		t.Errorf("CTIDBatch deleteExpired =\n%s\nwant\n%s", pg.deleteExpired, want)
	}
	// Every batch takes the same two arguments, now and the batch size.
	for _, q := range []string{pg.deleteExpired, pg.deleteLiveBatch, pg.deleteCorruptBatch} {
		if strings.Contains(q, "?") || strings.Contains(q, "$3") || strings.Count(q, "$2") != 1 {
			t.Errorf("CTIDBatch batch takes other arguments than $1 (now) and $2 (limit): %s", q)
		}
	}
	lite := (&Dialect{Quote: quote, Typeless: true}).queries("t")
	if want := `DELETE FROM "t" WHERE "key" IN (SELECT "key" FROM "t" WHERE "expires" <= ? LIMIT ?)`; lite.deleteExpired != want {
		t.Errorf("subquery deleteExpired = %s", lite.deleteExpired)
	}
	if want := `DELETE FROM "t" WHERE "user_id" = $1 AND NOT COALESCE("expires" > $2 AND "created" >= 0 AND "updated" >= 0 AND "version" >= 1 AND length("key") = 32, FALSE)`; pg.deleteUserRest != want {
		t.Errorf("deleteUserRest =\n%s\nwant\n%s", pg.deleteUserRest, want)
	}
	my := (&Dialect{Quote: quote, DeleteLimit: true}).queries("t")
	if want := `DELETE FROM "t" WHERE "expires" <= ? LIMIT ?`; my.deleteExpired != want {
		t.Errorf("DeleteLimit deleteExpired = %s", my.deleteExpired)
	}
	for _, q := range []string{my.create, my.read, my.update, my.cas, my.probe, my.deleteLive, my.deleteLeftover,
		my.listUser, my.deleteUserLive, my.deleteUserRest, my.count, my.deleteLiveBatch, my.deleteCorruptBatch} {
		if strings.Contains(q, "$") {
			t.Errorf("? dialect statement has a numbered placeholder: %s", q)
		}
		if strings.Contains(q, "typeof") {
			t.Errorf("typed dialect statement checks typeof: %s", q)
		}
	}
	if n := strings.Count(lite.count, "typeof("); n != 4 {
		t.Errorf("Typeless count checks %d columns' types, want the 4 integer columns: %s", n, lite.count)
	}
}

func ptr[T any](v T) *T { return &v }

func TestCorruptRows(t *testing.T) {
	ok := scanned{created: ptr[int64](1), updated: ptr[int64](0), expires: ptr[int64](2), version: ptr[int64](1)}
	if rec, err := ok.record(); err != nil || rec.Data == nil || rec.Version != 1 || !rec.Updated.IsZero() {
		t.Fatalf("valid row: %+v, %v", rec, err)
	}
	cases := map[string]func(r *scanned){
		"NULL created":     func(r *scanned) { r.created = nil },
		"NULL updated":     func(r *scanned) { r.updated = nil },
		"negative expires": func(r *scanned) { r.expires = ptr[int64](-1) },
		"NULL version":     func(r *scanned) { r.version = nil },
		"version zero":     func(r *scanned) { r.version = ptr[int64](0) },
	}
	for name, spoil := range cases {
		r := ok
		r.key = make([]byte, store.KeySize)
		spoil(&r)
		if _, err := r.record(); !errors.Is(err, store.ErrCorrupt) {
			t.Errorf("%s: record: err = %v, want ErrCorrupt", name, err)
		}
		if _, err := r.info(); !errors.Is(err, store.ErrCorrupt) {
			t.Errorf("%s: info: err = %v, want ErrCorrupt", name, err)
		}
	}
	r := ok
	r.key = []byte{1, 2}
	if _, err := r.info(); !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("2-byte key: err = %v, want ErrCorrupt", err)
	}
}

func TestToFields(t *testing.T) {
	s := &Store{d: &Dialect{Name: "xstore", MaxUserIDLen: 3}}
	f, err := s.toFields(store.Record{Expires: time.UnixMilli(5), UserID: "abc"})
	if err != nil || f.data == nil || f.created != 0 || f.expires != 5 || f.userID == nil || *f.userID != "abc" {
		t.Fatalf("toFields = %+v, %v", f, err)
	}
	if f, _ := s.toFields(store.Record{}); f.userID != nil {
		t.Error("empty UserID is not stored as NULL")
	}
	if _, err := s.toFields(store.Record{UserID: "abcd"}); err == nil {
		t.Error("a user ID longer than MaxUserIDLen was accepted")
	}
	if _, err := s.toFields(store.Record{Created: time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)}); err == nil {
		t.Error("a time before 1970 was accepted")
	}
}

// fakeDB deletes "rows" batch by batch: each Exec of a statement ending in
// LIMIT ? removes at most its last argument from left and says how many.
type fakeDB struct {
	left  int64
	calls [][]any
}

func (f *fakeDB) Exec(_ context.Context, query string, args ...any) (int64, error) {
	f.calls = append(f.calls, args)
	if !strings.HasSuffix(strings.TrimSuffix(query, ")"), "LIMIT ?") {
		return 0, errors.New("not a batch statement: " + query)
	}
	n := min(f.left, int64(args[len(args)-1].(int)))
	f.left -= n
	return n, nil
}

func (f *fakeDB) Query(context.Context, string, ...any) (Rows, error) {
	return nil, errors.New("fakeDB: no queries")
}

// freshDB is a fakeDB that can plan afresh, and counts how often it does.
type freshDB struct {
	fakeDB
	fresh int
}

func (f *freshDB) ExecFreshPlan(ctx context.Context, query string, args ...any) (int64, error) {
	f.fresh++
	return f.Exec(ctx, query, args...)
}

// TestBatchesArePlannedAfresh: a DB that caches plans runs every batch with
// a fresh one, so that a plan made while the table was small is not kept
// for a large one.
func TestBatchesArePlannedAfresh(t *testing.T) {
	cfg, err := NewConfig("xstore", []Option{WithBatchSize(10), WithJanitorInterval(0)}, same)
	if err != nil {
		t.Fatal(err)
	}
	db := &freshDB{fakeDB: fakeDB{left: 25}}
	s := New(db, &Dialect{Name: "xstore", Quote: func(s string) string { return s }, DeleteLimit: true}, cfg)
	defer s.Close()
	if n, err := s.DeleteExpired(context.Background()); err != nil || n != 25 {
		t.Fatalf("DeleteExpired = %d, %v; want 25", n, err)
	}
	if db.fresh != 3 || len(db.calls) != 3 {
		t.Errorf("%d of %d batches planned afresh, want all 3", db.fresh, len(db.calls))
	}
}

// TestDeleteExpiredIsBatched: the janitor's work is a series of statements
// each limited to the batch size, all with the same "now" (so that a flood
// of rows expiring meanwhile cannot keep it going for ever), until one
// batch is not full.
func TestDeleteExpiredIsBatched(t *testing.T) {
	cfg, err := NewConfig("xstore", []Option{WithBatchSize(100), WithJanitorInterval(0)}, same)
	if err != nil {
		t.Fatal(err)
	}
	db := &fakeDB{left: 250}
	s := New(db, &Dialect{Name: "xstore", Quote: func(s string) string { return s }, DeleteLimit: true}, cfg)
	defer s.Close()
	n, err := s.DeleteExpired(context.Background())
	if err != nil || n != 250 {
		t.Fatalf("DeleteExpired = %d, %v; want 250", n, err)
	}
	if len(db.calls) != 3 {
		t.Fatalf("%d statements, want 3 batches of at most 100", len(db.calls))
	}
	for i, args := range db.calls {
		if args[0] != db.calls[0][0] || args[1] != 100 {
			t.Errorf("batch %d: args %v, want the first batch's now and the limit 100", i, args)
		}
	}
}
