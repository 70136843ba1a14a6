package memstore_test

import (
	"testing"

	"github.com/b4f9cdbb/session/memstore"
	"github.com/b4f9cdbb/session/storetest"
)

func TestConformance(t *testing.T) {
	s := memstore.New()
	defer s.Close()
	storetest.Run(t, s)
}

// TestDeleteAll runs the suite's DeleteAll check on a store of its own:
// DeleteAll would wipe the records of tests sharing a store.
func TestDeleteAll(t *testing.T) {
	s := memstore.New()
	defer s.Close()
	storetest.RunDeleteAll(t, s)
}
