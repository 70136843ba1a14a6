package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
)

// testCorrupt checks how a store treats a record damaged behind its back:
// Read says store.ErrCorrupt (never "not found", which would invite the
// caller to write over it, and never a record), Delete clears it, and the
// user index neither lists it nor fails because of it.
func testCorrupt(t *testing.T, s store.Store, corrupt func(context.Context, store.Key) error) {
	ctx := context.Background()
	damage := func(t *testing.T, key store.Key) {
		t.Helper()
		if err := corrupt(ctx, key); err != nil {
			t.Fatalf("damaging the record under %s: %v", key, err)
		}
	}
	t.Run("ReadSaysCorrupt", func(t *testing.T) {
		key := RandomKey()
		mustCreate(t, s, key, newRecord(randomUserID(), "to be damaged", time.Hour))
		damage(t, key)
		rec, err := s.Read(ctx, key)
		if !errors.Is(err, store.ErrCorrupt) {
			t.Errorf("Read of a damaged record = %s, %v; want an error wrapping store.ErrCorrupt", describe(rec.Data), err)
		}
		noErr(t, "Delete of a damaged record", del(s, ctx, key))
		wantNotFound(t, s, key, "after Delete of a damaged record")
		noErr(t, "Create after Delete of a damaged record", s.Create(ctx, key, newRecord("", "fresh", time.Hour)))
		noErr(t, "Delete", del(s, ctx, key))
	})
	u, ok := s.(store.UserIndex)
	if !ok {
		return
	}
	t.Run("UserIndexSkipsCorrupt", func(t *testing.T) {
		user := randomUserID()
		bad, good := RandomKey(), RandomKey()
		mustCreate(t, s, bad, newRecord(user, "to be damaged", time.Hour))
		goodRec := newRecord(user, "fine", time.Hour)
		mustCreate(t, s, good, goodRec)
		damage(t, bad)
		checkList(t, u, user, map[store.Key]store.Record{good: goodRec})
		n, err := u.DeleteUser(ctx, user)
		noErr(t, "DeleteUser of a user with a damaged record", err)
		if n != 1 {
			t.Errorf("DeleteUser = %d, want 1 (the readable session; a damaged record is deleted but not counted)", n)
		}
		wantNotFound(t, s, good, "after DeleteUser")
		if _, err := s.Read(ctx, bad); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Read of the damaged record after DeleteUser: %v, want store.ErrNotFound (DeleteUser must delete it too)", err)
		}
	})
}
