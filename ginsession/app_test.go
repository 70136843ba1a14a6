package ginsession_test

import (
	"fmt"
	"html"
	"net/http"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/ginsession"
	"github.com/gin-gonic/gin"
)

func init() { gin.SetMode(gin.TestMode) }

// Data is the tests' session data.
type Data struct {
	Count int    `json:"count"`
	User  string `json:"user,omitempty"`
	Note  string `json:"note,omitempty"`
}

// newEngine is the shared scenario's application (examples/exampletest)
// written for gin: a counter, a login with a one-time error and logout.
// opts go to the middleware.
func newEngine(sessions *session.Storage[Data], opts ...session.MiddlewareOption) *gin.Engine {
	r := gin.New()
	r.Use(ginsession.Middleware(sessions, opts...))
	// get is the handlers' accessor: on a store failure it aborts with 500.
	get := func(c *gin.Context) *session.Session[Data] {
		s, err := ginsession.Get(c, sessions)
		if err != nil {
			_ = c.AbortWithError(http.StatusInternalServerError, err)
			return nil
		}
		return s
	}
	r.GET("/", func(c *gin.Context) {
		if s := get(c); s != nil {
			s.Update(func(d *Data) { d.Count++ })
			page := fmt.Sprintf("You visited this page %d times.", s.Get().Count)
			if u := s.Get().User; u != "" {
				page += " Signed in as " + html.EscapeString(u)
			} else {
				page += " Sign in"
			}
			c.Data(http.StatusOK, "text/html; charset=utf-8", []byte(page))
		}
	})
	r.GET("/login", func(c *gin.Context) {
		if s := get(c); s != nil {
			msg, _ := session.TakeFlash[string](s, "error")
			c.Data(http.StatusOK, "text/html; charset=utf-8", []byte(html.EscapeString(msg)+"<form method=post>"))
		}
	})
	r.POST("/login", func(c *gin.Context) {
		s := get(c)
		switch {
		case s == nil:
		case c.PostForm("email") != "demo@example.com" || c.PostForm("password") != "password":
			session.SetFlash(s, "error", "Invalid email/password")
			c.Redirect(http.StatusSeeOther, "/login")
		case sessions.Regenerate(c.Request.Context(), s) != nil:
			c.AbortWithStatus(http.StatusInternalServerError)
		default:
			s.Update(func(d *Data) { d.User = c.PostForm("email") })
			c.Redirect(http.StatusSeeOther, "/")
		}
	})
	r.POST("/logout", func(c *gin.Context) {
		s := get(c)
		switch {
		case s == nil:
		case sessions.Destroy(c.Request.Context(), c.Writer, s) != nil:
			c.AbortWithStatus(http.StatusInternalServerError)
		default:
			c.Redirect(http.StatusSeeOther, "/login")
		}
	})
	return r
}
