// Package interop holds tests that check this library against other session libraries.
package interop
