package filestore_test

import (
	"time"

	"testing"

	"github.com/b4f9cdbb/session/filestore"
	"github.com/b4f9cdbb/session/storetest"
)

func TestConformance(t *testing.T) {
	s, err := filestore.New(t.TempDir(), filestore.WithJanitorInterval(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.Run(t, s)
}
