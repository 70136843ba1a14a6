// Package session keeps per-user state across the requests of a Go web
// server: a counter, the signed-in user, one-time "flash" messages. The
// session's data is your own Go type, so reading and changing it needs no
// casts and no registration. The API follows Astro Session and the Remix /
// React Router session API it is modelled on: get the session from the
// request, change it, commit it (which sets the cookie), destroy it at
// logout.
//
// # Get, change, Commit
//
// Build one Storage when the program starts and use it from every handler:
//
//	type Data struct {
//		Count int   `json:"count"`
//		User  *User `json:"user,omitempty"`
//	}
//
//	sessions, err := session.NewCookieStorage(session.Config[Data]{
//		Cookie: session.CookieOptions{Secrets: secrets}, // 32+ random bytes each
//	})
//
//	func count(w http.ResponseWriter, r *http.Request) {
//		s, err := sessions.Get(r) // never nil; err only if the store failed
//		if err != nil {
//			http.Error(w, "try again later", http.StatusServiceUnavailable)
//			return
//		}
//		s.Update(func(d *Data) { d.Count++ })
//		if err := sessions.Commit(r.Context(), w, s); err != nil {
//			http.Error(w, "could not save the session", http.StatusInternalServerError)
//			return
//		}
//		fmt.Fprintf(w, "You visited this page %d times", s.Get().Count)
//	}
//
// Commit writes nothing when the session did not change. Call
// Storage.Regenerate at login and at every change of privilege (it gives
// the session a new ID), and Storage.Destroy at logout. With server-side
// storage, when two requests of one session commit at the same time, the
// later one reads the newer data and applies its own Update functions
// again, so no change is lost and no request fails.
//
// # Choosing a storage
//
// NewCookieStorage keeps the whole session in the cookie, sealed with
// AES-256-GCM: nothing to run, but a cookie copied before a logout stays
// valid until it expires, and a session holds at most about 3 KB.
// NewStorage keeps the session in a store and only a signed ID in the
// cookie, so that logout is final and a user's sessions can be listed and
// revoked ("sign out everywhere", see Storage.RevokeUser). The stores are
// memstore and filestore in this module, and sqlitestore, redisstore,
// pgstore and mysqlstore, each its own module so that you download only the
// driver you use. Any type implementing store.Store works too; package
// storetest checks it.
//
// # Middleware
//
// Storage.Middleware is the other way to use a storage: it loads the
// session when a handler first asks for it with Storage.FromContext and
// commits it just before the response's headers are written. Both ways can
// be mixed; under the middleware, Get returns the middleware's session.
//
// # Flash messages
//
// SetFlash stores a typed value that the next TakeFlash returns once and
// removes, on this request or a later one, as Remix's session.flash does.
//
// # Security by default
//
// Cookies are HttpOnly, Secure and SameSite=Lax; secrets shorter than 32
// bytes are refused; keys are derived per purpose and rotate (the first
// secret makes cookies, all of them are accepted, and old cookies are
// re-issued). The idle timeout and the absolute lifetime are enforced by the
// server, never only by the cookie's Max-Age. Session IDs are 256-bit
// random values that stores only ever see hashed. A cookie that is forged,
// expired, truncated or over the browser's 4096-byte limit yields a new
// session, never a panic; a commit that would exceed the limit fails with
// ErrCookieTooLarge. CSRF protection is the application's: wrap
// state-changing routes in net/http's CrossOriginProtection.
//
// # API clients and observability
//
// Config.Token lets API and mobile clients carry the session as a bearer
// token instead of a cookie. Config.Hooks report every load, commit, store
// call and revocation, for metrics and traces (package otelsession turns
// them into OpenTelemetry instruments), and Config.Logger receives the few
// events worth logging, with the request's context.
//
// The README and docs/production.md in the repository cover deployment,
// secret rotation, capacity and migrating from gorilla/sessions and scs.
package session
