// Package redisstore keeps session records in Redis, through
// github.com/redis/go-redis/v9. It implements store.Store and the optional
// capabilities store.Versioned (conflict detection), store.UserIndex
// (list and revoke a user's sessions) and store.Maintenance (Count and
// DeleteAll by SCAN; DeleteExpired has nothing to do).
//
// # Why Redis, and how it is used
//
// Redis expires keys by itself, so this store has no janitor: every record
// is written with PEXPIREAT at Record.Expires (rounded down to the
// millisecond, so a record never outlives its Expires) and Redis drops it.
// Read also compares Expires with the local clock, so a record whose time is
// up reads as store.ErrNotFound even if the Redis server's clock lags.
//
// It needs Redis 6.2 or later. Store takes a redis.UniversalClient, so a
// single node, a Redis Cluster (redis.ClusterClient) and a Sentinel-managed
// primary (redis.NewFailoverClient) all work. The store does not own the
// client: the caller creates it and closes it.
//
// # Key layout
//
// With the default prefix "session:":
//
//	session:{<key hex>}            hash: d (data), c, u, e (created, updated,
//	                               expires as "unix-seconds.nanoseconds"),
//	                               uid (user ID), v (version)
//	session:user:{<sha256(user)>}  sorted set: members are key hex of the
//	                               user's sessions, score = expiry in Unix ms
//
// The key hex is the store.Key (itself a SHA-256 hash of the session ID), so
// no raw session ID ever reaches Redis. The user index is named by a SHA-256
// hash of the user ID, so user IDs of any shape (slashes, braces, unicode)
// make safe key names. The braces are Redis Cluster hash tags: every key of
// one record hashes by its key hex alone.
//
// # Round trips and atomicity
//
//   - Read is one HGETALL.
//   - Create, Update and CompareAndUpdate are one Lua script each (insert-only,
//     update-only and compare-and-swap are checked inside Redis, atomically),
//     pipelined with a second script that maintains the user index: one round
//     trip in all.
//   - Delete is one script that deletes the record and returns what it held
//     (so that Delete reports, atomically with the removal, whether it was a
//     live record), and a second round trip to remove it from that user's
//     index.
//
// The user index is a different key in a different hash slot, so on Redis
// Cluster it cannot be updated atomically with the record. It is therefore
// only a hint: ListUser and DeleteUser check every member against its record
// (which must still exist, be live and name the same user), drop the members
// that fail the check, and never trust the index alone. A corrupt record of
// the user is skipped by ListUser (never failing it) and deleted, uncounted,
// by DeleteUser; Read reports it as store.ErrCorrupt. A Create or Update
// that wrote its record but could not update the index returns an error, so
// a session that "sign out everywhere" would miss is never silently made.
//
// # Client-side caching
//
// With a client built with go-redis's client-side cache (RESP3, a single
// node, DB 0) and WithClientSideCache, Read of an unchanged session makes no
// round trip: Redis invalidates the cached copy when any instance writes or
// deletes the record. Another instance may serve a changed or deleted
// record until that invalidation arrives (milliseconds; see
// WithClientSideCache and the README for measured figures), but expiry,
// conflict detection and a Store's view of its own writes stay exact.
// Cluster, Sentinel and Ring clients have no client-side cache in go-redis.
//
// # Context deadlines
//
// go-redis ignores context deadlines on the network unless the client was
// built with ContextTimeoutEnabled: true; without it a hung server is
// bounded only by the client's ReadTimeout and WriteTimeout. Set it, so that
// a request's deadline bounds its session I/O. Every method checks ctx before
// it starts and wraps ctx.Err() into the error it returns when the context
// ended during the call, so errors.Is(err, context.DeadlineExceeded) works.
//
// # After an outage
//
// Expect sessions to keep failing for up to about a second after Redis
// answers again. After PoolSize dials in a row fail, go-redis's pool stops
// dialling and returns the last dial error at once, and a background probe
// re-opens the pool when one dial a second succeeds (measured in the
// repository's RELIABILITY.md: failures up to 765 ms after the server was
// back). Health checks that gate traffic on Redis should allow for it.
//
// A write whose reply is lost in an outage (Redis applied it, then the
// connection closed; or go-redis re-sent it on a new connection) is settled
// by the session layer, which reads the record back and recognises its own
// commit; see session.Storage.Commit.
package redisstore
