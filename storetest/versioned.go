package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
)

func testVersioned(t *testing.T, s store.Versioned) {
	ctx := context.Background()
	t.Run("CreateIsVersion1", func(t *testing.T) {
		key := RandomKey()
		rec := newRecord(randomUserID(), "v1", time.Hour)
		rec.Version = 42 // ignored on write
		mustCreate(t, s, key, rec)
		if got := mustRead(t, s, key); got.Version != 1 {
			t.Errorf("Version after Create = %d, want 1", got.Version)
		}
	})
	t.Run("UpdateAndCompareAndUpdateBumpByOne", func(t *testing.T) {
		key := RandomKey()
		mustCreate(t, s, key, newRecord(randomUserID(), "v1", time.Hour))
		upd := newRecord(randomUserID(), "v2", time.Hour)
		upd.Version = 99 // Update ignores it
		noErr(t, "Update", s.Update(ctx, key, upd))
		got := mustRead(t, s, key)
		if got.Version != 2 {
			t.Fatalf("Version after Create and Update = %d, want 2", got.Version)
		}
		for want := uint64(3); want <= 5; want++ {
			cas := newRecord(randomUserID(), fmt.Sprintf("v%d", want), time.Hour)
			cas.Version = got.Version
			noErr(t, "CompareAndUpdate with the current Version", s.CompareAndUpdate(ctx, key, cas))
			got = mustRead(t, s, key)
			checkRecord(t, "Read after CompareAndUpdate", got, cas)
			if got.Version != want {
				t.Fatalf("Version after CompareAndUpdate = %d, want %d", got.Version, want)
			}
		}
	})
	t.Run("StaleVersionIsConflict", func(t *testing.T) {
		key := RandomKey()
		mustCreate(t, s, key, newRecord(randomUserID(), "v1", time.Hour))
		r1 := mustRead(t, s, key) // two requests read version 1
		r2 := mustRead(t, s, key)
		first := newRecord(r1.UserID, "first writer", time.Hour)
		first.Version = r1.Version
		noErr(t, "first CompareAndUpdate", s.CompareAndUpdate(ctx, key, first))
		second := newRecord(r2.UserID, "second writer", 2*time.Hour)
		second.Version = r2.Version
		wantErr(t, "second CompareAndUpdate from the same read", s.CompareAndUpdate(ctx, key, second), store.ErrConflict)
		got := mustRead(t, s, key)
		checkRecord(t, "Read after the conflict", got, first)
		if got.Version != 2 {
			t.Errorf("Version after one CompareAndUpdate and one conflict = %d, want 2", got.Version)
		}
		ahead := newRecord(r2.UserID, "from the future", time.Hour)
		ahead.Version = got.Version + 1
		wantErr(t, "CompareAndUpdate with a Version ahead of the stored one", s.CompareAndUpdate(ctx, key, ahead), store.ErrConflict)
	})
	t.Run("AbsentKeyIsNotFound", func(t *testing.T) {
		key := RandomKey()
		rec := newRecord(randomUserID(), "ghost", time.Hour)
		rec.Version = 1
		wantErr(t, "CompareAndUpdate of an absent key", s.CompareAndUpdate(ctx, key, rec), store.ErrNotFound)
		wantNotFound(t, s, key, "after CompareAndUpdate of an absent key (it must never create)")
		rec.Version = 0
		wantErr(t, "CompareAndUpdate of an absent key with Version 0", s.CompareAndUpdate(ctx, key, rec), store.ErrNotFound)
		wantNotFound(t, s, key, "after CompareAndUpdate with Version 0 of an absent key")
	})
	t.Run("AfterDeleteNoResurrection", func(t *testing.T) {
		key := RandomKey()
		mustCreate(t, s, key, newRecord(randomUserID(), "alive", time.Hour))
		r1 := mustRead(t, s, key)
		noErr(t, "Delete", del(s, ctx, key))
		rec := newRecord(r1.UserID, "resurrected", time.Hour)
		rec.Version = r1.Version
		wantErr(t, "CompareAndUpdate after Delete", s.CompareAndUpdate(ctx, key, rec), store.ErrNotFound)
		wantNotFound(t, s, key, "after CompareAndUpdate of a deleted key")
	})
	t.Run("ConcurrentExactlyOneWins", func(t *testing.T) {
		const n = 8
		key := RandomKey()
		mustCreate(t, s, key, newRecord(randomUserID(), "start", time.Hour))
		base := mustRead(t, s, key)
		results := make([]error, n)
		runWorkers(n, func(w int) {
			rec := newRecord(sharedUser(w), sharedData(w, 0), time.Hour)
			rec.Version = base.Version
			results[w] = s.CompareAndUpdate(ctx, key, rec)
		})
		winner := oneWinner(t, "CompareAndUpdate", results, store.ErrConflict)
		got := mustRead(t, s, key)
		if want := sharedData(winner, 0); string(got.Data) != want {
			t.Errorf("Data after the race = %q, want the winner's %q", got.Data, want)
		}
		if got.Version != base.Version+1 {
			t.Errorf("Version after the race = %d, want %d", got.Version, base.Version+1)
		}
	})
}
