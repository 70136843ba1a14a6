package main

import (
	"testing"

	"github.com/b4f9cdbb/session/examples/exampletest"
)

func TestRoundTrip(t *testing.T) {
	exampletest.RoundTrip(t, newServer(exampletest.NewStorage[Data](t)))
}
