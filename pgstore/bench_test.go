package pgstore

import (
	"testing"

	"github.com/b4f9cdbb/session/internal/sqlstore/sqltest"
	"github.com/b4f9cdbb/session/storetest"
)

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, testStore(b, testPool(b), WithJanitorInterval(0)))
}

// BenchmarkFootprint measures bytes per session row and how fast expired
// rows are reclaimed (see sqltest.Footprint and the README).
func BenchmarkFootprint(b *testing.B) { sqltest.Footprint(b, harness(testPool(b))) }
