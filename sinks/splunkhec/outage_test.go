package splunkhec

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/sinks"
	"github.com/forwarder/forwarder/sinks/splunkhec/hectest"
)

// driver is a minimal stand-in for the engine's sink runner, for tests
// only: MaxInFlight workers take batches from a bounded queue and deliver
// each with capped exponential backoff and jitter until every event is
// acknowledged, resending only the Retry events of a *BatchError.
type driver struct {
	t        *testing.T
	s        *Sink
	queue    chan []*event.Event
	wg       sync.WaitGroup
	writes   atomic.Int64
	failures atomic.Int64
	rejected atomic.Int64
	acked    atomic.Int64
}

func startDriver(t *testing.T, s *Sink, workers int) *driver {
	d := &driver{t: t, s: s, queue: make(chan []*event.Event, workers)}
	for range workers {
		d.wg.Go(func() {
			for batch := range d.queue {
				d.deliver(batch)
			}
		})
	}
	return d
}

func (d *driver) deliver(batch []*event.Event) {
	const maxAttempts = 10000 // bounded: a 60 s outage at a 2 s cap needs about 35
	backoff := 50 * time.Millisecond
	for attempt := 0; len(batch) > 0; attempt++ {
		if attempt == maxAttempts {
			d.t.Errorf("gave up on %d events after %d attempts", len(batch), attempt)
			return
		}
		d.writes.Add(1)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := d.s.WriteBatch(ctx, batch)
		cancel()
		if err == nil {
			d.acked.Add(int64(len(batch)))
			return
		}
		d.failures.Add(1)
		var be *sinks.BatchError
		if errors.As(err, &be) {
			var retry []*event.Event
			for i, r := range be.Results {
				switch r.Outcome {
				case sinks.OK:
					d.acked.Add(1)
				case sinks.Retry:
					retry = append(retry, batch[i])
				case sinks.Reject:
					d.rejected.Add(1)
				}
			}
			batch = retry
		}
		if errors.Is(err, sinks.ErrNotConnected) {
			_ = d.s.Connect(context.Background())
		}
		jitter := time.Duration(rand.Int64N(int64(backoff) / 2))
		time.Sleep(backoff/2 + jitter)
		backoff = min(2*backoff, 2*time.Second)
	}
}

// stop closes the queue and waits for the workers to drain it.
func (d *driver) stop() {
	close(d.queue)
	d.wg.Wait()
}

// heapAfterGC returns the live heap.
func heapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestOutage streams audit events through the sink while HEC is down for
// 60 seconds (503 code 9), and checks: no event lost, duplicates only from
// the requests in flight when the outage began (their replies were lost
// after HEC indexed them), memory, goroutines and connections bounded
// while the sink is refused. It takes about 65 s, so -short skips it unless
// CI=true.
func TestOutage(t *testing.T) {
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("60 s outage: runs without -short, and always in CI (CI=true)")
	}
	t.Parallel()
	const (
		batchSize = 100
		outage    = 60 * time.Second
		rate      = 20 // batches per second offered by the stream
	)
	srv := hectest.New(t, hectest.Config{})
	c := testConfig(srv)
	c.Compression = CompressionGzip
	c.Timeout = "10s"
	s := connect(t, c, nil)
	d := startDriver(t, s, MaxInFlight)

	// The stream: batches at a steady pace into the bounded queue. When
	// the queue is full the producer waits (backpressure: pulling stops).
	var (
		produced atomic.Int64
		stopProd = make(chan struct{})
		prodDone = make(chan struct{})
	)
	go func() {
		defer close(prodDone)
		tick := time.NewTicker(time.Second / rate)
		defer tick.Stop()
		for seq := 0; ; seq += batchSize {
			select {
			case <-stopProd:
				return
			case <-tick.C:
			}
			select {
			case d.queue <- auditEvents(seq, batchSize):
				produced.Store(int64(seq + batchSize))
			case <-stopProd:
				return
			}
		}
	}()

	time.Sleep(2 * time.Second)
	// The outage begins: the next requests (those in flight) are indexed
	// but their replies are lost, then HEC answers 503 code 9 to everything.
	producedBefore := int(produced.Load())
	indexedBefore := srv.EventCount()
	srv.Inject(MaxInFlight, hectest.Fault{Code: 9, AfterIndex: true})
	srv.SetBusy(true)
	outageStart := time.Now()
	lostReplies := MaxInFlight * batchSize
	// Wait until indexing stops: the faulted requests, and any request that
	// was already past the busy check when the outage began, have finished.
	last, quietSince := srv.EventCount(), time.Now()
	for time.Since(quietSince) < time.Second && time.Since(outageStart) < 10*time.Second {
		time.Sleep(10 * time.Millisecond)
		if n := srv.EventCount(); n != last {
			last, quietSince = n, time.Now()
		}
	}
	indexedAtStart := srv.EventCount()
	if got := indexedAtStart - indexedBefore; got < lostReplies || got > lostReplies+MaxInFlight*batchSize {
		t.Fatalf("%d events indexed as the outage began, want %d (lost replies) to %d (plus the requests already in flight)",
			got, lostReplies, lostReplies+MaxInFlight*batchSize)
	}

	time.Sleep(10 * time.Second)
	heapEarly, goroutinesEarly, connsEarly, writesEarly := heapAfterGC(), runtime.NumGoroutine(), srv.Connections(), d.writes.Load()
	if n := srv.EventCount(); n != indexedAtStart {
		t.Errorf("%d events indexed while HEC was busy", n-indexedAtStart)
	}
	time.Sleep(outage - time.Since(outageStart) - time.Second)
	heapLate, goroutinesLate, connsLate, writesLate := heapAfterGC(), runtime.NumGoroutine(), srv.Connections(), d.writes.Load()
	srv.SetBusy(false)
	outageEnd := time.Now()

	time.Sleep(2 * time.Second)
	close(stopProd)
	<-prodDone
	d.stop()
	recovery := time.Since(outageEnd)

	total := int(produced.Load())
	count := make([]int, total)
	indexed := srv.Events()
	// The only events HEC indexed while busy: those of the requests whose
	// replies were lost. They alone may be duplicated.
	inFlight := map[int]bool{}
	for _, e := range indexed[indexedBefore:indexedAtStart] {
		inFlight[seqOf(t, e)] = true
	}
	for _, e := range indexed {
		seq := seqOf(t, e)
		if seq < 0 || seq >= total {
			t.Fatalf("indexed an event that was never produced: %d", seq)
		}
		count[seq]++
	}
	lost, dups := 0, 0
	for seq, n := range count {
		switch {
		case n == 0:
			lost++
		case n > 1:
			dups += n - 1
			if !inFlight[seq] {
				t.Errorf("event %d, not in flight when the outage began, was indexed %d times", seq, n)
			}
		}
	}
	window := MaxInFlight * batchSize
	t.Logf("outage %s: %d events produced, %d indexed, %d lost, %d duplicates (in-flight window %d), %d rejected; "+
		"%d writes during the outage; heap %d → %d KiB; goroutines %d → %d; connections %d → %d; drained %s after recovery",
		outage, total, srv.EventCount(), lost, dups, window, d.rejected.Load(),
		writesLate-writesEarly, heapEarly>>10, heapLate>>10, goroutinesEarly, goroutinesLate, connsEarly, connsLate, recovery.Round(time.Millisecond))
	if lost != 0 {
		t.Errorf("%d events lost", lost)
	}
	if dups > window {
		t.Errorf("%d duplicates, more than the in-flight window of %d", dups, window)
	}
	if dups == 0 {
		t.Errorf("no duplicates: the replies lost at the outage's start were not exercised")
	}
	if n := d.rejected.Load(); n != 0 {
		t.Errorf("%d events rejected", n)
	}
	if int64(total) != d.acked.Load() {
		t.Errorf("driver acknowledged %d events, produced %d", d.acked.Load(), total)
	}
	if producedBefore < rate*batchSize || total < producedBefore+rate*batchSize {
		t.Errorf("%d events produced before the outage, %d in all: the stream did not run", producedBefore, total)
	}
	// Bounded while refused: the live heap does not grow with retries, nor do
	// goroutines or connections.
	if heapLate > heapEarly+16<<20 {
		t.Errorf("heap grew from %d to %d KiB during the outage", heapEarly>>10, heapLate>>10)
	}
	if goroutinesLate > goroutinesEarly+8 {
		t.Errorf("goroutines grew from %d to %d during the outage", goroutinesEarly, goroutinesLate)
	}
	if connsLate-connsEarly > 2*MaxInFlight {
		t.Errorf("%d new connections during the outage: keep-alive is not reused", connsLate-connsEarly)
	}
}
