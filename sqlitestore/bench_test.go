package sqlitestore

import (
	"testing"

	"github.com/b4f9cdbb/session/internal/sqlstore/sqltest"
	"github.com/b4f9cdbb/session/storetest"
)

func BenchmarkStore(b *testing.B) {
	s, _ := testStore(b, WithJanitorInterval(0))
	storetest.Bench(b, s)
}

// BenchmarkFootprint measures bytes per session row and how fast expired
// rows are reclaimed (see sqltest.Footprint and the README).
func BenchmarkFootprint(b *testing.B) { sqltest.Footprint(b, harness(testDB(b))) }
