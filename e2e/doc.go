// Package e2e drives the demo application (cmd/demo) in a real browser:
// Debian's Chromium, headless, through the DevTools protocol (chromedp).
// It checks what only a browser shows: cookies as the browser stores them,
// a "remember me" cookie surviving a browser restart, the back button after
// logout, a session revoked from another browser context, forms that a page
// on another origin posts to the demo (refused with 403), and a logout after
// a gorilla/sessions migration that leaves no old cookie behind (a small
// application built in the test on package session and gorillacompat, with
// a real gorilla cookie that has a Path and a Domain). Chromium resolves
// every *.test name to 127.0.0.1 (--host-resolver-rules), so that tests can
// serve other sites and cookies with a Domain.
//
// The tests build the demo, start it on a free loopback port and start
// Chromium with a fresh profile per browser. Without a Chromium binary they
// skip, so a plain `go test` in a fresh clone passes. To run them:
//
//	apt-get install -y chromium      # Debian's package; never a downloaded build
//	cd e2e && go test -v ./...
//
// SESSION_E2E_CHROMIUM names another binary. SESSION_E2E_SCREENSHOT, when
// set, is where the dashboard screenshot is written (the repository keeps
// one in docs/dashboard.png).
package e2e
