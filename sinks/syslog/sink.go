package syslog

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/plugin"
	"github.com/forwarder/forwarder/sinks"
)

// Factory returns the factory of "syslog" sinks. One connection carries
// the events in order, so MaxInFlight is 1.
func Factory() sinks.Factory {
	f := sinks.NewFactory("syslog", NewConfig, New)
	f.MaxInFlight = 1
	f.Batch = sinks.BatchDefaults{MaxEvents: 1000, MaxBytes: 1 << 20}
	return f
}

// Sink sends events to one syslog receiver over UDP, TCP or TLS. Build it
// with New; it is safe for concurrent use (writes are serialised on the one
// connection, formatting is not).
type Sink struct {
	name string
	log  *slog.Logger
	tls  *plugin.TLS
	addr string
	set  *settings
	f    *formatter
	pool sync.Pool // *buffer

	mu   sync.Mutex // guards conn and tcp
	conn net.Conn
	tcp  *net.TCPConn // conn itself, or under TLS; nil for UDP
}

var _ sinks.Sink = (*Sink)(nil)

// buffer is the pooled working space of one WriteBatch.
type buffer struct {
	b    []byte
	ends []int // end offset of each event's frame in b
	sc   scratch
}

// maxPooled keeps a one-off huge batch from pinning its memory in the pool.
const maxPooled = 16 << 20

// New builds a sink from a config. It does no I/O: Connect dials.
func New(c *Config, set sinks.Settings) (*Sink, error) {
	st, err := c.resolve()
	if err != nil {
		return nil, fmt.Errorf("syslog %q: %w", set.Name, err)
	}
	log := set.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Sink{name: set.Name, log: log, addr: c.Address, set: st, f: newFormatter(c, st)}
	if c.TLS != nil {
		t := *c.TLS
		s.tls = &t
	}
	s.pool.New = func() any { return &buffer{b: make([]byte, 0, 64<<10)} }
	return s, nil
}

// Connect dials the receiver (and does the TLS handshake) within
// connect_timeout, replacing any previous connection.
func (s *Sink) Connect(ctx context.Context) error {
	d := &net.Dialer{Timeout: s.set.connectTimeout, KeepAlive: 30 * time.Second}
	var (
		conn net.Conn
		err  error
	)
	switch s.set.proto {
	case "udp":
		conn, err = d.DialContext(ctx, "udp", s.addr)
	case "tcp":
		conn, err = d.DialContext(ctx, "tcp", s.addr)
	default:
		t := s.tls
		if t == nil {
			t = &plugin.TLS{} // system roots, verification on
		}
		var cfg *tls.Config
		if cfg, err = t.Build(); err == nil {
			// tls.Dialer checks the address's host when server_name is unset,
			// and bounds the handshake by the dialer's timeout too.
			conn, err = (&tls.Dialer{NetDialer: d, Config: cfg}).DialContext(ctx, "tcp", s.addr)
		}
	}
	if err != nil {
		return fmt.Errorf("syslog %q: connect %s %s: %w", s.name, s.set.proto, s.addr, err)
	}
	var tcp *net.TCPConn
	switch c := conn.(type) {
	case *net.TCPConn:
		tcp = c
	case *tls.Conn:
		tcp, _ = c.NetConn().(*net.TCPConn)
	}
	s.mu.Lock()
	old := s.conn
	s.conn, s.tcp = conn, tcp
	s.mu.Unlock()
	if old != nil {
		_ = old.Close()
	}
	s.log.Info("syslog connected", "protocol", s.set.proto, "address", s.addr)
	return nil
}

// Close closes the connection. It is idempotent and safe without Connect.
func (s *Sink) Close(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn, s.tcp = nil, nil
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("syslog %q: close: %w", s.name, err)
	}
	return nil
}

func (s *Sink) closeLocked() {
	if s.conn != nil {
		_ = s.conn.Close()
		s.conn, s.tcp = nil, nil
	}
}

// notConnected closes the connection and returns an error that makes the
// engine reconnect and retry every event of the batch.
func (s *Sink) notConnected(op string, err error) error {
	s.closeLocked()
	s.log.Warn("syslog connection lost", "op", op, "address", s.addr, "err", err)
	return fmt.Errorf("syslog %q: %s: %w: %w", s.name, op, sinks.ErrNotConnected, err)
}

// WriteBatch formats the events and sends them. See the package
// documentation for when a batch counts as delivered.
func (s *Sink) WriteBatch(ctx context.Context, events []*event.Event) error {
	if len(events) == 0 {
		return nil
	}
	buf := s.pool.Get().(*buffer)
	defer s.putBuffer(buf)
	buf.b, buf.ends = buf.b[:0], buf.ends[:0]
	if s.set.proto == "udp" {
		for _, e := range events {
			// udp_oversize = "truncate" shortens the event as on TCP, so the
			// datagram stays valid; writeUDP cuts bytes only when even the
			// envelope is too long.
			start, ok := len(buf.b), false
			if s.set.udpTruncate {
				buf.b, _, ok = s.f.appendBounded(buf.b, e, s.set.udpMax, true, &buf.sc)
			}
			if !ok {
				buf.b = s.f.appendFrame(buf.b[:start], e, &buf.sc)
			}
			buf.ends = append(buf.ends, len(buf.b))
		}
		return s.writeUDP(ctx, buf)
	}
	// TCP and TLS: every message within max_message_size (truncate.go).
	var results []sinks.Result
	for i, e := range events {
		var size int
		var ok bool
		if buf.b, size, ok = s.f.appendBounded(buf.b, e, s.set.maxMessage, s.set.truncate, &buf.sc); !ok {
			if results == nil {
				results = make([]sinks.Result, len(events))
			}
			reason := fmt.Sprintf("syslog message of %d bytes exceeds max_message_size (%d bytes)", size, s.set.maxMessage)
			if s.set.truncate {
				reason += " even with every content field cut"
			}
			results[i] = sinks.Result{Outcome: sinks.Reject, Reason: reason}
		}
	}
	if len(buf.b) == 0 {
		return &sinks.BatchError{Results: results, Err: fmt.Errorf("syslog %q: oversize messages rejected", s.name)}
	}

	conn, tcp, deadline, err := s.writeLocked(ctx, buf.b)
	if err == nil && s.set.ackHold > 0 {
		err = s.confirm(ctx, conn, tcp, deadline)
	}
	if err != nil || results == nil {
		return err
	}
	return &sinks.BatchError{Results: results, Err: fmt.Errorf("syslog %q: oversize messages rejected", s.name)}
}

// writeLocked checks the connection and writes b under the lock. It returns
// the connection written to, for confirm.
func (s *Sink) writeLocked(ctx context.Context, b []byte) (net.Conn, *net.TCPConn, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var deadline time.Time
	if s.conn == nil {
		return nil, nil, deadline, fmt.Errorf("syslog %q: write: %w", s.name, sinks.ErrNotConnected)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, deadline, fmt.Errorf("syslog %q: write: %w", s.name, err)
	}
	if err := s.checkAliveLocked(); err != nil {
		return nil, nil, deadline, s.notConnected("check connection", err)
	}
	deadline = time.Now().Add(s.set.writeTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn := s.conn
	if err := conn.SetWriteDeadline(deadline); err != nil {
		return nil, nil, deadline, s.notConnected("write", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetWriteDeadline(time.Now()) })
	_, err := conn.Write(b)
	stop()
	if err != nil {
		// A partial frame may be on the wire: the stream is unusable.
		return nil, nil, deadline, s.notConnected("write", err)
	}
	return conn, s.tcp, deadline, nil
}

// confirm decides whether a written batch counts as delivered (see the
// package documentation): the peer's TCP stack acknowledges every byte
// written so far, then the connection stays healthy for ack_hold. The lock
// is not held while waiting, so with in_flight > 1 the holds of
// consecutive batches overlap while their writes stay in order.
func (s *Sink) confirm(ctx context.Context, conn net.Conn, tcp *net.TCPConn, deadline time.Time) error {
	if err := waitAcked(ctx, tcp, deadline); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("syslog %q: acknowledge: %w", s.name, ctx.Err())
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.conn == conn {
			return s.notConnected("acknowledge", err)
		}
		return fmt.Errorf("syslog %q: acknowledge: connection lost: %w", s.name, err)
	}
	hold := time.NewTimer(s.set.ackHold)
	defer hold.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("syslog %q: acknowledge: %w", s.name, ctx.Err())
	case <-hold.C:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != conn {
		// Another batch found the connection dead (and Connect may have
		// replaced it): this batch went down with it.
		return fmt.Errorf("syslog %q: acknowledge: connection lost during ack_hold", s.name)
	}
	if err := s.checkAliveLocked(); err != nil {
		return s.notConnected("acknowledge", err)
	}
	return nil
}

func (s *Sink) putBuffer(buf *buffer) {
	if cap(buf.b) <= maxPooled {
		s.pool.Put(buf)
	}
}

// checkAliveLocked reports an error when the peer has closed or reset the
// connection while it was idle, so that a batch is never written into a
// connection that is already dead.
func (s *Sink) checkAliveLocked() error {
	pending, err := peekConn(s.tcp)
	if err != nil {
		return err
	}
	if pending == 0 {
		return nil
	}
	// The peer sent something (a TLS session ticket or alert; a syslog
	// receiver sends nothing else). Read it so TLS can process it and EOF
	// behind it shows.
	return s.watchLocked(context.Background(), time.Now().Add(10*time.Millisecond))
}

// watchLocked reads from the connection until end. A timeout means the
// connection stayed healthy; EOF or any other error means it did not.
// Bytes the peer sends are discarded.
func (s *Sink) watchLocked(ctx context.Context, end time.Time) error {
	conn := s.conn
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Now()) })
	defer stop()
	var b [512]byte
	for range 1024 {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := conn.SetReadDeadline(end); err != nil {
			return err
		}
		_, err := conn.Read(b[:])
		var ne net.Error
		switch {
		case err == nil:
			continue
		case errors.As(err, &ne) && ne.Timeout():
			return ctx.Err()
		case errors.Is(err, io.EOF):
			return errors.New("peer closed the connection")
		default:
			return err
		}
	}
	return nil
}

// writeUDP sends one datagram per event. Sent counts as delivered. A
// message larger than udp_max_size is truncated or rejected.
func (s *Sink) writeUDP(ctx context.Context, buf *buffer) error {
	var results []sinks.Result
	mark := func(i int, r sinks.Result) {
		if results == nil {
			results = make([]sinks.Result, len(buf.ends))
		}
		results[i] = r
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return fmt.Errorf("syslog %q: write: %w", s.name, sinks.ErrNotConnected)
	}
	deadline := time.Now().Add(s.set.writeTimeout)
	if err := s.conn.SetWriteDeadline(deadline); err != nil {
		return s.notConnected("write", err)
	}
	start := 0
	for i, end := range buf.ends {
		msg := buf.b[start:end]
		start = end
		if len(msg) > s.set.udpMax {
			if !s.set.udpTruncate {
				mark(i, sinks.Result{Outcome: sinks.Reject, Reason: fmt.Sprintf(
					"syslog message of %d bytes exceeds udp_max_size (%d bytes)", len(msg), s.set.udpMax)})
				continue
			}
			msg = truncateUTF8(msg, s.set.udpMax)
		}
		if err := ctx.Err(); err != nil {
			// Stopped, not broken: the rest is retried on this connection.
			if i == 0 && results == nil {
				return fmt.Errorf("syslog %q: write: %w", s.name, err)
			}
			for j := i; j < len(buf.ends); j++ {
				mark(j, sinks.Result{Outcome: sinks.Retry, Reason: err.Error()})
			}
			return &sinks.BatchError{Results: results, Err: fmt.Errorf("syslog %q: write: %w", s.name, err)}
		}
		if _, err := s.conn.Write(msg); err != nil {
			// A refused datagram (ICMP port unreachable) or a local error:
			// what was sent before counts as delivered, the rest is retried.
			if i == 0 && results == nil {
				return s.notConnected("write", err)
			}
			for j := i; j < len(buf.ends); j++ {
				mark(j, sinks.Result{Outcome: sinks.Retry, Reason: err.Error()})
			}
			return &sinks.BatchError{Results: results, Err: s.notConnected("write", err)}
		}
	}
	if results != nil {
		return &sinks.BatchError{Results: results, Err: fmt.Errorf("syslog %q: oversize messages rejected", s.name)}
	}
	return nil
}

// truncateUTF8 cuts msg to at most max bytes without splitting a UTF-8
// sequence.
func truncateUTF8(msg []byte, max int) []byte {
	if len(msg) <= max {
		return msg
	}
	cut := max
	for i := 0; i < utf8.UTFMax && cut > 0 && !utf8.RuneStart(msg[cut]); i++ {
		cut--
	}
	return msg[:cut]
}
