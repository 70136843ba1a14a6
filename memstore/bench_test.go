package memstore

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
)

// BenchmarkStore runs the benchmarks every store in this project runs.
func BenchmarkStore(b *testing.B) {
	s := New(WithSweepInterval(0))
	defer s.Close()
	storetest.Bench(b, s)
}

// BenchmarkParallel measures Read and CompareAndUpdate from GOMAXPROCS
// goroutines over many sessions, where one lock for the whole store would
// serialise them. Throughput should grow with cores:
//
//	go test -run '^$' -bench Parallel -cpu 1,2 ./memstore
func BenchmarkParallel(b *testing.B) {
	const keyCount = 1 << 14 // a power of two: i&(keyCount-1) picks a key
	s := New(WithSweepInterval(0))
	defer s.Close()
	ctx := context.Background()
	now := time.Now()
	rec := store.Record{Data: make([]byte, 200), Created: now, Updated: now, Expires: now.Add(time.Hour), UserID: "bench-user"}
	keys := make([]store.Key, keyCount)
	for i := range keys {
		keys[i] = storetest.RandomKey()
		if err := s.Create(ctx, keys[i], rec); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Read", func(b *testing.B) {
		var worker atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := int(worker.Add(1)) * 7919 // workers start far apart
			for pb.Next() {
				i++
				if _, err := s.Read(ctx, keys[i&(keyCount-1)]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("CompareAndUpdate", func(b *testing.B) {
		// Each worker owns a block of keys and remembers their versions,
		// so that its writes never conflict with another worker's.
		const blocks, blockSize = 64, keyCount / 64
		var worker atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			own := keys[(worker.Add(1)-1)%blocks*blockSize:][:blockSize]
			versions := make([]uint64, len(own))
			for j, k := range own {
				r, err := s.Read(ctx, k)
				if err != nil {
					b.Error(err)
					return
				}
				versions[j] = r.Version
			}
			r := rec
			for i := 0; pb.Next(); i++ {
				j := i % blockSize
				r.Version = versions[j]
				r.Expires = now.Add(time.Hour + time.Duration(i%1000)*time.Millisecond) // reorders the heap
				if err := s.CompareAndUpdate(ctx, own[j], r); err != nil {
					b.Error(err)
					return
				}
				versions[j]++
			}
		})
	})
}
