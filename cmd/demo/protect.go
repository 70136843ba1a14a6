package main

import "net/http"

// contentSecurityPolicy lets the pages load only the demo's own files: no
// inline script or style (the pages have none: see assets), no framing
// (clickjacking), forms that post only to the demo, no <base> that would
// redirect relative URLs.
const contentSecurityPolicy = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// protect wraps the demo's routes in what every response needs:
//
//   - http.CrossOriginProtection refuses, with 403, a state-changing
//     request (POST) that a browser sends from another origin: a page
//     elsewhere that posts a form to /login or /logout. SameSite=Lax does
//     not stop that: a top-level form POST from another port of the same
//     host is same-site and carries the cookie, and a login needs no cookie
//     at all. Requests from the demo's own pages, and from clients that
//     are not browsers (no Sec-Fetch-Site or Origin header, like curl),
//     pass.
//   - the security headers: the content security policy, nosniff, and a
//     referrer policy that sends no URL to other sites.
//
// The headers are set first so that the 403 carries them too.
func protect(h http.Handler) http.Handler {
	h = http.NewCrossOriginProtection().Handler(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}
