package redisstore

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/b4f9cdbb/session/storetest"
	"github.com/redis/go-redis/v9"
)

// Variables that point the topology tests at disposable servers.
const (
	// envCluster: seed nodes of a Redis Cluster, comma-separated.
	envCluster = "SESSION_TEST_REDIS_CLUSTER_ADDRS"
	// envSentinel: "master-name@sentinel-addr,sentinel-addr…".
	envSentinel = "SESSION_TEST_REDIS_SENTINEL"
)

// conformanceOn runs the conformance suite on client under a fresh prefix
// and deletes the prefix's keys on every primary afterwards.
func conformanceOn(t *testing.T, client redis.UniversalClient, primaries func(func(*redis.Client))) *Store {
	t.Helper()
	t.Cleanup(func() { _ = client.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		t.Fatalf("cannot reach the servers: %v", err)
	}
	s := mustNew(t, client, WithPrefix(testPrefix()))
	t.Cleanup(func() { primaries(func(n *redis.Client) { deletePrefix(t, n, s.Prefix()) }) })
	storetest.Run(t, s, storetest.WithCorrupt(corrupter(s, client)))

	// DeleteAll and Count must reach every node: a store of its own.
	t.Run("DeleteAll", func(t *testing.T) {
		own := mustNew(t, client, WithPrefix(testPrefix()))
		t.Cleanup(func() { primaries(func(n *redis.Client) { deletePrefix(t, n, own.Prefix()) }) })
		storetest.RunDeleteAll(t, own)
	})
	return s
}

// TestCluster runs the conformance suite on a redis.ClusterClient: every
// script touches one key, the index lives in another slot, and pipelines
// span nodes. Any CROSSSLOT mistake in the key layout fails here.
func TestCluster(t *testing.T) {
	addrs := os.Getenv(envCluster)
	if addrs == "" {
		t.Skipf("%s is not set; set it to the nodes of a disposable Redis Cluster (e.g. 127.0.0.1:7101,127.0.0.1:7102) to run the Cluster test", envCluster)
	}
	c := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:                 strings.Split(addrs, ","),
		ContextTimeoutEnabled: true,
	})
	s := conformanceOn(t, c, func(f func(*redis.Client)) {
		// SCAN runs per node on a cluster.
		err := c.ForEachMaster(context.Background(), func(_ context.Context, n *redis.Client) error {
			f(n)
			return nil
		})
		if err != nil {
			t.Errorf("clean-up: %v", err)
		}
	})

	// Pin that the record and its user's index do live in different slots
	// here, so the suite really crossed slots.
	ctx := context.Background()
	key := storetest.RandomKey()
	user := "cluster-user"
	for i := 0; ; i++ {
		a, err1 := c.ClusterKeySlot(ctx, s.recordKey(key.String())).Result()
		b, err2 := c.ClusterKeySlot(ctx, s.userKey(user)).Result()
		if err1 != nil || err2 != nil {
			t.Fatalf("CLUSTER KEYSLOT: %v, %v", err1, err2)
		}
		if a != b {
			break
		}
		if i == 10 {
			t.Fatal("record and index always share a slot")
		}
		key = storetest.RandomKey()
	}
	if err := s.Create(ctx, key, record(user, "x", time.Hour)); err != nil {
		t.Fatal(err)
	}
	infos, err := s.ListUser(ctx, user)
	if err != nil || len(infos) != 1 {
		t.Fatalf("ListUser across slots = %v, %v", infos, err)
	}
	if n, err := s.DeleteUser(ctx, user); err != nil || n != 1 {
		t.Fatalf("DeleteUser across slots = %d, %v", n, err)
	}
}

// TestSentinel runs the conformance suite through a Sentinel failover
// client.
func TestSentinel(t *testing.T) {
	v := os.Getenv(envSentinel)
	if v == "" {
		t.Skipf("%s is not set; set it to master-name@sentinel-addr[,…] of a disposable Sentinel setup to run the Sentinel test", envSentinel)
	}
	master, addrs, ok := strings.Cut(v, "@")
	if !ok || master == "" || addrs == "" {
		t.Fatalf("%s=%q: want master-name@sentinel-addr[,…]", envSentinel, v)
	}
	c := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName:            master,
		SentinelAddrs:         strings.Split(addrs, ","),
		ContextTimeoutEnabled: true,
	})
	conformanceOn(t, c, func(f func(*redis.Client)) { f(c) })
}
