package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// payloadVersion is the first byte of a serialized Payload.
const payloadVersion = 1

const (
	flagPersistent = 1 << 0
	flagCommits    = 1 << 1 // the commit IDs follow the flash values
)

// ErrMalformed is returned by UnmarshalPayload for bytes that are not a
// serialized Payload (a store returning junk, for example).
var ErrMalformed = errors.New("session payload: malformed")

// AppendPayload appends the binary form of p to dst. The native codecs seal
// or sign this form; server-side storage keeps it as the record's data.
//
// Layout: version byte, flags byte, created and expires as varint Unix
// milliseconds (0 for a zero time), then the ID, the data and the flash
// values, each length-prefixed with a uvarint, and, when the flags say so,
// the number of commit IDs (a uvarint, 1 to RecentCommits) and each as 8
// little-endian bytes.
func AppendPayload(dst []byte, p *Payload) []byte {
	dst = append(dst, payloadVersion)
	var flags byte
	if p.Persistent {
		flags |= flagPersistent
	}
	commits := p.commitCount()
	if commits > 0 {
		flags |= flagCommits
	}
	dst = append(dst, flags)
	dst = binary.AppendVarint(dst, unixMilli(p.Created))
	dst = binary.AppendVarint(dst, unixMilli(p.Expires))
	dst = appendBytes(dst, p.ID)
	dst = appendBytes(dst, p.Data)
	dst = binary.AppendUvarint(dst, uint64(len(p.Flash)))
	for k, v := range p.Flash {
		dst = appendBytes(dst, k)
		dst = appendBytes(dst, v)
	}
	if commits > 0 {
		dst = binary.AppendUvarint(dst, uint64(commits))
		for _, c := range p.Commits[:commits] {
			dst = binary.LittleEndian.AppendUint64(dst, c)
		}
	}
	return dst
}

// commitCount is how many leading entries of p.Commits are set.
func (p *Payload) commitCount() int {
	n := 0
	for n < len(p.Commits) && p.Commits[n] != 0 {
		n++
	}
	return n
}

// PayloadSize returns an upper bound of len(AppendPayload(nil, p)).
func PayloadSize(p *Payload) int {
	n := 2 + 2*binary.MaxVarintLen64 + 3*binary.MaxVarintLen64 + len(p.ID) + len(p.Data) + 1 + 8*RecentCommits
	for k, v := range p.Flash {
		n += 2*binary.MaxVarintLen64 + len(k) + len(v)
	}
	return n
}

func appendBytes[S string | []byte](dst []byte, s S) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// UnmarshalPayload parses what AppendPayload wrote. Data and flash values
// share memory with b. Stale is always false.
func UnmarshalPayload(b []byte) (Payload, error) {
	var p Payload
	if len(b) < 2 || b[0] != payloadVersion {
		return p, fmt.Errorf("%w: unknown version", ErrMalformed)
	}
	if b[1]&^(flagPersistent|flagCommits) != 0 {
		return p, fmt.Errorf("%w: unknown flags", ErrMalformed)
	}
	p.Persistent = b[1]&flagPersistent != 0
	r := reader{b: b[2:]}
	p.Created = fromUnixMilli(r.varint())
	p.Expires = fromUnixMilli(r.varint())
	if id := r.bytes(); len(id) > 0 {
		p.ID = string(id)
	}
	p.Data = r.bytes()
	n := r.uvarint()
	// Each flash entry takes at least two bytes, so a count larger than
	// what is left is junk; checking it first bounds the map's allocation.
	if r.err == nil && n > uint64(len(r.b))/2 {
		r.err = ErrMalformed
	}
	if r.err == nil && n > 0 {
		p.Flash = make(map[string][]byte, n)
		for i := uint64(0); i < n && r.err == nil; i++ {
			k := r.bytes()
			v := r.bytes()
			p.Flash[string(k)] = v
		}
	}
	if r.err == nil && b[1]&flagCommits != 0 {
		r.commits(&p.Commits)
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = ErrMalformed
	}
	if r.err != nil {
		return Payload{}, fmt.Errorf("%w: bad structure", ErrMalformed)
	}
	return p, nil
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = ErrMalformed
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = ErrMalformed
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = ErrMalformed
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// commits reads the commit IDs: a count from 1 to len(dst), then each
// as 8 little-endian bytes, none of them zero (zero marks the end).
func (r *reader) commits(dst *[RecentCommits]uint64) {
	n := r.uvarint()
	if r.err != nil {
		return
	}
	if n == 0 || n > uint64(len(dst)) || uint64(len(r.b)) < 8*n {
		r.err = ErrMalformed
		return
	}
	for i := range n {
		if dst[i] = binary.LittleEndian.Uint64(r.b); dst[i] == 0 {
			r.err = ErrMalformed
			return
		}
		r.b = r.b[8:]
	}
}

func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromUnixMilli(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
