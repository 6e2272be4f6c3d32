package syslog

import (
	"context"
	"fmt"
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// waitAcked waits until the peer's TCP stack has acknowledged every byte
// written to c so far. The target is read right after the write: the bytes
// acknowledged until then (tcpi_bytes_acked) plus the send queue
// (SIOCOUTQ: written, not yet acknowledged), both counted by the kernel, so
// TLS record overhead is included. It then polls tcpi_bytes_acked with a
// growing pause until the target or the deadline.
func waitAcked(ctx context.Context, c *net.TCPConn, deadline time.Time) error {
	if c == nil {
		return nil
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	acked := func() (uint64, int, error) {
		var (
			info *unix.TCPInfo
			outq int
			serr error
		)
		err := rc.Control(func(fd uintptr) {
			// Acknowledged first, queue second: the sum can only come out
			// short by bytes acknowledged in between, never too high.
			if info, serr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO); serr == nil {
				outq, serr = unix.IoctlGetInt(int(fd), unix.SIOCOUTQ)
			}
		})
		if err == nil {
			err = serr
		}
		if err != nil {
			return 0, 0, fmt.Errorf("read TCP state: %w", err)
		}
		return info.Bytes_acked, outq, nil
	}
	base, outq, err := acked()
	if err != nil {
		return err
	}
	target := base + uint64(outq)
	pause := 50 * time.Microsecond
	for n := base; n < target; {
		if err := ctx.Err(); err != nil {
			return err
		}
		if time.Now().Add(pause).After(deadline) {
			return fmt.Errorf("peer has not acknowledged %d bytes within write_timeout", target-n)
		}
		time.Sleep(pause)
		pause = min(pause*2, 5*time.Millisecond)
		if n, _, err = acked(); err != nil {
			return err
		}
	}
	return nil
}
