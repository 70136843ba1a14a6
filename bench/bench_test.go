package bench

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The benchmarks mirror the core's (../bench_test.go): one op is one
// request through an http.Handler (two for Flash), with a fresh
// httptest.ResponseRecorder, for every implementation in Adapters(). The
// request carrying the session is built once, by the implementation's own
// New handler.
//
// Run: go test -run '^$' -bench . -benchmem -count 10 (or bench/run.sh).

var (
	bodyOne   = []byte("1")
	bodySaved = []byte(FlashValue)
)

// runBench runs fn as a sub-benchmark per implementation, and reports the
// Redis round trips per op of this module's Redis storage.
func runBench(b *testing.B, fn func(b *testing.B, h Handlers)) {
	for _, a := range Adapters() {
		b.Run(a.Name, func(b *testing.B) {
			rt := &roundTrips{}
			h := open(b, a, rt)
			b.ReportAllocs()
			start := rt.n.Load()
			fn(b, h)
			if n := rt.n.Load() - start; n > 0 {
				b.ReportMetric(float64(n)/float64(b.N), "redis-rt/op")
			}
		})
	}
}

// timeOne times one handler on the same request, failing on a wrong
// answer.
func timeOne(b *testing.B, h http.Handler, r *http.Request, ok func(w *httptest.ResponseRecorder) bool) {
	for b.Loop() {
		if w := Do(h, r); !ok(w) {
			b.Fatalf("answered %d %q", w.Code, w.Body.String())
		}
	}
}

func is200(w *httptest.ResponseRecorder) bool { return w.Code == http.StatusOK }

// BenchmarkRead: load an existing session and read its two fields.
func BenchmarkRead(b *testing.B) {
	runBench(b, func(b *testing.B, h Handlers) {
		r, _ := Seed(h)
		timeOne(b, h.Read, r, is200)
	})
}

// BenchmarkReadModifyWrite: load, increment the counter, save. (Cookie
// storages are sent the same cookie each time; server-side ones count up.)
func BenchmarkReadModifyWrite(b *testing.B) {
	runBench(b, func(b *testing.B, h Handlers) {
		r, _ := Seed(h)
		timeOne(b, h.ReadModifyWrite, r, func(w *httptest.ResponseRecorder) bool {
			// A lost session would start again from 0 and answer "1".
			return w.Code == http.StatusOK && !bytes.Equal(w.Body.Bytes(), bodyOne)
		})
	})
}

// BenchmarkNew: no cookie; create a session with the user, save.
func BenchmarkNew(b *testing.B) {
	runBench(b, func(b *testing.B, h Handlers) {
		timeOne(b, h.New, Bare(), is200)
	})
}

// BenchmarkFlash: one op is a pair of requests; the first sets a flash
// message, the second (carrying whatever cookie the first set) reads it
// and saves its removal.
func BenchmarkFlash(b *testing.B) {
	runBench(b, func(b *testing.B, h Handlers) {
		r, _ := Seed(h)
		for b.Loop() {
			w := Do(h.FlashSet, r)
			if w.Code != http.StatusOK {
				b.Fatalf("FlashSet answered %d", w.Code)
			}
			if w := Do(h.FlashGet, Next(r, w)); w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), bodySaved) {
				b.Fatalf("FlashGet answered %d %q", w.Code, w.Body.String())
			}
		}
	})
}
