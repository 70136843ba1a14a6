package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/codec"
	"github.com/b4f9cdbb/session/store"
)

// Data is the demo's session. Its JSON form, {"count": N, "user":
// {"email": "…"}}, is what a React Router app sharing the secret sees with
// -codec remix.
type Data struct {
	Count int   `json:"count"`
	User  *User `json:"user,omitempty"`
}

// User is the signed-in user.
type User struct {
	Email string `json:"email"`
}

type app struct {
	sessions *session.Storage[Data]
	log      *slog.Logger
	metrics  http.Handler // /metrics with -metrics, else nil
}

func newApp(ctx context.Context, o options, secrets []string, log *slog.Logger) (*app, func(), error) {
	st, closeStore, err := openStore(ctx, o.store, o.dsn)
	if err != nil {
		return nil, nil, err
	}
	var m *metrics
	if o.metrics {
		if m, err = newMetrics(o.store); err != nil {
			closeStore()
			return nil, nil, err
		}
	}
	a, err := newAppOn(st, o, secrets, log, m)
	if err != nil {
		closeStore()
		return nil, nil, err
	}
	closeAll := closeStore
	if m != nil {
		closeAll = func() {
			_ = m.shutdown(context.Background())
			closeStore()
		}
	}
	return a, closeAll, nil
}

// newAppOn builds the app on an open store (nil for cookie storage).
func newAppOn(st store.Store, o options, secrets []string, log *slog.Logger, m *metrics) (*app, error) {
	cfg := session.Config[Data]{
		Cookie: session.CookieOptions{Name: "__session", Secrets: secrets, Insecure: o.insecure},
		UserID: func(d Data) string {
			if d.User == nil {
				return ""
			}
			return d.User.Email
		},
		Logger: log,
	}
	if m != nil {
		cfg.Hooks = m.hooks
	}
	switch o.codec {
	case "native":
	case "remix":
		// The cookie React Router's createCookieSessionStorage (or
		// createSessionStorage, with a server-side store) makes.
		var err error
		if cfg.Codec, err = codec.NewRemix(secrets...); err != nil {
			return nil, fmt.Errorf("-codec remix: %w", err)
		}
		if st == nil {
			// That cookie signs no expiry: the timeouts cannot be enforced
			// and a copy taken before a logout stays valid until the
			// secret changes. The library refuses that unless asked.
			cfg.AllowUnboundedCookies = true
			log.Warn("-store cookie -codec remix: React Router's cookie carries no expiry, so a copied cookie stays valid until SESSION_SECRETS changes; use a server-side -store where logout must be final")
		}
	default:
		return nil, fmt.Errorf("-codec %q: want native or remix", o.codec)
	}
	var (
		sessions *session.Storage[Data]
		err      error
	)
	if st == nil {
		sessions, err = session.NewCookieStorage(cfg)
	} else {
		sessions, err = session.NewStorage(st, cfg)
	}
	if err != nil {
		return nil, err
	}
	a := &app{sessions: sessions, log: log}
	if m != nil {
		a.metrics = m.handler
	}
	return a, nil
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /login", a.loginForm)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("GET /dashboard", a.dashboard)
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("POST /sessions/revoke", a.revoke)
	mux.HandleFunc("GET /assets/{name}", serveAsset)
	if a.metrics != nil {
		mux.Handle("GET /metrics", a.metrics)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, "ok")
	})
	return protect(mux)
}

// fail answers a request whose session could not be loaded or saved.
func (a *app) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	msg := "The session store is not available. Try again shortly."
	switch {
	case errors.Is(err, session.ErrSessionDestroyed):
		// Signed out elsewhere while this request ran: start over.
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	case errors.Is(err, session.ErrConflict):
		status, msg = http.StatusConflict, "Your session changed in another tab. Reload the page."
	case errors.Is(err, session.ErrCookieTooLarge):
		msg = "The session grew too large."
	}
	a.log.Error("session", "path", r.URL.Path, "err", err)
	http.Error(w, msg, status)
}

func (a *app) home(w http.ResponseWriter, r *http.Request) {
	s, err := a.sessions.Get(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	s.Update(func(d *Data) { d.Count++ })
	if err := a.sessions.Commit(r.Context(), w, s); err != nil {
		a.fail(w, r, err)
		return
	}
	render(w, homePage, s.Get())
}

func (a *app) loginForm(w http.ResponseWriter, r *http.Request) {
	s, err := a.sessions.Get(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	msg, _ := session.TakeFlash[string](s, "error")
	if err := a.sessions.Commit(r.Context(), w, s); err != nil {
		a.fail(w, r, err)
		return
	}
	render(w, loginPage, struct{ Error string }{msg})
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	s, err := a.sessions.Get(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	email, password := r.PostFormValue("email"), r.PostFormValue("password")
	if !validLogin(email, password) {
		session.SetFlash(s, "error", "Invalid email/password")
		if err := a.sessions.Commit(r.Context(), w, s); err != nil {
			a.fail(w, r, err)
			return
		}
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	// A new ID at every privilege change: an ID planted or seen before the
	// login is worthless after it.
	if err := a.sessions.Regenerate(r.Context(), s); err != nil {
		a.fail(w, r, err)
		return
	}
	s.Update(func(d *Data) { d.User = &User{Email: email} })
	s.SetPersistent(r.PostFormValue("remember") == "on")
	if err := a.sessions.Commit(r.Context(), w, s); err != nil {
		a.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
}

// sessionRow is one line of the dashboard's list of sessions.
type sessionRow struct {
	store.Info
	Current bool
}

// signedIn loads the session of a page that needs a signed-in user. When
// there is none it answers the request itself (a redirect to /login, or an
// error) and ok is false.
func (a *app) signedIn(w http.ResponseWriter, r *http.Request) (s *session.Session[Data], d Data, ok bool) {
	s, err := a.sessions.Get(r)
	if err != nil {
		a.fail(w, r, err)
		return nil, d, false
	}
	if d = s.Get(); d.User == nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil, d, false
	}
	return s, d, true
}

func (a *app) dashboard(w http.ResponseWriter, r *http.Request) {
	s, d, ok := a.signedIn(w, r)
	if !ok {
		return
	}
	page := struct {
		Email        string
		Count        int
		ListSessions bool
		Sessions     []sessionRow
	}{Email: d.User.Email, Count: d.Count}
	infos, err := a.sessions.ListUserSessions(r.Context(), d.User.Email)
	switch {
	case errors.Is(err, session.ErrNotSupported):
	case err != nil:
		a.fail(w, r, err)
		return
	default:
		page.ListSessions = true
		current, _ := s.Key()
		for _, in := range infos {
			page.Sessions = append(page.Sessions, sessionRow{Info: in, Current: in.Key == current})
		}
		sort.Slice(page.Sessions, func(i, j int) bool { return page.Sessions[i].Created.Before(page.Sessions[j].Created) })
	}
	if err := a.sessions.Commit(r.Context(), w, s); err != nil {
		a.fail(w, r, err)
		return
	}
	// A signed-in page must not come back from the browser's cache after
	// logout (the back button).
	w.Header().Set("Cache-Control", "no-store")
	render(w, dashboardPage, page)
}

func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	// Without a session cookie there is nothing to end: no store call and
	// no deletion cookie for a browser that has none.
	if _, err := r.Cookie(a.sessions.CookieName()); err != nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s, err := a.sessions.Get(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.sessions.Destroy(r.Context(), w, s); err != nil {
		a.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// revoke ends one of the signed-in user's own sessions.
func (a *app) revoke(w http.ResponseWriter, r *http.Request) {
	_, d, ok := a.signedIn(w, r)
	if !ok {
		return
	}
	key, err := store.ParseKey(r.PostFormValue("key"))
	if err != nil {
		http.Error(w, "bad session key", http.StatusBadRequest)
		return
	}
	infos, err := a.sessions.ListUserSessions(r.Context(), d.User.Email)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	for _, in := range infos {
		if in.Key == key { // only the user's own sessions
			if err := a.sessions.RevokeSession(r.Context(), key); err != nil {
				a.fail(w, r, err)
				return
			}
			break
		}
	}
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
}
