// Package bench compares this module's session storages with
// github.com/gorilla/sessions and github.com/alexedwards/scs/v2 on the same
// four workloads, through the same harness. Each library is one small
// Adapter that builds the workloads' handlers; the benchmarks
// (bench_test.go), the correctness tests (TestAdaptersBehave) and the load
// test (cmd/load) all use the same adapters.
//
// Run: bench/run.sh (benchmarks and benchstat) and bench/load.sh (wrk).
package bench

import (
	"encoding/gob"
	"io"
	"net/http"
	"strconv"
)

// User is the signed-in user kept in every session.
type User struct {
	ID    int64    `json:"id"`
	Email string   `json:"email"`
	Roles []string `json:"roles"`
}

// Data is the session of the typed storages: a counter and a user.
// Key-value libraries keep the same two values under "count" and "user".
type Data struct {
	Count int   `json:"count"`
	User  *User `json:"user,omitempty"`
}

// The fixed session every workload uses: New stores it, the others load it.
const (
	UserID     = 42
	UserEmail  = "user@example.com"
	FlashKey   = "notice"
	FlashValue = "Saved"
)

// NewUser returns the user that New signs in.
func NewUser() User {
	return User{ID: UserID, Email: UserEmail, Roles: []string{"admin", "staff"}}
}

func init() {
	// gorilla/sessions and scs keep values in interface maps and encode
	// them with gob, which needs the concrete types registered.
	gob.Register(User{})
}

// The responses every adapter writes, so that every implementation does
// the same work outside the session library and the tests can see what the
// handler saw.

// writeCount answers 200 with the counter as the body.
func writeCount(w http.ResponseWriter, n int) {
	_, _ = io.WriteString(w, strconv.Itoa(n))
}

// writeText answers 200 with s as the body.
func writeText(w http.ResponseWriter, s string) {
	_, _ = io.WriteString(w, s)
}

// notSignedIn answers a Read of a session without the user.
func notSignedIn(w http.ResponseWriter) {
	http.Error(w, "no session", http.StatusUnauthorized)
}

// failed answers a failed load or save.
func failed(w http.ResponseWriter, err error) {
	http.Error(w, "session: "+err.Error(), http.StatusInternalServerError)
}
