package main

import (
	"testing"

	"github.com/b4f9cdbb/session/examples/exampletest"
	"github.com/gin-gonic/gin"
)

func init() { gin.SetMode(gin.TestMode) }

func TestRoundTrip(t *testing.T) {
	exampletest.RoundTrip(t, newEngine(exampletest.NewStorage[Data](t)))
}
