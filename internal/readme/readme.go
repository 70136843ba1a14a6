//go:build go1.25

// Package readme holds the Go code shown in the repository's README.md,
// so that it is compiled, vetted and run by the tests: every ```go block of
// the README is a region of this file between "// readme:NAME" and
// "// readme:end", and TestREADMEInSync fails when the two differ.
package readme

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/memstore"
	"github.com/b4f9cdbb/session/storetest"
)

// readme:types
type Data struct {
	Count int   `json:"count"`
	User  *User `json:"user,omitempty"`
}

type User struct {
	Email string `json:"email"`
}

// readme:end

// readme:quickstart
func newCookieSessions() (*session.Storage[Data], error) {
	return session.NewCookieStorage(session.Config[Data]{
		// Each secret: 32+ random bytes, e.g. from `openssl rand -base64 32`.
		Cookie: session.CookieOptions{Secrets: strings.Split(os.Getenv("SESSION_SECRETS"), ",")},
	})
}

func counter(sessions *session.Storage[Data]) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := sessions.Get(r) // never nil; err only if the store failed
		if err != nil {
			http.Error(w, "try again later", http.StatusServiceUnavailable)
			return
		}
		s.Update(func(d *Data) { d.Count++ }) // session.set('count', v => v + 1)
		if err := sessions.Commit(r.Context(), w, s); err != nil {
			http.Error(w, "could not save the session", http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "You visited this page %d times", s.Get().Count)
	}
}

// readme:end

// readme:serverside
func newSessions() (*session.Storage[Data], func(), error) {
	mem := memstore.New() // or redisstore, pgstore, mysqlstore, sqlitestore, filestore
	sessions, err := session.NewStorage(mem, session.Config[Data]{
		Cookie: session.CookieOptions{Secrets: strings.Split(os.Getenv("SESSION_SECRETS"), ",")},
		UserID: func(d Data) string { // indexes sessions by user: "sign out everywhere"
			if d.User == nil {
				return ""
			}
			return d.User.Email
		},
	})
	if err != nil {
		mem.Close()
		return nil, nil, err
	}
	return sessions, func() { mem.Close() }, nil
}

// readme:end

// readme:login
type App struct {
	sessions      *session.Storage[Data]
	checkPassword func(email, password string) bool
}

func (a *App) login(w http.ResponseWriter, r *http.Request) {
	s, err := a.sessions.Get(r)
	if err != nil {
		http.Error(w, "try again later", http.StatusServiceUnavailable)
		return
	}
	email := r.PostFormValue("email")
	if !a.checkPassword(email, r.PostFormValue("password")) {
		if err := session.SetFlash(s, "error", "Invalid email/password"); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		a.commitAndRedirect(w, r, s, "/login")
		return
	}
	// A new ID at every login: an ID planted or seen before is worthless.
	// If it fails, the session can no longer be committed at all.
	if err := a.sessions.Regenerate(r.Context(), s); err != nil {
		http.Error(w, "try again later", http.StatusServiceUnavailable)
		return
	}
	s.Update(func(d *Data) { d.User = &User{Email: email} })
	s.SetPersistent(r.PostFormValue("remember") == "on") // "remember me"
	a.commitAndRedirect(w, r, s, "/dashboard")
}

func (a *App) loginForm(w http.ResponseWriter, r *http.Request) {
	s, err := a.sessions.Get(r)
	if err != nil {
		http.Error(w, "try again later", http.StatusServiceUnavailable)
		return
	}
	msg, _ := session.TakeFlash[string](s, "error") // gone once this commits
	if err := a.sessions.Commit(r.Context(), w, s); err != nil {
		http.Error(w, "could not save the session", http.StatusInternalServerError)
		return
	}
	fmt.Fprintf(w, "<form method=post>%s …</form>", msg) // use html/template
}

func (a *App) logout(w http.ResponseWriter, r *http.Request) {
	s, err := a.sessions.Get(r)
	if err != nil {
		http.Error(w, "try again later", http.StatusServiceUnavailable)
		return
	}
	// Deletes the record and expires the cookie.
	if err := a.sessions.Destroy(r.Context(), w, s); err != nil {
		http.Error(w, "could not sign out, try again", http.StatusServiceUnavailable)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (a *App) commitAndRedirect(w http.ResponseWriter, r *http.Request, s *session.Session[Data], to string) {
	err := a.sessions.Commit(r.Context(), w, s)
	switch {
	case errors.Is(err, session.ErrSessionDestroyed): // signed out meanwhile
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	case err != nil:
		http.Error(w, "could not save the session", http.StatusInternalServerError)
	default:
		http.Redirect(w, r, to, http.StatusSeeOther)
	}
}

// readme:end

// readme:everywhere
func (a *App) signOutEverywhere(w http.ResponseWriter, r *http.Request) {
	s, err := a.sessions.Get(r)
	if err != nil {
		http.Error(w, "try again later", http.StatusServiceUnavailable)
		return
	}
	user := s.Get().User
	if user == nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	n, err := a.sessions.RevokeUser(r.Context(), user.Email)
	if err != nil {
		http.Error(w, "could not sign out, try again", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintf(w, "Signed out of %d sessions", n)
}

// readme:end

// readme:middleware
func middlewareApp(sessions *session.Storage[Data]) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		s, err := sessions.FromContext(r.Context())
		if err != nil {
			http.Error(w, "try again later", http.StatusServiceUnavailable)
			return
		}
		s.Update(func(d *Data) { d.Count++ }) // committed before the first byte
		fmt.Fprintf(w, "You visited this page %d times", s.Get().Count)
	})
	// Refuse cross-site form posts (CSRF), then load and save sessions.
	return http.NewCrossOriginProtection().Handler(sessions.Middleware()(mux))
}

// readme:end

// readme:token
func newAPISessions(mem *memstore.Store) (*session.Storage[Data], error) {
	return session.NewStorage(mem, session.Config[Data]{
		Cookie:      session.CookieOptions{Secrets: strings.Split(os.Getenv("SESSION_SECRETS"), ",")},
		Token:       &session.TokenOptions{}, // "Authorization: Bearer …" in, "Session-Token" out
		IdleTimeout: 30 * time.Minute,
	})
}

// readme:end

// readme:ownstore
func TestConformance(t *testing.T) {
	s := memstore.New() // your store here
	defer s.Close()
	storetest.Run(t, s)
}

// readme:end
