package session_test

import (
	"context"
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

// Astro Session's counter: Get the session, change it, Commit it.
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
	mem := memstore.New()
	defer mem.Close()
	sessions, err := session.NewStorage(mem, session.Config[Data]{
		Cookie: session.CookieOptions{Secrets: []string{"kq3Vn8ZrT1wXy5Lp0Bm7Hs2Dc9Fg4Ja6"}},
	})
	if err != nil {
		panic(err)
	}
	fail := func(w http.ResponseWriter, err error) {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
	}
	login := func(w http.ResponseWriter, r *http.Request) {
		s, err := sessions.Get(r)
		if err != nil {
			fail(w, err)
			return
		}
		if r.PostFormValue("password") != "right" {
			if err := session.SetFlash(s, "error", "Invalid email/password"); err != nil {
				fail(w, err)
				return
			}
			if err := sessions.Commit(r.Context(), w, s); err != nil {
				fail(w, err)
				return
			}
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		// A new ID at every privilege change; on error the session can no
		// longer be committed.
		if err := sessions.Regenerate(r.Context(), s); err != nil {
			fail(w, err)
			return
		}
		s.Update(func(d *Data) { d.User = &User{Email: r.PostFormValue("email")} })
		if err := sessions.Commit(r.Context(), w, s); err != nil {
			fail(w, err)
			return
		}
		http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
	}
	form := func(w http.ResponseWriter, r *http.Request) {
		s, err := sessions.Get(r)
		if err != nil {
			fail(w, err)
			return
		}
		msg, ok := session.TakeFlash[string](s, "error")
		if err := sessions.Commit(r.Context(), w, s); err != nil { // saves that the flash was read
			fail(w, err)
			return
		}
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

// "Sign out everywhere": every session of the user ends, on every device.
func ExampleStorage_RevokeUser() {
	mem := memstore.New()
	defer mem.Close()
	sessions, err := session.NewStorage(mem, session.Config[Data]{
		Cookie: session.CookieOptions{Secrets: []string{"kq3Vn8ZrT1wXy5Lp0Bm7Hs2Dc9Fg4Ja6"}},
		UserID: func(d Data) string {
			if d.User == nil {
				return ""
			}
			return d.User.Email
		},
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for range 2 { // signed in on two devices
		s, err := sessions.Get(httptest.NewRequest("GET", "/", nil))
		if err != nil {
			panic(err)
		}
		s.Set(Data{User: &User{Email: "ann@example.com"}})
		if err := sessions.Commit(ctx, httptest.NewRecorder(), s); err != nil {
			panic(err)
		}
	}
	list, err := sessions.ListUserSessions(ctx, "ann@example.com")
	if err != nil {
		panic(err)
	}
	n, err := sessions.RevokeUser(ctx, "ann@example.com")
	if err != nil {
		panic(err)
	}
	fmt.Println(len(list), "sessions,", n, "revoked")
	// Output:
	// 2 sessions, 2 revoked
}
