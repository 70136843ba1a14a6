// Command stdlib shows the session middleware with nothing but net/http:
// Go 1.22 method and path patterns on a ServeMux, a visit counter, and a
// login with a one-time error message.
//
//	SESSION_SECRETS=$(openssl rand -base64 32) go run . -insecure
//
// Every handler reaches its session with sessions.FromContext; none commits
// it, the middleware does just before the response's headers go out.
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
)

// Data is what each visitor's session holds.
type Data struct {
	Count int    `json:"count"`
	User  string `json:"user,omitempty"`
}

// newStorage builds the cookie storage. insecure drops the cookie's Secure
// attribute so that it works over plain HTTP, for local use only.
func newStorage(secrets []string, insecure bool) (*session.Storage[Data], error) {
	return session.NewCookieStorage(session.Config[Data]{
		Cookie: session.CookieOptions{Secrets: secrets, Insecure: insecure},
	})
}

// routes registers the pages on a ServeMux and puts the session middleware
// around it: pages that never ask for the session cost nothing.
func routes(sessions *session.Storage[Data]) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		s, err := sessions.FromContext(r.Context())
		if err != nil {
			http.Error(w, "session unavailable", http.StatusInternalServerError)
			return
		}
		s.Update(func(d *Data) { d.Count++ })
		d := s.Get()
		fmt.Fprintf(w, "<p>You visited this page %d times.</p>", d.Count)
		if d.User != "" {
			fmt.Fprintf(w, `<p>Signed in as %s.</p><form method="post" action="/logout"><button>Sign out</button></form>`, html.EscapeString(d.User))
		} else {
			fmt.Fprint(w, `<p><a href="/login">Sign in</a></p>`)
		}
	})
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		s, err := sessions.FromContext(r.Context())
		if err != nil {
			http.Error(w, "session unavailable", http.StatusInternalServerError)
			return
		}
		if msg, ok := session.TakeFlash[string](s, "error"); ok {
			fmt.Fprintf(w, `<p class="error">%s</p>`, html.EscapeString(msg))
		}
		fmt.Fprint(w, loginForm)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s, err := sessions.FromContext(r.Context())
		if err != nil {
			http.Error(w, "session unavailable", http.StatusInternalServerError)
			return
		}
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
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		s, err := sessions.FromContext(r.Context())
		if err == nil {
			err = sessions.Destroy(r.Context(), w, s)
		}
		if err != nil {
			http.Error(w, "session unavailable", http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	})
	return sessions.Middleware()(mux)
}

const loginForm = `<form method="post" action="/login">
<input name="email" type="email" placeholder="demo@example.com">
<input name="password" type="password" placeholder="password">
<button>Sign in</button>
</form>`

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	insecure := flag.Bool("insecure", false, "allow the cookie over plain HTTP (local use only)")
	flag.Parse()
	sessions, err := newStorage(strings.Split(os.Getenv("SESSION_SECRETS"), ","), *insecure)
	if err != nil {
		log.Fatal(err) // SESSION_SECRETS unset or weak: the message says how to make one
	}
	srv := &http.Server{Addr: *addr, Handler: routes(sessions), ReadHeaderTimeout: 5 * time.Second}
	log.Printf("listening on http://%s/", *addr)
	log.Fatal(srv.ListenAndServe())
}
