package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/b4f9cdbb/session/store"
	"github.com/redis/go-redis/v9"
)

// WithClientSideCache declares that client was built with go-redis's
// server-assisted client-side cache (redis.Options.ClientSideCacheConfig or
// ClientSideCache, over RESP3), so that Read of an unchanged session is
// answered from process memory without a round trip. New then checks that
// the cache can work with that client, and returns an error saying what to
// change if it cannot: it needs a single-node *redis.Client (go-redis has
// no client-side cache for Cluster, Sentinel failover or Ring clients),
// Protocol 3, DB 0 and no credentials provider.
//
// Redis tells every client that cached a record when any client changes or
// deletes it (CLIENT TRACKING), and go-redis drops the entry when that
// message arrives. That is asynchronous: another instance may read a record
// that was just updated or deleted for a few milliseconds (go-redis applies
// the messages of idle connections every DrainInterval, 5 ms by default;
// set ClientSideCacheConfig.MaxStaleness to cap any entry's age whatever
// happens). What stays exact:
//
//   - Expiry: Read compares Expires with the store's clock on every read.
//   - Lost updates: CompareAndUpdate checks the version inside Redis, so a
//     write based on a stale cached read fails with store.ErrConflict and
//     never overwrites a newer version. The next Read of that key skips
//     the cache, so the session layer's retry starts from the stored record.
//   - This store's own writes: after a Create, Update, CompareAndUpdate or
//     Delete through this Store, its Reads of that key return that write or
//     a later one (never an older cached copy), and a Read never returns a
//     version older than one it returned before.
//
// New also applies the last two rules on its own when handed a client with
// a client-side cache and no WithClientSideCache; the option adds the check
// at start-up. Without a cache on the client the option is an error, not a
// no-op.
func WithClientSideCache() Option {
	return func(s *Store) { s.wantCache = true }
}

// defaultFenceLife is how long a fence lasts when the client's cache has
// no MaxStaleness: far longer than an invalidation takes to arrive.
const defaultFenceLife = 10 * time.Second

// cacheFences reports whether client caches reads (and so whether Read
// needs fences), how long a fence must last, and, when it does not cache,
// why not, for WithClientSideCache's error.
func cacheFences(client redis.UniversalClient) (life time.Duration, why string) {
	c, ok := client.(*redis.Client)
	if !ok {
		return 0, fmt.Sprintf("the client is a %T; go-redis caches on a single-node *redis.Client only (Cluster, Sentinel failover and Ring clients have no client-side cache)", client)
	}
	opt := c.Options()
	switch {
	case opt.ClientSideCacheConfig == nil && opt.ClientSideCache == nil:
		return 0, "the client has no cache: set redis.Options.ClientSideCacheConfig (with Protocol: 3)"
	case opt.Protocol != 3:
		return 0, fmt.Sprintf("the client speaks RESP%d; client-side caching needs Protocol: 3", opt.Protocol)
	case opt.DB != 0:
		return 0, fmt.Sprintf("the client uses DB %d; go-redis caches on DB 0 only", opt.DB)
	case opt.CredentialsProvider != nil || opt.CredentialsProviderContext != nil || opt.StreamingCredentialsProvider != nil:
		return 0, "the client has a credentials provider, with which go-redis turns its cache off; use a fixed Username and Password"
	}
	if cfg := opt.ClientSideCacheConfig; cfg != nil && opt.ClientSideCache == nil && cfg.MaxStaleness > 0 {
		// No entry is served longer than MaxStaleness after it was
		// fetched, and a fence starts after the fetch it guards against.
		return cfg.MaxStaleness, ""
	}
	return defaultFenceLife, ""
}

// A fence is what this Store knows about a key from its own writes and
// reads, so that a Read never returns an older copy from the client-side
// cache: min 0 means the record is gone, min n means version n or later
// exists. It lives until a cached read agrees with it or its life ends.
type fence struct {
	min uint64
	at  int64 // when it was set, Unix ns
}

// fences maps key hex to fence.
type fences struct {
	m     sync.Map
	life  time.Duration
	swept atomic.Int64 // when the map was last swept, Unix ns
}

// set records what a write left under hexKey, whatever was known before: a
// Delete leaves nothing, a Create version 1.
func (f *fences) set(hexKey string, min uint64) {
	now := time.Now().UnixNano()
	f.m.Store(hexKey, fence{min: min, at: now})
	f.sweep(now)
}

// raise records that version min or later exists under hexKey, unless a
// later version is known already.
func (f *fences) raise(hexKey string, min uint64) {
	now := time.Now().UnixNano()
	next := fence{min: min, at: now}
	for {
		old, loaded := f.m.LoadOrStore(hexKey, next)
		if !loaded {
			break
		}
		if old.(fence).min >= min || f.m.CompareAndSwap(hexKey, old, next) {
			break
		}
	}
	f.sweep(now)
}

// get returns the live fence of hexKey.
func (f *fences) get(hexKey string) (fence, bool) {
	v, ok := f.m.Load(hexKey)
	if !ok {
		return fence{}, false
	}
	fc := v.(fence)
	if time.Now().UnixNano()-fc.at > int64(f.life) {
		f.m.CompareAndDelete(hexKey, fc)
		return fence{}, false
	}
	return fc, true
}

// sweep drops expired fences, at most once per fence life, so that fences
// of keys never read again do not pile up.
func (f *fences) sweep(now int64) {
	last := f.swept.Load()
	if now-last < int64(f.life) || !f.swept.CompareAndSwap(last, now) {
		return
	}
	f.m.Range(func(k, v any) bool {
		if now-v.(fence).at > int64(f.life) {
			f.m.CompareAndDelete(k, v)
		}
		return true
	})
}

// allows reports whether the fields m of a record (empty: no record) are
// as new as the fence requires.
func (fc fence) allows(m map[string]string) bool {
	if fc.min == 0 {
		return len(m) == 0
	}
	v, err := strconv.ParseUint(m[fieldVersion], 10, 64)
	return err == nil && v >= fc.min
}

// readHash reads the fields of the record rk, whose key is hexKey. Without a
// client-side cache it is one HGETALL. With one, an unfenced key is read
// through the cache; a fenced key too, but when the cached copy is older
// than the fence it is read again from the server, skipping the cache (a
// pipeline, which go-redis never serves from its cache).
func (s *Store) readHash(ctx context.Context, rk, hexKey string) (map[string]string, error) {
	if s.fences == nil {
		return s.client.HGetAll(ctx, rk).Result()
	}
	fc, fenced := s.fences.get(hexKey)
	m, err := s.client.HGetAll(ctx, rk).Result()
	if !fenced || err != nil && !redis.HasErrorPrefix(err, "WRONGTYPE") {
		return m, err
	}
	if err == nil && fc.allows(m) {
		s.fences.m.CompareAndDelete(hexKey, fc) // the cache has caught up
		return m, nil
	}
	var cmd *redis.MapStringStringCmd
	if _, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		cmd = p.HGetAll(ctx, rk)
		return nil
	}); err != nil {
		return nil, err
	}
	// Never go back to an older copy: not to the version just read, nor
	// to a record that the server has just said is gone.
	m = cmd.Val()
	if len(m) == 0 {
		s.fences.set(hexKey, 0)
	} else if v, err := strconv.ParseUint(m[fieldVersion], 10, 64); err == nil {
		s.fences.raise(hexKey, v)
	}
	return m, nil
}

// wrote records in the fences what a write under key left behind; see
// the res* results of writeScript. It does nothing without a cache.
func (s *Store) wrote(key store.Key, res int64, expect string) {
	if s.fences == nil {
		return
	}
	hexKey := key.String()
	switch {
	case res >= 1:
		s.fences.raise(hexKey, uint64(res))
	case res == resNotFound:
		s.fences.set(hexKey, 0)
	case res == resConflict:
		// The stored version is not the one the caller read: if that read
		// came from a stale cached copy, a newer one is stored.
		if v, err := strconv.ParseUint(expect, 10, 64); err == nil {
			s.fences.raise(hexKey, v+1)
		}
	}
}

// gone records in the fences that the record under hexKey was deleted.
func (s *Store) gone(hexKey string) {
	if s.fences != nil {
		s.fences.set(hexKey, 0)
	}
}
