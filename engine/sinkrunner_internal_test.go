package engine

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/plan"
	"github.com/forwarder/forwarder/plugin"
	"github.com/forwarder/forwarder/sinks"
)

// gateSink holds every write until the test lets one through.
type gateSink struct {
	started chan int // events of each write, as it starts
	gate    chan struct{}
}

func (s *gateSink) Connect(context.Context) error { return nil }
func (s *gateSink) Close(context.Context) error   { return nil }
func (s *gateSink) WriteBatch(ctx context.Context, evs []*event.Event) error {
	s.started <- len(evs)
	select {
	case <-s.gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type noConfig struct{}

func (noConfig) Validate() error { return nil }

func gateRunner(t *testing.T, budget int64, edits ...func(*plan.Delivery)) (*sinkRunner, *gateSink) {
	t.Helper()
	gs := &gateSink{started: make(chan int, 16), gate: make(chan struct{})}
	spec := &plan.SinkSpec{Key: "gate", Type: "gate", Config: noConfig{},
		Factory: sinks.Factory{Type: "gate", New: func(plugin.Config, sinks.Settings) (sinks.Sink, error) { return gs, nil }},
		Delivery: plan.Delivery{MaxEvents: 1, MaxBytes: 1 << 20, FlushTimeout: time.Millisecond, InFlight: 1,
			BufferEvents: 1000, BufferBytes: budget, RetryInitial: time.Millisecond, RetryMax: time.Millisecond}}
	for _, edit := range edits {
		edit(&spec.Delivery)
	}
	r, err := newSinkRunner(spec, slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics())
	if err != nil {
		t.Fatal(err)
	}
	r.start()
	return r, gs
}

// memItem is one queued event charged mem bytes, acknowledged to acked.
func memItem(mem int, acked chan<- error) item {
	ev := &event.Event{Fields: []event.Field{{Key: "k", Value: event.String("v")}}}
	t := newTracker(func(err error) { acked <- err })
	t.add(1) // the part the sink answers; the caller releases the routing part
	return item{ev: ev, t: t, mem: mem}
}

// TestPartialBatchGoesWhenWriterFrees: a partial batch that formed while
// the only writer was busy goes as soon as that writer is free, not a flush
// timeout later (the source may be waiting for window room this very batch
// holds, so nothing else would come to fill it).
func TestPartialBatchGoesWhenWriterFrees(t *testing.T) {
	r, gs := gateRunner(t, 1<<20, func(d *plan.Delivery) { d.MaxEvents, d.FlushTimeout = 10, time.Hour })
	defer r.drainAndClose(time.Second)
	acked := make(chan error, 16)
	enq := func(n int) {
		items := make([]item, n)
		for i := range items {
			items[i] = memItem(10, acked)
		}
		if err := r.enqueue(context.Background(), items); err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			it.t.release(1, nil)
		}
	}
	enq(3)
	if n := <-gs.started; n != 3 {
		t.Fatalf("first write has %d events, want the 3 queued (the writer was idle)", n)
	}
	enq(2) // the writer is busy: these wait as a partial batch
	time.Sleep(50 * time.Millisecond)
	gs.gate <- struct{}{}
	select {
	case n := <-gs.started:
		if n != 2 {
			t.Fatalf("second write has %d events, want 2", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the partial batch did not go when the writer became free (it waits for the 1h flush timeout)")
	}
	gs.gate <- struct{}{}
	for range 5 {
		if err := <-acked; err != nil {
			t.Fatal(err)
		}
	}
}

// TestBufferBytesBlocksAndReleases: with the sink's buffer_bytes full, an
// enqueue waits (backpressure) until a write finishes and releases its
// bytes; an item larger than the whole budget goes once the budget is empty;
// a waiting enqueue gives up when its context ends, leaving the budget as
// it was.
func TestBufferBytesBlocksAndReleases(t *testing.T) {
	r, gs := gateRunner(t, 1000)
	defer r.drainAndClose(time.Second)
	acked := make(chan error, 16)
	enq := func(ctx context.Context, mem int) chan error {
		errc := make(chan error, 1)
		go func() {
			it := memItem(mem, acked)
			err := r.enqueue(ctx, []item{it})
			if err == nil {
				it.t.release(1, nil) // the routing part: the write's ack finishes the tracker
			}
			errc <- err
		}()
		return errc
	}
	ctx := context.Background()
	if err := <-enq(ctx, 600); err != nil {
		t.Fatal(err)
	}
	<-gs.started // the first item is being written, still charged
	if got := r.mem.Held(); got != 600 {
		t.Fatalf("buffer holds %d bytes, want 600", got)
	}
	second := enq(ctx, 600)
	select {
	case err := <-second:
		t.Fatalf("enqueue past buffer_bytes returned (%v) instead of waiting", err)
	case <-time.After(50 * time.Millisecond):
	}

	// A waiting enqueue whose context ends gives up and reserves nothing.
	cctx, cancel := context.WithCancel(ctx)
	third := enq(cctx, 600)
	cancel()
	if err := <-third; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled enqueue returned %v, want context.Canceled", err)
	}

	gs.gate <- struct{}{} // the first write succeeds: its 600 bytes are released
	if err := <-acked; err != nil {
		t.Fatalf("first item acknowledged with %v", err)
	}
	if err := <-second; err != nil {
		t.Fatalf("second enqueue after the release: %v", err)
	}
	<-gs.started
	if got := r.mem.Held(); got != 600 {
		t.Fatalf("buffer holds %d bytes after the release, want 600", got)
	}
	gs.gate <- struct{}{}
	<-acked

	// Oversized: 5000 bytes into an empty 1000-byte budget goes at once.
	waitHeld(t, r, 0)
	if err := <-enq(ctx, 5000); err != nil {
		t.Fatalf("oversized item into an empty budget: %v", err)
	}
	<-gs.started
	gs.gate <- struct{}{}
	<-acked
	waitHeld(t, r, 0)
}

// TestBufferBytesStopReleasesWaiters: an enqueue waiting on a full budget
// returns errStopped when the runner is stopped, instead of hanging.
func TestBufferBytesStopReleasesWaiters(t *testing.T) {
	r, gs := gateRunner(t, 1000)
	acked := make(chan error, 16)
	it := memItem(1000, acked)
	if err := r.enqueue(context.Background(), []item{it}); err != nil {
		t.Fatal(err)
	}
	it.t.release(1, nil)
	<-gs.started
	errc := make(chan error, 1)
	go func() { errc <- r.enqueue(context.Background(), []item{memItem(1, acked)}) }()
	select {
	case err := <-errc:
		t.Fatalf("enqueue into a full budget returned %v instead of waiting", err)
	case <-time.After(20 * time.Millisecond):
	}
	r.stopNow()
	if err := <-errc; !errors.Is(err, errStopped) {
		t.Fatalf("waiting enqueue after stop returned %v, want errStopped", err)
	}
	r.drainAndClose(0)
	if err := <-acked; err == nil {
		t.Fatal("the item being written when the runner stopped was acknowledged as delivered")
	}
	if got := r.mem.Held(); got != 0 {
		t.Fatalf("buffer holds %d bytes after the runner finished, want 0", got)
	}
}

func waitHeld(t *testing.T, r *sinkRunner, want int64) {
	t.Helper()
	for range 2000 {
		if r.mem.Held() == want {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("buffer holds %d bytes, want %d", r.mem.Held(), want)
}
