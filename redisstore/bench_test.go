package redisstore

import (
	"context"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/storetest"
)

// BenchmarkStore: the keys it writes are under the test prefix, which the
// clean-up removes.
func BenchmarkStore(b *testing.B) {
	s, _ := newTestStore(b)
	storetest.Bench(b, s)
}

// BenchmarkRead reads one unchanged session over and over, with and
// without go-redis's client-side cache:
//
//	SESSION_TEST_REDIS_ADDR=127.0.0.1:6379 go test -run '^$' -bench Read ./...
func BenchmarkRead(b *testing.B) {
	raw := testClient(b)
	prefix := testPrefix()
	b.Cleanup(func() { deletePrefix(b, raw, prefix) })
	stores := map[string]*Store{
		"NoCache":         mustNew(b, raw, WithPrefix(prefix)),
		"ClientSideCache": mustNew(b, cachingClient(b, 0), WithPrefix(prefix), WithClientSideCache()),
	}
	key := storetest.RandomKey()
	if err := stores["NoCache"].Create(context.Background(), key, record("bench-user", string(make([]byte, 200)), time.Hour)); err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"NoCache", "ClientSideCache"} {
		s := stores[name]
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Read(ctx, key); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/Parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					if _, err := s.Read(ctx, key); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkCompareAndUpdate writes one session over and over, each write
// based on the version the previous one made, as the session layer's
// commits of a hot session do:
//
//	SESSION_TEST_REDIS_ADDR=127.0.0.1:6379 go test -run '^$' -bench CompareAndUpdate ./...
func BenchmarkCompareAndUpdate(b *testing.B) {
	s, _ := newTestStore(b)
	ctx := context.Background()
	key := storetest.RandomKey()
	rec := record("", string(make([]byte, 200)), time.Hour)
	if err := s.Create(ctx, key, rec); err != nil {
		b.Fatal(err)
	}
	rec.Version = 1
	b.ReportAllocs()
	for b.Loop() {
		if err := s.CompareAndUpdate(ctx, key, rec); err != nil {
			b.Fatal(err)
		}
		rec.Version++
	}
}
