package storetest

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
)

func testRoundTrip(t *testing.T, s store.Store) {
	_, versioned := s.(store.Versioned)
	binary := []byte("\x00a\x00\xff\xfe\xc0\xafb\x80\x00\r\n\x1b'\";--")
	big := make([]byte, 64<<10)
	for i := range big {
		big[i] = byte(i*7 + i>>8)
	}
	cases := []struct {
		name string
		data []byte
		user string
	}{
		{"Text", []byte(`{"count":1,"user":{"email":"a@example.com"}}`), randomUserID()},
		{"BinaryWithNULAndInvalidUTF8", binary, randomUserID()},
		{"EmptyData", []byte{}, randomUserID()},
		{"NilData", nil, ""},
		{"Data64KiB", big, randomUserID()},
		{"UnicodeUserID", []byte("x"), "ユーザー/../" + randomUserID()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key := RandomKey()
			rec := newRecord(c.user, "", time.Hour)
			rec.Data = bytes.Clone(c.data)
			rec.Version = 42 // stores ignore Version on write
			mustCreate(t, s, key, rec)
			got := mustRead(t, s, key)
			checkRecord(t, "Read after Create", got, rec)
			if !versioned && got.Version != 0 {
				t.Errorf("Read after Create: Version = %d on a store that does not implement store.Versioned, want 0", got.Version)
			}

			// Update replaces every field.
			upd := store.Record{
				Data:    append(bytes.Clone(c.data), "+updated"...),
				Created: rec.Created.Add(-5 * time.Millisecond),
				Updated: rec.Updated.Add(1001 * time.Millisecond),
				Expires: rec.Expires.Add(2 * time.Hour),
				UserID:  c.user + "-2",
			}
			noErr(t, "Update", s.Update(context.Background(), key, upd))
			checkRecord(t, "Read after Update", mustRead(t, s, key), upd)
		})
	}
}

func testReadUnknown(t *testing.T, s store.Store) {
	wantNotFound(t, s, RandomKey(), "of a key never written")
	var zero store.Key
	wantNotFound(t, s, zero, "of the all-zero key")
}

func testCreateInsertOnly(t *testing.T, s store.Store) {
	ctx := context.Background()
	key := RandomKey()
	first := newRecord(randomUserID(), "first", time.Hour)
	mustCreate(t, s, key, first)

	second := newRecord(randomUserID(), "second", 2*time.Hour)
	wantErr(t, "second Create of the same key", s.Create(ctx, key, second), store.ErrExists)
	checkRecord(t, "Read after the refused Create", mustRead(t, s, key), first)

	t.Run("AfterDeleteCreateWorksAgain", func(t *testing.T) {
		noErr(t, "Delete", del(s, ctx, key))
		third := newRecord("", "third", time.Hour)
		noErr(t, "Create after Delete", s.Create(ctx, key, third))
		checkRecord(t, "Read after re-Create", mustRead(t, s, key), third)
	})
}

func testUpdateOnly(t *testing.T, s store.Store) {
	ctx := context.Background()
	t.Run("AbsentKey", func(t *testing.T) {
		key := RandomKey()
		err := s.Update(ctx, key, newRecord(randomUserID(), "ghost", time.Hour))
		wantErr(t, "Update of an absent key", err, store.ErrNotFound)
		wantNotFound(t, s, key, "after Update of an absent key (Update must never create)")
	})
	t.Run("AfterDeleteNoResurrection", func(t *testing.T) {
		key := RandomKey()
		mustCreate(t, s, key, newRecord(randomUserID(), "alive", time.Hour))
		mustRead(t, s, key) // R1 loads the session
		noErr(t, "Delete", del(s, ctx, key))
		// R1 commits after the logout: it must not bring the session back.
		err := s.Update(ctx, key, newRecord(randomUserID(), "resurrected", time.Hour))
		wantErr(t, "Update after Delete", err, store.ErrNotFound)
		wantNotFound(t, s, key, "after Update of a deleted key (logout must stay a logout)")
	})
	t.Run("Succeeds", func(t *testing.T) {
		key := RandomKey()
		mustCreate(t, s, key, newRecord(randomUserID(), "v1", time.Hour))
		for i, d := range []string{"v2", "v3"} {
			rec := newRecord(randomUserID(), d, time.Duration(i+2)*time.Hour)
			noErr(t, "Update", s.Update(ctx, key, rec))
			checkRecord(t, "Read after Update "+d, mustRead(t, s, key), rec)
		}
	})
}

func testDeleteIdempotent(t *testing.T, s store.Store) {
	ctx := context.Background()
	key := RandomKey()
	noErr(t, "Delete of a key never written", del(s, ctx, key))
	mustCreate(t, s, key, newRecord(randomUserID(), "x", time.Hour))
	other := RandomKey()
	otherRec := newRecord(randomUserID(), "bystander", time.Hour)
	mustCreate(t, s, other, otherRec)

	noErr(t, "Delete", del(s, ctx, key))
	wantNotFound(t, s, key, "after Delete")
	noErr(t, "second Delete", del(s, ctx, key))
	wantNotFound(t, s, key, "after second Delete")
	checkRecord(t, "Read of another key after Delete", mustRead(t, s, other), otherRec)
}

func testDataIsolation(t *testing.T, s store.Store) {
	key := RandomKey()
	rec := newRecord(randomUserID(), "original", time.Hour)
	want := bytes.Clone(rec.Data)
	mustCreate(t, s, key, rec)
	rec.Data[0] = 'X' // the caller reuses its buffer after Create
	got := mustRead(t, s, key)
	if !bytes.Equal(got.Data, want) {
		t.Fatalf("after the caller changed the slice it passed to Create: Data = %q, want %q", got.Data, want)
	}
	if len(got.Data) > 0 {
		got.Data[0] = 'Y' // the caller edits what Read returned
	}
	if again := mustRead(t, s, key); !bytes.Equal(again.Data, want) {
		t.Errorf("after the caller changed the slice Read returned: Data = %q, want %q", again.Data, want)
	}

	upd := newRecord(randomUserID(), "updated", time.Hour)
	wantUpd := bytes.Clone(upd.Data)
	noErr(t, "Update", s.Update(context.Background(), key, upd))
	upd.Data[0] = 'Z'
	if got := mustRead(t, s, key); !bytes.Equal(got.Data, wantUpd) {
		t.Errorf("after the caller changed the slice it passed to Update: Data = %q, want %q", got.Data, wantUpd)
	}
}

// testDeleteReports: Delete says whether it removed a live record. The
// session layer relies on it to notice, atomically, that a session it is
// regenerating was revoked by another request.
func testDeleteReports(t *testing.T, s store.Store) {
	ctx := context.Background()
	key := RandomKey()
	if ok, err := s.Delete(ctx, key); err != nil || ok {
		t.Errorf("Delete of a key never written = %v, %v; want false, nil", ok, err)
	}
	mustCreate(t, s, key, newRecord(randomUserID(), "live", time.Hour))
	if ok, err := s.Delete(ctx, key); err != nil || !ok {
		t.Errorf("Delete of a live record = %v, %v; want true, nil", ok, err)
	}
	if ok, err := s.Delete(ctx, key); err != nil || ok {
		t.Errorf("second Delete = %v, %v; want false, nil (the record was already gone)", ok, err)
	}
	dead := RandomKey()
	mustCreate(t, s, dead, newRecord(randomUserID(), "born dead", -time.Second))
	if ok, err := s.Delete(ctx, dead); err != nil || ok {
		t.Errorf("Delete of an expired record = %v, %v; want false, nil (an expired session is not live)", ok, err)
	}
	wantNotFound(t, s, dead, "after Delete of an expired record")

	// Of many Deletes racing for one live record, exactly one removed it.
	for round := range 20 {
		key := RandomKey()
		mustCreate(t, s, key, newRecord("", "contested", time.Hour))
		var won atomic.Int32
		var e errs
		runWorkers(8, func(w int) {
			ok, err := s.Delete(ctx, key)
			if err != nil {
				e.add("worker %d: Delete: %v", w, err)
			}
			if ok {
				won.Add(1)
			}
		})
		e.report(t)
		if n := won.Load(); n != 1 {
			t.Fatalf("round %d: %d of 8 racing Deletes reported removing the live record, want exactly 1 (the report must be atomic with the removal)", round, n)
		}
	}
}
