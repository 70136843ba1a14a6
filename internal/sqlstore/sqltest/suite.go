package sqltest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/internal/sqlstore"
	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
)

// Run runs, as subtests of t, the conformance suite and every test the SQL
// stores share, each on a fresh table of the database newHarness returns
// for it.
func Run[S Store, O any](t *testing.T, newHarness func(t testing.TB) Harness[S, O]) {
	t.Run("Conformance", func(t *testing.T) {
		h := newHarness(t)
		s := h.Store(t)
		storetest.Run(t, s, storetest.WithCorrupt(func(ctx context.Context, key store.Key) error {
			return h.damage(ctx, s, key, CommonDamages[0])
		}))
	})
	t.Run("DeleteAll", func(t *testing.T) {
		// A private table without a janitor, and batches smaller than
		// what each call deletes, so that every loop runs more than once.
		h := newHarness(t)
		storetest.RunDeleteAll(t, h.Store(t, h.Opt(sqlstore.WithJanitorInterval(0)), h.Opt(sqlstore.WithBatchSize(2))))
	})
	t.Run("CorruptRows", func(t *testing.T) { testCorruptRows(t, newHarness(t)) })
	t.Run("MigrateIsIdempotent", func(t *testing.T) { testMigrateIsIdempotent(t, newHarness(t)) })
	t.Run("ClockDecidesExpiry", func(t *testing.T) { testClockDecidesExpiry(t, newHarness(t)) })
	t.Run("VersionConflict", func(t *testing.T) { testVersionConflict(t, newHarness(t)) })
	t.Run("DeleteExpiredInBatches", func(t *testing.T) { testDeleteExpiredInBatches(t, newHarness(t)) })
	t.Run("JanitorRemovesExpiredAndStops", func(t *testing.T) { testJanitor(t, newHarness(t)) })
	t.Run("TimesBefore1970AreRefused", func(t *testing.T) { testTimesBefore1970(t, newHarness(t)) })
}

// OptionsAreValidated checks that New refuses every invalid option and
// takes the zero Option as no option. h.New must build a store on a handle
// that is never used: New must fail, or succeed, before touching it.
func (h Harness[S, O]) OptionsAreValidated(t *testing.T) {
	t.Helper()
	bad := map[string]sqlstore.Option{
		"empty table":       sqlstore.WithTable(""),
		"injection":         sqlstore.WithTable(`sessions"; DROP TABLE users; --`),
		"dotted":            sqlstore.WithTable("main.sessions"),
		"leading digit":     sqlstore.WithTable("1sessions"),
		"too long":          sqlstore.WithTable(strings.Repeat("a", 49)),
		"negative interval": sqlstore.WithJanitorInterval(-time.Second),
		"zero batch":        sqlstore.WithBatchSize(0),
		"nil clock":         sqlstore.WithClock(nil),
		"nil logger":        sqlstore.WithLogger(nil),
	}
	for name, o := range bad {
		if s, err := h.New(h.Opt(o)); err == nil {
			_ = s.Close()
			t.Errorf("%s: New succeeded, want an error", name)
		}
	}
	var zero O
	s, err := h.New(zero, h.Opt(sqlstore.WithJanitorInterval(0)))
	if err != nil {
		t.Fatalf("New with the zero Option: %v", err)
	}
	if want := h.Dialect.Quote(sqlstore.DefaultTable); s.Table() != want {
		t.Errorf("New with the zero Option: table %s, want the default %s", s.Table(), want)
	}
	_ = s.Close()
}

// SameDefaults checks that the defaults a store package documents are the
// ones its stores get.
func SameDefaults(t *testing.T, table string, interval time.Duration, batch int) {
	t.Helper()
	if table != sqlstore.DefaultTable || interval != sqlstore.DefaultJanitorInterval || batch != sqlstore.DefaultBatchSize {
		t.Errorf("documented defaults %q, %v, %d; the stores get %q, %v, %d", table, interval, batch,
			sqlstore.DefaultTable, sqlstore.DefaultJanitorInterval, sqlstore.DefaultBatchSize)
	}
}

func testMigrateIsIdempotent[S Store, O any](t *testing.T, h Harness[S, O]) {
	s := h.Store(t)
	for i := 0; i < 2; i++ {
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatalf("Migrate again (%d): %v", i, err)
		}
	}
}

func testClockDecidesExpiry[S Store, O any](t *testing.T, h Harness[S, O]) {
	clk := storetest.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	s := h.Store(t, h.Opt(sqlstore.WithClock(clk.Now)), h.Opt(sqlstore.WithJanitorInterval(0)))
	ctx := context.Background()
	key := storetest.RandomKey()
	rec := store.Record{Data: []byte("x"), Created: clk.Now(), Updated: clk.Now(), Expires: clk.Now().Add(time.Minute), UserID: "u"}
	if err := s.Create(ctx, key, rec); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute - time.Millisecond)
	if _, err := s.Read(ctx, key); err != nil {
		t.Fatalf("Read 1 ms before Expires: %v", err)
	}
	clk.Advance(time.Millisecond) // now == Expires: expired
	if _, err := s.Read(ctx, key); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Read at Expires: err = %v, want ErrNotFound", err)
	}
	if err := s.Update(ctx, key, rec); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Update at Expires: err = %v, want ErrNotFound", err)
	}
	rec.Version = 1
	if err := s.CompareAndUpdate(ctx, key, rec); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("CompareAndUpdate at Expires: err = %v, want ErrNotFound", err)
	}
	if list, err := s.ListUser(ctx, "u"); err != nil || len(list) != 0 {
		t.Fatalf("ListUser at Expires = %v, %v; want none", list, err)
	}
}

func testVersionConflict[S Store, O any](t *testing.T, h Harness[S, O]) {
	s := h.Store(t)
	ctx := context.Background()
	key := storetest.RandomKey()
	if err := s.Create(ctx, key, store.Record{Data: []byte("v1"), Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Read(ctx, key)
	if err != nil || got.Version != 1 {
		t.Fatalf("Read after Create: version %d, err %v; want 1", got.Version, err)
	}
	if err := s.CompareAndUpdate(ctx, key, got); err != nil {
		t.Fatalf("first CompareAndUpdate: %v", err)
	}
	if err := s.CompareAndUpdate(ctx, key, got); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second CompareAndUpdate of version 1: err = %v, want ErrConflict", err)
	}
	got.Version = 1 << 63 // beyond a signed 64-bit integer: can never match
	if err := s.CompareAndUpdate(ctx, key, got); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("CompareAndUpdate of version 2^63: err = %v, want ErrConflict", err)
	}
}

func testDeleteExpiredInBatches[S Store, O any](t *testing.T, h Harness[S, O]) {
	clk := storetest.NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	s := h.Store(t, h.Opt(sqlstore.WithClock(clk.Now)), h.Opt(sqlstore.WithJanitorInterval(0)), h.Opt(sqlstore.WithBatchSize(3)))
	ctx := context.Background()
	live := storetest.RandomKey()
	for i := 0; i < 10; i++ {
		rec := store.Record{Data: []byte("old"), Expires: clk.Now().Add(time.Duration(i) * time.Second)}
		if err := s.Create(ctx, storetest.RandomKey(), rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Create(ctx, live, store.Record{Data: []byte("new"), Expires: clk.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10 * time.Second)
	n, err := s.DeleteExpired(ctx)
	if err != nil || n != 10 {
		t.Fatalf("DeleteExpired = %d, %v; want 10, nil", n, err)
	}
	if _, err := s.Read(ctx, live); err != nil {
		t.Fatalf("live record after DeleteExpired: %v", err)
	}
}

func testJanitor[S Store, O any](t *testing.T, h Harness[S, O]) {
	verify := func() {}
	if h.Leaks != nil {
		verify = h.Leaks(t)
	}
	clk := storetest.NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	s := h.Store(t, h.Opt(sqlstore.WithClock(clk.Now)), h.Opt(sqlstore.WithJanitorInterval(10*time.Millisecond)), h.Opt(sqlstore.WithBatchSize(2)))
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if err := s.Create(ctx, storetest.RandomKey(), store.Record{Expires: clk.Now().Add(time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(time.Hour)
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := h.QueryInt(ctx, "SELECT count(*) FROM "+s.Table())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d expired rows still there after 5 s of a 10 ms janitor", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i := 0; i < 2; i++ { // Close is idempotent
		if err := s.Close(); err != nil {
			t.Fatalf("Close %d: %v", i, err)
		}
	}
	verify()
}

func testTimesBefore1970[S Store, O any](t *testing.T, h Harness[S, O]) {
	s := h.Store(t, h.Opt(sqlstore.WithJanitorInterval(0)))
	rec := store.Record{Created: time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), Expires: time.Now().Add(time.Hour)}
	if err := s.Create(context.Background(), storetest.RandomKey(), rec); err == nil {
		t.Fatal("Create with Created in 1969 succeeded, want an error")
	}
}
