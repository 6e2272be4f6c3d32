//go:build !unix

package syslog

import "net"

// peekConn cannot peek on this platform; write errors still show a dead
// connection.
func peekConn(*net.TCPConn) (int, error) { return 0, nil }
