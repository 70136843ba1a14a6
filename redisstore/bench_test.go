package redisstore

import (
	"testing"

	"github.com/b4f9cdbb/session/storetest"
)

// BenchmarkStore: the keys it writes are under the test prefix, which the
// clean-up removes.
func BenchmarkStore(b *testing.B) {
	s, _ := newTestStore(b)
	storetest.Bench(b, s)
}
