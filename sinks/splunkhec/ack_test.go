package splunkhec

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forwarder/forwarder/sinks"
	"github.com/forwarder/forwarder/sinks/splunkhec/hectest"
	"github.com/google/go-cmp/cmp"
)

func ackServer(t *testing.T) *hectest.Server {
	return hectest.New(t, hectest.Config{Tokens: []hectest.Token{{Value: hectest.DefaultToken, UseACK: true}}})
}

// TestIndexerAck checks that a batch is OK only once its ackId is
// confirmed, and that concurrent batches share one poller on one channel.
func TestIndexerAck(t *testing.T) {
	srv := ackServer(t)
	c := testConfig(srv)
	c.IndexerAck = true
	s := connect(t, c, nil)

	// Hold the acks: WriteBatch must not return before they are released.
	srv.HoldAcks(true)
	const writers = MaxInFlight
	var wg sync.WaitGroup
	errs := make([]error, writers)
	done := make(chan struct{})
	for i := range writers {
		wg.Go(func() { errs[i] = s.WriteBatch(context.Background(), auditEvents(i*10, 10)) })
	}
	go func() { wg.Wait(); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for srv.PendingAcks(s.Channel()) < writers && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := srv.PendingAcks(s.Channel()); n != writers {
		t.Fatalf("%d ackIds pending on the channel, want %d", n, writers)
	}
	polls := srv.AckPolls()
	time.Sleep(100 * time.Millisecond) // several poll intervals
	select {
	case <-done:
		t.Fatal("WriteBatch returned before HEC acknowledged")
	default:
	}
	// One poller: each poll asks about every pending id, so polls grow with
	// time, not with the number of waiting batches.
	if n := srv.AckPolls() - polls; n > int64(100*time.Millisecond/(20*time.Millisecond))+2 {
		t.Errorf("%d ack polls in 100ms at a 20ms interval: more than one poller", n)
	}
	srv.HoldAcks(false)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("WriteBatch did not return after the acks were released")
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	if n := srv.PendingAcks(s.Channel()); n != 0 {
		t.Errorf("%d ackIds still pending", n)
	}
	if n := srv.EventCount(); n != writers*10 {
		t.Errorf("indexed %d events, want %d", n, writers*10)
	}
}

// TestIndexerAckTimeout checks that a batch not acknowledged within
// ack_timeout is Retry for every event.
func TestIndexerAckTimeout(t *testing.T) {
	srv := ackServer(t)
	c := testConfig(srv)
	c.IndexerAck = true
	c.AckTimeout = "150ms"
	s := connect(t, c, nil)
	srv.HoldAcks(true)
	start := time.Now()
	err := s.WriteBatch(context.Background(), auditEvents(0, 5))
	if d := time.Since(start); d < 150*time.Millisecond || d > 3*time.Second {
		t.Errorf("WriteBatch took %s with ack_timeout 150ms", d)
	}
	var be *sinks.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("WriteBatch = %v, want a *BatchError", err)
	}
	for i, r := range be.Results {
		if r.Outcome != sinks.Retry || !strings.Contains(r.Reason, "ack_timeout") {
			t.Errorf("event %d: %s %q, want retry for ack_timeout", i, r.Outcome, r.Reason)
		}
	}
	// The waiter gave up: the poller no longer asks about it.
	time.Sleep(200 * time.Millisecond)
	polls := srv.AckPolls()
	time.Sleep(100 * time.Millisecond)
	if n := srv.AckPolls() - polls; n != 0 {
		t.Errorf("%d ack polls after the only waiter gave up", n)
	}
}

// TestIndexerAckSplit checks acks across a 413 split: each half has its own
// ackId and the batch is OK when both are confirmed.
func TestIndexerAckSplit(t *testing.T) {
	srv := ackServer(t)
	c := testConfig(srv)
	c.IndexerAck = true
	s := connect(t, c, nil)
	srv.Inject(1, hectest.Fault{Status: 413})
	if err := s.WriteBatch(context.Background(), auditEvents(0, 6)); err != nil {
		t.Fatalf("WriteBatch: %v", err)
	}
	if d := cmp.Diff(span(0, 6), seqs(t, srv)); d != "" {
		t.Fatalf("indexed (-want +got):\n%s", d)
	}
	if n := srv.PendingAcks(s.Channel()); n != 0 {
		t.Errorf("%d ackIds still pending", n)
	}
}

// TestIndexerAckWithoutUseACK checks that a 200 without ackId (a token
// without useACK) counts as delivered, with one warning.
func TestIndexerAckWithoutUseACK(t *testing.T) {
	srv := hectest.New(t, hectest.Config{})
	c := testConfig(srv)
	c.IndexerAck = true
	var logs syncBuffer
	s := connect(t, c, &logs)
	for range 2 {
		if err := s.WriteBatch(context.Background(), auditEvents(0, 2)); err != nil {
			t.Fatalf("WriteBatch: %v", err)
		}
	}
	if n := strings.Count(logs.String(), "no ackId"); n != 1 {
		t.Errorf("%d warnings about the missing ackId, want 1:\n%s", n, logs.String())
	}
}

// TestAckerChannelReset checks that an ackId issued again (HEC restarted and
// numbers from 0) releases the earlier waiter unacked, so its batch is
// resent rather than confirmed by the newer request's ack.
func TestAckerChannelReset(t *testing.T) {
	srv := ackServer(t)
	c := testConfig(srv)
	c.IndexerAck = true
	c.AckPollInterval, c.AckTimeout = "1h", "2h" // no polls: the test drives the waiters
	s := connect(t, c, nil)
	_, a := s.conn()
	old := a.register(0)
	fresh := a.register(0)
	select {
	case <-old.done:
		if old.acked {
			t.Fatal("the superseded waiter was acked")
		}
	default:
		t.Fatal("the superseded waiter was not released")
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-fresh.done:
		if fresh.acked {
			t.Fatal("Close acked a waiter")
		}
	default:
		t.Fatal("Close did not release the waiter")
	}
	late := a.register(1)
	select {
	case <-late.done:
	default:
		t.Fatal("a waiter registered after Close is not released")
	}
}

// TestIndexerAckClose checks that closing the sink while a batch waits for
// its ack returns Retry for that batch instead of hanging.
func TestIndexerAckClose(t *testing.T) {
	srv := ackServer(t)
	c := testConfig(srv)
	c.IndexerAck = true
	s := connect(t, c, nil)
	srv.HoldAcks(true)
	res := make(chan error, 1)
	go func() { res <- s.WriteBatch(context.Background(), auditEvents(0, 3)) }()
	deadline := time.Now().Add(5 * time.Second)
	for srv.PendingAcks(s.Channel()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-res:
		var be *sinks.BatchError
		if !errors.As(err, &be) || be.Results[0].Outcome != sinks.Retry {
			t.Fatalf("WriteBatch = %v, want Retry for every event", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("WriteBatch hung after Close")
	}
}
