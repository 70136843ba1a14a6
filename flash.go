package session

import "fmt"

// Flash values are read once: set one now, and the first TakeFlash (on this
// request or a later one) returns it and removes it. The removal is saved by
// the next commit, as in Remix. Values are typed; they are stored with the
// session's Serializer.

// SetFlash sets the flash value called key. It returns an error only if the
// serializer cannot encode v.
func SetFlash[V, T any](s *Session[T], key string, v V) error {
	b, err := s.ser.Marshal(v)
	if err != nil {
		return fmt.Errorf("session: encoding flash %q: %w", key, err)
	}
	s.setFlash(key, b)
	s.record(change[T]{kind: opSetFlash, key: key, val: b})
	return nil
}

func (s *Session[T]) setFlash(key string, b []byte) {
	if s.flash == nil {
		s.flash = make(map[string][]byte, 1)
	}
	s.flash[key] = b
}

// TakeFlash returns the flash value called key and removes it. ok is false
// if there is none, or if it does not decode as a V (it is removed then
// too, since it can never be read as one).
//
// A flash is never shown again once a request that took it has committed.
// Two requests of one session that run at the same time may both take it
// before either commits, and then both show it.
func TakeFlash[V, T any](s *Session[T], key string) (v V, ok bool) {
	b, found := s.flash[key]
	if !found {
		return v, false
	}
	delete(s.flash, key)
	s.record(change[T]{kind: opTakeFlash, key: key})
	if err := s.ser.Unmarshal(b, &v); err != nil {
		var zero V
		return zero, false
	}
	return v, true
}

// HasFlash reports whether a flash value called key is waiting, without
// taking it.
func (s *Session[T]) HasFlash(key string) bool {
	_, ok := s.flash[key]
	return ok
}
