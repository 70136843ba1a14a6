package storetest

import (
	"net"
	"testing"
	"time"
)

func TestClosedAddrRefuses(t *testing.T) {
	c, err := net.DialTimeout("tcp", ClosedAddr(t), time.Second)
	if err == nil {
		c.Close()
		t.Fatal("dial to ClosedAddr succeeded")
	}
}

func TestUnresponsiveNeverAnswers(t *testing.T) {
	c, err := net.DialTimeout("tcp", Unresponsive(t), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	var b [1]byte
	if n, err := c.Read(b[:]); n != 0 || err == nil {
		t.Fatalf("Read from Unresponsive = %d, %v; want a timeout", n, err)
	} else if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Fatalf("Read from Unresponsive: %v, want a timeout", err)
	}
}
