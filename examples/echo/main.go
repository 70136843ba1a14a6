// Command echo shows typed sessions on an echo server, with the adapter
// github.com/b4f9cdbb/session/echosession: its Middleware on the server,
// echosession.Get in the handlers, which never commit.
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
	"github.com/b4f9cdbb/session/echosession"
	"github.com/labstack/echo/v4"
)

// Data is what each visitor's session holds.
type Data struct {
	Count int    `json:"count"`
	User  string `json:"user,omitempty"`
}

// app holds the handlers' one dependency, the session storage.
type app struct{ sessions *session.Storage[Data] }

// newServer builds the echo server with the session middleware in front of
// every route.
func newServer(sessions *session.Storage[Data]) *echo.Echo {
	a := app{sessions}
	e := echo.New()
	e.HideBanner = true
	e.Use(echosession.Middleware(sessions))
	e.GET("/", a.home)
	e.GET("/login", a.loginForm)
	e.POST("/login", a.login)
	e.POST("/logout", a.logout)
	return e
}

func (a app) home(c echo.Context) error {
	s, err := echosession.Get(c, a.sessions)
	if err != nil {
		return err // the store failed: echo answers 500
	}
	s.Update(func(d *Data) { d.Count++ })
	d := s.Get()
	page := fmt.Sprintf("<p>You visited this page %d times.</p>", d.Count)
	if d.User == "" {
		page += `<p><a href="/login">Sign in</a></p>`
	} else {
		page += fmt.Sprintf(`<p>Signed in as %s.</p><form method="post" action="/logout"><button>Sign out</button></form>`, html.EscapeString(d.User))
	}
	return c.HTML(http.StatusOK, page)
}

func (a app) loginForm(c echo.Context) error {
	s, err := echosession.Get(c, a.sessions)
	if err != nil {
		return err // the store failed: echo answers 500
	}
	page := `<form method="post" action="/login"><input name="email" type="email"><input name="password" type="password"><button>Sign in</button></form>`
	if msg, ok := session.TakeFlash[string](s, "error"); ok {
		page = fmt.Sprintf(`<p class="error">%s</p>`, html.EscapeString(msg)) + page
	}
	return c.HTML(http.StatusOK, page)
}

func (a app) login(c echo.Context) error {
	s, err := echosession.Get(c, a.sessions)
	if err != nil {
		return err // the store failed: echo answers 500
	}
	email := c.FormValue("email")
	if email != "demo@example.com" || c.FormValue("password") != "password" {
		session.SetFlash(s, "error", "Invalid email/password")
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	// A new ID at every login, so that a planted or seen one is useless.
	if err := a.sessions.Regenerate(c.Request().Context(), s); err != nil {
		return err
	}
	s.Update(func(d *Data) { d.User = email })
	return c.Redirect(http.StatusSeeOther, "/")
}

func (a app) logout(c echo.Context) error {
	s, err := echosession.Get(c, a.sessions)
	if err != nil {
		return err // the store failed: echo answers 500
	}
	if err := a.sessions.Destroy(c.Request().Context(), c.Response(), s); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login")
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
	e := newServer(sessions)
	e.Server.ReadHeaderTimeout = 5 * time.Second
	log.Fatal(e.Start(*addr))
}
