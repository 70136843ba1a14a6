// Package storetest is the conformance suite for implementations of
// store.Store. Every store in this project runs it, and so should any store
// you write yourself:
//
//	func TestConformance(t *testing.T) {
//		s := mystore.New(...)
//		defer s.Close()
//		storetest.Run(t, s)
//	}
//
// The suite checks the contract written in package store: insert-only
// Create, update-only Update (no resurrection after Delete or expiry),
// idempotent Delete, expiry, context handling, safety under concurrent use,
// and, when the store implements them, the optional capabilities
// store.Versioned and store.UserIndex. Run it with -race.
//
// Requirements on the store under test: it must use the real clock (the
// suite sleeps past short expiry times), and it may already hold records
// (the suite uses fresh random keys and user IDs, so one store can be shared
// by all subtests and even by several runs of the suite). The whole suite
// takes about a second on an in-process store; most of that is spent
// sleeping past expiry times.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
)

// Option adds what a store's own test knows to the suite, such as how to
// damage a record behind the store's back.
type Option func(*options)

type options struct {
	corrupt func(ctx context.Context, key store.Key) error
}

// WithCorrupt gives the suite a way to damage the record stored under key
// directly in the backend (truncate its file, write junk into its row or
// hash), the way a bug, a disk fault or a hand edit would. The suite then
// checks that the store reports such a record as store.ErrCorrupt, that it
// never blocks the user's other sessions, and that the session layer
// replaces it with a fresh session instead of failing the request.
func WithCorrupt(fn func(ctx context.Context, key store.Key) error) Option {
	return func(o *options) { o.corrupt = fn }
}

// Run runs the whole conformance suite against s as subtests of t: the
// store contract first, then the session layer (package session) on top of
// s, which is where revocation, regeneration and concurrent requests meet.
//
// Subtests do not call s.Close or remove what they wrote beyond what the
// test itself needs; the caller owns s. Records the suite leaves behind
// expire within an hour.
func Run(t *testing.T, s store.Store, opts ...Option) {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, s) })
	t.Run("ReadUnknownKeyIsNotFound", func(t *testing.T) { testReadUnknown(t, s) })
	t.Run("CreateIsInsertOnly", func(t *testing.T) { testCreateInsertOnly(t, s) })
	t.Run("UpdateIsUpdateOnly", func(t *testing.T) { testUpdateOnly(t, s) })
	t.Run("DeleteIsIdempotent", func(t *testing.T) { testDeleteIdempotent(t, s) })
	t.Run("DeleteReportsLiveRecord", func(t *testing.T) { testDeleteReports(t, s) })
	t.Run("CallerCannotMutateStoredData", func(t *testing.T) { testDataIsolation(t, s) })
	t.Run("Expiry", func(t *testing.T) { testExpiry(t, s) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, s) })
	t.Run("Context", func(t *testing.T) { testContext(t, s) })
	t.Run("Versioned", func(t *testing.T) {
		v, ok := s.(store.Versioned)
		if !ok {
			t.Skip("store does not implement store.Versioned")
		}
		testVersioned(t, v)
	})
	t.Run("UserIndex", func(t *testing.T) {
		u, ok := s.(store.UserIndex)
		if !ok {
			t.Skip("store does not implement store.UserIndex")
		}
		testUserIndex(t, u)
	})
	t.Run("Maintenance", func(t *testing.T) {
		m, ok := s.(store.Maintenance)
		if !ok {
			t.Skip("store does not implement store.Maintenance")
		}
		testMaintenance(t, s, m)
	})
	t.Run("Corrupt", func(t *testing.T) {
		if o.corrupt == nil {
			t.Skip("no storetest.WithCorrupt given: the store's test cannot damage a record")
		}
		testCorrupt(t, s, o.corrupt)
	})
	t.Run("Session", func(t *testing.T) { testSession(t, s, &o) })
}

// RandomKey returns a fresh key from crypto/rand. Keys drawn from it never
// collide with records another test (or another run sharing a database)
// wrote, so store tests need no cleanup between cases.
func RandomKey() store.Key {
	var k store.Key
	// crypto/rand.Read never returns an error (Go 1.24+); it panics if
	// the system's random source fails, which no test could survive anyway.
	_, _ = rand.Read(k[:])
	return k
}

// randomUserID returns a user ID nobody else uses, so that a store shared
// between subtests (or runs) never mixes their sessions in ListUser.
func randomUserID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "user-" + hex.EncodeToString(b[:])
}

// now returns the current time at millisecond precision, the precision
// every store must keep.
func now() time.Time { return time.Now().Truncate(time.Millisecond) }

// newRecord returns a record owned by userID that expires ttl from now.
// Its times carry a non-zero millisecond part so that a store that keeps
// only seconds fails the round trip.
func newRecord(userID string, data string, ttl time.Duration) store.Record {
	n := now()
	return store.Record{
		Data:    []byte(data),
		Created: n.Add(-time.Hour - 123*time.Millisecond),
		Updated: n.Add(-7 * time.Millisecond),
		Expires: n.Add(ttl),
		UserID:  userID,
	}
}

// sameTime reports whether a and b are the same instant at millisecond
// precision, ignoring location and monotonic clock readings.
func sameTime(a, b time.Time) bool {
	return a.Truncate(time.Millisecond).Equal(b.Truncate(time.Millisecond))
}

// checkRecord reports every field of got that differs from want. Version is
// not compared here; the Versioned subtests check it.
func checkRecord(t *testing.T, what string, got, want store.Record) {
	t.Helper()
	if !bytes.Equal(got.Data, want.Data) {
		t.Errorf("%s: Data = %s, want %s", what, describe(got.Data), describe(want.Data))
	}
	checkTimes(t, what, store.Info{Created: got.Created, Updated: got.Updated, Expires: got.Expires}, want)
	if got.UserID != want.UserID {
		t.Errorf("%s: UserID = %q, want %q", what, got.UserID, want.UserID)
	}
}

// checkTimes reports every time in got that differs from want's at
// millisecond precision.
func checkTimes(t *testing.T, what string, got store.Info, want store.Record) {
	t.Helper()
	if !sameTime(got.Created, want.Created) {
		t.Errorf("%s: Created = %v, want %v (millisecond precision)", what, got.Created, want.Created)
	}
	if !sameTime(got.Updated, want.Updated) {
		t.Errorf("%s: Updated = %v, want %v (millisecond precision)", what, got.Updated, want.Updated)
	}
	if !sameTime(got.Expires, want.Expires) {
		t.Errorf("%s: Expires = %v, want %v (millisecond precision)", what, got.Expires, want.Expires)
	}
}

// describe shortens a byte slice for a failure message.
func describe(b []byte) string {
	if len(b) <= 32 {
		return "[" + hex.EncodeToString(b) + "]"
	}
	return "[" + hex.EncodeToString(b[:16]) + "… " + strconv.Itoa(len(b)) + " bytes]"
}

// mustCreate creates rec under key and stops the test if that fails:
// every later assertion of the subtest depends on it.
func mustCreate(t *testing.T, s store.Store, key store.Key, rec store.Record) {
	t.Helper()
	if err := s.Create(context.Background(), key, rec); err != nil {
		t.Fatalf("Create(%s): %v", key, err)
	}
}

// mustRead reads key and stops the test if the record is not there.
func mustRead(t *testing.T, s store.Store, key store.Key) store.Record {
	t.Helper()
	rec, err := s.Read(context.Background(), key)
	if err != nil {
		t.Fatalf("Read(%s): %v", key, err)
	}
	return rec
}

// wantNotFound checks that key reads as store.ErrNotFound.
func wantNotFound(t *testing.T, s store.Store, key store.Key, why string) {
	t.Helper()
	rec, err := s.Read(context.Background(), key)
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Read %s: got record %s, err %v; want an error wrapping store.ErrNotFound", why, describe(rec.Data), err)
	}
}

// wantErr checks that err wraps target.
func wantErr(t *testing.T, op string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want an error wrapping %v", op, err, target)
	}
}

// noErr checks that err is nil.
func noErr(t *testing.T, op string, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: unexpected error: %v", op, err)
	}
}

// del deletes key and returns only the error, for the many checks that do
// not care whether a live record was there.
func del(s store.Store, ctx context.Context, key store.Key) error {
	_, err := s.Delete(ctx, key)
	return err
}
