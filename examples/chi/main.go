// Command chi shows the session middleware on a chi router. chi takes
// net/http middleware as it is, so the storage's Middleware goes straight
// into r.Use, and handlers are plain http.HandlerFuncs.
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
	"github.com/go-chi/chi/v5"
)

// Data is what each visitor's session holds.
type Data struct {
	Count int    `json:"count"`
	User  string `json:"user,omitempty"`
}

// app holds the handlers' one dependency, the session storage.
type app struct{ sessions *session.Storage[Data] }

// newRouter builds the chi router with the session middleware in front of
// every route; loading is lazy, so routes that ignore the session pay
// nothing for it.
func newRouter(sessions *session.Storage[Data]) *chi.Mux {
	a := app{sessions}
	r := chi.NewRouter()
	r.Use(sessions.Middleware())
	r.Get("/", a.home)
	r.Get("/login", a.loginForm)
	r.Post("/login", a.login)
	r.Post("/logout", a.logout)
	return r
}

// session returns the request's session, or answers 500 and returns nil
// when the storage failed to load it.
func (a app) session(w http.ResponseWriter, r *http.Request) *session.Session[Data] {
	s, err := a.sessions.FromContext(r.Context())
	if err != nil {
		http.Error(w, "session unavailable", http.StatusInternalServerError)
		return nil
	}
	return s
}

func (a app) home(w http.ResponseWriter, r *http.Request) {
	s := a.session(w, r)
	if s == nil {
		return
	}
	s.Update(func(d *Data) { d.Count++ })
	d := s.Get()
	fmt.Fprintf(w, "<p>You visited this page %d times.</p>", d.Count)
	if d.User == "" {
		fmt.Fprint(w, `<p><a href="/login">Sign in</a></p>`)
		return
	}
	fmt.Fprintf(w, `<p>Signed in as %s.</p><form method="post" action="/logout"><button>Sign out</button></form>`, html.EscapeString(d.User))
}

func (a app) loginForm(w http.ResponseWriter, r *http.Request) {
	s := a.session(w, r)
	if s == nil {
		return
	}
	if msg, ok := session.TakeFlash[string](s, "error"); ok {
		fmt.Fprintf(w, `<p class="error">%s</p>`, html.EscapeString(msg))
	}
	fmt.Fprint(w, `<form method="post" action="/login"><input name="email" type="email"><input name="password" type="password"><button>Sign in</button></form>`)
}

func (a app) login(w http.ResponseWriter, r *http.Request) {
	s := a.session(w, r)
	if s == nil {
		return
	}
	email := r.PostFormValue("email")
	if email != "demo@example.com" || r.PostFormValue("password") != "password" {
		session.SetFlash(s, "error", "Invalid email/password")
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	// A new ID at every login, so that a planted or seen one is useless.
	if err := a.sessions.Regenerate(r.Context(), s); err != nil {
		http.Error(w, "session unavailable", http.StatusInternalServerError)
		return
	}
	s.Update(func(d *Data) { d.User = email })
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a app) logout(w http.ResponseWriter, r *http.Request) {
	s := a.session(w, r)
	if s == nil {
		return
	}
	if err := a.sessions.Destroy(r.Context(), w, s); err != nil {
		http.Error(w, "session unavailable", http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
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
	srv := &http.Server{Addr: *addr, Handler: newRouter(sessions), ReadHeaderTimeout: 5 * time.Second}
	log.Printf("listening on http://%s/", *addr)
	log.Fatal(srv.ListenAndServe())
}
