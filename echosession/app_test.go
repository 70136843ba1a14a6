package echosession_test

import (
	"fmt"
	"html"
	"net/http"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/echosession"
	"github.com/labstack/echo/v4"
)

// Data is the tests' session data.
type Data struct {
	Count int    `json:"count"`
	User  string `json:"user,omitempty"`
	Note  string `json:"note,omitempty"`
}

// newServer is the shared scenario's application (examples/exampletest)
// written for echo: a counter, a login with a one-time error and logout.
// opts go to the middleware.
func newServer(sessions *session.Storage[Data], opts ...session.MiddlewareOption) *echo.Echo {
	e := echo.New()
	e.Use(echosession.Middleware(sessions, opts...))
	e.GET("/", func(c echo.Context) error {
		s, err := echosession.Get(c, sessions)
		if err != nil {
			return err
		}
		s.Update(func(d *Data) { d.Count++ })
		page := fmt.Sprintf("You visited this page %d times.", s.Get().Count)
		if u := s.Get().User; u != "" {
			return c.HTML(http.StatusOK, page+" Signed in as "+html.EscapeString(u))
		}
		return c.HTML(http.StatusOK, page+" Sign in")
	})
	e.GET("/login", func(c echo.Context) error {
		s, err := echosession.Get(c, sessions)
		if err != nil {
			return err
		}
		msg, _ := session.TakeFlash[string](s, "error")
		return c.HTML(http.StatusOK, html.EscapeString(msg)+"<form method=post>")
	})
	e.POST("/login", func(c echo.Context) error {
		s, err := echosession.Get(c, sessions)
		if err != nil {
			return err
		}
		if c.FormValue("email") != "demo@example.com" || c.FormValue("password") != "password" {
			session.SetFlash(s, "error", "Invalid email/password")
			return c.Redirect(http.StatusSeeOther, "/login")
		}
		if err := sessions.Regenerate(c.Request().Context(), s); err != nil {
			return err
		}
		s.Update(func(d *Data) { d.User = c.FormValue("email") })
		return c.Redirect(http.StatusSeeOther, "/")
	})
	e.POST("/logout", func(c echo.Context) error {
		s, err := echosession.Get(c, sessions)
		if err != nil {
			return err
		}
		if err := sessions.Destroy(c.Request().Context(), c.Response(), s); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/login")
	})
	return e
}
