package memstore

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
)

// TestBytesPerSession measures the heap a stored session takes, the figure
// DefaultMaxEntries is chosen from: 100 000 records with 200 bytes of data,
// anonymous and signed-in. Run it with -v to see the numbers.
func TestBytesPerSession(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates about 100 MB")
	}
	for _, signedIn := range []bool{false, true} {
		perRecord := heapPerRecord(t, 100_000, 200, signedIn)
		t.Logf("signed in %v: %.0f bytes of heap per record with 200 bytes of data", signedIn, perRecord)
		if perRecord > maxBytesPer200ByteRecord {
			t.Errorf("signed in %v: %.0f bytes per record, over the %d that DefaultMaxEntries' documentation assumes",
				signedIn, perRecord, maxBytesPer200ByteRecord)
		}
	}
}

// maxBytesPer200ByteRecord is the heap a record with 200 bytes of data may
// take; DefaultMaxEntries's documentation is written from it.
const maxBytesPer200ByteRecord = 600

// heapPerRecord fills a new store with n records of size bytes of data and
// returns the growth of the live heap divided by n.
func heapPerRecord(t *testing.T, n, size int, signedIn bool) float64 {
	t.Helper()
	now := time.Now()
	r := store.Record{Data: make([]byte, size), Created: now, Updated: now, Expires: now.Add(time.Hour)}
	before := liveHeap()
	s := New(WithSweepInterval(0), WithMaxEntries(2*n)) // room to spare: shards fill unevenly
	ctx := context.Background()
	for i := range n {
		if signedIn {
			r.UserID = fmt.Sprintf("user-%08d", i/2) // two sessions per user
		}
		if err := s.Create(ctx, storetest.RandomKey(), r); err != nil {
			t.Fatal(err)
		}
	}
	after := liveHeap()
	if s.Len() != n {
		t.Fatalf("the store holds %d records, want %d", s.Len(), n)
	}
	runtime.KeepAlive(s)
	return float64(after-before) / float64(n)
}

// liveHeap returns the bytes of live heap objects after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
