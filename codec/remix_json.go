package codec

import (
	"bytes"
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// This file re-writes JSON text the way JavaScript's JSON.stringify writes
// the value JSON.parse makes of it, so that the Remix codec's cookies are
// byte for byte what a React Router server would set for the same data:
//
//   - no whitespace;
//   - strings: only '"', '\\' and the control characters are escaped (\b,
//     \t, \n, \f, \r, else \u00xx in lower case); '<', '>', '&', U+2028 and
//     U+2029, which encoding/json escapes, are written as themselves; an
//     unpaired surrogate stays an escape (\udxxx), as in ES2019's
//     well-formed JSON.stringify;
//   - object members in JavaScript's property order: keys that are array
//     indices ("0" … "4294967294", no leading zero) first, in ascending
//     numeric order, then the others in the order written;
//   - numbers are copied as written. encoding/json writes a float64 the way
//     JavaScript does (except -0, which JavaScript writes as 0); an integer
//     beyond 2^53 is exact here but rounded by JavaScript.
//
// It also validates: the grammar of RFC 8259, UTF-8 inside strings, no
// duplicate keys in an object, including keys equal but for case
// (JSON.parse would silently keep the last; encoding/json matches struct
// fields ignoring case), and
// at most maxJSONDepth nested arrays and objects.

// maxJSONDepth bounds the nesting of arrays and objects, so that neither the
// recursion here nor the user's decoder later goes deep on hostile input.
const maxJSONDepth = 64

// member locates one object member in the output: the key with its quotes,
// then the value.
type member struct{ k0, k1, v0, v1 int }

type jsCanon struct {
	src   []byte
	pos   int
	depth int
	bad   bool
	// top receives the members of the outermost value, when it is an object.
	top []member
}

// canonicalJSON appends the JSON.stringify form of src to dst. It returns
// ok=false for anything that is not a single valid JSON value. When the
// value is an object, members locates its members in dst.
func canonicalJSON(dst, src []byte) (out []byte, members []member, ok bool) {
	c := jsCanon{src: src}
	c.ws()
	out = c.value(dst)
	c.ws()
	if c.bad || c.pos != len(src) {
		return dst, nil, false
	}
	return out, c.top, true
}

func (c *jsCanon) fail() { c.bad = true }

func (c *jsCanon) peek() byte {
	if c.pos < len(c.src) {
		return c.src[c.pos]
	}
	return 0
}

func (c *jsCanon) ws() {
	for c.pos < len(c.src) {
		switch c.src[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
	}
}

func (c *jsCanon) value(dst []byte) []byte {
	if c.bad {
		return dst
	}
	switch b := c.peek(); {
	case b == '{':
		return c.object(dst)
	case b == '[':
		return c.array(dst)
	case b == '"':
		return c.str(dst)
	case b == '-' || (b >= '0' && b <= '9'):
		return c.number(dst)
	case b == 't':
		return c.literal(dst, "true")
	case b == 'f':
		return c.literal(dst, "false")
	case b == 'n':
		return c.literal(dst, "null")
	}
	c.fail()
	return dst
}

func (c *jsCanon) literal(dst []byte, lit string) []byte {
	if !bytes.HasPrefix(c.src[c.pos:], []byte(lit)) {
		c.fail()
		return dst
	}
	c.pos += len(lit)
	return append(dst, lit...)
}

func (c *jsCanon) digits() int {
	n := 0
	for c.pos < len(c.src) && c.src[c.pos] >= '0' && c.src[c.pos] <= '9' {
		c.pos++
		n++
	}
	return n
}

func (c *jsCanon) number(dst []byte) []byte {
	start := c.pos
	if c.peek() == '-' {
		c.pos++
	}
	switch {
	case c.peek() == '0':
		c.pos++
	case c.digits() == 0:
		c.fail()
		return dst
	}
	if c.peek() == '.' {
		c.pos++
		if c.digits() == 0 {
			c.fail()
			return dst
		}
	}
	if b := c.peek(); b == 'e' || b == 'E' {
		c.pos++
		if b := c.peek(); b == '+' || b == '-' {
			c.pos++
		}
		if c.digits() == 0 {
			c.fail()
			return dst
		}
	}
	return append(dst, c.src[start:c.pos]...)
}

func (c *jsCanon) enter() bool {
	c.depth++
	if c.depth > maxJSONDepth {
		c.fail()
	}
	return !c.bad
}

func (c *jsCanon) array(dst []byte) []byte {
	c.pos++ // '['
	if !c.enter() {
		return dst
	}
	dst = append(dst, '[')
	c.ws()
	if c.peek() == ']' {
		c.pos++
		c.depth--
		return append(dst, ']')
	}
	for !c.bad {
		c.ws()
		dst = c.value(dst)
		c.ws()
		switch c.peek() {
		case ',':
			c.pos++
			dst = append(dst, ',')
			continue
		case ']':
			c.pos++
			c.depth--
			return append(dst, ']')
		}
		c.fail()
	}
	return dst
}

func (c *jsCanon) object(dst []byte) []byte {
	outer := c.depth == 0
	c.pos++ // '{'
	if !c.enter() {
		return dst
	}
	start := len(dst)
	dst = append(dst, '{')
	var ms []member
	c.ws()
	if c.peek() == '}' {
		c.pos++
	} else {
		for !c.bad {
			c.ws()
			if c.peek() != '"' {
				c.fail()
				break
			}
			if len(ms) > 0 {
				dst = append(dst, ',')
			}
			var m member
			m.k0 = len(dst)
			dst = c.str(dst)
			m.k1 = len(dst)
			c.ws()
			if c.peek() != ':' {
				c.fail()
				break
			}
			c.pos++
			dst = append(dst, ':')
			c.ws()
			m.v0 = len(dst)
			dst = c.value(dst)
			m.v1 = len(dst)
			ms = append(ms, m)
			c.ws()
			if c.peek() == ',' {
				c.pos++
				continue
			}
			if c.peek() == '}' {
				c.pos++
				break
			}
			c.fail()
		}
	}
	if c.bad {
		return dst
	}
	dst = append(dst, '}')
	c.depth--
	if hasDuplicateKey(dst, ms) {
		c.fail()
		return dst
	}
	dst, ms = reorderIndexKeys(dst, start, ms)
	if outer {
		c.top = ms
	}
	return dst
}

// hasDuplicateKey reports whether two members have the same key, ignoring
// case as encoding/json does when it matches keys to struct fields: in Go,
// a JavaScript app's "USER" would silently override its "user". Keys are
// compared in their canonical form, which is one-to-one with their value.
func hasDuplicateKey(buf []byte, ms []member) bool {
	if len(ms) < 2 {
		return false
	}
	if len(ms) <= 16 {
		for i := range ms {
			for j := i + 1; j < len(ms); j++ {
				if bytes.EqualFold(buf[ms[i].k0:ms[i].k1], buf[ms[j].k0:ms[j].k1]) {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[string]struct{}, len(ms))
	for _, m := range ms {
		k := foldKey(buf[m.k0:m.k1])
		if _, dup := seen[k]; dup {
			return true
		}
		seen[k] = struct{}{}
	}
	return false
}

// foldKey maps every rune of key to the smallest rune of its case-folding
// orbit, so that foldKey(a) == foldKey(b) exactly when bytes.EqualFold(a, b).
func foldKey(key []byte) string {
	var sb strings.Builder
	sb.Grow(len(key))
	for _, r := range string(key) {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		sb.WriteRune(least)
	}
	return sb.String()
}

// arrayIndex returns the value of a canonical key (with its quotes) that is
// a JavaScript array index, or -1.
func arrayIndex(key []byte) int64 {
	d := key[1 : len(key)-1]
	if len(d) == 0 || len(d) > 10 || (d[0] == '0' && len(d) > 1) {
		return -1
	}
	var n int64
	for _, b := range d {
		if b < '0' || b > '9' {
			return -1
		}
		n = n*10 + int64(b-'0')
	}
	if n > 1<<32-2 {
		return -1
	}
	return n
}

// reorderIndexKeys rewrites the object that starts at buf[start] (members
// ms) in JavaScript's property order, when that differs from the written
// order.
func reorderIndexKeys(buf []byte, start int, ms []member) ([]byte, []member) {
	type keyed struct {
		idx int64
		m   member
	}
	order := make([]keyed, 0, len(ms))
	sawIndex, sorted := false, true
	for i, m := range ms {
		idx := arrayIndex(buf[m.k0:m.k1])
		if idx >= 0 {
			sawIndex = true
			if i > 0 && (order[i-1].idx < 0 || order[i-1].idx > idx) {
				sorted = false
			}
		}
		order = append(order, keyed{idx, m})
	}
	if !sawIndex || sorted {
		return buf, ms
	}
	slices.SortStableFunc(order, func(a, b keyed) int {
		switch {
		case a.idx >= 0 && b.idx >= 0:
			return cmp.Compare(a.idx, b.idx)
		case a.idx >= 0:
			return -1
		case b.idx >= 0:
			return 1
		}
		return 0
	})
	body := slices.Clone(buf[start:])
	out := append(buf[:start], '{')
	for i, o := range order {
		if i > 0 {
			out = append(out, ',')
		}
		var m member
		m.k0 = len(out)
		out = append(out, body[o.m.k0-start:o.m.k1-start]...)
		m.k1 = len(out)
		out = append(out, ':')
		m.v0 = len(out)
		out = append(out, body[o.m.v0-start:o.m.v1-start]...)
		m.v1 = len(out)
		ms[i] = m
	}
	return append(out, '}'), ms
}

func hexVal(b byte) rune {
	switch {
	case b >= '0' && b <= '9':
		return rune(b - '0')
	case b >= 'a' && b <= 'f':
		return rune(b-'a') + 10
	case b >= 'A' && b <= 'F':
		return rune(b-'A') + 10
	}
	return -1
}

// hex4 reads the four hex digits of a \u escape at src[i:].
func hex4(src []byte, i int) rune {
	if i+4 > len(src) {
		return -1
	}
	var r rune
	for _, b := range src[i : i+4] {
		v := hexVal(b)
		if v < 0 {
			return -1
		}
		r = r<<4 | v
	}
	return r
}

// str reads a JSON string and appends it as JSON.stringify writes it.
func (c *jsCanon) str(dst []byte) []byte {
	c.pos++ // '"'
	dst = append(dst, '"')
	src := c.src
	for c.pos < len(src) {
		b := src[c.pos]
		switch {
		case b == '"':
			c.pos++
			return append(dst, '"')
		case b < 0x20:
			c.fail()
			return dst
		case b < utf8.RuneSelf && b != '\\':
			c.pos++
			dst = append(dst, b)
		case b >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(src[c.pos:])
			if r == utf8.RuneError && n <= 1 {
				c.fail()
				return dst
			}
			dst = append(dst, src[c.pos:c.pos+n]...)
			c.pos += n
		default: // backslash
			if c.pos+1 >= len(src) {
				c.fail()
				return dst
			}
			e := src[c.pos+1]
			c.pos += 2
			switch e {
			case '"', '\\', '/':
				dst = appendJSRune(dst, rune(e))
			case 'b', 'f', 'n', 'r', 't':
				dst = appendJSRune(dst, rune("\b\f\n\r\t"[strings.IndexByte("bfnrt", e)]))
			case 'u':
				r := hex4(src, c.pos)
				if r < 0 {
					c.fail()
					return dst
				}
				c.pos += 4
				if utf16.IsSurrogate(r) {
					if r < 0xdc00 && c.pos+1 < len(src) && src[c.pos] == '\\' && src[c.pos+1] == 'u' {
						if lo := hex4(src, c.pos+2); lo >= 0xdc00 && lo <= 0xdfff {
							c.pos += 6
							dst = utf8.AppendRune(dst, utf16.DecodeRune(r, lo))
							continue
						}
					}
					dst = appendHexEscape(dst, r)
					continue
				}
				dst = appendJSRune(dst, r)
			default:
				c.fail()
				return dst
			}
		}
	}
	c.fail()
	return dst
}

func appendHexEscape(dst []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	return append(dst, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
}

// jsShortEscape holds, for each character that JSON.stringify writes as a
// two-character escape, the letter after the backslash.
var jsShortEscape = [...]byte{'"': '"', '\\': '\\', '\b': 'b', '\f': 'f', '\n': 'n', '\r': 'r', '\t': 't'}

// appendJSRune appends r as JSON.stringify writes it inside a string.
func appendJSRune(dst []byte, r rune) []byte {
	if r < rune(len(jsShortEscape)) && jsShortEscape[r] != 0 {
		return append(dst, '\\', jsShortEscape[r])
	}
	if r < 0x20 {
		return appendHexEscape(dst, r)
	}
	return utf8.AppendRune(dst, r)
}

// appendJSString appends s as a JSON string the way JSON.stringify writes
// it. It returns ok=false if s is not valid UTF-8 (a JavaScript string
// cannot hold such bytes).
func appendJSString(dst []byte, s string) ([]byte, bool) {
	if !utf8.ValidString(s) {
		return dst, false
	}
	dst = append(dst, '"')
	for _, r := range s {
		dst = appendJSRune(dst, r)
	}
	return append(dst, '"'), true
}
