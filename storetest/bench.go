package storetest

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
)

// Bench measures the calls every request makes of s, as sub-benchmarks:
// Read, Update and Create one call at a time, and ReadParallel and
// UpdateParallel from GOMAXPROCS goroutines over 1024 sessions (where a
// store's locking shows). Every store in this project runs it from its
// BenchmarkStore; call it the same way for a store of your own:
//
//	func BenchmarkStore(b *testing.B) { storetest.Bench(b, newStore(b)) }
//
// The records are typical signed-in sessions (512 bytes of data and a user
// ID) that expire an hour after Bench starts. Bench does not delete them,
// nor close s: the caller owns s and whatever it holds.
func Bench(b *testing.B, s store.Store) {
	b.Helper()
	exp := time.Now().Add(time.Hour)
	rec := benchRecord(exp)
	b.Run("Read", func(b *testing.B) {
		key := mustCreateB(b, s, rec)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Read(context.Background(), key); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Update", func(b *testing.B) {
		key := mustCreateB(b, s, rec)
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Update(context.Background(), key, rec); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Create", func(b *testing.B) {
		// A fresh key per insert without drawing from crypto/rand, which
		// is not what is measured: a counter over a random key.
		key := RandomKey()
		var i uint64
		b.ReportAllocs()
		for b.Loop() {
			i++
			binary.BigEndian.PutUint64(key[:8], i)
			if err := s.Create(context.Background(), key, rec); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ReadParallel", func(b *testing.B) {
		keys := createMany(b, s, rec)
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				if _, err := s.Read(context.Background(), keys[i%len(keys)]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("UpdateParallel", func(b *testing.B) {
		keys := createMany(b, s, rec)
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			r := rec
			for i := 0; pb.Next(); i++ {
				// A different expiry each time, so that a store ordering
				// records by expiry reorders them as in real use.
				r.Expires = exp.Add(time.Duration(i%1000) * time.Millisecond)
				if err := s.Update(context.Background(), keys[i%len(keys)], r); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func benchRecord(exp time.Time) store.Record {
	n := time.Now()
	return store.Record{Data: make([]byte, 512), Created: n, Updated: n, Expires: exp, UserID: "bench-user"}
}

func mustCreateB(b *testing.B, s store.Store, rec store.Record) store.Key {
	b.Helper()
	key := RandomKey()
	if err := s.Create(context.Background(), key, rec); err != nil {
		b.Fatal(err)
	}
	return key
}

func createMany(b *testing.B, s store.Store, rec store.Record) []store.Key {
	b.Helper()
	keys := make([]store.Key, 1024)
	for i := range keys {
		keys[i] = mustCreateB(b, s, rec)
	}
	return keys
}
