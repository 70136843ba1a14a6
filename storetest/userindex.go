package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
)

// checkList checks that ListUser(user) returns exactly the sessions in want
// with their times.
func checkList(t *testing.T, s store.UserIndex, user string, want map[store.Key]store.Record) {
	t.Helper()
	got, err := s.ListUser(context.Background(), user)
	if err != nil {
		t.Errorf("ListUser: %v", err)
		return
	}
	seen := make(map[store.Key]bool, len(got))
	for _, info := range got {
		if seen[info.Key] {
			t.Errorf("ListUser lists %s twice", info.Key)
			continue
		}
		seen[info.Key] = true
		rec, ok := want[info.Key]
		if !ok {
			t.Errorf("ListUser lists %s, which is not a live session of this user", info.Key)
			continue
		}
		checkTimes(t, fmt.Sprintf("ListUser entry %s", info.Key), info, rec)
	}
	for key := range want {
		if !seen[key] {
			t.Errorf("ListUser misses %s", key)
		}
	}
}

func testUserIndex(t *testing.T, s store.UserIndex) {
	ctx := context.Background()
	t.Run("UnknownUserListsEmpty", func(t *testing.T) {
		got, err := s.ListUser(ctx, randomUserID())
		if err != nil || len(got) != 0 {
			t.Errorf("ListUser of an unknown user = %v, %v; want no sessions and a nil error", got, err)
		}
		n, err := s.DeleteUser(ctx, randomUserID())
		if err != nil || n != 0 {
			t.Errorf("DeleteUser of an unknown user = %d, %v; want 0, nil", n, err)
		}
	})
	t.Run("ListMoveDelete", func(t *testing.T) {
		alice, bob := randomUserID(), randomUserID()
		a := map[store.Key]store.Record{}
		b := map[store.Key]store.Record{}
		for i := range 3 {
			key := RandomKey()
			rec := newRecord(alice, fmt.Sprintf("alice-%d", i), time.Duration(i+1)*time.Hour)
			rec.Created = rec.Created.Add(time.Duration(i) * time.Minute)
			mustCreate(t, s, key, rec)
			a[key] = rec
		}
		bobKey := RandomKey()
		b[bobKey] = newRecord(bob, "bob", time.Hour)
		mustCreate(t, s, bobKey, b[bobKey])
		anonKey := RandomKey()
		mustCreate(t, s, anonKey, newRecord("", "anonymous", time.Hour))
		checkList(t, s, alice, a)
		checkList(t, s, bob, b)

		// An Update that changes UserID moves the session.
		var moved store.Key
		for k := range a {
			moved = k
			break
		}
		rec := newRecord(bob, "moved to bob", time.Hour)
		noErr(t, "Update changing UserID", s.Update(ctx, moved, rec))
		delete(a, moved)
		b[moved] = rec
		checkList(t, s, alice, a)
		checkList(t, s, bob, b)

		// Signing in: an anonymous session gets a user.
		rec = newRecord(alice, "signed in", time.Hour)
		noErr(t, "Update from UserID \"\" to a user", s.Update(ctx, anonKey, rec))
		a[anonKey] = rec
		checkList(t, s, alice, a)

		// An Update that keeps UserID changes the listed times.
		rec = newRecord(alice, "touched", 3*time.Hour)
		rec.Updated = rec.Updated.Add(time.Second)
		noErr(t, "Update keeping UserID", s.Update(ctx, anonKey, rec))
		a[anonKey] = rec
		checkList(t, s, alice, a)

		// Signing out: the user goes back to "".
		var out store.Key
		for k := range a {
			if k != anonKey {
				out = k
				break
			}
		}
		noErr(t, "Update from a user to UserID \"\"", s.Update(ctx, out, newRecord("", "signed out", time.Hour)))
		delete(a, out)
		checkList(t, s, alice, a)

		noErr(t, "Delete", del(s, ctx, anonKey))
		delete(a, anonKey)
		checkList(t, s, alice, a)

		if v, ok := s.(store.Versioned); ok {
			cur := mustRead(t, s, moved)
			rec := newRecord(alice, "back to alice", time.Hour)
			rec.Version = cur.Version
			noErr(t, "CompareAndUpdate changing UserID", v.CompareAndUpdate(ctx, moved, rec))
			delete(b, moved)
			a[moved] = rec
			checkList(t, s, alice, a)
			checkList(t, s, bob, b)
		}

		n, err := s.DeleteUser(ctx, alice)
		noErr(t, "DeleteUser", err)
		if n != len(a) {
			t.Errorf("DeleteUser = %d, want %d", n, len(a))
		}
		for k := range a {
			wantNotFound(t, s, k, "of a session after DeleteUser of its user")
		}
		checkList(t, s, alice, nil)
		checkList(t, s, bob, b)
		for k, rec := range b {
			checkRecord(t, "Read of another user's session after DeleteUser", mustRead(t, s, k), rec)
		}
		mustRead(t, s, out) // the signed-out session was not alice's any more
		n, err = s.DeleteUser(ctx, alice)
		if err != nil || n != 0 {
			t.Errorf("second DeleteUser = %d, %v; want 0, nil", n, err)
		}
	})
}
