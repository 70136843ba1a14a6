package redisstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
	"github.com/redis/go-redis/v9"
)

// TestListUserLeavesOtherUsersRecords: a member of the user's index that
// points at a damaged record of another user is dropped from the index,
// and the record is left to its owner.
func TestListUserLeavesOtherUsersRecords(t *testing.T) {
	ctx := context.Background()
	s, c := newTestStore(t)
	key := storetest.RandomKey()
	if err := s.Create(ctx, key, record("owner", "x", time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := c.HSet(ctx, s.recordKey(key.String()), fieldExpires, "soon").Err(); err != nil {
		t.Fatal(err)
	}
	exp := float64(time.Now().Add(time.Hour).UnixMilli())
	if err := c.ZAdd(ctx, s.userKey("intruder"), redis.Z{Score: exp, Member: key.String()}).Err(); err != nil {
		t.Fatal(err)
	}
	if infos, err := s.ListUser(ctx, "intruder"); err != nil || len(infos) != 0 {
		t.Errorf("ListUser = %v, %v; want nothing", infos, err)
	}
	if n, err := s.DeleteUser(ctx, "intruder"); err != nil || n != 0 {
		t.Errorf("DeleteUser = %d, %v; want 0", n, err)
	}
	if n, _ := c.Exists(ctx, s.recordKey(key.String())).Result(); n != 1 {
		t.Errorf("another user's record was deleted through a foreign index entry")
	}
	if _, err := s.Read(ctx, key); !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("Read = %v, want ErrCorrupt", err)
	}
}
