package sqlstore

import (
	"fmt"
	"time"

	"github.com/b4f9cdbb/session/store"
)

// Every store keeps times as Unix milliseconds in BIGINT columns and
// compares them with a "now" sent from Go, so that the database server's
// clock and time zone never matter.

// millis converts a time to the stored Unix milliseconds. The zero time is
// stored as 0 so that a record with an unset Created round-trips; times
// before 1970 are refused since no session can start or end then.
func (s *Store) millis(what string, t time.Time) (int64, error) {
	if t.IsZero() {
		return 0, nil
	}
	ms := t.UnixMilli()
	if ms < 0 {
		return 0, fmt.Errorf("%s: %s time %v is before 1970", s.d.Name, what, t)
	}
	return ms, nil
}

// fromMillis is the inverse of millis.
func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// fields is a Record in the shape of the table's columns.
type fields struct {
	data                      []byte
	created, updated, expires int64
	userID                    *string
}

func (s *Store) toFields(rec store.Record) (fields, error) {
	f := fields{data: rec.Data}
	if f.data == nil {
		f.data = []byte{} // NOT NULL column; nil would be sent as NULL
	}
	var err error
	if f.created, err = s.millis("created", rec.Created); err != nil {
		return f, err
	}
	if f.updated, err = s.millis("updated", rec.Updated); err != nil {
		return f, err
	}
	if f.expires, err = s.millis("expires", rec.Expires); err != nil {
		return f, err
	}
	if rec.UserID != "" {
		f.userID = &rec.UserID
	}
	if limit := s.d.MaxUserIDLen; limit > 0 && len(rec.UserID) > limit {
		return f, fmt.Errorf("%s: user ID is %d bytes, longer than the user_id column's %d", s.d.Name, len(rec.UserID), limit)
	}
	return f, nil
}

// scanned holds one row as read, with pointers so that a NULL the schema
// forbids is reported as corruption instead of a driver conversion error.
// What it accepts, the dialect's readable condition (dialect.go) accepts in
// SQL; the stores' shared corruption tests keep the two in step.
type scanned struct {
	key                                []byte
	data                               []byte
	created, updated, expires, version *int64
	userID                             *string
}

// times checks and converts the three time columns.
func (r *scanned) times() (created, updated, expires time.Time, err error) {
	cols := [...]struct {
		name string
		v    *int64
		out  *time.Time
	}{{"created", r.created, &created}, {"updated", r.updated, &updated}, {"expires", r.expires, &expires}}
	for _, c := range cols {
		if c.v == nil {
			return created, updated, expires, fmt.Errorf("%w: %s is NULL", store.ErrCorrupt, c.name)
		}
		if *c.v < 0 {
			return created, updated, expires, fmt.Errorf("%w: %s is negative (%d)", store.ErrCorrupt, c.name, *c.v)
		}
		*c.out = fromMillis(*c.v)
	}
	return created, updated, expires, nil
}

// checkVersion checks and converts the version column.
func (r *scanned) checkVersion() (uint64, error) {
	if r.version == nil || *r.version < 1 {
		return 0, fmt.Errorf("%w: version is NULL or below 1", store.ErrCorrupt)
	}
	return uint64(*r.version), nil
}

func (r *scanned) record() (store.Record, error) {
	var rec store.Record
	var err error
	if rec.Created, rec.Updated, rec.Expires, err = r.times(); err != nil {
		return store.Record{}, err
	}
	if rec.Version, err = r.checkVersion(); err != nil {
		return store.Record{}, err
	}
	rec.Data = r.data
	if rec.Data == nil {
		rec.Data = []byte{}
	}
	if r.userID != nil {
		rec.UserID = *r.userID
	}
	return rec, nil
}

// info checks a row of the user index as record checks a row that Read
// returns, and the key as well, which Read already knows.
func (r *scanned) info() (store.Info, error) {
	var in store.Info
	if len(r.key) != store.KeySize {
		return in, fmt.Errorf("%w: key is %d bytes, not %d", store.ErrCorrupt, len(r.key), store.KeySize)
	}
	copy(in.Key[:], r.key)
	var err error
	if in.Created, in.Updated, in.Expires, err = r.times(); err != nil {
		return store.Info{}, err
	}
	if _, err := r.checkVersion(); err != nil {
		return store.Info{}, err
	}
	return in, nil
}
