package bench

import "net/http"

// openFloor is the no-session implementation: the same responses with no
// session work, the floor every other implementation is measured against.
func openFloor(Env) (Handlers, func() error, error) {
	h := Handlers{
		Read: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeCount(w, 1)
		}),
		ReadModifyWrite: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeCount(w, 2)
		}),
		New: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeCount(w, 1)
		}),
		FlashSet: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeText(w, "")
		}),
		FlashGet: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeText(w, FlashValue)
		}),
	}
	return h, func() error { return nil }, nil
}
