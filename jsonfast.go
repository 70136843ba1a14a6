package session

import (
	"reflect"
	"strconv"
	"unicode/utf8"
)

// The JSON fast path's reader: it walks the input once, following the
// type's plan (jsonplan.go), and gives up at the first thing it cannot
// vouch for.

// decode decodes data into v, which must be addressable and of type
// p.typ, and reports whether it did so exactly as json.Unmarshal would
// have. When it reports false, v may be partly written.
func (p *jsonPlan) decode(data []byte, v reflect.Value) bool {
	r := jsonReader{in: data}
	if !r.value(p, v, 0) {
		return false
	}
	r.space()
	return r.pos == len(r.in)
}

// jsonReader is one fast decode's position in its input. It never keeps a
// slice of the input beyond the decode: strings are copied out.
type jsonReader struct {
	in  []byte
	pos int
}

// space skips JSON's whitespace.
func (r *jsonReader) space() {
	for r.pos < len(r.in) {
		switch r.in[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

// next skips whitespace and returns the byte there, or 0 at the end.
func (r *jsonReader) next() byte {
	r.space()
	if r.pos < len(r.in) {
		return r.in[r.pos]
	}
	return 0
}

// literal consumes word (true, false or null) if the input has it here.
func (r *jsonReader) literal(word string) bool {
	if len(r.in)-r.pos < len(word) || string(r.in[r.pos:r.pos+len(word)]) != word {
		return false
	}
	r.pos += len(word)
	return true
}

// str consumes the string whose opening quote is at r.pos and returns its
// bytes, if it is one json.Unmarshal takes byte for byte: no escape, no
// control character (a syntax error) and valid UTF-8 (else replaced).
func (r *jsonReader) str() ([]byte, bool) {
	start := r.pos + 1
	ascii := true
	for i := start; i < len(r.in); i++ {
		switch c := r.in[i]; {
		case c == '"':
			s := r.in[start:i]
			if !ascii && !utf8.Valid(s) {
				return nil, false
			}
			r.pos = i + 1
			return s, true
		case c == '\\' || c < ' ':
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// number consumes a number of JSON's grammar and returns it, and whether
// it is an integer (no fraction, no exponent).
func (r *jsonReader) number() (tok []byte, integer, ok bool) {
	in, i := r.in, r.pos
	if i < len(in) && in[i] == '-' {
		i++
	}
	switch {
	case i < len(in) && in[i] == '0':
		i++
	case i < len(in) && '1' <= in[i] && in[i] <= '9':
		i = digits(in, i)
	default:
		return nil, false, false
	}
	integer = true
	if i < len(in) && in[i] == '.' {
		integer = false
		if j := digits(in, i+1); j > i+1 {
			i = j
		} else {
			return nil, false, false
		}
	}
	if i < len(in) && (in[i] == 'e' || in[i] == 'E') {
		integer = false
		i++
		if i < len(in) && (in[i] == '+' || in[i] == '-') {
			i++
		}
		if j := digits(in, i); j > i {
			i = j
		} else {
			return nil, false, false
		}
	}
	tok, r.pos = in[r.pos:i], i
	return tok, integer, true
}

// digits returns the index of the first byte from i on that is not a
// decimal digit.
func digits(in []byte, i int) int {
	for i < len(in) && '0' <= in[i] && in[i] <= '9' {
		i++
	}
	return i
}

// integer consumes an integer and returns its sign and magnitude, if it
// has neither fraction nor exponent (json.Unmarshal refuses those for an
// integer field) and its magnitude fits 64 bits.
func (r *jsonReader) integer() (neg bool, u uint64, ok bool) {
	tok, integer, ok := r.number()
	if !ok || !integer {
		return false, 0, false
	}
	if tok[0] == '-' {
		neg, tok = true, tok[1:]
	}
	for _, c := range tok {
		d := uint64(c - '0')
		if u > (1<<64-1-d)/10 {
			return false, 0, false
		}
		u = u*10 + d
	}
	return neg, u, true
}

// value decodes the JSON value at r.pos into v following p; depth is the
// number of arrays and objects around it.
func (r *jsonReader) value(p *jsonPlan, v reflect.Value, depth int) bool {
	c := r.next()
	if c == 'n' {
		if !r.literal("null") {
			return false
		}
		// json.Unmarshal clears a pointer, slice or map, and leaves
		// anything else as it is.
		switch p.kind {
		case planPointer, planSlice, planMap:
			v.SetZero()
		}
		return true
	}
	switch p.kind {
	case planBool:
		switch {
		case c == 't' && r.literal("true"):
			v.SetBool(true)
		case c == 'f' && r.literal("false"):
			v.SetBool(false)
		default:
			return false
		}
	case planInt:
		neg, u, ok := r.integer()
		if !ok {
			return false
		}
		var n int64
		switch {
		case neg && u <= 1<<63:
			n = -int64(u) // -(1<<63) wraps to itself, the smallest int64
		case !neg && u < 1<<63:
			n = int64(u)
		default:
			return false
		}
		if v.OverflowInt(n) {
			return false
		}
		v.SetInt(n)
	case planUint:
		// strconv.ParseUint, as json.Unmarshal uses it, refuses even "-0".
		neg, u, ok := r.integer()
		if !ok || neg || v.OverflowUint(u) {
			return false
		}
		v.SetUint(u)
	case planFloat:
		tok, _, ok := r.number()
		if !ok {
			return false
		}
		f, err := strconv.ParseFloat(string(tok), p.bits)
		if err != nil {
			return false
		}
		v.SetFloat(f)
	case planString:
		if c != '"' {
			return false
		}
		s, ok := r.str()
		if !ok {
			return false
		}
		v.SetString(string(s))
	case planPointer:
		// json.Unmarshal decodes into the pointee if there is one.
		if v.IsNil() {
			v.Set(reflect.New(p.typ.Elem()))
		}
		return r.value(p.elem, v.Elem(), depth)
	case planSlice:
		return c == '[' && r.slice(p, v, depth)
	case planMap:
		return c == '{' && r.mapValue(p, v, depth)
	case planStruct:
		return c == '{' && r.object(p, v, depth)
	}
	return true
}

// slice decodes the array whose '[' is at r.pos into the slice v as
// json.Unmarshal does: element i is decoded into the slice's element i
// (one of v's, even past its length while within its capacity, or a zero
// one), the length becomes the array's, and an empty array gives a new
// empty slice. It counts the elements first, to allocate the backing array
// once.
func (r *jsonReader) slice(p *jsonPlan, v reflect.Value, depth int) bool {
	if depth >= maxFastDepth {
		return false
	}
	r.pos++
	n, ok := r.count(depth + 1)
	if !ok {
		return false
	}
	if n == 0 {
		v.Set(reflect.MakeSlice(p.typ, 0, 0))
		more, ok := r.more(']')
		return ok && !more
	}
	if n > v.Cap() {
		// json.Unmarshal decodes into the elements past the length
		// first, then grows the slice with them.
		v.SetLen(v.Cap())
		v.Grow(n - v.Len())
	}
	v.SetLen(n)
	for i := range n {
		if !r.value(p.elem, v.Index(i), depth+1) {
			return false
		}
		// count checked the separators; they cost nothing to check
		// again.
		if more, ok := r.more(']'); !ok || more != (i+1 < n) {
			return false
		}
	}
	return true
}

// count returns the number of elements of the array whose '[' is just
// before r.pos, checking its syntax, and leaves r where it was.
func (r *jsonReader) count(depth int) (n int, ok bool) {
	start := r.pos
	ok = true
	if r.next() != ']' {
		for more := true; more && ok; {
			n++
			if !r.skip(depth) {
				ok = false
				break
			}
			more, ok = r.more(']')
		}
	}
	r.pos = start
	return n, ok
}

// open consumes the '{' or '[' at r.pos, and end right after it: empty
// reports that end was there, ok that the container is not too deep.
func (r *jsonReader) open(end byte, depth int) (empty, ok bool) {
	if depth >= maxFastDepth {
		return false, false
	}
	r.pos++
	if r.next() == end {
		r.pos++
		return true, true
	}
	return false, true
}

// key consumes an object member's key and the ':' after it.
func (r *jsonReader) key() ([]byte, bool) {
	if r.next() != '"' {
		return nil, false
	}
	k, ok := r.str()
	if !ok || r.next() != ':' {
		return nil, false
	}
	r.pos++
	return k, true
}

// more consumes the ',' or end after a member or an element: more
// reports a ',', ok either.
func (r *jsonReader) more(end byte) (more, ok bool) {
	switch r.next() {
	case ',':
		r.pos++
		return true, true
	case end:
		r.pos++
		return false, true
	}
	return false, false
}

// object decodes the object whose '{' is at r.pos into the struct v: a key
// sets the field named exactly so, decoded into its present value (so the
// last of duplicate keys wins, over what the earlier ones left); any other
// key's value is checked and skipped, unless encoding/json could match it
// to a field case-insensitively.
func (r *jsonReader) object(p *jsonPlan, v reflect.Value, depth int) bool {
	if empty, ok := r.open('}', depth); empty || !ok {
		return ok
	}
	for {
		key, ok := r.key()
		if !ok {
			return false
		}
		if f := p.field(key); f != nil {
			if !r.value(f.plan, v.Field(f.index), depth+1) {
				return false
			}
		} else if p.mayFold(key) || !r.skip(depth+1) {
			return false
		}
		if more, ok := r.more('}'); !more {
			return ok
		}
	}
}

// mapValue decodes the object whose '{' is at r.pos into the map v as
// json.Unmarshal does: a nil map is made, a present one is added to, and
// each value is decoded into a zero element (so a null value stores the
// zero value).
func (r *jsonReader) mapValue(p *jsonPlan, v reflect.Value, depth int) bool {
	if v.IsNil() {
		v.Set(reflect.MakeMap(p.typ))
	}
	if empty, ok := r.open('}', depth); empty || !ok {
		return ok
	}
	key := reflect.New(p.typ.Key()).Elem()
	elem := reflect.New(p.typ.Elem()).Elem()
	for first := true; ; first = false {
		k, ok := r.key()
		if !ok {
			return false
		}
		if !first {
			elem.SetZero()
		}
		if !r.value(p.elem, elem, depth+1) {
			return false
		}
		key.SetString(string(k))
		v.SetMapIndex(key, elem)
		if more, ok := r.more('}'); !more {
			return ok
		}
	}
}

// skip checks the syntax of the value at r.pos and consumes it.
func (r *jsonReader) skip(depth int) bool {
	switch r.next() {
	case '"':
		_, ok := r.str()
		return ok
	case '{':
		if empty, ok := r.open('}', depth); empty || !ok {
			return ok
		}
		for {
			if _, ok := r.key(); !ok || !r.skip(depth+1) {
				return false
			}
			if more, ok := r.more('}'); !more {
				return ok
			}
		}
	case '[':
		if empty, ok := r.open(']', depth); empty || !ok {
			return ok
		}
		for {
			if !r.skip(depth + 1) {
				return false
			}
			if more, ok := r.more(']'); !more {
				return ok
			}
		}
	case 't':
		return r.literal("true")
	case 'f':
		return r.literal("false")
	case 'n':
		return r.literal("null")
	}
	_, _, ok := r.number()
	return ok
}
