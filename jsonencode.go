package session

import (
	"encoding"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// The JSON fast path's writer: every commit encodes the session's data,
// and json.Marshal spends more on its machinery (an encoder state from a
// pool, an encoder per type behind a sync.Map, a copy of its buffer) than
// on the bytes of a small session. The writer follows the type's plan
// (jsonplan.go) instead and appends into one slice sized from the previous
// output, so that a commit's encode is one allocation: the result.
//
// Like the reader, it is a shortcut, never a second opinion: its output is
// json.Marshal's byte for byte, and for anything it cannot vouch for (a
// NaN, a pointer cycle...) it gives up and json.Marshal encodes the value,
// so that the error too is json.Marshal's.

// newJSONEncodePlan returns t's plan (newJSONPlan) if the writer encodes
// every value of t as json.Marshal does, or nil. Besides what the reader
// refuses, it refuses a type that reaches a method json.Marshal would call:
// MarshalJSON, MarshalText or JSON v2's MarshalJSONTo, on a map's key
// type too, and IsZero on a field tagged omitzero.
func newJSONEncodePlan(t reflect.Type) *jsonPlan {
	p := newJSONPlan(t)
	if p == nil || !encodesPlainly(p, map[*jsonPlan]bool{}) {
		return nil
	}
	return p
}

// encodesPlainly reports whether no type in p (seen holds the plans
// checked or being checked, for recursive types) has a method json.Marshal
// would call.
func encodesPlainly(p *jsonPlan, seen map[*jsonPlan]bool) bool {
	if seen[p] {
		return true
	}
	seen[p] = true
	if encodesItself(p.typ) {
		return false
	}
	switch p.kind {
	case planPointer, planSlice:
		return encodesPlainly(p.elem, seen)
	case planMap:
		return !encodesItself(p.typ.Key()) && encodesPlainly(p.elem, seen)
	case planStruct:
		for _, f := range p.fields {
			if f.omitZero && hasIsZero(f.plan.typ) || !encodesPlainly(f.plan, seen) {
				return false
			}
		}
	}
	return true
}

var (
	jsonMarshalers = []reflect.Type{reflect.TypeFor[json.Marshaler](), reflect.TypeFor[encoding.TextMarshaler]()}
	isZeroerType   = reflect.TypeFor[interface{ IsZero() bool }]()
)

// encodesItself reports whether json.Marshal (v1, or v2 underneath it)
// may hand t's values to a method of t or *t. It calls *t's methods only
// on addressable values, which the writer does not follow: a method on
// either is enough to refuse t.
func encodesItself(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	for _, m := range jsonMarshalers {
		if t.Implements(m) || pt.Implements(m) {
			return true
		}
	}
	_, to := t.MethodByName("MarshalJSONTo")
	_, pto := pt.MethodByName("MarshalJSONTo")
	return to || pto || t.PkgPath() == "encoding/json/jsontext"
}

// hasIsZero reports whether t or *t has the IsZero method that omitzero
// asks instead of reflect's zero value (with rules of its own for nil
// pointers and values that are not addressable).
func hasIsZero(t reflect.Type) bool {
	return t.Implements(isZeroerType) || reflect.PointerTo(t).Implements(isZeroerType)
}

// jsonEncoder returns dataEncoder's function for a type whose plan
// newJSONEncodePlan accepted: the writer, into a slice with room for the
// previous output and some more (a counter that gains a digit, a longer
// email), or json.Marshal when the writer gives up.
func jsonEncoder[T any](plan *jsonPlan) func(v *T) ([]byte, error) {
	// last is the length of the latest output. Requests of one Storage
	// share it; it is written only when it changes, so that parallel
	// commits of same-sized sessions do not fight over its cache line.
	var last atomic.Int64
	return func(v *T) ([]byte, error) {
		n := last.Load()
		b, ok := plan.appendJSON(make([]byte, 0, n+n/8+16), reflect.ValueOf(v).Elem(), 0)
		if !ok {
			return json.Marshal(*v)
		}
		if int64(len(b)) != n {
			last.Store(int64(len(b)))
		}
		return b, nil
	}
}

// appendJSON appends v, of type p.typ, to b as json.Marshal writes it;
// depth is the number of arrays and objects around v. It reports false
// when it cannot vouch for the bytes: a NaN or infinite float (an error
// for json.Marshal), a negative zero under omitempty (which releases of
// Go omit or not), a string of invalid UTF-8 (see appendJSONString), or
// nesting deeper than maxFastDepth (as a pointer cycle is). b is then to
// be dropped.
func (p *jsonPlan) appendJSON(b []byte, v reflect.Value, depth int) ([]byte, bool) {
	switch p.kind {
	case planBool:
		return strconv.AppendBool(b, v.Bool()), true
	case planInt:
		return strconv.AppendInt(b, v.Int(), 10), true
	case planUint:
		return strconv.AppendUint(b, v.Uint(), 10), true
	case planFloat:
		return appendJSONFloat(b, v.Float(), p.bits)
	case planString:
		return appendJSONString(b, v.String())
	case planPointer:
		if v.IsNil() {
			return append(b, "null"...), true
		}
		return p.elem.appendJSON(b, v.Elem(), depth)
	case planSlice:
		if v.IsNil() {
			return append(b, "null"...), true
		}
		if depth >= maxFastDepth {
			return b, false
		}
		b = append(b, '[')
		for i := range v.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = p.elem.appendJSON(b, v.Index(i), depth+1); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	case planMap:
		if v.IsNil() {
			return append(b, "null"...), true
		}
		if depth >= maxFastDepth {
			return b, false
		}
		return p.appendMap(b, v, depth)
	case planStruct:
		if depth >= maxFastDepth {
			return b, false
		}
		return p.appendStruct(b, v, depth)
	}
	return b, false
}

// appendStruct appends the struct v's fields in declaration order (the
// plan has no embedded field whose promotion would change it), each as
// `"name":value`, but for those its tag omits.
func (p *jsonPlan) appendStruct(b []byte, v reflect.Value, depth int) ([]byte, bool) {
	b = append(b, '{')
	first := true
	for i := range p.fields {
		f := &p.fields[i]
		fv := v.Field(f.index)
		if f.omitEmpty || f.omitZero {
			omit, ok := f.omits(fv)
			if !ok {
				return b, false
			}
			if omit {
				continue
			}
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, f.key...)
		var ok bool
		if b, ok = f.plan.appendJSON(b, fv, depth+1); !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}

// omits reports whether f's tag leaves its value v out, and false for ok
// if the writer cannot tell.
//
// omitempty leaves out false, 0, "", a nil pointer, an empty slice or map,
// and never a struct. Whether it leaves out -0.0 depends on the release
// of Go (its test became reflect's IsZero, for which -0.0 is not zero):
// the writer leaves that to json.Marshal. omitzero leaves out reflect's
// zero value, as json.Marshal tests it for a type without an IsZero
// method (the only ones newJSONEncodePlan accepts).
func (f *planField) omits(v reflect.Value) (omit, ok bool) {
	if f.omitEmpty {
		switch f.plan.kind {
		case planBool:
			omit = !v.Bool()
		case planInt:
			omit = v.Int() == 0
		case planUint:
			omit = v.Uint() == 0
		case planFloat:
			if x := v.Float(); x == 0 {
				if math.Signbit(x) {
					return false, false
				}
				omit = true
			}
		case planString, planSlice, planMap:
			omit = v.Len() == 0
		case planPointer:
			omit = v.IsNil()
		}
	}
	return omit || f.omitZero && v.IsZero(), true
}

// mapEntry is one of a map's entries, with its key as a string to sort.
type mapEntry struct {
	key string
	val reflect.Value
}

// appendMap appends the non-nil map v, whose keys are of a string kind,
// as json.Marshal does: its entries sorted by key, byte-wise.
func (p *jsonPlan) appendMap(b []byte, v reflect.Value, depth int) ([]byte, bool) {
	entries := make([]mapEntry, 0, v.Len())
	for it := v.MapRange(); it.Next(); {
		entries = append(entries, mapEntry{it.Key().String(), it.Value()})
	}
	// The keys are distinct strings: no two compare equal.
	slices.SortFunc(entries, func(x, y mapEntry) int { return strings.Compare(x.key, y.key) })
	b = append(b, '{')
	for i, e := range entries {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = appendJSONString(b, e.key); !ok {
			return b, false
		}
		b = append(b, ':')
		if b, ok = p.elem.appendJSON(b, e.val, depth+1); !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}

// appendJSONFloat appends f, a float of bits bits, as json.Marshal
// writes it (as ECMAScript's Number.prototype.toString does): the shortest
// decimal that reads back as f, with an exponent only below 1e-6 or from
// 1e21 up, and that exponent without leading zeros. It reports false for
// NaN and the infinities, which json.Marshal refuses with an error.
func appendJSONFloat(b []byte, f float64, bits int) ([]byte, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, false
	}
	format := byte('f')
	if a := math.Abs(f); a != 0 {
		// A float32's bounds are compared in float32, as json.Marshal
		// does: 1e-6 and 1e21 round to other values there.
		if bits == 32 {
			if a := float32(a); a < 1e-6 || a >= 1e21 {
				format = 'e'
			}
		} else if a < 1e-6 || a >= 1e21 {
			format = 'e'
		}
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		// strconv writes a negative exponent with two digits at least
		// ("1e-07"); json.Marshal drops the zero. Positive exponents
		// here have two digits anyway (21 and up).
		if e := b[start:]; len(e) >= 4 && string(e[len(e)-4:len(e)-1]) == "e-0" {
			e[len(e)-2] = e[len(e)-1]
			b = b[:len(b)-1]
		}
	}
	return b, true
}

// jsonPlainASCII marks the bytes json.Marshal copies into a string as
// they are: printable ASCII but for '"' and '\\', which JSON escapes, and
// '<', '>' and '&', which json.Marshal escapes so that its output is safe
// inside HTML. DEL (0x7f) is printable enough for JSON.
var jsonPlainASCII = func() (set [utf8.RuneSelf]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		set[c] = !strings.ContainsRune(`"\<>&`, c)
	}
	return set
}()

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string as json.Marshal writes it:
// '"' and '\\' escaped by a backslash; \b \f \n \r \t by their short forms
// and the other control characters, '<', '>' and '&' as \u00XX; U+2028
// and U+2029 (line breaks to JavaScript) as \u2028 and \u2029; anything
// else as it is. It reports false if s is not valid UTF-8: json.Marshal
// replaces each bad byte by U+FFFD, escaped as \ufffd by encoding/json's
// own encoder but not when JSON v2 runs underneath it (GOEXPERIMENT=jsonv2),
// so the writer leaves those rare strings to json.Marshal.
func appendJSONString(b []byte, s string) ([]byte, bool) {
	b = append(b, '"')
	done := 0 // s[:done] is in b
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonPlainASCII[c] {
				i++
				continue
			}
			b = append(b, s[done:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, `\b`...)
			case '\f':
				b = append(b, `\f`...)
			case '\n':
				b = append(b, `\n`...)
			case '\r':
				b = append(b, `\r`...)
			case '\t':
				b = append(b, `\t`...)
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			done = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return b, false
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[done:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			done = i + size
		}
		i += size
	}
	b = append(b, s[done:]...)
	return append(b, '"'), true
}

// jsonKey returns `"name":`, a struct member's start as json.Marshal
// writes it, for a name that passes plainName.
func jsonKey(name string) string {
	b, _ := appendJSONString(make([]byte, 0, len(name)+8), name)
	return string(append(b, ':'))
}
