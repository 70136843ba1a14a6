// Command gin shows typed sessions on a gin engine, with the adapter
// github.com/b4f9cdbb/session/ginsession: its Middleware on the engine,
// ginsession.Get in the handlers, which never commit.
//
//	SESSION_SECRETS=$(openssl rand -base64 32) go run . -insecure
package main

import (
	"flag"
	"fmt"
	"html"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/ginsession"
	"github.com/gin-gonic/gin"
)

// Data is what each visitor's session holds.
type Data struct {
	Count int    `json:"count"`
	User  string `json:"user,omitempty"`
}

// app holds the handlers' one dependency, the session storage.
type app struct{ sessions *session.Storage[Data] }

// session is the typed accessor the handlers use. On error (the store
// failed) it aborts the request with a 500 and returns nil.
func (a app) session(c *gin.Context) *session.Session[Data] {
	s, err := ginsession.Get(c, a.sessions)
	if err != nil {
		_ = c.AbortWithError(http.StatusInternalServerError, err)
		return nil
	}
	return s
}

// newEngine builds the gin engine with the session middleware in front of
// every route.
func newEngine(sessions *session.Storage[Data]) *gin.Engine {
	a := app{sessions}
	r := gin.New()
	r.Use(gin.Recovery(), ginsession.Middleware(sessions))
	r.GET("/", a.home)
	r.GET("/login", a.loginForm)
	r.POST("/login", a.login)
	r.POST("/logout", a.logout)
	return r
}

func (a app) home(c *gin.Context) {
	s := a.session(c)
	if s == nil {
		return
	}
	s.Update(func(d *Data) { d.Count++ })
	d := s.Get()
	page := fmt.Sprintf("<p>You visited this page %d times.</p>", d.Count)
	if d.User == "" {
		page += `<p><a href="/login">Sign in</a></p>`
	} else {
		page += fmt.Sprintf(`<p>Signed in as %s.</p><form method="post" action="/logout"><button>Sign out</button></form>`, html.EscapeString(d.User))
	}
	c.Data(http.StatusOK, "text/html; charset=utf-8", []byte(page))
}

func (a app) loginForm(c *gin.Context) {
	s := a.session(c)
	if s == nil {
		return
	}
	page := `<form method="post" action="/login"><input name="email" type="email"><input name="password" type="password"><button>Sign in</button></form>`
	if msg, ok := session.TakeFlash[string](s, "error"); ok {
		page = fmt.Sprintf(`<p class="error">%s</p>`, html.EscapeString(msg)) + page
	}
	c.Data(http.StatusOK, "text/html; charset=utf-8", []byte(page))
}

func (a app) login(c *gin.Context) {
	s := a.session(c)
	if s == nil {
		return
	}
	email := c.PostForm("email")
	if email != "demo@example.com" || c.PostForm("password") != "password" {
		session.SetFlash(s, "error", "Invalid email/password")
		c.Redirect(http.StatusSeeOther, "/login")
		return
	}
	// A new ID at every login, so that a planted or seen one is useless.
	if err := a.sessions.Regenerate(c.Request.Context(), s); err != nil {
		_ = c.AbortWithError(http.StatusInternalServerError, err)
		return
	}
	s.Update(func(d *Data) { d.User = email })
	c.Redirect(http.StatusSeeOther, "/")
}

func (a app) logout(c *gin.Context) {
	s := a.session(c)
	if s == nil {
		return
	}
	if err := a.sessions.Destroy(c.Request.Context(), c.Writer, s); err != nil {
		_ = c.AbortWithError(http.StatusInternalServerError, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/login")
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	insecure := flag.Bool("insecure", false, "allow the cookie over plain HTTP (local use only)")
	flag.Parse()
	sessions, err := session.NewCookieStorage(session.Config[Data]{
		Cookie: session.CookieOptions{Secrets: strings.Split(os.Getenv("SESSION_SECRETS"), ","), Insecure: *insecure},
	})
	if err != nil {
		log.Fatal(err) // SESSION_SECRETS unset or weak: the message says how to make one
	}
	srv := &http.Server{Addr: *addr, Handler: newEngine(sessions), ReadHeaderTimeout: 5 * time.Second}
	log.Printf("listening on http://%s/", *addr)
	log.Fatal(srv.ListenAndServe())
}
