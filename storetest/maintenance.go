package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
)

// testMaintenance checks the operator's calls of store.Maintenance. The
// store may be shared with other tests, so counts are checked as lower
// bounds and DeleteAll, which would wipe their records, is left to the
// store's own tests on a store nobody else uses.
func testMaintenance(t *testing.T, s store.Store, m store.Maintenance) {
	ctx := context.Background()
	live := make([]store.Key, 3)
	for i := range live {
		live[i] = RandomKey()
		mustCreate(t, s, live[i], newRecord(randomUserID(), "live", time.Hour))
	}
	dead := make([]store.Key, 4)
	for i := range dead {
		dead[i] = RandomKey()
		mustCreate(t, s, dead[i], newRecord(randomUserID(), "dead", -time.Second))
	}
	n, err := m.Count(ctx)
	noErr(t, "Count", err)
	if n < len(live) {
		t.Errorf("Count = %d, want at least the %d live records this test made", n, len(live))
	}
	// A background janitor may take some of them first: the exact count is
	// checked by RunDeleteAll, on a store of the test's own.
	_, err = m.DeleteExpired(ctx)
	noErr(t, "DeleteExpired", err)
	for _, k := range live {
		mustRead(t, s, k) // DeleteExpired must leave live records alone
	}
	for _, k := range dead {
		wantNotFound(t, s, k, "of an expired record after DeleteExpired")
		if ok, err := s.Delete(ctx, k); err != nil || ok {
			t.Errorf("Delete after DeleteExpired = %v, %v; want false, nil", ok, err)
		}
	}
	for _, k := range live {
		noErr(t, "Delete", del(s, ctx, k))
	}
}

// RunDeleteAll checks store.Maintenance on a store that no other test uses
// at the same time (DeleteAll wipes it) and whose background janitor, if it
// has one, is off: DeleteExpired reports exactly the expired records, Count
// only the live ones, and after DeleteAll every record is gone.
func RunDeleteAll(t *testing.T, s store.Store) {
	t.Helper()
	m, ok := s.(store.Maintenance)
	if !ok {
		t.Skip("store does not implement store.Maintenance")
	}
	ctx := context.Background()
	if _, err := m.DeleteAll(ctx); err != nil {
		t.Fatalf("DeleteAll to start empty: %v", err)
	}
	keys := make([]store.Key, 5)
	for i := range keys {
		keys[i] = RandomKey()
		mustCreate(t, s, keys[i], newRecord(randomUserID(), "x", time.Hour))
	}
	for range 3 {
		mustCreate(t, s, RandomKey(), newRecord("", "expired", -time.Second))
	}
	if n, err := m.Count(ctx); err != nil || n != len(keys) {
		t.Errorf("Count = %d, %v; want %d (live records only)", n, err, len(keys))
	}
	want := 3
	if native, ok := s.(interface{ ExpiresNatively() bool }); ok && native.ExpiresNatively() {
		want = 0
	}
	if n, err := m.DeleteExpired(ctx); err != nil || n != want {
		t.Errorf("DeleteExpired = %d, %v; want %d (the expired records, not the live ones)", n, err, want)
	}
	if n, err := m.DeleteAll(ctx); err != nil || n != len(keys) {
		t.Errorf("DeleteAll = %d, %v; want %d (live records ended)", n, err, len(keys))
	}
	for _, k := range keys {
		wantNotFound(t, s, k, "after DeleteAll")
	}
	if n, err := m.Count(ctx); err != nil || n != 0 {
		t.Errorf("Count after DeleteAll = %d, %v; want 0", n, err)
	}
}
