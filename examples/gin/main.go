// Command gin shows the session middleware with a gin engine.
//
//	SESSION_SECRETS=$(openssl rand -base64 32) go run . -insecure
//
// gin's own ResponseWriter holds the status back until the first byte of
// the body or the end of the handler chain, and it writes straight to the
// server's writer. So the session middleware does not go into r.Use: it
// wraps the whole engine (a gin.Engine is an http.Handler) and sits below
// gin's writer, where it sees the response at the moment its headers
// really go out, including a c.AbortWithStatus(500). Loading is lazy, so
// routes that never ask for the session pay nothing for it.
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
	"github.com/gin-gonic/gin"
)

// Data is what each visitor's session holds.
type Data struct {
	Count int    `json:"count"`
	User  string `json:"user,omitempty"`
}

// app holds the handlers' one dependency, the session storage.
type app struct{ store *session.Storage[Data] }

// session is the typed accessor the handlers use. On error (the store
// failed) it aborts the request with a 500 and returns nil.
func (a app) session(c *gin.Context) *session.Session[Data] {
	s, err := a.store.FromContext(c.Request.Context())
	if err != nil {
		c.AbortWithStatus(http.StatusInternalServerError)
		return nil
	}
	return s
}

// newEngine builds the gin routes; handler puts the session middleware
// around them.
func newEngine(store *session.Storage[Data]) *gin.Engine {
	a := app{store}
	r := gin.New()
	r.Use(gin.Recovery())
	r.GET("/", a.home)
	r.GET("/login", a.loginForm)
	r.POST("/login", a.login)
	r.POST("/logout", a.logout)
	return r
}

// handler is the engine behind the storage's middleware: what the server
// serves.
func handler(store *session.Storage[Data], r *gin.Engine) http.Handler {
	return store.Middleware()(r)
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
	if err := a.store.Regenerate(c.Request.Context(), s); err != nil {
		c.AbortWithStatus(http.StatusInternalServerError)
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
	if err := a.store.Destroy(c.Request.Context(), c.Writer, s); err != nil {
		c.AbortWithStatus(http.StatusInternalServerError)
		return
	}
	c.Redirect(http.StatusSeeOther, "/login")
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	insecure := flag.Bool("insecure", false, "allow the cookie over plain HTTP (local use only)")
	flag.Parse()
	store, err := session.NewCookieStorage(session.Config[Data]{
		Cookie: session.CookieOptions{Secrets: strings.Split(os.Getenv("SESSION_SECRETS"), ","), Insecure: *insecure},
	})
	if err != nil {
		log.Fatal(err) // SESSION_SECRETS unset or weak: the message says how to make one
	}
	srv := &http.Server{Addr: *addr, Handler: handler(store, newEngine(store)), ReadHeaderTimeout: 5 * time.Second}
	log.Printf("listening on http://%s/", *addr)
	log.Fatal(srv.ListenAndServe())
}
