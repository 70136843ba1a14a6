// Command fiber shows typed sessions in a fiber (v3) application.
//
//	SESSION_SECRETS=$(openssl rand -base64 32) go run . -insecure
//
// The storage's session middleware is net/http middleware, and fiber runs
// on fasthttp, so the pages that use the session are net/http handlers
// behind sessions.Middleware(), each mounted with fiber's net/http
// adaptor (adaptor.HTTPHandler), beside fiber's own handlers for the rest
// (here /healthz). The middleware works there as on net/http: the session
// is loaded on the first FromContext and committed before the headers go
// out, a 5xx saves nothing, a failed commit answers 500.
//
// app.Use(adaptor.HTTPMiddleware(sessions.Middleware())) does not work:
// fiber runs the next handlers after the net/http middleware has
// returned, so the session is gone (and committed) before they run, and
// fiber handlers cannot reach it.
package main

import (
	"flag"
	"fmt"
	"html"
	"log"
	"net/http"
	"os"
	"strings"

	"github.com/b4f9cdbb/session"
	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/adaptor"
)

// Data is what each visitor's session holds.
type Data struct {
	Count int    `json:"count"`
	User  string `json:"user,omitempty"`
}

// newApp builds the fiber app: the session pages through the adaptor,
// the health check as a plain fiber handler.
func newApp(sessions *session.Storage[Data]) *fiber.App {
	mw := sessions.Middleware()
	page := func(h func(http.ResponseWriter, *http.Request, *session.Session[Data])) fiber.Handler {
		return adaptor.HTTPHandler(mw(withSession(sessions, h)))
	}
	f := fiber.New()
	f.Get("/healthz", func(c fiber.Ctx) error { return c.SendString("ok") })
	f.Get("/", page(home))
	f.Get("/login", page(loginForm))
	f.Post("/login", page(func(w http.ResponseWriter, r *http.Request, s *session.Session[Data]) {
		login(w, r, sessions, s)
	}))
	f.Post("/logout", page(func(w http.ResponseWriter, r *http.Request, s *session.Session[Data]) {
		if err := sessions.Destroy(r.Context(), w, s); err != nil {
			http.Error(w, "session unavailable", http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	}))
	return f
}

// withSession hands h the request's session, or answers 500 when the
// storage failed to load it.
func withSession(sessions *session.Storage[Data], h func(http.ResponseWriter, *http.Request, *session.Session[Data])) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := sessions.FromContext(r.Context())
		if err != nil {
			http.Error(w, "session unavailable", http.StatusInternalServerError)
			return
		}
		h(w, r, s)
	}
}

func home(w http.ResponseWriter, _ *http.Request, s *session.Session[Data]) {
	s.Update(func(d *Data) { d.Count++ })
	d := s.Get()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<p>You visited this page %d times.</p>", d.Count)
	if d.User == "" {
		fmt.Fprint(w, `<p><a href="/login">Sign in</a></p>`)
		return
	}
	fmt.Fprintf(w, `<p>Signed in as %s.</p><form method="post" action="/logout"><button>Sign out</button></form>`, html.EscapeString(d.User))
}

func loginForm(w http.ResponseWriter, _ *http.Request, s *session.Session[Data]) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if msg, ok := session.TakeFlash[string](s, "error"); ok {
		fmt.Fprintf(w, `<p class="error">%s</p>`, html.EscapeString(msg))
	}
	fmt.Fprint(w, `<form method="post" action="/login"><input name="email" type="email"><input name="password" type="password"><button>Sign in</button></form>`)
}

func login(w http.ResponseWriter, r *http.Request, sessions *session.Storage[Data], s *session.Session[Data]) {
	email := r.PostFormValue("email")
	if email != "demo@example.com" || r.PostFormValue("password") != "password" {
		session.SetFlash(s, "error", "Invalid email/password")
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	// A new ID at every login, so that a planted or seen one is useless.
	if err := sessions.Regenerate(r.Context(), s); err != nil {
		http.Error(w, "session unavailable", http.StatusInternalServerError)
		return
	}
	s.Update(func(d *Data) { d.User = email })
	http.Redirect(w, r, "/", http.StatusSeeOther)
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
	log.Fatal(newApp(sessions).Listen(*addr))
}
