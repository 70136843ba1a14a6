package redisstore_test

import (
	"context"
	"fmt"
	"time"

	"github.com/b4f9cdbb/session/redisstore"
	"github.com/b4f9cdbb/session/store"
	"github.com/redis/go-redis/v9"
)

// A single Redis node. The session layer (session.NewStorage) is what
// normally calls the store; the calls here show the contract it relies on.
func ExampleNew() {
	client := redis.NewClient(&redis.Options{
		Addr: "127.0.0.1:6379",
		// Let request deadlines bound Redis I/O.
		ContextTimeoutEnabled: true,
	})
	defer client.Close() // the client is yours; the store never closes it

	st, err := redisstore.New(client, redisstore.WithPrefix("myapp:session:"))
	if err != nil {
		fmt.Println(err)
		return
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var key store.Key // the session layer passes SHA-256(session ID)
	key[0] = 1
	now := time.Now()
	err = st.Create(ctx, key, store.Record{
		Data:    []byte(`{"count":1}`),
		Created: now,
		Updated: now,
		Expires: now.Add(30 * time.Minute), // Redis drops the key then
		UserID:  "alice",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, err := st.Read(ctx, key)
	fmt.Println(string(rec.Data), rec.Version, err)
}

// Redis Cluster: the same store on a ClusterClient. Each record is one key
// with a {hash tag}; the per-user index lives in another slot and is
// checked against the records it names.
func ExampleNew_cluster() {
	client := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:                 []string{"redis-1:7000", "redis-2:7000", "redis-3:7000"},
		ContextTimeoutEnabled: true,
	})
	defer client.Close()
	st, err := redisstore.New(client)
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = st // session.NewStorage(st, cfg)
}

// Redis Sentinel: a failover client follows the primary that the
// sentinels name.
func ExampleNew_sentinel() {
	client := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName:            "mymaster",
		SentinelAddrs:         []string{"sentinel-1:26379", "sentinel-2:26379"},
		ContextTimeoutEnabled: true,
	})
	defer client.Close()
	st, err := redisstore.New(client)
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = st // session.NewStorage(st, cfg)
}

// Client-side caching: reads of an unchanged session come from process
// memory, and Redis tells the client when any instance changes or deletes
// the record. Needs a single-node client, RESP3 and DB 0.
func ExampleWithClientSideCache() {
	client := redis.NewClient(&redis.Options{
		Addr:                  "127.0.0.1:6379",
		ContextTimeoutEnabled: true,
		Protocol:              3, // RESP3: invalidations arrive as push messages
		ClientSideCacheConfig: &redis.ClientSideCacheConfig{
			MaxEntries:   100_000,         // about one entry per active session
			MaxStaleness: 5 * time.Second, // hard cap, should an invalidation be lost
		},
	})
	defer client.Close()
	st, err := redisstore.New(client, redisstore.WithClientSideCache())
	if err != nil {
		fmt.Println(err) // says what to change when the client cannot cache
		return
	}
	_ = st // session.NewStorage(st, cfg)
}

// Sign out everywhere: list a user's sessions, then revoke them all.
func ExampleStore_DeleteUser() {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", ContextTimeoutEnabled: true})
	defer client.Close()
	st, err := redisstore.New(client)
	if err != nil {
		fmt.Println(err)
		return
	}

	ctx := context.Background()
	sessions, err := st.ListUser(ctx, "alice")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range sessions {
		fmt.Println(s.Key, "expires", s.Expires)
	}
	n, err := st.DeleteUser(ctx, "alice")
	fmt.Println(n, "sessions revoked", err)
}
