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
