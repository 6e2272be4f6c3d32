//go:build !linux

package syslog

import (
	"context"
	"net"
	"time"
)

// waitAcked cannot see TCP acknowledgements on this platform; the
// ack_hold check alone guards delivery.
func waitAcked(context.Context, *net.TCPConn, time.Time) error { return nil }
