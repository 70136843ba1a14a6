package redisstore

import (
	"context"
	"strings"
	"sync"

	"github.com/b4f9cdbb/session/store"
	"github.com/redis/go-redis/v9"
)

// scanBatch is the COUNT hint of every SCAN, and so the most keys one
// pipelined round trip of Count or DeleteAll carries.
const scanBatch = 1000

// DeleteExpired returns 0: Redis deletes every record at its Expires by
// itself (PEXPIREAT), so there is never an expired record to reap.
// ExpiresNatively says so to callers that would otherwise wonder why.
func (s *Store) DeleteExpired(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, s.failUser(ctx, "delete expired", err)
	}
	return 0, nil
}

// ExpiresNatively reports true: Redis expires records by itself, so
// DeleteExpired has nothing to do.
func (s *Store) ExpiresNatively() bool { return true }

// Count reports how many live records the store holds under its prefix. It
// SCANs the keys (every primary of a Redis Cluster, every shard of a Ring)
// and checks each record's expiry on the store's clock, one pipelined round
// trip per batch of scanBatch keys. It never blocks the server the way KEYS
// would, but it is an operator's call: it walks the whole keyspace and
// remembers the keys it counted (SCAN may return a key twice), a few dozen
// bytes each. Records written or deleted while it runs may or may not be
// counted.
func (s *Store) Count(ctx context.Context) (int, error) {
	const op = "count"
	if err := ctx.Err(); err != nil {
		return 0, s.failUser(ctx, op, err)
	}
	var mu sync.Mutex
	seen := make(map[string]struct{})
	now := s.now()
	err := s.scan(ctx, escapeGlob(s.prefix)+"{*", func(keys []string) error {
		cmds := make([]*redis.StringCmd, len(keys))
		_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range keys {
				cmds[i] = p.HGet(ctx, k, fieldExpires)
			}
			return nil
		})
		if err != nil && !isPerCommandErr(err) && err != redis.Nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for i, k := range keys {
			if _, ok := s.hexOfRecordKey(k); !ok {
				continue
			}
			exp, err := decodeTime(cmds[i].Val())
			if cmds[i].Err() != nil || err != nil || !exp.After(now) {
				continue // gone, junk, or expired on our clock
			}
			seen[k] = struct{}{}
		}
		return nil
	})
	if err != nil {
		return 0, s.failUser(ctx, op, err)
	}
	return len(seen), nil
}

// DeleteAll deletes every record and every user index under the store's
// prefix (every user is signed out) and reports how many live records it
// ended. Like Count it SCANs (every primary of a Cluster) and works in
// pipelined batches; each record is deleted by the script Delete uses, so
// a record is counted once however often SCAN returns it. Keys under the
// prefix that are neither records nor user indexes are left alone.
// Sessions created while it runs may survive it.
func (s *Store) DeleteAll(ctx context.Context) (int, error) {
	const op = "delete all"
	if err := ctx.Err(); err != nil {
		return 0, s.failUser(ctx, op, err)
	}
	var mu sync.Mutex
	n := 0
	err := s.scan(ctx, escapeGlob(s.prefix)+"*", func(keys []string) error {
		var calls []*scriptCall
		var indexes []string
		for _, k := range keys {
			if hexKey, ok := s.hexOfRecordKey(k); ok {
				calls = append(calls, s.deleteCall(hexKey, ""))
			} else if s.isUserKey(k) {
				indexes = append(indexes, k)
			}
		}
		s.runScripts(ctx, calls...)
		live := 0
		for _, c := range calls {
			r, err := s.removal(c.cmd)
			if err != nil {
				return err
			}
			if r.live {
				live++
			}
		}
		mu.Lock()
		n += live
		mu.Unlock()
		if len(indexes) == 0 {
			return nil
		}
		// One UNLINK per key: on Cluster, keys of different slots cannot
		// share a command.
		_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range indexes {
				p.Unlink(ctx, k)
			}
			return nil
		})
		return err
	})
	if err != nil {
		return n, s.failUser(ctx, op, err)
	}
	return n, nil
}

// scan calls fn with every batch of keys matching pattern, on every node
// that holds keys of its own: each primary of a Cluster and each shard of a
// Ring (in parallel, so fn must be safe for concurrent use), or the one
// server of any other client.
func (s *Store) scan(ctx context.Context, pattern string, fn func(keys []string) error) error {
	node := func(ctx context.Context, c redis.Cmdable) error {
		var cursor uint64
		for {
			keys, next, err := c.Scan(ctx, cursor, pattern, scanBatch).Result()
			if err != nil {
				return err
			}
			if len(keys) > 0 {
				if err := fn(keys); err != nil {
					return err
				}
			}
			if next == 0 {
				return nil
			}
			cursor = next
		}
	}
	switch c := s.client.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return node(ctx, n) })
	case *redis.Ring:
		return c.ForEachShard(ctx, func(ctx context.Context, n *redis.Client) error { return node(ctx, n) })
	default:
		return node(ctx, s.client)
	}
}

// hexOfRecordKey returns the key hex of a record's Redis key (prefix, then
// the key hex in braces), or false for any other key.
func (s *Store) hexOfRecordKey(k string) (string, bool) {
	rest, ok := strings.CutPrefix(k, s.prefix)
	if !ok || len(rest) != 2*store.KeySize+2 || rest[0] != '{' || rest[len(rest)-1] != '}' {
		return "", false
	}
	hexKey := rest[1 : len(rest)-1]
	if _, err := store.ParseKey(hexKey); err != nil {
		return "", false
	}
	return hexKey, true
}

// isUserKey reports whether k is the Redis key of a user index of this
// store (see userKey).
func (s *Store) isUserKey(k string) bool {
	rest, ok := strings.CutPrefix(k, s.prefix+"user:")
	if !ok || len(rest) != 64+2 || rest[0] != '{' || rest[len(rest)-1] != '}' {
		return false
	}
	_, err := store.ParseKey(rest[1 : len(rest)-1]) // a SHA-256 in hex, like a key
	return err == nil
}

// escapeGlob escapes the characters that SCAN MATCH patterns treat
// specially, so that a prefix matches only itself.
func escapeGlob(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
