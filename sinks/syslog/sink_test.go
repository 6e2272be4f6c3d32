package syslog

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	gosyslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/octetcounting"
	"github.com/leodido/go-syslog/v4/rfc5424"
	"go.uber.org/goleak"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/internal/testcerts"
	"github.com/forwarder/forwarder/plugin"
	"github.com/forwarder/forwarder/sinks"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// listener is a loopback TCP (or TLS) server that hands each accepted
// connection to handle, and waits for the handlers on cleanup.
func listener(t *testing.T, cfg *tls.Config, handle func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg != nil {
		l = tls.NewListener(l, cfg)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
	})
	return l.Addr().String()
}

// TestStreamFraming sends events whose values try to start new messages
// through a real TCP stream and parses it with go-syslog's stream parsers:
// one message per event, whichever the framing.
func TestStreamFraming(t *testing.T) {
	t.Parallel()
	inject := "x\n<13>1 2026-01-01T00:00:00Z evil evil - - - injected\n"
	for _, framing := range []string{"octet_counting", "non_transparent"} {
		t.Run(framing, func(t *testing.T) {
			t.Parallel()
			var (
				mu   sync.Mutex
				got  []*rfc5424.SyslogMessage
				errs []error
			)
			listen := func(r *gosyslog.Result) {
				mu.Lock()
				defer mu.Unlock()
				if r.Error != nil {
					errs = append(errs, r.Error)
				}
				if m, ok := r.Message.(*rfc5424.SyslogMessage); ok && r.Error == nil {
					got = append(got, m)
				}
			}
			addr := listener(t, nil, func(c net.Conn) {
				if framing == "octet_counting" {
					octetcounting.NewParser(gosyslog.WithListener(listen)).Parse(c)
				} else {
					// Non-transparent framing: a message ends at LF. (The
					// go-syslog nontransparent package needs a module go.mod
					// does not list; splitting on LF is all it does.)
					sc := bufio.NewScanner(c)
					sc.Buffer(nil, 1<<20)
					for sc.Scan() {
						m, err := rfc5424.NewParser().Parse(sc.Bytes())
						listen(&gosyslog.Result{Message: m, Error: err})
					}
				}
			})
			c := NewConfig()
			c.Address, c.Framing, c.SDID = addr, framing, testSDID
			s := newSink(t, c)
			if err := s.Connect(t.Context()); err != nil {
				t.Fatal(err)
			}
			events := testEvents(0, 60)
			for _, e := range events {
				e.Topic = inject
				e.Fields = append(e.Fields, event.Field{Key: "inj", Value: event.String(inject)})
			}
			sendAll(t, s, events, 20)
			if err := s.Close(t.Context()); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				mu.Lock()
				n := len(got)
				mu.Unlock()
				if n >= len(events) || time.Now().After(deadline) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(errs) > 0 || len(got) != len(events) {
				t.Fatalf("%d messages for %d events; errors %v", len(got), len(events), errs)
			}
			for i, m := range got {
				b := decodeJSON(t, *m.Message)
				if seq, _ := seqOf(b); seq != i || b["inj"] != inject {
					t.Errorf("message %d: seq %d, inj %q", i, seq, b["inj"])
				}
				wantTopic := inject
				if framing == "non_transparent" {
					wantTopic = strings.ReplaceAll(inject, "\n", "#012")
				}
				if topic := (*m.StructuredData)[testSDID]["topic"]; topic != wantTopic {
					t.Errorf("message %d: topic %q, want %q", i, topic, wantTopic)
				}
			}
		})
	}
}

// TestPeerClose: a peer that closes the connection, while idle or during
// the ack hold, makes WriteBatch fail with ErrNotConnected.
func TestPeerClose(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		handle func(net.Conn)
		wait   time.Duration // before writing
	}{
		{"closed while idle", func(c net.Conn) {}, 50 * time.Millisecond},
		{"closed during hold", func(c net.Conn) {
			_, _ = c.Read(make([]byte, 1)) // the batch has arrived
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // reset, as a crashing receiver with unread data does
			}
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := NewConfig()
			c.Address = listener(t, nil, tt.handle)
			c.AckHold = "500ms"
			s := newSink(t, c)
			if err := s.Connect(t.Context()); err != nil {
				t.Fatal(err)
			}
			time.Sleep(tt.wait)
			start := time.Now()
			err := s.WriteBatch(t.Context(), testEvents(0, 5))
			if !errors.Is(err, sinks.ErrNotConnected) {
				t.Fatalf("WriteBatch = %v, want ErrNotConnected", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s with ack_hold 500ms", d)
			}
			// The sink closed its connection: the next write says so at once.
			if err := s.WriteBatch(t.Context(), testEvents(0, 1)); !errors.Is(err, sinks.ErrNotConnected) {
				t.Errorf("second WriteBatch = %v, want ErrNotConnected", err)
			}
		})
	}
}

func TestContextCancel(t *testing.T) {
	t.Parallel()
	c := NewConfig()
	c.Address = listener(t, nil, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	c.AckHold = "5s"
	c.WriteTimeout = "10s"
	s := newSink(t, c)
	if err := s.Connect(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.WriteBatch(ctx, testEvents(0, 3))
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("WriteBatch = %v after %s, want the context's deadline within the hold", err, time.Since(start))
	}
	// The connection is still good.
	if err := s.WriteBatch(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
}

func TestNotConnected(t *testing.T) {
	t.Parallel()
	for _, proto := range []string{"tcp", "udp"} {
		c := NewConfig()
		c.Address, c.Protocol = "127.0.0.1:9", proto
		s := newSink(t, c)
		if err := s.WriteBatch(t.Context(), testEvents(0, 1)); !errors.Is(err, sinks.ErrNotConnected) {
			t.Errorf("%s: WriteBatch before Connect = %v", proto, err)
		}
	}
	c := NewConfig()
	c.Address, c.ConnectTimeout = "127.0.0.1:1", "1s" // nothing listens on port 1
	if err := newSink(t, c).Connect(t.Context()); err == nil || !strings.Contains(err.Error(), "connect") {
		t.Errorf("Connect to a closed port = %v", err)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	certs := testcerts.New(t)
	tests := []struct {
		name   string
		mutual bool
		tls    plugin.TLS
		ok     bool
	}{
		{"verified", false, plugin.TLS{CAFile: certs.CAFile}, true},
		{"verified by name", false, plugin.TLS{CAFile: certs.CAFile, ServerName: "localhost"}, true},
		{"wrong CA", false, plugin.TLS{CAFile: certs.OtherCAFile}, false},
		{"system roots", false, plugin.TLS{}, false},
		{"wrong server name", false, plugin.TLS{CAFile: certs.CAFile, ServerName: "qradar.example"}, false},
		{"skip verify", false, plugin.TLS{InsecureSkipVerify: true}, true},
		{"mutual", true, plugin.TLS{CAFile: certs.CAFile, CertFile: certs.ClientCert, KeyFile: certs.ClientKey}, true},
		{"mutual without certificate", true, plugin.TLS{CAFile: certs.CAFile}, false},
		{"tls 1.3 only", false, plugin.TLS{CAFile: certs.CAFile, MinVersion: "1.3"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := make(chan string, 16)
			addr := listener(t, certs.ServerConfig(tt.mutual), func(c net.Conn) {
				octetcounting.NewParser(gosyslog.WithListener(func(r *gosyslog.Result) {
					if r.Error == nil {
						got <- *r.Message.(*rfc5424.SyslogMessage).Message
					}
				})).Parse(c)
			})
			c := NewConfig()
			c.Address, c.Protocol, c.TLS = addr, "tls", &tt.tls
			c.AckHold = "50ms"
			if tt.mutual && !tt.ok {
				// In TLS 1.3 the server refuses a missing client
				// certificate after the client's handshake is done: the
				// alert arrives during the hold, however slow the machine.
				c.AckHold = "5s"
			}
			s := newSink(t, c)
			err := s.Connect(t.Context())
			if err == nil {
				err = s.WriteBatch(t.Context(), testEvents(0, 2))
			}
			if tt.ok != (err == nil) {
				t.Fatalf("connect and write: %v, want success %v", err, tt.ok)
			}
			if tt.ok {
				for i := range 2 {
					select {
					case m := <-got:
						if seq, _ := seqOf(decodeJSON(t, m)); seq != i {
							t.Errorf("message %d has seq %d", i, seq)
						}
					case <-time.After(5 * time.Second):
						t.Fatal("nothing arrived over TLS")
					}
				}
			}
		})
	}
}

// TestUDP checks datagrams and both oversize policies.
func TestUDP(t *testing.T) {
	t.Parallel()
	for _, policy := range []string{"truncate", "dead_letter"} {
		t.Run(policy, func(t *testing.T) {
			t.Parallel()
			pc, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer pc.Close()
			c := NewConfig()
			c.Address, c.Protocol, c.UDPMaxSize, c.UDPOversize = pc.LocalAddr().String(), "udp", "1KiB", policy
			s := newSink(t, c)
			if err := s.Connect(t.Context()); err != nil {
				t.Fatal(err)
			}
			events := testEvents(0, 4)
			events[1].Set("big", event.String(strings.Repeat("ü", 2000))) // 4000 bytes
			err = s.WriteBatch(t.Context(), events)
			var be *sinks.BatchError
			switch policy {
			case "truncate":
				if err != nil {
					t.Fatal(err)
				}
			case "dead_letter":
				if !errors.As(err, &be) || len(be.Results) != 4 || be.Results[1].Outcome != sinks.Reject ||
					be.Results[0].Outcome != sinks.OK || be.Results[3].Outcome != sinks.OK || be.Results[1].Reason == "" {
					t.Fatalf("WriteBatch = %v, want event 1 rejected, the others OK", err)
				}
			}
			want := 4
			if policy == "dead_letter" {
				want = 3
			}
			buf := make([]byte, 65536)
			for i := range want {
				_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
				n, _, err := pc.ReadFrom(buf)
				if err != nil {
					t.Fatalf("datagram %d: %v", i, err)
				}
				if n > 1024 || !utf8.Valid(buf[:n]) {
					t.Errorf("datagram %d: %d bytes, valid UTF-8 %v", i, n, utf8.Valid(buf[:n]))
				}
				if _, err := rfc5424.NewParser(rfc5424.WithBestEffort()).Parse(buf[:n]); err != nil && n < 1024 {
					t.Errorf("datagram %d does not parse: %v", i, err)
				}
				if policy == "truncate" && i == 1 && n < 1020 {
					t.Errorf("oversize message truncated to %d bytes, want about 1024", n)
				}
				if policy == "truncate" && i == 1 {
					// The event is shortened, not the bytes: the JSON body parses.
					m, err := rfc5424.NewParser().Parse(buf[:n])
					if err != nil {
						t.Fatalf("truncated datagram does not parse strictly: %v", err)
					}
					if b := decodeJSON(t, *m.(*rfc5424.SyslogMessage).Message); b["seq"] != "1" {
						t.Errorf("truncated body seq = %v", b["seq"])
					}
				}
			}
		})
	}
}

// TestConcurrentWrites: WriteBatch from several goroutines keeps frames
// whole (writes are serialised on the one connection).
func TestConcurrentWrites(t *testing.T) {
	t.Parallel()
	var (
		mu   sync.Mutex
		seen = map[int]int{}
		bad  int
	)
	addr := listener(t, nil, func(c net.Conn) {
		octetcounting.NewParser(gosyslog.WithListener(func(r *gosyslog.Result) {
			mu.Lock()
			defer mu.Unlock()
			if r.Error != nil {
				bad++
				return
			}
			var b map[string]any
			if m, ok := r.Message.(*rfc5424.SyslogMessage); ok {
				b = decodeJSON(t, *m.Message)
			}
			seq, _ := seqOf(b)
			seen[seq]++
		})).Parse(bufio.NewReader(c))
	})
	c := NewConfig()
	c.Address, c.AckHold = addr, "1ms"
	s := newSink(t, c)
	if err := s.Connect(t.Context()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range 10 {
				if err := s.WriteBatch(context.Background(), testEvents(g*1000+b*50, 50)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	_ = s.Close(t.Context())
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n == 2000 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2000 || bad != 0 {
		t.Fatalf("%d distinct events of 2000, %d parse errors", len(seen), bad)
	}
}

// TestUDPRefused: a datagram refused by the peer (ICMP port unreachable)
// surfaces on the next write as an error wrapping ErrNotConnected.
func TestUDPRefused(t *testing.T) {
	t.Parallel()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close() // nothing listens there now
	c := NewConfig()
	c.Address, c.Protocol = addr, "udp"
	s := newSink(t, c)
	if err := s.Connect(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteBatch(t.Context(), testEvents(0, 1)); err != nil {
		t.Fatalf("first datagram: %v (sent counts as delivered)", err)
	}
	time.Sleep(50 * time.Millisecond) // the ICMP error arrives
	err = s.WriteBatch(t.Context(), testEvents(1, 3))
	if !errors.Is(err, sinks.ErrNotConnected) {
		t.Fatalf("WriteBatch after the refusal = %v, want ErrNotConnected", err)
	}
}

// TestHoldsOverlap: with several WriteBatch calls in flight the ack holds
// run side by side, so in_flight raises the throughput the hold caps.
func TestHoldsOverlap(t *testing.T) {
	t.Parallel()
	c := NewConfig()
	c.Address = listener(t, nil, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	c.AckHold = "300ms"
	s := newSink(t, c)
	if err := s.Connect(t.Context()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.WriteBatch(context.Background(), testEvents(g*10, 10)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if d := time.Since(start); d < 300*time.Millisecond || d > 900*time.Millisecond {
		t.Errorf("4 concurrent batches with ack_hold 300ms took %s; want one hold, not four in a row", d)
	}
}
