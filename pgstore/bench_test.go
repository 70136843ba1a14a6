package pgstore

import (
	"testing"

	"github.com/b4f9cdbb/session/storetest"
)

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, testStore(b, testPool(b), WithJanitorInterval(0)))
}
