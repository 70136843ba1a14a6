package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/b4f9cdbb/session/redisstore"
	"github.com/b4f9cdbb/session/store"
)

// redisServer is a throw-away redis-server whose every write is in an
// fsynced append-only file, so that its data survives a stop (and a crash).
type redisServer struct {
	server
	addr string
}

func newRedis(ctx context.Context) (*redisServer, error) {
	bin, err := lookBin("redis-server", "/usr/bin", "/usr/local/bin")
	if err != nil {
		return nil, err
	}
	dir, port, err := placeFor("redis")
	if err != nil {
		return nil, err
	}
	// go-redis logs every failed dial of an outage; the report has them.
	redis.SetLogger(quiet{})
	r := &redisServer{addr: net.JoinHostPort("127.0.0.1", port)}
	r.server = server{
		name: "redis-server",
		bin:  bin,
		args: []string{"--port", port, "--bind", "127.0.0.1", "--appendonly", "yes", "--appendfsync", "always",
			"--dir", dir, "--save", "", "--daemonize", "no"},
		dir:      dir,
		ready:    r.ping,
		stopSig:  syscall.SIGTERM, // SHUTDOWN: the append-only file is flushed
		crashSig: syscall.SIGKILL,
	}
	if err := r.run(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return r, nil
}

// ping succeeds once the server answers PONG on a connection of its own
// (not while it is still loading its append-only file).
func (r *redisServer) ping(ctx context.Context) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", r.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("redis answered %q", strings.TrimSpace(line))
	}
	return nil
}

// open gives each application instance its own client, configured as the
// redisstore documentation asks (context deadlines bound network waits).
func (r *redisServer) open(context.Context) (store.Store, func(), error) {
	client := redis.NewClient(&redis.Options{
		Addr:                  r.addr,
		ContextTimeoutEnabled: true,
		DialTimeout:           2 * time.Second,
	})
	st, err := redisstore.New(client)
	if err != nil {
		client.Close()
		return nil, nil, err
	}
	return st, func() { client.Close() }, nil
}

// quiet is a go-redis logger that drops everything.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}
