package session

import (
	"encoding"
	"encoding/json"
	"io"
	"reflect"
	"sync"
	"time"
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
//
// With JSON, a Storage encodes and decodes the data of plain types
// (structs, strings, numbers, booleans, pointers, slices, string-keyed
// maps) with code of its own, 1.7 to 3.7 times as fast as encoding/json,
// whose output, values and errors are encoding/json's exactly: it gives
// anything it cannot vouch for (a type with its own JSON or text methods,
// an interface, an escape in a string, ...) to encoding/json.
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
	decode := dataDecoder(ser, func() T { var zero T; return zero })
	return func() T {
		var v T
		// The bytes unmarshalled once above, so this cannot fail.
		_ = decode(b, &v)
		return v
	}, nil
}

// dataDecoder returns the function that decodes a session's data into v,
// which holds a fresh copy of the defaults; fresh makes another. It is
// ser.Unmarshal, made cheaper for the default JSON serializer when T
// allows: first the fast path (jsonfast.go), whose plan for T is built
// here, once per Storage, for the simple inputs it can vouch for; then a
// pooled json.Decoder (see jsonCopiesInput), which spares the allocations
// of json.Unmarshal's state and scanner, half of its allocations for a
// small session. The result, and the error, are json.Unmarshal's.
func dataDecoder[T any](ser Serializer, fresh func() T) func(data []byte, v *T) error {
	t := reflect.TypeFor[T]()
	if ser != Serializer(JSON{}) {
		return func(data []byte, v *T) error { return ser.Unmarshal(data, v) }
	}
	plan, reuse := newJSONPlan(t), jsonCopiesInput(t)
	if plan == nil && !reuse {
		return func(data []byte, v *T) error { return json.Unmarshal(data, v) }
	}
	return func(data []byte, v *T) error {
		if plan != nil {
			if plan.decode(data, reflect.ValueOf(v).Elem()) {
				return nil
			}
			// The fast path gave up, perhaps halfway: start again
			// from the defaults.
			*v = fresh()
		}
		if reuse {
			if unmarshalReused(data, v) {
				return nil
			}
			// v may be partly written: decode again from the defaults,
			// as json.Unmarshal alone would have.
			*v = fresh()
		}
		return json.Unmarshal(data, v)
	}
}

// dataEncoder returns the function that encodes a session's data: the
// serializer's Marshal, made cheaper for the default JSON serializer when
// T allows, by the fast path's writer (jsonencode.go), whose plan for T is
// built here, once per Storage. The bytes, and any error, are
// json.Marshal's.
func dataEncoder[T any](ser Serializer) func(v *T) ([]byte, error) {
	if ser != Serializer(JSON{}) {
		return func(v *T) ([]byte, error) { return ser.Marshal(*v) }
	}
	if plan := newJSONEncodePlan(reflect.TypeFor[T]()); plan != nil {
		return jsonEncoder[T](plan)
	}
	return func(v *T) ([]byte, error) { return json.Marshal(*v) }
}

// maxReusedJSON is the largest input unmarshalReused takes: a pooled
// decoder keeps a buffer about twice the size of the largest input it
// read. A cookie holds at most 4 KiB.
const maxReusedJSON = 16 << 10

// reusedDecoder is a json.Decoder kept in jsonDecoders between decodes,
// with the reader it reads from.
type reusedDecoder struct {
	src bytesReader
	dec *json.Decoder
}

var jsonDecoders = sync.Pool{New: func() any {
	d := &reusedDecoder{}
	d.dec = json.NewDecoder(&d.src)
	return d
}}

// bytesReader reads the slice b, then returns io.EOF until b is set again.
type bytesReader struct{ b []byte }

func (r *bytesReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// unmarshalReused decodes data into v with a pooled json.Decoder, for a v
// whose type passes jsonCopiesInput. It reports true when v is then what
// json.Unmarshal(data, v) makes: the decoder read one value, without an
// error, and data holds nothing after it. Otherwise (errors, trailing
// bytes, even the spaces json.Unmarshal accepts, or too large an input) v
// may be partly written and must be decoded again from scratch.
//
// Sharing a decoder between requests is safe because its buffer never
// leaves encoding/json: jsonCopiesInput admits no type whose methods would
// be handed slices of it.
func unmarshalReused(data []byte, v any) bool {
	if len(data) > maxReusedJSON {
		return false
	}
	d := jsonDecoders.Get().(*reusedDecoder)
	d.src.b = data
	start := d.dec.InputOffset()
	err := d.dec.Decode(v)
	ok := err == nil && d.dec.InputOffset()-start == int64(len(data))
	d.src.b = nil
	if ok {
		// A decoder that failed may keep the error, or unread bytes of
		// this input: only a clean one goes back.
		jsonDecoders.Put(d)
	}
	return ok
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	timeType        = reflect.TypeFor[time.Time]()
)

// jsonCopiesInput reports whether encoding/json, decoding into a value of
// type t, keeps only copies of its input: t reaches no method that would
// be handed slices of the input (UnmarshalJSON, UnmarshalText, or JSON
// v2's UnmarshalJSONFrom may keep them, although their contracts say
// they must copy) and no interface, whose dynamic value could have such a
// method. time.Time is known to parse its input and keep none of it.
func jsonCopiesInput(t reflect.Type) bool {
	return copiesInput(t, map[reflect.Type]bool{})
}

func copiesInput(t reflect.Type, seen map[reflect.Type]bool) bool {
	if t == timeType || seen[t] {
		// seen: t is being checked further up (a recursive type); its
		// answer is decided there.
		return true
	}
	seen[t] = true
	if decodesItself(t) {
		return false
	}
	switch t.Kind() {
	case reflect.Interface:
		return false
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return copiesInput(t.Elem(), seen)
	case reflect.Map:
		return copiesInput(t.Key(), seen) && copiesInput(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if !copiesInput(t.Field(i).Type, seen) {
				return false
			}
		}
	}
	return true
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
