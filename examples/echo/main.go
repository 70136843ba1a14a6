// Command echo shows the session middleware on an echo router.
//
//	SESSION_SECRETS=$(openssl rand -base64 32) go run . -insecure
//
// The storage's Middleware is net/http middleware; sessions below adapts it
// to echo. It is not echo.WrapMiddleware because that one runs echo's error
// handler after the wrapped middleware has returned: the session would be
// committed as if the response were a 200 before the handler's error turned
// it into a 5xx. sessions lets echo write the error response inside the
// middleware instead, so a failed request commits nothing. (Wrapping the
// whole server, store.Middleware()(e), is correct too.)
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
	"github.com/labstack/echo/v4"
)

// Data is what each visitor's session holds.
type Data struct {
	Count int    `json:"count"`
	User  string `json:"user,omitempty"`
}

// sessions adapts store's net/http middleware to echo, for e.Use or a
// group's Use. Handlers get the session with store.FromContext on
// c.Request().Context().
func sessions(store *session.Storage[Data]) echo.MiddlewareFunc {
	mw := store.Middleware()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c.SetRequest(r)
				c.Response().Writer = w // keep echo's Response, so outer middleware sees the status
				if err := next(c); err != nil {
					c.Error(err) // the error response goes out through the middleware
				}
			})).ServeHTTP(c.Response().Writer, c.Request())
			return nil
		}
	}
}

// app holds the handlers' one dependency, the session storage.
type app struct{ store *session.Storage[Data] }

// session is the typed accessor the handlers use; an error (the store
// failed) becomes echo's 500.
func (a app) session(c echo.Context) (*session.Session[Data], error) {
	return a.store.FromContext(c.Request().Context())
}

// newServer builds the echo server with the session middleware in front of
// every route.
func newServer(store *session.Storage[Data]) *echo.Echo {
	a := app{store}
	e := echo.New()
	e.HideBanner = true
	e.Use(sessions(store))
	e.GET("/", a.home)
	e.GET("/login", a.loginForm)
	e.POST("/login", a.login)
	e.POST("/logout", a.logout)
	return e
}

func (a app) home(c echo.Context) error {
	s, err := a.session(c)
	if err != nil {
		return err
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
	s, err := a.session(c)
	if err != nil {
		return err
	}
	page := `<form method="post" action="/login"><input name="email" type="email"><input name="password" type="password"><button>Sign in</button></form>`
	if msg, ok := session.TakeFlash[string](s, "error"); ok {
		page = fmt.Sprintf(`<p class="error">%s</p>`, html.EscapeString(msg)) + page
	}
	return c.HTML(http.StatusOK, page)
}

func (a app) login(c echo.Context) error {
	s, err := a.session(c)
	if err != nil {
		return err
	}
	email := c.FormValue("email")
	if email != "demo@example.com" || c.FormValue("password") != "password" {
		session.SetFlash(s, "error", "Invalid email/password")
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	// A new ID at every login, so that a planted or seen one is useless.
	if err := a.store.Regenerate(c.Request().Context(), s); err != nil {
		return err
	}
	s.Update(func(d *Data) { d.User = email })
	return c.Redirect(http.StatusSeeOther, "/")
}

func (a app) logout(c echo.Context) error {
	s, err := a.session(c)
	if err != nil {
		return err
	}
	if err := a.store.Destroy(c.Request().Context(), c.Response(), s); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login")
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
	e := newServer(store)
	e.Server.ReadHeaderTimeout = 5 * time.Second
	log.Fatal(e.Start(*addr))
}
