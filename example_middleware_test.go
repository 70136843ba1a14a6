package session_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/b4f9cdbb/session"
)

// Handlers under the middleware get the session from the request's context
// and never commit it themselves: the middleware does, just before the
// response's headers go out.
func ExampleStorage_Middleware() {
	type Visits struct{ Count int }
	sessions, err := session.NewCookieStorage(session.Config[Visits]{
		// In a real program the secret comes from the environment.
		Cookie: session.CookieOptions{Secrets: []string{"Jf7kQ2vNw9XcL4tRb8YpZ3mHs6Ud1GaE"}},
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		s, err := sessions.FromContext(r.Context())
		if err != nil {
			http.Error(w, "session unavailable", http.StatusInternalServerError)
			return
		}
		s.Update(func(v *Visits) { v.Count++ })
		fmt.Fprintf(w, "You visited this page %d times\n", s.Get().Count)
	})
	handler := sessions.Middleware()(mux)

	// Three visits by one browser, which sends back the cookie it got.
	cookie := ""
	for range 3 {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		fmt.Print(rec.Body.String())
		cookie, _, _ = strings.Cut(rec.Result().Header.Get("Set-Cookie"), ";")
	}
	// Output:
	// You visited this page 1 times
	// You visited this page 2 times
	// You visited this page 3 times
}
