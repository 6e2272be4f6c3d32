package syslog

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/internal/testcerts"
	"github.com/forwarder/forwarder/plugin"
	"github.com/forwarder/forwarder/sinks"
	"github.com/forwarder/forwarder/sinks/syslog/rsyslogtest"
)

// peer is one rsyslog configuration under test.
type peer struct {
	name     string
	protocol string
	framing  string
	driver   string // TLS netstream driver
	mutual   bool
}

func startPeer(t *testing.T, p peer) (*rsyslogtest.Server, *Config) {
	t.Helper()
	var opts rsyslogtest.Options
	certs := testcerts.New(t)
	if p.protocol == "tls" {
		opts.TLS = &rsyslogtest.TLS{CAFile: certs.CAFile, CertFile: certs.ServerCert,
			KeyFile: certs.ServerKey, Driver: p.driver, Mutual: p.mutual}
	}
	srv := rsyslogtest.Start(t, opts)
	c := NewConfig()
	c.Protocol, c.Framing, c.SDID = p.protocol, p.framing, testSDID
	c.Hostname, c.ProcID = "fwd-host", "4242"
	c.AckHold = "10ms"
	switch p.protocol {
	case "tcp":
		c.Address = srv.TCPAddr
	case "udp":
		c.Address = srv.UDPAddr
		if err := srv.WaitUDP(10 * time.Second); err != nil {
			t.Fatal(err)
		}
	case "tls":
		c.Address = srv.TLSAddr
		c.TLS = &plugin.TLS{CAFile: certs.CAFile, ServerName: "localhost"}
		if p.mutual {
			c.TLS.CertFile, c.TLS.KeyFile = certs.ClientCert, certs.ClientKey
		}
	}
	return srv, c
}

// checkReceived compares what rsyslog parsed with what was sent: every
// event once (or at least once with dups), each header field, the
// structured data after unescaping and the JSON body. It returns the
// number of duplicates.
func checkReceived(t *testing.T, got []rsyslogtest.Message, sent []*event.Event, nt, dups bool) int {
	t.Helper()
	seen := make([]int, len(sent))
	bad := 0
	for _, m := range got {
		body := decodeJSON(t, m.Msg)
		seq, err := seqOf(body)
		if err != nil || seq < 0 || seq >= len(sent) {
			t.Fatalf("unexpected message %+v", m)
		}
		seen[seq]++
		if seen[seq] > 1 {
			continue
		}
		e := sent[seq]
		msgid, _ := e.MetaValue(event.MetaMsgID)
		want := rsyslogtest.Message{
			Hostname: "fwd-host", AppName: "forwarder", ProcID: "4242", MsgID: msgid,
			Pri: "14", ProtocolVersion: "1",
			TimeReported: e.Time.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.000000Z"),
		}
		gotHdr := rsyslogtest.Message{Hostname: m.Hostname, AppName: m.AppName, ProcID: m.ProcID,
			MsgID: m.MsgID, Pri: m.Pri, ProtocolVersion: m.ProtocolVersion, TimeReported: m.TimeReported}
		// reflect.DeepEqual first: cmp.Diff on 100k messages is slow.
		wSD, gSD := wantSD(e, nt), sdParams(t, m.StructuredData, testSDID)
		wBody := flatJSON(t, e)
		if want == gotHdr && reflect.DeepEqual(wSD, gSD) && reflect.DeepEqual(wBody, body) {
			continue
		}
		diff := cmp.Diff(want, gotHdr) + cmp.Diff(wSD, gSD) + cmp.Diff(wBody, body)
		if diff != "" {
			if bad++; bad <= 3 {
				t.Errorf("event %d as rsyslog parsed it (-sent +received):\n%s\nraw: %q", seq, diff, m.RawMsg)
			}
		}
	}
	dup, lost := 0, 0
	for i, n := range seen {
		switch {
		case n == 0:
			if lost++; lost <= 5 {
				t.Errorf("event %d never arrived", i)
			}
		case n > 1 && !dups:
			t.Errorf("event %d arrived %d times", i, n)
		}
		if n > 1 {
			dup += n - 1
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d events lost", lost, len(sent))
	}
	return dup
}

func sendAll(t *testing.T, s *Sink, events []*event.Event, batch int) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < len(events); i += batch {
		if err := s.WriteBatch(ctx, events[i:min(i+batch, len(events))]); err != nil {
			t.Fatalf("batch at %d: %v", i, err)
		}
	}
}

func TestRsyslogDelivery(t *testing.T) {
	t.Parallel()
	peers := []peer{
		{name: "tcp octet counting", protocol: "tcp", framing: "octet_counting"},
		{name: "tcp non transparent", protocol: "tcp", framing: "non_transparent"},
		{name: "tls ossl", protocol: "tls", driver: "ossl"},
		{name: "tls gtls mutual", protocol: "tls", driver: "gtls", mutual: true},
		{name: "udp", protocol: "udp"},
	}
	for _, p := range peers {
		t.Run(p.name, func(t *testing.T) {
			srv, c := startPeer(t, p)
			s := newSink(t, c)
			if err := s.Connect(context.Background()); err != nil {
				t.Fatal(err)
			}
			events := testEvents(0, 300)
			sendAll(t, s, events, 50)
			got, err := srv.WaitMessages(len(events), 20*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			checkReceived(t, got, events, p.framing == "non_transparent", false)
		})
	}
}

// TestRsyslog100k sends 100,000 events over TCP with octet counting and
// over TLS; every one must arrive once with every field intact.
func TestRsyslog100k(t *testing.T) {
	if testing.Short() {
		t.Skip("100k events: not in -short")
	}
	t.Parallel()
	for _, p := range []peer{
		{name: "tcp", protocol: "tcp", framing: "octet_counting"},
		{name: "tls", protocol: "tls", driver: "ossl"},
	} {
		t.Run(p.name, func(t *testing.T) {
			srv, c := startPeer(t, p)
			s := newSink(t, c)
			if err := s.Connect(context.Background()); err != nil {
				t.Fatal(err)
			}
			const n = 100_000
			events := testEvents(0, n)
			start := time.Now()
			sendAll(t, s, events, 1000)
			got, err := srv.WaitMessages(n, 60*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d events delivered to rsyslog in %s", p.name, n, time.Since(start).Round(time.Millisecond))
			checkReceived(t, got, events, false, false)
		})
	}
}

// deliver is a minimal stand-in for the engine's retry loop: connect,
// write, and on failure reconnect and resend the events not acknowledged.
// onDown is called while the peer cannot be reached.
func deliver(t *testing.T, s *Sink, events []*event.Event, onDown func()) (retries int) {
	t.Helper()
	ctx := context.Background()
	pending := events
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt > 2000 {
			t.Fatalf("gave up with %d events pending", len(pending))
		}
		err := s.WriteBatch(ctx, pending)
		if err == nil {
			return retries
		}
		retries++
		var be *sinks.BatchError
		if errors.As(err, &be) {
			var next []*event.Event
			for i, r := range be.Results {
				if r.Outcome == sinks.Retry {
					next = append(next, pending[i])
				} else if r.Outcome == sinks.Reject {
					t.Fatalf("event rejected: %s", r.Reason)
				}
			}
			pending = next
		}
		if errors.Is(err, sinks.ErrNotConnected) {
			for try := 0; ; try++ {
				if try > 400 {
					t.Fatalf("cannot reconnect: %v", err)
				}
				if err = s.Connect(ctx); err == nil {
					break
				}
				onDown()
				time.Sleep(25 * time.Millisecond)
			}
		}
	}
	return retries
}

// TestRsyslogKillRestart kills rsyslog with SIGKILL in the middle of the
// stream, three times, and restarts it: no event may be lost over TCP or
// TLS. Duplicates (batches resent after a kill) are reported.
//
// Delivery is confirmed by the ack_hold watch, which holds only when the
// receiver processes a batch within ack_hold; the test therefore runs alone
// (not in parallel with the 100k runs) and gives rsyslog 250ms per batch of
// 200 events, ample even on a loaded CI machine.
func TestRsyslogKillRestart(t *testing.T) {
	for _, p := range []peer{
		{name: "tcp", protocol: "tcp", framing: "octet_counting"},
		{name: "tls", protocol: "tls", driver: "ossl"},
	} {
		t.Run(p.name, func(t *testing.T) {
			srv, c := startPeer(t, p)
			c.AckHold = "250ms"
			s := newSink(t, c)
			if err := s.Connect(context.Background()); err != nil {
				t.Fatal(err)
			}
			const n, batch = 6000, 200
			events := testEvents(0, n)
			// Kill at once (mid-write), a little later, and during the hold.
			killAt := map[int]time.Duration{5: 0, 14: 20 * time.Millisecond, 23: 150 * time.Millisecond}
			var killed chan struct{}
			onDown := func() {
				if killed == nil {
					return
				}
				<-killed
				time.Sleep(200 * time.Millisecond) // the receiver stays down a while
				srv.Restart()
				killed = nil
			}
			retries := 0
			for b := 0; b*batch < n; b++ {
				if delay, ok := killAt[b]; ok {
					killed = make(chan struct{})
					go func(done chan struct{}) {
						defer close(done)
						time.Sleep(delay) // lands during the write or the hold
						srv.Kill()
					}(killed)
				}
				retries += deliver(t, s, events[b*batch:min((b+1)*batch, n)], onDown)
			}
			if killed != nil {
				onDown()
			}
			if _, err := srv.WaitMessages(n, 60*time.Second); err != nil {
				t.Fatal(err)
			}
			time.Sleep(200 * time.Millisecond) // let late duplicates land
			got, err := srv.Messages()
			if err != nil {
				t.Fatal(err)
			}
			dup := checkReceived(t, got, events, false, true)
			t.Logf("%s: %d events, 3 SIGKILLs, %d failed writes, %d received, %d duplicates",
				p.name, n, retries, len(got), dup)
			if retries < 3 {
				t.Errorf("only %d failed writes: the kills did not hit the stream", retries)
			}
			if dup > 3*batch {
				t.Errorf("%d duplicates: more than one batch per kill", dup)
			}
		})
	}
}
