package redisstore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/store"
	"github.com/b4f9cdbb/session/storetest"
	"github.com/redis/go-redis/v9"
)

func TestConformance(t *testing.T) {
	s, c := newTestStore(t)
	storetest.Run(t, s, storetest.WithCorrupt(corrupter(s, c)))
}

// corrupter damages records the ways a hand edit or a foreign writer would,
// a different way on each call: a time field that is not a time, a value
// of another type under the key, a version that is not a number.
func corrupter(s *Store, c redis.Cmdable) func(context.Context, store.Key) error {
	var calls atomic.Int64
	return func(ctx context.Context, key store.Key) error {
		rk := s.recordKey(key.String())
		switch calls.Add(1) % 3 {
		case 1:
			return c.HSet(ctx, rk, fieldExpires, "tomorrow").Err()
		case 2:
			_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Del(ctx, rk)
				p.Set(ctx, rk, "garbage", time.Hour)
				return nil
			})
			return err
		default:
			return c.HSet(ctx, rk, fieldVersion, "seven").Err()
		}
	}
}

func record(user, data string, ttl time.Duration) store.Record {
	now := time.Now()
	return store.Record{
		Data:    []byte(data),
		Created: now.Add(-time.Minute),
		Updated: now,
		Expires: now.Add(ttl),
		UserID:  user,
	}
}

// TestPTTL pins row 34: Redis expires the record itself, never later than
// Record.Expires, and Update moves the expiry both ways.
func TestPTTL(t *testing.T) {
	ctx := context.Background()
	s, c := newTestStore(t)
	key := storetest.RandomKey()
	rk := s.recordKey(key.String())

	check := func(what string, rec store.Record) {
		t.Helper()
		left := time.Until(rec.Expires) // measured before Redis's clock is read
		pttl, err := c.PTTL(ctx, rk).Result()
		if err != nil {
			t.Fatalf("%s: PTTL: %v", what, err)
		}
		if pttl <= 0 {
			t.Fatalf("%s: PTTL = %v: the record has no expiry in Redis", what, pttl)
		}
		// Redis counts PTTL from its clock rounded down to the millisecond,
		// so it may read up to 1 ms more than the exact time left.
		if pttl > left+time.Millisecond {
			t.Errorf("%s: PTTL = %v, more than the %v left until Expires", what, pttl, left)
		}
		// The exact check: the expiry instant Redis holds is not after
		// Expires.
		at, err := c.PExpireTime(ctx, rk).Result()
		if err != nil {
			t.Fatalf("%s: PEXPIRETIME: %v", what, err)
		}
		if at > time.Duration(rec.Expires.UnixMilli())*time.Millisecond {
			t.Errorf("%s: PEXPIRETIME = %v ms, after Expires (%d ms)", what, at.Milliseconds(), rec.Expires.UnixMilli())
		}
		if pttl < left-2*time.Second {
			t.Errorf("%s: PTTL = %v, far less than the %v left until Expires", what, pttl, left)
		}
	}

	rec := record("u1", "a", 30*time.Minute)
	if err := s.Create(ctx, key, rec); err != nil {
		t.Fatal(err)
	}
	check("after Create", rec)

	rec = record("u1", "b", 2*time.Hour)
	if err := s.Update(ctx, key, rec); err != nil {
		t.Fatal(err)
	}
	check("after a longer Update", rec)

	rec = record("u1", "c", 10*time.Minute)
	got, err := s.Read(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	rec.Version = got.Version
	if err := s.CompareAndUpdate(ctx, key, rec); err != nil {
		t.Fatal(err)
	}
	check("after a shorter CompareAndUpdate", rec)

	// The user index expires with its last member.
	idxTTL, err := c.PTTL(ctx, s.userKey("u1")).Result()
	if err != nil || idxTTL <= 0 || idxTTL > 2*time.Hour {
		t.Errorf("user index PTTL = %v, %v; want a TTL of at most the longest session's", idxTTL, err)
	}

	// Redis itself drops a record once Expires passes; no Read is needed.
	short := storetest.RandomKey()
	if err := s.Create(ctx, short, record("", "short", 150*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
	if n, err := c.Exists(ctx, s.recordKey(short.String())).Result(); err != nil || n != 0 {
		t.Errorf("EXISTS after Expires = %d, %v; want 0 (Redis should have expired it)", n, err)
	}
}

// TestReadIsOneRoundTrip counts what reaches the server: Read is one
// command, a commit (Update or CompareAndUpdate, with its index update) one
// pipeline.
func TestReadIsOneRoundTrip(t *testing.T) {
	ctx := context.Background()
	var n atomic.Int64
	s, _ := newTestStore(t, countHook{&n})
	key := storetest.RandomKey()
	rec := record("someone", "data", time.Hour)

	// Warm up: the first EVALSHA of a script may need an EVAL.
	warm := storetest.RandomKey()
	if err := s.Create(ctx, warm, rec); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, warm, rec); err != nil {
		t.Fatal(err)
	}

	count := func(what string, want int64, f func() error) {
		t.Helper()
		n.Store(0)
		if err := f(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := n.Load(); got != want {
			t.Errorf("%s took %d round trips, want %d", what, got, want)
		}
	}
	count("Create", 1, func() error { return s.Create(ctx, key, rec) })
	var got store.Record
	count("Read", 1, func() (err error) { got, err = s.Read(ctx, key); return err })
	count("Update", 1, func() error { return s.Update(ctx, key, rec) })
	rec.Version = got.Version + 1
	count("CompareAndUpdate", 1, func() error { return s.CompareAndUpdate(ctx, key, rec) })
	count("Read of an absent key", 1, func() error {
		_, err := s.Read(ctx, storetest.RandomKey())
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	anon := storetest.RandomKey()
	count("Create without a user", 1, func() error { return s.Create(ctx, anon, record("", "x", time.Hour)) })
	count("Delete without a user", 1, func() error { _, err := s.Delete(ctx, anon); return err })
	count("Delete with a user", 2, func() error { _, err := s.Delete(ctx, key); return err })
}

// TestJunkIsAnErrorNotARecord writes values this package never wrote under
// its keys. Every method must fail clearly (or, for Delete, clear the key),
// never panic and never hand back a half-empty record that a caller could
// write back over the stored one.
func TestJunkIsAnErrorNotARecord(t *testing.T) {
	ctx := context.Background()
	s, c := newTestStore(t)
	now := time.Now()
	good := map[string]any{
		"d": "x", "c": encodeTime(now), "u": encodeTime(now),
		"e": encodeTime(now.Add(time.Hour)), "uid": "", "v": "1",
	}
	without := func(field string) map[string]any {
		m := make(map[string]any, len(good))
		for k, v := range good {
			if k != field {
				m[k] = v
			}
		}
		return m
	}
	with := func(field, value string) map[string]any {
		m := without(field)
		m[field] = value
		return m
	}
	cases := []struct {
		name  string
		write func(k string) error
		// update: what Update and CompareAndUpdate must return.
		update error
	}{
		{"String", func(k string) error { return c.Set(ctx, k, "garbage", time.Hour).Err() }, ErrCorrupt},
		{"List", func(k string) error { return c.RPush(ctx, k, "a", "b").Err() }, ErrCorrupt},
		{"ForeignHash", func(k string) error { return c.HSet(ctx, k, "foo", "bar").Err() }, ErrCorrupt},
		{"NoVersion", func(k string) error { return c.HSet(ctx, k, without("v")).Err() }, ErrCorrupt},
		{"BadVersion", func(k string) error { return c.HSet(ctx, k, with("v", "one")).Err() }, ErrCorrupt},
		{"NoData", func(k string) error { return c.HSet(ctx, k, without("d")).Err() }, nil},
		{"NoUser", func(k string) error { return c.HSet(ctx, k, without("uid")).Err() }, nil},
		{"BadCreated", func(k string) error { return c.HSet(ctx, k, with("c", "yesterday")).Err() }, nil},
		{"BadExpires", func(k string) error { return c.HSet(ctx, k, with("e", "12.34")).Err() }, nil},
		{"ZeroVersion", func(k string) error { return c.HSet(ctx, k, with("v", "0")).Err() }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := storetest.RandomKey()
			rk := s.recordKey(key.String())
			if err := tc.write(rk); err != nil {
				t.Fatal(err)
			}
			rec, err := s.Read(ctx, key)
			if !errors.Is(err, ErrCorrupt) || errors.Is(err, store.ErrNotFound) {
				t.Errorf("Read = %v; want an error wrapping ErrCorrupt (and not ErrNotFound)", err)
			}
			if rec.Data != nil || rec.Version != 0 || !rec.Expires.IsZero() {
				t.Errorf("Read returned a partial record %+v with its error", rec)
			}
			if err != nil && !strings.Contains(err.Error(), "redisstore: read") {
				t.Errorf("Read error %q does not say what failed", err)
			}
			err = s.Create(ctx, key, record("", "new", time.Hour))
			if !errors.Is(err, store.ErrExists) {
				t.Errorf("Create over junk = %v, want ErrExists", err)
			}
			upd := record("", "overwrite", time.Hour)
			err = s.Update(ctx, key, upd)
			if tc.update != nil && !errors.Is(err, tc.update) {
				t.Errorf("Update over junk = %v, want %v", err, tc.update)
			}
			upd.Version = 1
			err = s.CompareAndUpdate(ctx, key, upd)
			if tc.update != nil && !errors.Is(err, tc.update) {
				t.Errorf("CompareAndUpdate over junk = %v, want %v", err, tc.update)
			}
			// The writes above repair a hash whose version field they
			// can read (tc.update == nil); other junk is still junk.
			if live, err := s.Delete(ctx, key); err != nil || live != (tc.update == nil) {
				t.Errorf("Delete = %v, %v; want %v (a live record only if a write repaired it), nil", live, err, tc.update == nil)
			}
			if n, _ := c.Exists(ctx, rk).Result(); n != 0 {
				t.Errorf("junk still there after Delete")
			}
		})
	}

	t.Run("UserIndex", func(t *testing.T) {
		user := "junk-user"
		live := storetest.RandomKey()
		rec := record(user, "live", time.Hour)
		if err := s.Create(ctx, live, rec); err != nil {
			t.Fatal(err)
		}
		idx := s.userKey(user)
		junkKey := storetest.RandomKey()
		exp := float64(time.Now().Add(time.Hour).UnixMilli())
		if err := c.Set(ctx, s.recordKey(junkKey.String()), "garbage", time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.ZAdd(ctx, idx,
			redis.Z{Score: exp, Member: "not-a-key"},
			redis.Z{Score: exp, Member: junkKey.String()},
			redis.Z{Score: exp, Member: storetest.RandomKey().String()}, // record gone
		).Err(); err != nil {
			t.Fatal(err)
		}
		infos, err := s.ListUser(ctx, user)
		if err != nil || len(infos) != 1 || infos[0].Key != live {
			t.Fatalf("ListUser = %v, %v; want only the live session", infos, err)
		}
		// Junk under a record's name that the user's index points at is a
		// damaged record of the user: skipped, but kept in the index for
		// DeleteUser, which deletes it without counting it.
		if n, _ := c.ZCard(ctx, idx).Result(); n != 2 {
			t.Errorf("user index holds %d members after ListUser, want 2 (the live one and the junk)", n)
		}
		n, err := s.DeleteUser(ctx, user)
		if err != nil || n != 1 {
			t.Errorf("DeleteUser = %d, %v; want 1, nil", n, err)
		}
		if n, _ := c.Exists(ctx, s.recordKey(junkKey.String())).Result(); n != 0 {
			t.Errorf("DeleteUser left the junk its user's index pointed at")
		}
		// A wrong-typed index is an error, not an empty list.
		if err := c.Set(ctx, s.userKey("bad-index"), "x", time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ListUser(ctx, "bad-index"); err == nil {
			t.Errorf("ListUser over a string index key = nil error")
		}
		if _, err := s.DeleteUser(ctx, "bad-index"); err == nil {
			t.Errorf("DeleteUser over a string index key = nil error")
		}
		// A write whose index update fails says so.
		err = s.Create(ctx, storetest.RandomKey(), record("bad-index", "x", time.Hour))
		if err == nil || !strings.Contains(err.Error(), "user index") {
			t.Errorf("Create with a broken user index = %v, want an error naming the index", err)
		}
	})
}

// TestKeyLayout pins the key names: hash-tagged key hex under the prefix,
// nothing else, and a hashed user ID.
func TestKeyLayout(t *testing.T) {
	ctx := context.Background()
	s, c := newTestStore(t)
	key := storetest.RandomKey()
	user := "ユーザー/{weird}/../" + key.String()[:8]
	if err := s.Create(ctx, key, record(user, "x", time.Hour)); err != nil {
		t.Fatal(err)
	}
	keys, err := c.Keys(ctx, s.Prefix()+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		s.Prefix() + "{" + key.String() + "}": true,
		s.userKey(user):                       true,
	}
	if len(keys) != len(want) {
		t.Fatalf("keys = %q, want %d keys", keys, len(want))
	}
	for _, k := range keys {
		if !want[k] {
			t.Errorf("unexpected key %q", k)
		}
		if strings.Contains(k, user) || strings.Contains(k, "weird") {
			t.Errorf("key %q contains the raw user ID", k)
		}
		open, close := strings.IndexByte(k, '{'), strings.IndexByte(k, '}')
		if open < 0 || close != len(k)-1 || close-open-1 != 64 {
			t.Errorf("key %q does not end in a {64-hex} hash tag", k)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := New(nil); err == nil {
		t.Error("New(nil) succeeded")
	}
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	if _, err := New(c, WithPrefix("app:{x}:")); err == nil || !strings.Contains(err.Error(), "hash tags") {
		t.Errorf("a prefix with a brace: %v", err)
	}
	s, err := New(c)
	if err != nil || s.Prefix() != DefaultPrefix {
		t.Errorf("default prefix = %v, %v; want %q", s, err, DefaultPrefix)
	}
}

func TestTimeEncoding(t *testing.T) {
	for _, tm := range []time.Time{
		{},
		time.Unix(0, 0),
		time.Unix(-1, 5),
		time.Date(1969, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(2026, 11, 1, 12, 0, 0, 123_456_789, time.FixedZone("X", 3600)),
		time.Date(9999, 12, 31, 23, 59, 59, 1, time.UTC),
	} {
		got, err := decodeTime(encodeTime(tm))
		if err != nil || !got.Equal(tm) {
			t.Errorf("round trip of %v = %v, %v", tm, got, err)
		}
		if ms := expireAtMillis(tm); time.UnixMilli(ms).After(tm) || !time.UnixMilli(ms+1).After(tm) {
			t.Errorf("expireAtMillis(%v) = %d, not the floor", tm, ms)
		}
	}
	for _, bad := range []string{"", "1", "1.2", "x.000000000", "1.00000000x", "1.-00000001", "1.0000000000"} {
		if _, err := decodeTime(bad); err == nil {
			t.Errorf("decodeTime(%q) = nil error", bad)
		}
	}
}

// TestReadChecksExpiresOnItsClock: Redis expires records on its own clock;
// Read and ListUser also compare Expires with the store's clock, so a record
// whose time is up reads as not found even when the Redis server lags.
func TestReadChecksExpiresOnItsClock(t *testing.T) {
	ctx := context.Background()
	s, c := newTestStore(t)
	clock := storetest.NewClock(time.Now())
	s2 := mustNew(t, c, WithPrefix(s.Prefix()), WithClock(clock.Now))
	key := storetest.RandomKey()
	rec := record("clock-user", "x", time.Hour)
	if err := s2.Create(ctx, key, rec); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Read(ctx, key); err != nil {
		t.Fatalf("Read before Expires: %v", err)
	}
	clock.Advance(time.Hour + time.Second) // past Expires; Redis still has it
	if _, err := s2.Read(ctx, key); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Read on a clock past Expires = %v, want ErrNotFound", err)
	}
	if infos, err := s2.ListUser(ctx, "clock-user"); err != nil || len(infos) != 0 {
		t.Errorf("ListUser on a clock past Expires = %v, %v; want nothing", infos, err)
	}
	if _, err := s.Read(ctx, key); err != nil {
		t.Errorf("Read on the real clock: %v (the record was not due yet)", err)
	}
}

// TestRefusedWriteKeepsIndexEntry: the index update rides beside the record
// write and cannot know that the write was refused. A refused
// CompareAndUpdate with an earlier Expires must not make the live session
// drop out of ListUser (and so escape DeleteUser) once that earlier time
// passes.
func TestRefusedWriteKeepsIndexEntry(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	key := storetest.RandomKey()
	if err := s.Create(ctx, key, record("idx-user", "live", time.Hour)); err != nil {
		t.Fatal(err)
	}
	stale := record("idx-user", "loser", 100*time.Millisecond)
	stale.Version = 7
	if err := s.CompareAndUpdate(ctx, key, stale); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("CompareAndUpdate with a stale version = %v, want ErrConflict", err)
	}
	if err := s.Create(ctx, key, stale); !errors.Is(err, store.ErrExists) {
		t.Fatalf("Create over a live key = %v, want ErrExists", err)
	}
	time.Sleep(300 * time.Millisecond)
	infos, err := s.ListUser(ctx, "idx-user")
	if err != nil || len(infos) != 1 || infos[0].Key != key {
		t.Fatalf("ListUser = %v, %v; want the live session", infos, err)
	}
	if n, err := s.DeleteUser(ctx, "idx-user"); err != nil || n != 1 {
		t.Errorf("DeleteUser = %d, %v; want 1", n, err)
	}
}

// TestWriteBumpsVersionLikeHINCRBY pins the version a write leaves after
// any stored version the script accepts: whatever shortcut writeScript
// takes, the result must be what HINCRBY would make of the stored value,
// an error included.
func TestWriteBumpsVersionLikeHINCRBY(t *testing.T) {
	ctx := context.Background()
	s, c := newTestStore(t)
	for _, v := range []string{
		"1", "0", "07", "99", "9999999999999", "10000000000000",
		// 9223372036854775806 is left out: HINCRBY makes it the largest
		// int64, which the script's return through a Lua number turns
		// into the smallest (before and after this shortcut alike).
		"9007199254740993", "9223372036854775807", "18446744073709551615",
	} {
		t.Run(v, func(t *testing.T) {
			scratch := s.Prefix() + "scratch"
			c.Del(ctx, scratch)
			c.HSet(ctx, scratch, fieldVersion, v)
			want, wantErr := c.HIncrBy(ctx, scratch, fieldVersion, 1).Result()

			key := storetest.RandomKey()
			if err := s.Create(ctx, key, record("", "x", time.Hour)); err != nil {
				t.Fatal(err)
			}
			rk := s.recordKey(key.String())
			if err := c.HSet(ctx, rk, fieldVersion, v).Err(); err != nil {
				t.Fatal(err)
			}
			err := s.Update(ctx, key, record("", "y", time.Hour))
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("Update over version %s = %v; HINCRBY gave %v", v, err, wantErr)
			}
			got, _ := c.HGet(ctx, rk, fieldVersion).Result()
			if wantErr != nil {
				if got != v {
					t.Errorf("failed Update left version %q, want %q untouched", got, v)
				}
				return
			}
			if got != strconv.FormatInt(want, 10) {
				t.Errorf("Update over version %s left %q, want %d", v, got, want)
			}
			rec, err := s.Read(ctx, key)
			if err != nil || rec.Version != uint64(want) || string(rec.Data) != "y" {
				t.Errorf("Read = %+v, %v; want version %d and data y", rec, err, want)
			}
		})
	}
}
