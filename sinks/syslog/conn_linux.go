package syslog

import (
	"context"
	"fmt"
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// waitUnsent waits until the kernel reports no unacknowledged bytes in the
// connection's send queue (SIOCOUTQ), that is until the peer's TCP stack
// has acknowledged everything written. It polls with a growing pause.
func waitUnsent(ctx context.Context, c *net.TCPConn, deadline time.Time) error {
	if c == nil {
		return nil
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	pause := 50 * time.Microsecond
	for {
		var n int
		var ierr error
		if err := rc.Control(func(fd uintptr) { n, ierr = unix.IoctlGetInt(int(fd), unix.SIOCOUTQ) }); err != nil {
			return err
		}
		if ierr != nil {
			return fmt.Errorf("SIOCOUTQ: %w", ierr)
		}
		if n == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if time.Now().Add(pause).After(deadline) {
			return fmt.Errorf("peer has not acknowledged %d bytes within write_timeout", n)
		}
		time.Sleep(pause)
		pause = min(pause*2, 5*time.Millisecond)
	}
}
