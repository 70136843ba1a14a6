package sqltest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/internal/sqlstore"
	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
)

// earlySweeps is how often Footprint runs DeleteExpired on the empty table:
// more than the five runs of a prepared statement that PostgreSQL plans for
// their arguments before it may switch to a generic plan and keep it.
const earlySweeps = 10

// FootprintData is the size of the record Footprint writes: an anonymous
// session with a little state (a counter, a flash, a CSRF token) encoded.
const FootprintData = 100

// Footprint measures what a flood of new anonymous sessions costs the
// table: b.N rows of FootprintData bytes without a user, written by 8
// goroutines, then expired and reclaimed by one DeleteExpired while other
// goroutines keep reading and creating live sessions. DeleteExpired has
// run on the empty table beforehand, as a janitor has in a process that
// has been up for a while. It reports
//
//   - B/row: the growth of the table and its indexes on disk per row
//     (h.TableBytes after minus before, over b.N);
//   - reclaimed-rows/s: how fast DeleteExpired, in batches of
//     DefaultBatchSize, deletes expired rows;
//   - max-read-ms and max-create-ms: the slowest Read of a live session and
//     the slowest Create while DeleteExpired ran, beside quiet-max-read-ms
//     and quiet-max-create-ms, the same over half a second without it:
//     they show whether the janitor stalls requests.
//
// ns/op is the time to write one row. Run it with a fixed row count:
//
//	go test -run '^$' -bench Footprint -benchtime 20000x
func Footprint[S Store, O any](b *testing.B, h Harness[S, O]) {
	if h.TableBytes == nil {
		b.Skip("the harness cannot measure a table's size")
	}
	clk := storetest.NewClock(time.Now())
	s := h.Store(b, h.Opt(sqlstore.WithClock(clk.Now)), h.Opt(sqlstore.WithJanitorInterval(0)))
	ctx := context.Background()
	before, err := h.TableBytes(ctx, s.Table())
	if err != nil {
		b.Fatal(err)
	}
	rec := func(ttl time.Duration) store.Record {
		n := clk.Now()
		return store.Record{Data: make([]byte, FootprintData), Created: n, Updated: n, Expires: n.Add(ttl)}
	}

	// A long-running process's janitor has swept the table many times
	// while it was small. A server that caches a statement's plan per
	// connection (PostgreSQL after five runs of a prepared statement)
	// keeps the plan it made then, so the flood's rows are deleted with
	// it: sweep the empty table the same way first.
	for range earlySweeps {
		if _, err := s.DeleteExpired(ctx); err != nil {
			b.Fatal(err)
		}
	}

	const workers = 8
	b.ResetTimer()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < b.N; i += workers {
				if err := s.Create(ctx, storetest.RandomKey(), rec(time.Minute)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	after, err := h.TableBytes(ctx, s.Table())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(after-before)/float64(b.N), "B/row")

	// Sessions that stay live while the flood's rows expire.
	live := make([]store.Key, 100)
	for i := range live {
		live[i] = storetest.RandomKey()
		if err := s.Create(ctx, live[i], rec(time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	clk.Advance(2 * time.Minute)
	quiet := func() (int, error) { time.Sleep(500 * time.Millisecond); return 0, nil }
	_, _, baseRead, baseCreate := probe(b, s, live, rec, quiet)
	n, took, maxRead, maxCreate := probe(b, s, live, rec, func() (int, error) { return s.DeleteExpired(ctx) })
	if n != b.N {
		b.Fatalf("DeleteExpired = %d; want %d", n, b.N)
	}
	b.ReportMetric(float64(n)/took.Seconds(), "reclaimed-rows/s")
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(maxRead), "max-read-ms")
	b.ReportMetric(ms(maxCreate), "max-create-ms")
	b.ReportMetric(ms(baseRead), "quiet-max-read-ms")
	b.ReportMetric(ms(baseCreate), "quiet-max-create-ms")
}

// probe runs work while one goroutine reads the live sessions and another
// creates new ones, and reports work's result, how long it took and the
// slowest Read and Create meanwhile.
func probe[S Store](b *testing.B, s S, live []store.Key, rec func(time.Duration) store.Record, work func() (int, error)) (n int, took, maxRead, maxCreate time.Duration) {
	ctx := context.Background()
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, create := range []bool{false, true} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			worst := time.Duration(0)
			defer func() {
				if create {
					maxCreate = worst
				} else {
					maxRead = worst
				}
			}()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				start := time.Now()
				var err error
				if create {
					err = s.Create(ctx, storetest.RandomKey(), rec(time.Hour))
				} else {
					_, err = s.Read(ctx, live[i%len(live)])
				}
				if err != nil {
					b.Error(err)
				}
				worst = max(worst, time.Since(start))
			}
		}()
	}
	start := time.Now()
	n, err := work()
	took = time.Since(start)
	close(done)
	wg.Wait()
	if err != nil {
		b.Fatal(err)
	}
	return n, took, maxRead, maxCreate
}
