package sqlitestore

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
)

// benchRecord is a session of typical size: a few hundred bytes of encoded
// data and a user.
func benchRecord() store.Record {
	n := time.Now()
	return store.Record{Data: make([]byte, 512), Created: n, Updated: n, Expires: n.Add(time.Hour), UserID: "bench-user"}
}

func BenchmarkRead(b *testing.B) {
	s, _ := testStore(b, WithJanitorInterval(0))
	ctx, key := context.Background(), storetest.RandomKey()
	if err := s.Create(ctx, key, benchRecord()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Read(ctx, key); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUpdate(b *testing.B) {
	s, _ := testStore(b, WithJanitorInterval(0))
	ctx, key, rec := context.Background(), storetest.RandomKey(), benchRecord()
	if err := s.Create(ctx, key, rec); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Update(ctx, key, rec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCreate(b *testing.B) {
	s, _ := testStore(b, WithJanitorInterval(0))
	ctx, key, rec := context.Background(), storetest.RandomKey(), benchRecord()
	var i uint64
	b.ReportAllocs()
	for b.Loop() {
		i++
		binary.BigEndian.PutUint64(key[:8], i) // a fresh key per insert
		if err := s.Create(ctx, key, rec); err != nil {
			b.Fatal(err)
		}
	}
}
