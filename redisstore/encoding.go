package redisstore

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/b4f9cdbb/session/store"
)

// ErrCorrupt is store.ErrCorrupt, the one corruption sentinel of every
// store; test for either name with errors.Is. A Store wraps it when a key in
// its namespace holds something that is not a record in this package's
// encoding (another type of value, a missing field, a malformed number). It
// is kept apart from store.ErrNotFound on purpose: a session layer that took
// junk for "no record" could go on to build a fresh, empty session on top of
// it, and one that took it for a record could act on garbage.
var ErrCorrupt = store.ErrCorrupt

// Hash field names of a record. Short, because every record carries them.
const (
	fieldData    = "d"
	fieldCreated = "c"
	fieldUpdated = "u"
	fieldExpires = "e"
	fieldUser    = "uid"
	fieldVersion = "v"
)

// encodeTime writes t exactly, at any date (including the zero time), as
// "unix-seconds.nanoseconds", which stays readable in redis-cli.
func encodeTime(t time.Time) string {
	return string(appendTime(make([]byte, 0, 32), t))
}

// appendTime appends encodeTime's form of t to b, so that a write can
// encode its three times into one buffer.
func appendTime(b []byte, t time.Time) []byte {
	b = strconv.AppendInt(b, t.Unix(), 10)
	b = append(b, '.')
	ns := t.Nanosecond() // 0 <= ns < 1e9: nine digits, zero-padded
	for d := 100_000_000; d > 0; d /= 10 {
		b = append(b, byte('0'+ns/d%10))
	}
	return b
}

// decodeTime parses what encodeTime wrote; times come back in UTC.
func decodeTime(s string) (time.Time, error) {
	secs, frac, ok := strings.Cut(s, ".")
	if !ok || len(frac) != 9 {
		return time.Time{}, fmt.Errorf("time %q is not unix-seconds.nanoseconds", clip(s))
	}
	sec, err := strconv.ParseInt(secs, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: bad seconds", clip(s))
	}
	ns, err := strconv.ParseUint(frac, 10, 32)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: bad nanoseconds", clip(s))
	}
	return time.Unix(sec, int64(ns)).UTC(), nil
}

// expireAtMillis is the instant handed to PEXPIREAT: Expires rounded down to
// the millisecond, so Redis never keeps a record past its Expires.
func expireAtMillis(t time.Time) int64 {
	ms := t.UnixMilli()
	if time.UnixMilli(ms).After(t) { // UnixMilli rounds toward zero before 1970
		ms--
	}
	return ms
}

// decodeRecord turns the fields of a record hash into a Record. Any missing
// or malformed field is an error wrapping ErrCorrupt, never a half-filled
// record.
func decodeRecord(m map[string]string) (store.Record, error) {
	var rec store.Record
	data, ok := m[fieldData]
	if !ok {
		return rec, fmt.Errorf("%w: field %q is missing", ErrCorrupt, fieldData)
	}
	user, ok := m[fieldUser]
	if !ok {
		return rec, fmt.Errorf("%w: field %q is missing", ErrCorrupt, fieldUser)
	}
	var err error
	if rec.Created, err = timeField(m, fieldCreated); err != nil {
		return rec, err
	}
	if rec.Updated, err = timeField(m, fieldUpdated); err != nil {
		return rec, err
	}
	if rec.Expires, err = timeField(m, fieldExpires); err != nil {
		return rec, err
	}
	v, ok := m[fieldVersion]
	if !ok {
		return rec, fmt.Errorf("%w: field %q is missing", ErrCorrupt, fieldVersion)
	}
	if rec.Version, err = strconv.ParseUint(v, 10, 64); err != nil || rec.Version == 0 {
		return store.Record{}, fmt.Errorf("%w: version %q is not a positive integer", ErrCorrupt, clip(v))
	}
	rec.Data = []byte(data)
	rec.UserID = user
	return rec, nil
}

// timeField decodes one time field of a record hash.
func timeField(m map[string]string, name string) (time.Time, error) {
	s, ok := m[name]
	if !ok {
		return time.Time{}, fmt.Errorf("%w: field %q is missing", ErrCorrupt, name)
	}
	t, err := decodeTime(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: field %q: %v", ErrCorrupt, name, err)
	}
	return t, nil
}

// clip shortens junk before it goes into an error message.
func clip(s string) string {
	if len(s) > 24 {
		return s[:24] + "…"
	}
	return s
}

// hashReply turns a flat field/value list (HGETALL's reply inside a script)
// into a map.
func hashReply(list []any) map[string]string {
	m := make(map[string]string, len(list)/2)
	for i := 0; i+1 < len(list); i += 2 {
		k, _ := list[i].(string)
		v, _ := list[i+1].(string)
		m[k] = v
	}
	return m
}
