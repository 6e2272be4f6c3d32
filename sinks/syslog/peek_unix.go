//go:build unix

package syslog

import (
	"errors"
	"io"
	"net"
	"syscall"
)

// peekConn looks at the connection without blocking or consuming: it
// returns io.EOF when the peer closed it, the socket error when it was
// reset, and the number of bytes waiting otherwise.
func peekConn(c *net.TCPConn) (int, error) {
	if c == nil {
		return 0, nil
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var (
		n    int
		rerr error
		b    [1]byte
	)
	// Control, not Read: Read would refuse after an expired read deadline.
	err = rc.Control(func(fd uintptr) {
		n, _, rerr = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	})
	switch {
	case err != nil:
		return 0, err
	case errors.Is(rerr, syscall.EAGAIN) || errors.Is(rerr, syscall.EWOULDBLOCK) || errors.Is(rerr, syscall.EINTR):
		return 0, nil
	case rerr != nil:
		return 0, rerr
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}
