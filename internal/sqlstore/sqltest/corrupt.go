package sqltest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/internal/sqlstore"
	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
)

// Damage is one way to spoil a row behind the store's back, as a bug, a
// hand edit or another program sharing the table would:
// UPDATE … SET Column = Value for the row's key.
type Damage struct {
	Column string
	// Value is an SQL literal in the dialect's syntax.
	Value string
	// Before, if set, is a statement run first, with {t} for the quoted
	// table: the ALTER that lets a NULL into a NOT NULL column, say.
	Before string
}

func (d Damage) String() string { return d.Column + "=" + d.Value }

// CommonDamages spoil a row in every dialect: each breaks a rule that
// record.go checks and that the dialect's readable condition checks in SQL.
// The conformance suite's storetest.WithCorrupt uses the first.
var CommonDamages = []Damage{
	{Column: "version", Value: "0"},
	{Column: "version", Value: "-7"},
	{Column: "created", Value: "-5"},
	{Column: "updated", Value: "-1"},
}

// damage spoils the row of s under key with d.
func (h Harness[S, O]) damage(ctx context.Context, s S, key store.Key, d Damage) error {
	if d.Before != "" {
		if err := h.Exec(ctx, strings.ReplaceAll(d.Before, "{t}", s.Table())); err != nil {
			return err
		}
	}
	q := h.Dialect.Quote
	return h.Exec(ctx, h.Dialect.Statement("UPDATE "+s.Table()+" SET "+q(d.Column)+" = "+d.Value+" WHERE "+q("key")+" = ?"), key[:])
}

// testCorruptRows runs every damage, common and the store's own, through
// every method that meets the row: Read says store.ErrCorrupt, Count and
// DeleteUser do not count it, ListUser leaves it out and deletes it, and
// DeleteAll and Delete remove it. Record.go decides in Go what Read and
// ListUser accept; the dialect's readable condition decides in SQL what
// Count, DeleteUser and DeleteAll count: the damages keep the two in step.
func testCorruptRows[S Store, O any](t *testing.T, h Harness[S, O]) {
	for _, d := range append(append([]Damage(nil), CommonDamages...), h.Damages...) {
		t.Run(d.String(), func(t *testing.T) {
			s := h.Store(t, h.Opt(sqlstore.WithJanitorInterval(0)))
			ctx := context.Background()
			rows := func() int {
				t.Helper()
				n, err := h.QueryInt(ctx, "SELECT count(*) FROM "+s.Table())
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			user := "corrupt-" + d.Column
			rec := store.Record{Data: []byte("x"), Created: time.Now(), Updated: time.Now(), Expires: time.Now().Add(time.Hour), UserID: user}
			spoilt := func() store.Key {
				t.Helper()
				key := storetest.RandomKey()
				if err := s.Create(ctx, key, rec); err != nil {
					t.Fatal(err)
				}
				if err := h.damage(ctx, s, key, d); err != nil {
					t.Fatalf("damage %s: %v", d, err)
				}
				return key
			}
			good := storetest.RandomKey()
			if err := s.Create(ctx, good, rec); err != nil {
				t.Fatal(err)
			}
			bad := spoilt()

			_, err := s.Read(ctx, bad)
			if d.Column == "key" { // the row moved to a key nobody asks for
				if !errors.Is(err, store.ErrNotFound) {
					t.Errorf("Read by the key the row had: err = %v, want store.ErrNotFound", err)
				}
			} else if !errors.Is(err, store.ErrCorrupt) {
				t.Errorf("Read: err = %v, want store.ErrCorrupt", err)
			}
			if n, err := s.Count(ctx); err != nil || n != 1 {
				t.Errorf("Count = %d, %v; want 1 (the readable row only)", n, err)
			}
			list, err := s.ListUser(ctx, user)
			if err != nil || len(list) != 1 || list[0].Key != good {
				t.Errorf("ListUser = %v, %v; want only the readable session", list, err)
			}
			if n := rows(); n != 1 {
				t.Errorf("%d rows after ListUser, want 1: ListUser must delete the corrupt row", n)
			}

			spoilt()
			if n, err := s.DeleteUser(ctx, user); err != nil || n != 1 {
				t.Errorf("DeleteUser = %d, %v; want 1 (the corrupt row is deleted, not counted)", n, err)
			}
			if n := rows(); n != 0 {
				t.Errorf("%d rows after DeleteUser, want 0", n)
			}

			if err := s.Create(ctx, good, rec); err != nil {
				t.Fatal(err)
			}
			spoilt()
			if n, err := s.DeleteAll(ctx); err != nil || n != 1 {
				t.Errorf("DeleteAll = %d, %v; want 1 (the corrupt row is deleted, not counted)", n, err)
			}
			if n := rows(); n != 0 {
				t.Errorf("%d rows after DeleteAll, want 0", n)
			}

			if d.Column != "key" {
				bad := spoilt()
				if _, err := s.Delete(ctx, bad); err != nil {
					t.Errorf("Delete: %v", err)
				}
				if n := rows(); n != 0 {
					t.Errorf("%d rows after Delete, want 0", n)
				}
			}
		})
	}
}
