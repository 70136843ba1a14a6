package ginsession_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/ginsession"
	"github.com/gin-gonic/gin"
)

// The middleware goes on the engine (or a group) once; handlers get the
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
	r := gin.New()
	r.Use(ginsession.Middleware(sessions))
	r.GET("/", func(c *gin.Context) {
		s, err := ginsession.Get(c, sessions)
		if err != nil {
			c.AbortWithError(http.StatusInternalServerError, err) // the store failed
			return
		}
		s.Update(func(v *Visits) { v.Count++ })
		c.String(http.StatusOK, "You visited this page %d times\n", s.Get().Count)
	})

	// Three visits by one browser, which sends back the cookie it got.
	cookie := ""
	for range 3 {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		fmt.Print(rec.Body.String())
		cookie, _, _ = strings.Cut(rec.Result().Header.Get("Set-Cookie"), ";")
	}
	// Output:
	// You visited this page 1 times
	// You visited this page 2 times
	// You visited this page 3 times
}
