package main

import (
	"crypto/sha256"
	"crypto/subtle"
)

// The one account the demo knows.
const (
	demoEmail    = "demo@example.com"
	demoPassword = "password"
)

var (
	demoEmailHash    = sha256.Sum256([]byte(demoEmail))
	demoPasswordHash = sha256.Sum256([]byte(demoPassword))
)

// validLogin reports whether email and password are the demo account's, in
// a time that tells an attacker nothing: both fields are always compared,
// each as a SHA-256 hash (fixed size, so the length of the input does not
// show either) with crypto/subtle.
//
// A real application keeps only a slow password hash (argon2id, bcrypt)
// and compares with that library's check, which is constant-time too.
func validLogin(email, password string) bool {
	e, p := sha256.Sum256([]byte(email)), sha256.Sum256([]byte(password))
	return subtle.ConstantTimeCompare(e[:], demoEmailHash[:])&subtle.ConstantTimeCompare(p[:], demoPasswordHash[:]) == 1
}
