//go:build unix

package syslog

import (
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/sinks"
)

// TestWriteTimeout: a receiver that stops reading makes the write fail
// within write_timeout.
func TestWriteTimeout(t *testing.T) {
	t.Parallel()
	// A small receive buffer on the listener (inherited by the accepted
	// socket) keeps the bytes needed to fill the path small.
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		return errors.Join(err, serr)
	}}
	l, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	release := make(chan struct{})
	defer close(release)
	go func() {
		if c, err := l.Accept(); err == nil {
			<-release
			c.Close()
		}
	}()
	c := NewConfig()
	c.Address = l.Addr().String()
	c.WriteTimeout, c.AckHold = "300ms", "0s"
	c.MaxMessageSize = "2MiB" // the 1 MiB events go out whole
	s := newSink(t, c)
	if err := s.Connect(t.Context()); err != nil {
		t.Fatal(err)
	}
	big := testEvent(0)
	big.Fields = append(big.Fields, event.Field{Key: "pad", Value: event.String(strings.Repeat("p", 1<<20))})
	batch := make([]*event.Event, 24) // 24 MiB: more than the socket buffers hold
	for i := range batch {
		batch[i] = big
	}
	start := time.Now()
	err = s.WriteBatch(t.Context(), batch)
	if !errors.Is(err, sinks.ErrNotConnected) {
		t.Fatalf("WriteBatch = %v, want ErrNotConnected after a timeout", err)
	}
	// Without the timeout the write would block until release; the bound
	// is loose because formatting 24 MiB under -race takes seconds.
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("write took %s with write_timeout 300ms", d)
	}
}
