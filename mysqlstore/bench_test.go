package mysqlstore

import (
	"testing"

	"github.com/b4f9cdbb/session/internal/sqlstore/sqltest"
	"github.com/b4f9cdbb/session/storetest"
)

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, testStore(b, testDB(b), WithJanitorInterval(0)))
}

// BenchmarkFootprint measures bytes per session row and how fast expired
// rows are reclaimed (see sqltest.Footprint and the README).
func BenchmarkFootprint(b *testing.B) { sqltest.Footprint(b, harness(testDB(b))) }
