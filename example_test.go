package session_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/b4f9cdbb/session"
	"github.com/b4f9cdbb/session/memstore"
)

// Data is an application's session: whatever type it likes.
type Data struct {
	Count int   `json:"count"`
	User  *User `json:"user,omitempty"`
}

type User struct {
	Email string `json:"email"`
}

// The seed's counter: Get the session, change it, Commit it.
func Example() {
	sessions, err := session.NewCookieStorage(session.Config[Data]{
		Cookie: session.CookieOptions{Secrets: []string{"kq3Vn8ZrT1wXy5Lp0Bm7Hs2Dc9Fg4Ja6"}},
	})
	if err != nil {
		panic(err)
	}
	counter := func(w http.ResponseWriter, r *http.Request) {
		s, err := sessions.Get(r)
		if err != nil {
			http.Error(w, "session store unavailable", http.StatusInternalServerError)
			return
		}
		s.Update(func(d *Data) { d.Count++ })
		if err := sessions.Commit(r.Context(), w, s); err != nil {
			http.Error(w, "could not save the session", http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "You visited this page %d times", s.Get().Count)
	}

	// Two visits from one browser.
	w := httptest.NewRecorder()
	counter(w, httptest.NewRequest("GET", "/", nil))
	fmt.Println(w.Body)
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(w.Result().Cookies()[0])
	w = httptest.NewRecorder()
	counter(w, r)
	fmt.Println(w.Body)
	// Output:
	// You visited this page 1 times
	// You visited this page 2 times
}

// A login with a one-time error message, on server-side storage.
func ExampleTakeFlash() {
	store := memstore.New()
	defer store.Close()
	sessions, err := session.NewStorage(store, session.Config[Data]{
		Cookie: session.CookieOptions{Secrets: []string{"kq3Vn8ZrT1wXy5Lp0Bm7Hs2Dc9Fg4Ja6"}},
	})
	if err != nil {
		panic(err)
	}
	login := func(w http.ResponseWriter, r *http.Request) {
		s, _ := sessions.Get(r)
		if r.PostFormValue("password") != "right" {
			session.SetFlash(s, "error", "Invalid email/password")
			sessions.Commit(r.Context(), w, s)
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		sessions.Regenerate(r.Context(), s) // a new ID at every privilege change
		s.Update(func(d *Data) { d.User = &User{Email: r.PostFormValue("email")} })
		sessions.Commit(r.Context(), w, s)
		http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
	}
	form := func(w http.ResponseWriter, r *http.Request) {
		s, _ := sessions.Get(r)
		msg, ok := session.TakeFlash[string](s, "error")
		sessions.Commit(r.Context(), w, s) // saves that the flash was read
		fmt.Println(msg, ok)
	}

	w := httptest.NewRecorder()
	login(w, httptest.NewRequest("POST", "/login?password=wrong", nil))
	cookie := w.Result().Cookies()[0]
	for range 2 { // shown once, then gone
		r := httptest.NewRequest("GET", "/login", nil)
		r.AddCookie(cookie)
		form(httptest.NewRecorder(), r)
	}
	// Output:
	// Invalid email/password true
	//  false
}
