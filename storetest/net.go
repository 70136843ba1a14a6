package storetest

import (
	"net"
	"sync"
	"testing"
)

// Helpers for a store's fault tests: addresses that behave like a server
// that is down and like one that hangs, for stores that talk to a server.

// ClosedAddr returns a 127.0.0.1 address on which nothing listens, so that
// a connection attempt is refused at once: a server that is down.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// Unresponsive returns the address of a 127.0.0.1 listener that accepts
// connections and never reads or answers, the way a hung server or a
// dropped route looks to a client: only a deadline ends a call. The
// listener and every connection it accepted are closed in t.Cleanup, and
// its goroutine has returned by then.
func Unresponsive(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // hold it open, read nothing, answer nothing
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}
