package redisstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
)

// benchRecord is a typical signed-in session: a few hundred bytes of data.
func benchRecord() store.Record {
	r := record("bench-user", `{"count":42,"user":{"email":"demo@example.com"},"pad":"`+strings.Repeat("p", 200)+`"}`, time.Hour)
	return r
}

func BenchmarkRead(b *testing.B) {
	ctx := context.Background()
	s, _ := newTestStore(b)
	key := storetest.RandomKey()
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
	ctx := context.Background()
	s, _ := newTestStore(b)
	key := storetest.RandomKey()
	rec := benchRecord()
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
	ctx := context.Background()
	s, _ := newTestStore(b)
	rec := benchRecord()
	// Keys are drawn before the timer runs: crypto/rand is not what is
	// measured. The records live a minute, and the clean-up removes them.
	rec.Expires = time.Now().Add(time.Minute)
	keys := make([]store.Key, 0, 1024)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == len(keys) {
			b.StopTimer()
			keys = keys[:0]
			for range cap(keys) {
				keys = append(keys, storetest.RandomKey())
			}
			i = 0
			b.StartTimer()
		}
		if err := s.Create(ctx, keys[i], rec); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
