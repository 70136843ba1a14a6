package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
)

// shortTTL is how far ahead the expiry subtests set Expires. It must be long
// enough for a networked store to create and read the record back before it
// expires.
const shortTTL = 300 * time.Millisecond

// expiryMargin is how long the suite sleeps past Expires before it expects
// the record to be gone. It absorbs a store's clock being slightly behind
// the test's (a database server's own clock, Redis TTL rounding).
const expiryMargin = 250 * time.Millisecond

// sleepPast sleeps until margin after t.
func sleepPast(t time.Time) { time.Sleep(time.Until(t) + expiryMargin) }

// testExpiry runs the subtests that must sleep past an expiry time in
// parallel, so that the suite waits once rather than once per subtest. The
// enclosing t.Run returns only when all of them are done.
func testExpiry(t *testing.T, s store.Store) {
	ctx := context.Background()
	t.Run("ReadableUntilExpiresThenNotFound", func(t *testing.T) {
		t.Parallel()
		key := RandomKey()
		rec := newRecord(randomUserID(), "short-lived", shortTTL)
		mustCreate(t, s, key, rec)
		checkRecord(t, "Read before Expires", mustRead(t, s, key), rec)
		sleepPast(rec.Expires)
		wantNotFound(t, s, key, "after Expires passed")
		upd := newRecord(rec.UserID, "revived", time.Hour)
		wantErr(t, "Update after Expires passed", s.Update(ctx, key, upd), store.ErrNotFound)
		wantNotFound(t, s, key, "after Update of an expired record (Update must not revive it)")
		// Create over an expired record that may not be reaped yet: the
		// store may refuse with ErrExists, but if it says yes the new
		// record must be there.
		again := newRecord(rec.UserID, "second life", time.Hour)
		switch err := s.Create(ctx, key, again); {
		case err == nil:
			checkRecord(t, "Read after Create over an expired record", mustRead(t, s, key), again)
		case errors.Is(err, store.ErrExists):
		default:
			t.Errorf("Create over an expired record: %v, want nil or store.ErrExists", err)
		}
		noErr(t, "Delete", del(s, ctx, key))
		wantNotFound(t, s, key, "after Delete")
	})
	t.Run("CreatedAlreadyExpired", func(t *testing.T) {
		t.Parallel()
		key := RandomKey()
		rec := newRecord(randomUserID(), "born dead", -time.Second)
		noErr(t, "Create with Expires in the past", s.Create(ctx, key, rec))
		wantNotFound(t, s, key, "of a record created with Expires in the past")
		wantErr(t, "Update of a record created already expired", s.Update(ctx, key, newRecord("", "x", time.Hour)), store.ErrNotFound)
	})
	t.Run("UpdateExtendsExpiry", func(t *testing.T) {
		t.Parallel()
		key := RandomKey()
		rec := newRecord(randomUserID(), "short", shortTTL)
		mustCreate(t, s, key, rec)
		longer := newRecord(rec.UserID, "extended", time.Hour)
		noErr(t, "Update with a later Expires", s.Update(ctx, key, longer))
		sleepPast(rec.Expires)
		got, err := s.Read(ctx, key)
		if err != nil {
			t.Fatalf("Read after the first Expires passed, though Update moved it an hour ahead: %v", err)
		}
		checkRecord(t, "Read after the extended expiry", got, longer)
	})
	t.Run("UpdateShortensExpiry", func(t *testing.T) {
		t.Parallel()
		key := RandomKey()
		mustCreate(t, s, key, newRecord(randomUserID(), "long", time.Hour))
		shorter := newRecord("", "short", shortTTL)
		noErr(t, "Update with an earlier Expires", s.Update(ctx, key, shorter))
		sleepPast(shorter.Expires)
		wantNotFound(t, s, key, "after the shortened Expires passed")
	})
	if v, ok := s.(store.Versioned); ok {
		t.Run("CompareAndUpdateAfterExpiry", func(t *testing.T) {
			t.Parallel()
			key := RandomKey()
			rec := newRecord(randomUserID(), "short", shortTTL)
			mustCreate(t, s, key, rec)
			got := mustRead(t, s, key)
			sleepPast(rec.Expires)
			upd := newRecord(rec.UserID, "revived", time.Hour)
			upd.Version = got.Version
			wantErr(t, "CompareAndUpdate after Expires passed", v.CompareAndUpdate(ctx, key, upd), store.ErrNotFound)
			wantNotFound(t, s, key, "after CompareAndUpdate of an expired record")
		})
	}
	if u, ok := s.(store.UserIndex); ok {
		t.Run("UserIndexHidesExpired", func(t *testing.T) {
			t.Parallel()
			user := randomUserID()
			short, long := RandomKey(), RandomKey()
			shortRec := newRecord(user, "short", shortTTL)
			longRec := newRecord(user, "long", time.Hour)
			mustCreate(t, s, short, shortRec)
			mustCreate(t, s, long, longRec)
			checkList(t, u, user, map[store.Key]store.Record{short: shortRec, long: longRec})
			sleepPast(shortRec.Expires)
			checkList(t, u, user, map[store.Key]store.Record{long: longRec})
			n, err := u.DeleteUser(ctx, user)
			noErr(t, "DeleteUser", err)
			if n != 1 {
				t.Errorf("DeleteUser = %d, want 1 (the expired session does not count)", n)
			}
			wantNotFound(t, s, long, "after DeleteUser")
		})
	}
}
