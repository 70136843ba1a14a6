package bench

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"time"
)

// The client side shared by the benchmarks and the tests: every
// implementation's requests are made and answered the same way.

// Do serves one request: a shallow copy of base, as a server makes a new
// request each time (gorilla/sessions keeps its registry in the request it
// is given, so reusing one request would skip its decoding), and a fresh
// recorder.
func Do(h http.Handler, base *http.Request) *httptest.ResponseRecorder {
	r := new(http.Request)
	*r = *base
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// Bare returns a request without cookies.
func Bare() *http.Request {
	return httptest.NewRequest(http.MethodGet, "/", nil)
}

// Next returns the request a browser would send after base got the
// response w: base with the cookies that w set or deleted. It returns base
// itself when w set no cookie.
func Next(base *http.Request, w *httptest.ResponseRecorder) *http.Request {
	set := w.Header().Values("Set-Cookie")
	if len(set) == 0 {
		return base
	}
	jar := base.Cookies()
	now := time.Now()
	for _, line := range set {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			continue
		}
		jar = slices.DeleteFunc(jar, func(o *http.Cookie) bool { return o.Name == c.Name })
		gone := c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(now))
		if !gone && c.Value != "" {
			jar = append(jar, &http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
	r := new(http.Request)
	*r = *base
	r.Header = base.Header.Clone()
	r.Header.Del("Cookie")
	for _, c := range jar {
		r.AddCookie(c)
	}
	return r
}

// Seed signs in with h.New and returns the next request, which carries the
// new session (count 1, the user).
func Seed(h Handlers) (*http.Request, *httptest.ResponseRecorder) {
	base := Bare()
	w := Do(h.New, base)
	return Next(base, w), w
}
