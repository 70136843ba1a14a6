package sqlitestore

import (
	"testing"

	"github.com/b4f9cdbb/session/storetest"
)

func BenchmarkStore(b *testing.B) {
	s, _ := testStore(b, WithJanitorInterval(0))
	storetest.Bench(b, s)
}
