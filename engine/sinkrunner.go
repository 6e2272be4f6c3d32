package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/internal/bytebudget"
	"github.com/forwarder/forwarder/internal/ctxsleep"
	"github.com/forwarder/forwarder/plan"
	"github.com/forwarder/forwarder/sinks"
)

// item is one event copy queued to a sink, with what to do when it is
// answered.
type item struct {
	ev    *event.Event
	t     *tracker
	dl    *sinkRunner // dead-letter sink of the route, or nil
	route string
	size  int // raw bytes, computed once when queued
	mem   int // memory charged to the sink's buffer_bytes: the event's share of its batch's footprint
}

// sinkRunner owns one sink: a bounded queue, a batcher, InFlight writers,
// connects and retries with capped exponential backoff and jitter, and the
// acknowledgements back to source batches. Sinks contain no retry logic.
type sinkRunner struct {
	key   string
	rt    *Runtime // for taps; nil in tests of the runner alone
	spec  *plan.SinkSpec
	sink  sinks.Sink
	log   *slog.Logger
	queue chan []item
	mem   *bytebudget.Budget // buffer_bytes: memory of the events held, from enqueue until finished

	mu     sync.RWMutex // guards closed against enqueue
	closed bool

	connMu    sync.Mutex
	connected bool

	// stop ends retries: set when the runtime gives up (shutdown deadline).
	stop    context.Context
	stopNow context.CancelFunc
	wg      sync.WaitGroup

	sent, rejected, lost  prometheus.Counter
	retries               prometheus.Counter
	latency               prometheus.Observer
	queued, conn, pendG   prometheus.Gauge
	pendBG, inFlightG     prometheus.Gauge
	memG                  prometheus.Gauge
	retryingG, failuresG  prometheus.Gauge
	lastOKG               prometheus.Gauge
	lastLog               time.Time
	pending, pendingBytes atomic.Int64 // events (and their raw bytes) enqueued and not yet finished with
	retryCount, failures  atomic.Int64 // all retries; consecutive failed writes (0 when healthy)
	inFlight              atomic.Int64 // writes in progress
	errMu                 sync.Mutex
	lastErr               string
	failingSince          time.Time // start of the current run of failed writes
	lastOK                time.Time // last successful write
}

func newSinkRunner(spec *plan.SinkSpec, log *slog.Logger, m *Metrics) (*sinkRunner, error) {
	lg := log.With("sink", spec.Key)
	s, err := spec.Factory.New(spec.Config, sinks.Settings{Name: spec.Key, Logger: lg})
	if err != nil {
		return nil, fmt.Errorf("sink %q: %w", spec.Key, err)
	}
	depth := max(4, spec.Delivery.BufferEvents/max(1, spec.Delivery.MaxEvents))
	r := &sinkRunner{
		key: spec.Key, spec: spec, sink: s, log: lg, queue: make(chan []item, depth), mem: bytebudget.New(bufferBytes(spec.Delivery)),
		sent: m.SinkEvents.WithLabelValues(spec.Key, "sent"), rejected: m.SinkEvents.WithLabelValues(spec.Key, "rejected"),
		lost: m.SinkEvents.WithLabelValues(spec.Key, "lost"), retries: m.SinkRetries.WithLabelValues(spec.Key),
		latency: m.SinkLatency.WithLabelValues(spec.Key), queued: m.SinkQueued.WithLabelValues(spec.Key),
		conn: m.SinkConnected.WithLabelValues(spec.Key), pendG: m.SinkPending.WithLabelValues(spec.Key),
		pendBG: m.SinkPendingBytes.WithLabelValues(spec.Key), inFlightG: m.SinkInFlight.WithLabelValues(spec.Key),
		retryingG: m.SinkRetrying.WithLabelValues(spec.Key), failuresG: m.SinkFailures.WithLabelValues(spec.Key),
		lastOKG: m.SinkLastSuccess.WithLabelValues(spec.Key), memG: m.SinkBufferBytes.WithLabelValues(spec.Key),
	}
	r.stop, r.stopNow = context.WithCancel(context.Background())
	return r, nil
}

// start runs the batcher and the writers.
func (r *sinkRunner) start() {
	work := make(chan []item)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.batch(work)
	}()
	for range r.spec.Delivery.InFlight {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			for b := range work {
				r.write(b)
			}
		}()
	}
}

// errStopped answers an enqueue into a runner that was stopped (retired by
// a reload while failing, or at the shutdown deadline).
var errStopped = errors.New("sink stopped")

// bufferBytes is the runner's buffer_bytes, defaulted for specs built
// without the plan compiler.
func bufferBytes(rs plan.Delivery) int64 {
	if rs.BufferBytes > 0 {
		return rs.BufferBytes
	}
	return plan.DefaultBufferBytes
}

// enqueue queues items, blocking while the queue is full in events or its
// memory would pass buffer_bytes (backpressure; into an empty budget any
// items go, so one batch larger than it still progresses). It returns an
// error, with the items not queued, if ctx ends first or the runner is
// closed or stopped meanwhile.
func (r *sinkRunner) enqueue(ctx context.Context, items []item) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return fmt.Errorf("sink %q is closed", r.key)
	}
	size, mem := 0, 0
	for i := range items {
		if items[i].size == 0 {
			items[i].size = items[i].ev.RawSize()
		}
		if items[i].mem == 0 {
			items[i].mem = event.EstimateMem(items[i].size)
		}
		size += items[i].size
		mem += items[i].mem
	}
	if err := r.reserve(ctx, int64(mem)); err != nil {
		return err
	}
	r.memG.Set(float64(r.mem.Held()))
	if r.stop.Err() != nil {
		// Stopped while waiting for room (the stop itself may have
		// freed it): never queue into a stopped runner, whatever select
		// would pick below.
		r.releaseMem(mem)
		return fmt.Errorf("sink %q: %w", r.key, errStopped)
	}
	select {
	case r.queue <- items:
		r.queued.Inc()
		r.addPending(len(items), size)
		if r.rt != nil && r.rt.tapping.Load() > 0 {
			r.rt.publish("", r.key, items)
		}
		return nil
	case <-ctx.Done():
		r.releaseMem(mem)
		return ctx.Err()
	case <-r.stop.Done():
		r.releaseMem(mem)
		return fmt.Errorf("sink %q: %w", r.key, errStopped)
	}
}

// reserve charges n bytes to buffer_bytes, waiting while they do not fit
// until ctx ends or the runner is stopped.
func (r *sinkRunner) reserve(ctx context.Context, n int64) error {
	if r.mem.TryAcquire(n) {
		return nil
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	unhook := context.AfterFunc(r.stop, cancel)
	defer unhook()
	if r.mem.Acquire(wctx, n) {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("sink %q: %w", r.key, errStopped)
}

func (r *sinkRunner) releaseMem(n int) {
	r.mem.Add(-int64(n))
	r.memG.Set(float64(r.mem.Held()))
}

func (r *sinkRunner) addPending(n, bytes int) {
	r.pendG.Set(float64(r.pending.Add(int64(n))))
	r.pendBG.Set(float64(r.pendingBytes.Add(int64(bytes))))
}

// finish takes finished items off the pending counts and buffer_bytes.
func (r *sinkRunner) finish(items []item) {
	size, mem := 0, 0
	for _, it := range items {
		size += it.size
		mem += it.mem
	}
	r.addPending(-len(items), -size)
	r.releaseMem(mem)
}

func (r *sinkRunner) lastError() string {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	return r.lastErr
}

// batch cuts queued items into batches of at most MaxEvents and MaxBytes,
// flushing a partial batch after FlushTimeout, or at once when the queue is
// empty and a writer is idle.
func (r *sinkRunner) batch(work chan<- []item) {
	defer close(work)
	rs := r.spec.Delivery
	var cur []item
	var size int64
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	flush := func() {
		if len(cur) > 0 {
			work <- cur
			cur, size = nil, 0
		}
		timer.Stop()
	}
	for {
		// Nothing more queued: offer the partial batch to the writers, so
		// the first one idle sends it now rather than at the timer. Under
		// load the queue is rarely empty and batches still fill up; when a
		// writer frees up while the source waits for window room held by
		// this very batch, it goes then, not a FlushTimeout later.
		var idle chan<- []item
		if len(cur) > 0 && len(r.queue) == 0 {
			idle = work
		}
		select {
		case items, ok := <-r.queue:
			if !ok {
				flush()
				return
			}
			r.queued.Dec()
			for _, it := range items {
				if len(cur) == 0 {
					timer.Reset(rs.FlushTimeout)
				}
				if cur == nil && rs.MaxEvents > 0 {
					// sized for this enqueue (a whole pull under load, a few
					// events when idle), not grown item by item
					cur = make([]item, 0, min(rs.MaxEvents, max(len(items), 64)))
				}
				cur = append(cur, it)
				size += int64(it.size)
				if len(cur) >= rs.MaxEvents || size >= rs.MaxBytes {
					flush()
				}
			}
		case idle <- cur:
			cur, size = nil, 0
			timer.Stop()
		case <-timer.C:
			flush()
		}
	}
}

// write sends one batch until every event is acknowledged, rejected (and
// dead-lettered) or the runner is stopped.
func (r *sinkRunner) write(items []item) {
	rs := r.spec.Delivery
	backoff := rs.RetryInitial
	evs := make([]*event.Event, len(items))
	for attempt := 0; ; attempt++ {
		if r.stop.Err() != nil {
			r.giveUp(items, fmt.Errorf("sink %q: stopped before delivery", r.key))
			return
		}
		err := r.connect()
		if err == nil {
			evs = evs[:len(items)]
			for i := range items {
				evs[i] = items[i].ev
			}
			start := time.Now()
			r.inFlightG.Set(float64(r.inFlight.Add(1)))
			err = r.sink.WriteBatch(r.stop, evs)
			r.inFlightG.Set(float64(r.inFlight.Add(-1)))
			r.latency.Observe(time.Since(start).Seconds())
			if err == nil {
				r.ack(items)
				r.healthy()
				return
			}
			var be *sinks.BatchError
			if errors.As(err, &be) && len(be.Results) == len(items) {
				retry := items[:0:0]
				for i, res := range be.Results {
					switch res.Outcome {
					case sinks.OK:
						r.ack(items[i : i+1])
					case sinks.Reject:
						r.reject(items[i], res.Reason)
					default:
						retry = append(retry, items[i])
					}
				}
				if len(retry) == 0 {
					r.healthy()
					return
				}
				items = retry
			}
			if errors.Is(err, sinks.ErrNotConnected) {
				r.disconnect()
			}
		}
		r.retries.Inc()
		r.retryCount.Add(1)
		r.errMu.Lock()
		if r.failures.Add(1) == 1 {
			r.failingSince = time.Now()
		}
		r.lastErr = err.Error()
		r.errMu.Unlock()
		r.retryingG.Set(1)
		r.failuresG.Set(float64(r.failures.Load()))
		r.conn.Set(0)
		r.logRetry(err, len(items), backoff)
		if !ctxsleep.Sleep(r.stop, jitter(backoff)) {
			continue // loop top sees the stop and gives up
		}
		backoff = min(backoff*2, rs.RetryMax)
	}
}

func (r *sinkRunner) connect() error {
	r.connMu.Lock()
	defer r.connMu.Unlock()
	if r.connected {
		return nil
	}
	ctx, cancel := context.WithTimeout(r.stop, 30*time.Second)
	defer cancel()
	if err := r.sink.Connect(ctx); err != nil {
		return fmt.Errorf("sink %q: connect: %w", r.key, err)
	}
	r.connected = true
	r.log.Info("sink connected")
	return nil
}

func (r *sinkRunner) disconnect() {
	r.connMu.Lock()
	r.connected = false
	r.connMu.Unlock()
}

func (r *sinkRunner) healthy() {
	now := time.Now()
	r.errMu.Lock()
	r.failures.Store(0)
	r.lastOK = now
	r.errMu.Unlock()
	r.conn.Set(1)
	r.retryingG.Set(0)
	r.failuresG.Set(0)
	r.lastOKG.Set(float64(now.UnixNano()) / 1e9)
}

// logRetry logs a failed write: at once the first time, then at most every
// 10 seconds, so an outage does not flood the log.
func (r *sinkRunner) logRetry(err error, n int, backoff time.Duration) {
	r.connMu.Lock()
	defer r.connMu.Unlock()
	if time.Since(r.lastLog) < 10*time.Second {
		return
	}
	r.lastLog = time.Now()
	r.log.Warn("sink write failed; retrying", "events", n, "backoff", backoff.String(), "err", err)
}

func (r *sinkRunner) ack(items []item) {
	r.sent.Add(float64(len(items)))
	r.finish(items)
	for _, it := range items {
		it.t.release(1, nil)
	}
}

// reject hands a refused event to the route's dead-letter sink with the
// reason; without one, the event is logged and counted as lost.
func (r *sinkRunner) reject(it item, reason string) {
	r.rejected.Inc()
	r.finish([]item{it})
	deadLetter(it, fmt.Sprintf("sink %s rejected the event: %s", r.key, reason), r.log, r.lost)
}

// giveUp answers items with an error: the source will not checkpoint them,
// so they are read again after a restart.
func (r *sinkRunner) giveUp(items []item, err error) {
	r.finish(items)
	for _, it := range items {
		it.t.release(1, err)
	}
}

// drainAndClose stops accepting items and waits until everything queued is
// answered, then closes the sink. The runner is stopped (retries end, what
// is left is answered with an error and read again by its source) as soon
// as its writes are failing or drain has passed; drain 0 stops it at once.
func (r *sinkRunner) drainAndClose(drain time.Duration) {
	done := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		deadline := time.Now().Add(drain)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if r.failures.Load() > 0 || !time.Now().Before(deadline) {
				r.stopNow()
				return
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	r.mu.Lock() // blocked enqueues return once the queue moves or the runner stops
	if !r.closed {
		r.closed = true
		close(r.queue)
	}
	r.mu.Unlock()
	r.wg.Wait()
	close(done)
	<-watched
	r.stopNow()
	cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.sink.Close(cctx); err != nil {
		r.log.Warn("sink close", "err", err)
	}
}

// deadLetter routes a failed event to its dead-letter sink, marked with the
// reason and the route. The original part is answered once the dead letter
// is queued (the dead-letter sink then owns it).
func deadLetter(it item, reason string, log *slog.Logger, lost prometheus.Counter) {
	if it.dl != nil {
		dl := it.ev.Clone()
		dl.Set("dead_letter_reason", event.String(reason))
		dl.Set("dead_letter_route", event.String(it.route))
		it.t.add(1)
		if err := it.dl.enqueue(it.dl.stop, []item{{ev: dl, t: it.t, route: it.route}}); err == nil {
			it.t.release(1, nil)
			return
		}
		it.t.release(1, nil) // the dead-letter part that failed to queue
	}
	lost.Inc()
	log.Error("event dead-lettered with no dead-letter sink; logged here", "route", it.route, "reason", reason,
		"event", string(event.AppendJSON(nil, it.ev, true)))
	it.t.release(1, nil)
}

func jitter(d time.Duration) time.Duration {
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}
