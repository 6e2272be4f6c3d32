package sls

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/internal/ctxsleep"
	"github.com/forwarder/forwarder/sources"
)

// shardWorker reads one shard: it pulls, hands batches to the engine with up
// to in_flight awaiting acknowledgement, and commits the end cursor of the
// contiguous prefix of acknowledged batches.
type shardWorker struct {
	c        *consumer
	shard    int
	stopOnce sync.Once
	stopCh   chan struct{}
	done     chan struct{}

	mu        sync.Mutex
	window    []*pull // batches in pull order, not yet committed
	ackedTo   string  // end cursor of the acknowledged prefix
	committed string  // last cursor written to SLS
	failed    error   // a batch was given up: stop and re-read from the checkpoint

	// Owned by the run goroutine.
	g           *shardGauges
	cpWritten   time.Time // when the checkpoint found at start was written
	cpRecv      time.Time // receive time of the data before the committed checkpoint
	cpSampled   string    // checkpoint whose receive time cpRecv is
	cpSampledAt time.Time
	lastSample  time.Time // last lag/backlog sample
	caughtUp    bool      // "caught up" was logged
	stuckCount  int       // answers in a row that returned data at the same cursor
}

type pull struct {
	end   string
	acked bool
}

func newShardWorker(c *consumer, shard int) *shardWorker {
	return &shardWorker{c: c, shard: shard, stopCh: make(chan struct{}), done: make(chan struct{}),
		g: newShardGauges(c.src.metrics, c.logstore, c.src.lane, shard)}
}

func (w *shardWorker) stop() { w.stopOnce.Do(func() { close(w.stopCh) }) }

func (w *shardWorker) run(ctx context.Context, out sources.Output) {
	defer close(w.done)
	defer w.g.drop()
	cfg := &w.c.src.cfg
	scope := w.c.src.scope(w.c.logstore, reading)
	lg := w.c.log.With("shard", w.shard)
	// pullCtx ends on stop or shutdown: a Deliver blocked by backpressure
	// returns, and the batch it held is not acknowledged.
	pullCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-w.stopCh:
			cancel()
		case <-pullCtx.Done():
		}
	}()

	cursor, err := w.startCursor(lg)
	if err != nil {
		if w.c.src.health.trouble(lg, scope, err, w.c.src.slowRetry()) {
			ctxsleep.Sleep(pullCtx, w.c.src.slowRetry())
			return
		}
		lg.Warn("cannot start shard; it will be retried at the next heartbeat", "err", explain(err))
		return
	}
	w.committed, w.ackedTo = cursor, cursor
	slots := make(chan struct{}, cfg.InFlight)
	fetchIdle := mustDuration(cfg.FetchInterval)
	commitEvery := mustDuration(cfg.CheckpointInterval)
	lastCommit := time.Now()
	backoff := 200 * time.Millisecond
	from := &event.Origin{Source: w.c.src.name, Project: cfg.Project, Logstore: w.c.logstore, Shard: w.shard}
	pl := w.newPuller()

loop:
	for pullCtx.Err() == nil {
		if time.Since(lastCommit) >= commitEvery {
			w.commit(lg)
			lastCommit = time.Now()
		}
		if w.failedErr() != nil {
			lg.Warn("a batch was not acknowledged; re-reading the shard from its checkpoint", "err", w.failedErr())
			break
		}
		if !w.acquire(lg, pullCtx, slots, cursor) {
			break loop
		}
		ans, err := pl.pull(pullCtx, cursor)
		if err != nil {
			<-slots
			if pullCtx.Err() != nil {
				break // stopped or shutting down: the pull was cancelled
			}
			if isCode(err, "InvalidCursor") {
				if c, err := w.resetToBegin(lg, cursor); err == nil {
					cursor = c
					continue
				}
			}
			if isCode(err, "ShardNotExist") {
				lg.Warn("shard no longer exists", "err", explain(err))
				break
			}
			if w.c.src.health.trouble(lg, scope, err, w.c.src.slowRetry()) {
				if !ctxsleep.Sleep(pullCtx, w.c.src.slowRetry()) {
					break
				}
				continue
			}
			lg.Warn("pull failed; retrying", "err", explain(err), "backoff", backoff)
			if !ctxsleep.Sleep(pullCtx, backoff) {
				break
			}
			backoff = min(backoff*2, 30*time.Second)
			continue
		}
		backoff = 200 * time.Millisecond
		w.c.src.health.clear(lg, scope)
		next := ans.NextCursor
		if next == "" {
			next = cursor
		}
		p := &pull{end: next}
		w.push(p)
		evs := ans.Events
		stuck := next == cursor && len(evs) > 0
		if stuck && w.stuckAt(lg, cursor, len(evs)) {
			evs = nil // delivered once already: never flood the SIEM with it
		} else if !stuck && w.stuckCount > 0 {
			lg.Info("the shard's cursor advances again", "after_stuck_answers", w.stuckCount)
			w.stuckCount = 0
		}
		if len(evs) == 0 {
			w.ack(p, nil)
			pl.release(ans)
			<-slots
		} else {
			b := &event.Batch{Events: evs, Footprint: ans.Footprint}
			b.SetOrigin(from)
			err := out.Deliver(pullCtx, b, func(err error) {
				w.ack(p, err)
				pl.release(ans)
				<-slots
			})
			if err != nil {
				break
			}
		}
		idle := next == cursor && !stuck
		cursor = next
		w.observe(lg, cursor, idle)
		pause := time.Duration(0)
		switch {
		case stuck:
			pause = min(fetchIdle<<min(w.stuckCount, 16), stuckMaxBackoff)
		case idle:
			pause = fetchIdle
		}
		if pause > 0 && !ctxsleep.Sleep(pullCtx, pause) {
			break
		}
	}
	// Wait, bounded, for the batches in flight, then commit what they allow.
	deadline := time.NewTimer(mustDuration(cfg.ShutdownTimeout))
	defer deadline.Stop()
	for range cap(slots) {
		select {
		case slots <- struct{}{}:
		case <-deadline.C:
			lg.Warn("shutdown timeout: batches still in flight are not checkpointed and will be read again")
			w.commit(lg)
			return
		}
	}
	w.commit(lg)
}

// startCursor is the shard's checkpoint, or the configured start. A start
// cursor is committed as the checkpoint before the first pull: otherwise a
// crash before the first acknowledgement would look `end` (or the time) up
// again later and skip everything pulled but not delivered.
func (w *shardWorker) startCursor(lg *slog.Logger) (string, error) {
	cfg := &w.c.src.cfg
	cps, err := w.c.c.GetCheckpoint(cfg.Project, w.c.logstore, cfg.ConsumerGroup)
	if err != nil {
		return "", fmt.Errorf("GetCheckpoint %s/%s/%s: %w", cfg.Project, w.c.logstore, cfg.ConsumerGroup, explain(err))
	}
	for _, cp := range cps {
		if cp.ShardID == w.shard && cp.CheckPoint != "" {
			if cp.UpdateTime > 0 {
				w.cpWritten = time.UnixMicro(cp.UpdateTime)
			}
			return cp.CheckPoint, nil
		}
	}
	from, _ := cfg.startFrom()
	c, err := w.c.c.GetCursor(cfg.Project, w.c.logstore, w.shard, from)
	if err != nil {
		return "", fmt.Errorf("GetCursor %s/%s shard %d from %s: %w", cfg.Project, w.c.logstore, w.shard, from, explain(err))
	}
	if err := w.c.c.UpdateCheckpoint(cfg.Project, w.c.logstore, cfg.ConsumerGroup, w.c.name, w.shard, c, false); err != nil {
		return "", fmt.Errorf("UpdateCheckpoint %s/%s/%s shard %d (the start position): %w", cfg.Project, w.c.logstore, cfg.ConsumerGroup, w.shard, explain(err))
	}
	lg.Info("new shard starts here", "start", cfg.Start, "cursor", c)
	w.cpWritten = time.Now()
	return c, nil
}

// resetToBegin handles InvalidCursor: the data at the cursor has expired
// (TTL) or the checkpoint is corrupt. It resumes from the oldest retained
// data whatever `start` says (`end` would skip everything still there),
// with one ERROR naming what was lost as well as it can be told.
func (w *shardWorker) resetToBegin(lg *slog.Logger, old string) (string, error) {
	cfg := &w.c.src.cfg
	begin, err := w.c.c.GetCursor(cfg.Project, w.c.logstore, w.shard, "begin")
	if err != nil {
		return "", err
	}
	attrs := []any{"old_cursor", old, "resume_cursor", begin}
	if !w.cpRecv.IsZero() {
		attrs = append(attrs, "checkpoint_data_time", w.cpRecv.UTC().Format(time.RFC3339))
	}
	if !w.cpWritten.IsZero() {
		attrs = append(attrs, "checkpoint_written", w.cpWritten.UTC().Format(time.RFC3339))
	}
	if n, ok := distance(old, begin); ok {
		attrs = append(attrs, "skipped_log_groups_est", n)
	}
	if t, err := w.c.c.GetCursorTime(cfg.Project, w.c.logstore, w.shard, begin); err == nil {
		attrs = append(attrs, "oldest_retained", t.UTC().Format(time.RFC3339))
	}
	lg.Error("DATA SKIPPED: SLS no longer holds the data at the shard's checkpoint (expired by TTL, or the checkpoint is corrupt); resuming from the oldest retained data", attrs...)
	w.c.src.resets.Inc()
	w.reset(begin)
	return begin, nil
}

// stuckMaxBackoff caps the pause between re-reads of a stuck cursor.
const stuckMaxBackoff = time.Minute

// stuckAt records an answer that returned data but the request's cursor as
// its next cursor. A correct server never does this; re-reading would
// deliver the same range again and again. The first such answer is
// delivered; stuckAt reports true for the ones after it, which must not be.
func (w *shardWorker) stuckAt(lg *slog.Logger, cursor string, events int) bool {
	w.stuckCount++
	w.g.stuck.Inc()
	if w.stuckCount == 1 {
		lg.Error("SLS returned data without advancing the shard's cursor; delivered it once, re-reading with backoff and not delivering the same range again",
			"cursor", cursor, "events", events)
	}
	return w.stuckCount > 1
}

// acquire takes an in-flight slot. While the window is full (a sink is
// slow or down) it keeps the lag and backlog series current, so a stalled
// lane shows how far behind it falls. It reports false when ctx ended.
func (w *shardWorker) acquire(lg *slog.Logger, ctx context.Context, slots chan struct{}, cursor string) bool {
	select {
	case slots <- struct{}{}:
		return true
	default:
	}
	tick := time.NewTicker(mustDuration(w.c.src.cfg.HeartbeatInterval))
	defer tick.Stop()
	for {
		select {
		case slots <- struct{}{}:
			return true
		case <-ctx.Done():
			return false
		case <-tick.C:
			w.observe(lg, cursor, false)
		}
	}
}

// observe updates the shard's lag and backlog series after a pull. A pull
// that found no new data means the shard is read to its end; otherwise the
// end cursor and the receive time of the last pulled data are sampled once
// per heartbeat interval (two light calls).
func (w *shardWorker) observe(lg *slog.Logger, cursor string, atEnd bool) {
	cfg := &w.c.src.cfg
	if atEnd {
		w.g.backlog.Set(0)
		w.g.lag.Set(0)
		w.caught(lg, 0)
		return
	}
	every := mustDuration(cfg.HeartbeatInterval)
	if time.Since(w.lastSample) < every {
		return
	}
	w.lastSample = time.Now()
	end, err := w.c.c.GetCursor(cfg.Project, w.c.logstore, w.shard, "end")
	if err != nil {
		return
	}
	backlog, ok := distance(cursor, end)
	if ok {
		w.g.backlog.Set(float64(backlog))
	}
	recv, err := w.c.c.GetPrevCursorTime(cfg.Project, w.c.logstore, w.shard, cursor)
	if err != nil {
		return
	}
	w.g.receive.Set(unix(recv))
	lag := time.Duration(0)
	if !ok || backlog > 0 {
		lag = max(time.Since(recv), 0)
	}
	w.g.lag.Set(lag.Seconds())
	w.caught(lg, lag)
}

// caught logs, once per shard, that the shard's lag fell below the fetch
// interval.
func (w *shardWorker) caught(lg *slog.Logger, lag time.Duration) {
	if w.caughtUp || lag >= mustDuration(w.c.src.cfg.FetchInterval) {
		return
	}
	w.caughtUp = true
	lg.Info("shard caught up", "lag", lag)
}

func (w *shardWorker) push(p *pull) {
	w.mu.Lock()
	w.window = append(w.window, p)
	w.mu.Unlock()
}

// ack records a batch's answer and advances the acknowledged prefix.
func (w *shardWorker) ack(p *pull, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		if w.failed == nil {
			w.failed = err
		}
		return
	}
	p.acked = true
	n := 0
	for n < len(w.window) && w.window[n].acked {
		w.ackedTo = w.window[n].end
		n++
	}
	w.window = w.window[n:]
}

func (w *shardWorker) failedErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failed
}

// reset forgets the window after an InvalidCursor reset: the old cursors
// are meaningless now.
func (w *shardWorker) reset(cursor string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.window = nil
	w.ackedTo = cursor
}

// commit writes the acknowledged prefix's end cursor. forceSuccess=false:
// SLS refuses it when this consumer no longer holds the shard, so a stale
// consumer never moves a new owner's checkpoint.
func (w *shardWorker) commit(lg *slog.Logger) {
	w.mu.Lock()
	cp := w.ackedTo // never passes an unacknowledged (or failed) batch
	w.mu.Unlock()
	if cp == "" || cp == w.committed {
		return
	}
	cfg := &w.c.src.cfg
	err := w.c.c.UpdateCheckpoint(cfg.Project, w.c.logstore, cfg.ConsumerGroup, w.c.name, w.shard, cp, false)
	if err != nil {
		if !w.c.src.health.trouble(lg, w.c.src.scope(w.c.logstore, reading), err, w.c.src.slowRetry()) {
			lg.Warn("checkpoint not written", "err", explain(err))
		}
		if isCode(err, "ConsumerNotMatch", "ConsumerNotExist", "ShardNotExist") {
			w.stop() // another consumer owns the shard now
		}
		return
	}
	w.committed = cp
	w.sampleCheckpoint(cp)
}

// sampleCheckpoint sets the checkpoint timestamp series to the receive time
// of the log group before cp, looked up at most once per heartbeat
// interval.
func (w *shardWorker) sampleCheckpoint(cp string) {
	cfg := &w.c.src.cfg
	if cp == w.cpSampled || time.Since(w.cpSampledAt) < mustDuration(cfg.HeartbeatInterval) {
		return
	}
	w.cpSampledAt = time.Now()
	t, err := w.c.c.GetPrevCursorTime(cfg.Project, w.c.logstore, w.shard, cp)
	if err != nil {
		return // cp is the shard's beginning: nothing before it
	}
	w.cpSampled, w.cpRecv = cp, t
	w.g.checkpoint.Set(unix(t))
}
