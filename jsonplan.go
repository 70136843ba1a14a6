package session

import (
	"encoding/json"
	"reflect"
	"strings"
	"unicode/utf8"
)

// The JSON fast path decodes a session's data without encoding/json when
// both the type and the input are simple, because encoding/json's decode is
// the largest part of a cookie Read (BENCHMARKS.md, 13.3).
//
// It is a shortcut, never a second opinion: it accepts only inputs it can
// prove json.Unmarshal decodes without error, into exactly the value it
// writes itself, and gives up on anything else (an escape in a string, a
// key that only matches a field case-insensitively, a number that does not
// fit, a type mismatch, any syntax error...). dataDecoder then starts again
// from fresh defaults with encoding/json, so that what the caller sees, and
// any error text, are json.Unmarshal's.

// maxFastDepth is the deepest nesting of arrays and objects the fast path
// follows; deeper inputs go to encoding/json, whose limit is far higher.
// It also bounds the work of counting a slice's elements before decoding
// them (each level of nested arrays is read once more).
const maxFastDepth = 32

// planKind is what a jsonPlan decodes into.
type planKind uint8

const (
	planBool planKind = iota
	planInt
	planUint
	planFloat
	planString
	planPointer
	planSlice
	planMap
	planStruct
)

// jsonPlan says how the fast path decodes into one Go type, and how the
// encoder (jsonencode.go) writes it. It is built once per Storage
// (newJSONPlan) and only read afterwards, so decodes and encodes share it
// without locks.
type jsonPlan struct {
	kind planKind
	typ  reflect.Type
	bits int       // planFloat: 32 or 64, for strconv.ParseFloat
	elem *jsonPlan // planPointer, planSlice, planMap: the element's plan
	// planStruct: the fields encoding/json decodes, in declaration order,
	// and, for a struct with many of them, their index by JSON name.
	fields []planField
	byName map[string]int
}

// planField is one struct field the JSON input can set, and json.Marshal
// writes.
type planField struct {
	name  string // the key that sets it, as json.Unmarshal matches it exactly
	loose string // name in lower case without '_' and '-': see mayFold
	index int    // for reflect.Value.Field
	plan  *jsonPlan
	// For the encoder only (decoding ignores them): the member's start
	// as json.Marshal writes it (`"name":`, HTML-safe), and the tag's
	// omitempty and omitzero.
	key                 string
	omitEmpty, omitZero bool
}

// fieldsByMap is the number of fields from which a struct looks its keys up
// in a map rather than by comparing them in turn.
const fieldsByMap = 8

var (
	jsonNumberType   = reflect.TypeFor[json.Number]()
	jsonUnmarshalers = []reflect.Type{jsonUnmarshaler, textUnmarshaler}
)

// newJSONPlan returns the fast path's plan for t, or nil when the fast path
// must leave t to encoding/json: t reaches a type with a method of its own
// for decoding (UnmarshalJSON, UnmarshalText, JSON v2's UnmarshalJSONFrom,
// time.Time among them), an interface, an array, a []byte (base64 in JSON),
// json.Number, a pointer to a pointer, an embedded field, a ",string" field,
// a tag option unknown to the fast path, two fields with the same JSON name,
// or a name that is not plain ASCII.
func newJSONPlan(t reflect.Type) *jsonPlan {
	return planFor(t, map[reflect.Type]*jsonPlan{})
}

// planFor builds t's plan; seen holds the plans under construction or
// built, so that a recursive type refers back to its own plan. Any refusal
// returns nil up to newJSONPlan: the whole type then goes to encoding/json.
func planFor(t reflect.Type, seen map[reflect.Type]*jsonPlan) *jsonPlan {
	if p := seen[t]; p != nil {
		return p
	}
	if decodesItself(t) || t == jsonNumberType {
		return nil
	}
	p := &jsonPlan{typ: t}
	switch t.Kind() {
	case reflect.Bool:
		p.kind = planBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		p.kind = planInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		p.kind = planUint
	case reflect.Float32, reflect.Float64:
		p.kind, p.bits = planFloat, t.Bits()
	case reflect.String:
		p.kind = planString
	case reflect.Pointer:
		// A pointer to a pointer is rare, and only such types can loop
		// without going through an array or object of the input.
		if t.Elem().Kind() == reflect.Pointer {
			return nil
		}
		p.kind = planPointer
	case reflect.Slice:
		// encoding/json decodes a []byte from base64.
		if t.Elem().Kind() == reflect.Uint8 {
			return nil
		}
		p.kind = planSlice
	case reflect.Map:
		if t.Key().Kind() != reflect.String || decodesItself(t.Key()) {
			return nil
		}
		p.kind = planMap
	case reflect.Struct:
		p.kind = planStruct
	default:
		return nil
	}
	seen[t] = p
	switch p.kind {
	case planPointer, planSlice, planMap:
		if p.elem = planFor(t.Elem(), seen); p.elem == nil {
			return nil
		}
	case planStruct:
		if !p.addFields(seen) {
			return nil
		}
	}
	return p
}

// decodesItself reports whether encoding/json (v1, or v2 underneath it)
// would hand t's values to a method of t or *t rather than decode them
// itself.
func decodesItself(t reflect.Type) bool {
	pt := reflect.PointerTo(t) // its methods include t's own
	for _, u := range jsonUnmarshalers {
		if pt.Implements(u) {
			return true
		}
	}
	_, from := pt.MethodByName("UnmarshalJSONFrom")
	return from || t.PkgPath() == "encoding/json/jsontext"
}

// addFields fills the plan of struct p.typ with the fields encoding/json
// decodes, and reports false if the fast path cannot match its keys to
// them exactly as encoding/json does.
func (p *jsonPlan) addFields(seen map[reflect.Type]*jsonPlan) bool {
	t := p.typ
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if sf.Anonymous {
			// Embedded fields bring promotion and dominance rules.
			return false
		}
		if !sf.IsExported() {
			// encoding/json ignores it, but JSON v2 rejects a tag on it.
			if tag != "" && tag != "-" {
				return false
			}
			continue
		}
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		var omitEmpty, omitZero bool
		for _, o := range strings.Split(opts, ",") {
			// ",string" changes the decoding; other options than these
			// would mean something to JSON v2 only.
			switch o {
			case "":
			case "omitempty":
				omitEmpty = true
			case "omitzero":
				omitZero = true
			default:
				return false
			}
		}
		if name == "" {
			name = sf.Name
		}
		if !plainName(name) || p.field([]byte(name)) != nil {
			return false
		}
		fp := planFor(sf.Type, seen)
		if fp == nil {
			return false
		}
		p.fields = append(p.fields, planField{name: name, loose: looseName(name), index: i, plan: fp,
			key: jsonKey(name), omitEmpty: omitEmpty, omitZero: omitZero})
	}
	if len(p.fields) > fieldsByMap {
		p.byName = make(map[string]int, len(p.fields))
		for i, f := range p.fields {
			p.byName[f.name] = i
		}
	}
	return true
}

// plainName reports whether name is a JSON key encoding/json takes as it
// is from a tag (isValidTag) and that is plain ASCII, so that whether a key
// folds to it is simple to tell.
func plainName(name string) bool {
	if name == "" {
		return false
	}
	for i := range len(name) {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c) >= 0) {
			return false
		}
	}
	return true
}

// looseName folds an ASCII name further than encoding/json ever does
// (ASCII case, and JSON v2's case-insensitive matching that can also ignore
// '_' and '-'): two names encoding/json may match have the same loose name.
func looseName(name string) string {
	b := make([]byte, 0, len(name))
	for i := range len(name) {
		switch c := name[i]; {
		case c == '_' || c == '-':
		case 'A' <= c && c <= 'Z':
			b = append(b, c+'a'-'A')
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// field returns the struct field whose JSON name is exactly key, or nil.
func (p *jsonPlan) field(key []byte) *planField {
	if p.byName != nil {
		if i, ok := p.byName[string(key)]; ok {
			return &p.fields[i]
		}
		return nil
	}
	for i := range p.fields {
		if p.fields[i].name == string(key) {
			return &p.fields[i]
		}
	}
	return nil
}

// mayFold reports whether encoding/json might match key, which matches no
// field exactly, to a field case-insensitively: key is not ASCII (Unicode
// folds 'K' (Kelvin) to 'k' and 'ſ' to 's'), or its loose name is a field's.
func (p *jsonPlan) mayFold(key []byte) bool {
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return true
		}
	}
	for i := range p.fields {
		if looseEqual(key, p.fields[i].loose) {
			return true
		}
	}
	return false
}

// looseEqual reports whether looseName(string(key)) == loose, without
// making the string.
func looseEqual(key []byte, loose string) bool {
	j := 0
	for _, c := range key {
		switch {
		case c == '_' || c == '-':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		if j == len(loose) || loose[j] != c {
			return false
		}
		j++
	}
	return j == len(loose)
}
