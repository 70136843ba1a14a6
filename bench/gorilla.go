package bench

import (
	"net/http"
	"os"

	"github.com/gorilla/sessions"
)

// gorillaHandlers are the workloads written as an application of
// github.com/gorilla/sessions writes them: store.Get, change Values,
// Session.Save.
func gorillaHandlers(st sessions.Store) Handlers {
	// get returns the request's session. A cookie that does not decode (or
	// names a missing file) gives a new session and an error, which
	// applications treat as "no session".
	get := func(r *http.Request) *sessions.Session {
		s, _ := st.Get(r, cookieName)
		return s
	}
	save := func(w http.ResponseWriter, r *http.Request, s *sessions.Session) bool {
		if err := s.Save(r, w); err != nil {
			failed(w, err)
			return false
		}
		return true
	}
	return Handlers{
		Read: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := get(r)
			u, ok := s.Values["user"].(User)
			if !ok || u.Email == "" {
				notSignedIn(w)
				return
			}
			n, _ := s.Values["count"].(int)
			writeCount(w, n)
		}),
		ReadModifyWrite: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := get(r)
			n, _ := s.Values["count"].(int)
			n++
			s.Values["count"] = n
			if save(w, r, s) {
				writeCount(w, n)
			}
		}),
		New: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := get(r)
			s.Values["count"] = 1
			s.Values["user"] = NewUser()
			if save(w, r, s) {
				writeCount(w, 1)
			}
		}),
		FlashSet: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := get(r)
			s.AddFlash(FlashValue, FlashKey)
			if save(w, r, s) {
				writeText(w, "")
			}
		}),
		FlashGet: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := get(r)
			msg := ""
			if f := s.Flashes(FlashKey); len(f) > 0 {
				msg, _ = f[0].(string)
			}
			if save(w, r, s) {
				writeText(w, msg)
			}
		}),
	}
}

// openGorillaCookie: the session in a cookie authenticated with an
// HMAC-SHA256 hash key (securecookie), readable by the user.
func openGorillaCookie(Env) (Handlers, func() error, error) {
	return gorillaHandlers(sessions.NewCookieStore([]byte(hashKey))), noClose, nil
}

// openGorillaCookieAES: the session in a cookie encrypted with AES-256-CTR
// (the block key) and authenticated with the hash key.
func openGorillaCookieAES(Env) (Handlers, func() error, error) {
	return gorillaHandlers(sessions.NewCookieStore([]byte(hashKey), []byte(blockKey))), noClose, nil
}

// openGorillaFS: one file per session in a fresh directory under env.Dir,
// the ID in a cookie authenticated with the hash key.
func openGorillaFS(env Env) (Handlers, func() error, error) {
	dir, err := os.MkdirTemp(env.Dir, "gorilla-fs-")
	if err != nil {
		return Handlers{}, nil, err
	}
	st := sessions.NewFilesystemStore(dir, []byte(hashKey))
	return gorillaHandlers(st), func() error { return os.RemoveAll(dir) }, nil
}
