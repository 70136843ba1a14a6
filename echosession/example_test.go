package echosession_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/echosession"
	"github.com/labstack/echo/v4"
)

// The middleware goes on the server (or a group) once; handlers get the
// session with Get and never commit it.
func Example() {
	type Visits struct{ Count int }
	sessions, err := session.NewCookieStorage(session.Config[Visits]{
		// In a real program the secret comes from the environment.
		Cookie: session.CookieOptions{Secrets: []string{"Jf7kQ2vNw9XcL4tRb8YpZ3mHs6Ud1GaE"}},
	})
	if err != nil {
		panic(err)
	}
	e := echo.New()
	e.Use(echosession.Middleware(sessions))
	e.GET("/", func(c echo.Context) error {
		s, err := echosession.Get(c, sessions)
		if err != nil {
			return err // the store failed: echo's error handler answers 500
		}
		s.Update(func(v *Visits) { v.Count++ })
		return c.String(http.StatusOK, fmt.Sprintf("You visited this page %d times\n", s.Get().Count))
	})

	// Three visits by one browser, which sends back the cookie it got.
	cookie := ""
	for range 3 {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		fmt.Print(rec.Body.String())
		cookie, _, _ = strings.Cut(rec.Result().Header.Get("Set-Cookie"), ";")
	}
	// Output:
	// You visited this page 1 times
	// You visited this page 2 times
	// You visited this page 3 times
}
