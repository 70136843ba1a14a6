package session

import (
	"encoding/json"
	"reflect"
)

// Serializer turns the session's data into bytes and back. The default is
// JSON (encoding/json): readable, stable across releases of your program,
// and the format other session libraries (React Router) understand.
//
// A serializer is only ever called on bytes that were authenticated first
// (a verified cookie or a store record); it still must not panic on any
// input.
type Serializer interface {
	Marshal(v any) ([]byte, error)
	Unmarshal(data []byte, v any) error
}

// JSON is the default Serializer, encoding/json.
type JSON struct{}

// Marshal implements Serializer with json.Marshal.
func (JSON) Marshal(v any) ([]byte, error) { return json.Marshal(v) }

// Unmarshal implements Serializer with json.Unmarshal.
func (JSON) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// copier returns a function producing independent copies of def, so that
// no two sessions share a map, slice or pointer of the defaults (the bug
// astro-session had). A type without references is copied by assignment;
// any other type through the serializer, once per new session.
func copier[T any](def T, ser Serializer) (func() T, error) {
	if !hasReferences(reflect.TypeFor[T](), 0) || reflect.ValueOf(&def).Elem().IsZero() {
		// Assignment copies it fully, or there is nothing to share: the
		// zero value needs no decoding.
		return func() T { return def }, nil
	}
	b, err := ser.Marshal(def)
	if err != nil {
		return nil, err
	}
	var probe T
	if err := ser.Unmarshal(b, &probe); err != nil {
		return nil, err
	}
	return func() T {
		var v T
		// The bytes unmarshalled once above, so this cannot fail.
		_ = ser.Unmarshal(b, &v)
		return v
	}, nil
}

// hasReferences reports whether a value of type t can share memory with a
// copy of itself made by assignment.
func hasReferences(t reflect.Type, depth int) bool {
	if depth > 32 {
		return true
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return true
	case reflect.Array:
		return hasReferences(t.Elem(), depth+1)
	case reflect.Struct:
		for i := range t.NumField() {
			if hasReferences(t.Field(i).Type, depth+1) {
				return true
			}
		}
	}
	return false
}
