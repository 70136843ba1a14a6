package main

import (
	"net/http"
	"testing"

	"github.com/b4f9cdbb/session/examples/exampletest"
	"github.com/go-chi/chi/v5"
)

func TestRoundTrip(t *testing.T) {
	sessions := exampletest.NewStorage[Data](t)
	exampletest.RoundTrip(t, newRouter(sessions))
}

// TestSubrouter checks that a mounted sub-router sees the session the
// top-level middleware put in the context.
func TestSubrouter(t *testing.T) {
	sessions := exampletest.NewStorage[Data](t)
	r := newRouter(sessions)
	r.Route("/api", func(api chi.Router) {
		api.Get("/count", func(w http.ResponseWriter, r *http.Request) {
			s, err := sessions.FromContext(r.Context())
			if err != nil {
				t.Error(err)
				return
			}
			w.Write([]byte{byte('0' + s.Get().Count)})
		})
	})
	c := exampletest.Serve(t, r)
	c.Do(http.MethodGet, "/", nil)
	c.Do(http.MethodGet, "/", nil)
	if _, body := c.Do(http.MethodGet, "/api/count", nil); body != "2" {
		t.Errorf("the sub-router saw count %q, want 2", body)
	}
}
