package sls

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/forwarder/forwarder/engine/event"
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
}

type pull struct {
	end   string
	acked bool
}

func newShardWorker(c *consumer, shard int) *shardWorker {
	return &shardWorker{c: c, shard: shard, stopCh: make(chan struct{}), done: make(chan struct{})}
}

func (w *shardWorker) stop() { w.stopOnce.Do(func() { close(w.stopCh) }) }

func (w *shardWorker) run(ctx context.Context, out sources.Output) {
	defer close(w.done)
	cfg := &w.c.src.cfg
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

	cursor, err := w.startCursor()
	if err != nil {
		lg.Error("cannot start shard; it will be retried at the next heartbeat", "err", err)
		return
	}
	w.committed, w.ackedTo = cursor, cursor
	slots := make(chan struct{}, cfg.InFlight)
	fetchIdle := mustDuration(cfg.FetchInterval)
	commitEvery := mustDuration(cfg.CheckpointInterval)
	lastCommit := time.Now()
	backoff := 200 * time.Millisecond
	origin := fmt.Sprintf("%s/%s shard %d", cfg.Project, w.c.logstore, w.shard)
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
		select {
		case slots <- struct{}{}:
		case <-pullCtx.Done():
			break loop
		}
		ans, err := pl.pull(pullCtx, cursor)
		if err != nil {
			<-slots
			if pullCtx.Err() != nil {
				break // stopped or shutting down: the pull was cancelled
			}
			if isCode(err, "InvalidCursor") {
				from, _ := cfg.startFrom()
				lg.Warn("DATA SKIPPED: the shard's cursor is no longer valid (its data expired by TTL or the checkpoint is corrupt); resetting to start",
					"cursor", cursor, "start", cfg.Start, "err", err)
				w.c.src.resets.Inc()
				if c, err := w.c.c.GetCursor(cfg.Project, w.c.logstore, w.shard, from); err == nil {
					cursor = c
					w.reset(c)
					continue
				}
			}
			if isCode(err, "ShardNotExist") {
				lg.Warn("shard no longer exists", "err", err)
				break
			}
			lg.Warn("pull failed; retrying", "err", explain(err), "backoff", backoff)
			if !ctxsleep.Sleep(pullCtx, backoff) {
				break
			}
			backoff = min(backoff*2, 30*time.Second)
			continue
		}
		backoff = 200 * time.Millisecond
		next := ans.NextCursor
		p := &pull{end: next}
		w.push(p)
		evs := ans.Events
		if len(evs) == 0 {
			w.ack(p, nil)
			pl.release(ans)
			<-slots
		} else {
			b := &event.Batch{Events: evs, Origin: origin}
			err := out.Deliver(pullCtx, b, func(err error) {
				w.ack(p, err)
				pl.release(ans)
				<-slots
			})
			if err != nil {
				break
			}
		}
		idle := next == cursor
		cursor = next
		if idle && !ctxsleep.Sleep(pullCtx, fetchIdle) {
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

// startCursor is the shard's checkpoint, or the configured start.
func (w *shardWorker) startCursor() (string, error) {
	cfg := &w.c.src.cfg
	cps, err := w.c.c.GetCheckpoint(cfg.Project, w.c.logstore, cfg.ConsumerGroup)
	if err != nil {
		return "", fmt.Errorf("GetCheckpoint %s/%s/%s: %w", cfg.Project, w.c.logstore, cfg.ConsumerGroup, explain(err))
	}
	for _, cp := range cps {
		if cp.ShardID == w.shard && cp.CheckPoint != "" {
			return cp.CheckPoint, nil
		}
	}
	from, _ := cfg.startFrom()
	c, err := w.c.c.GetCursor(cfg.Project, w.c.logstore, w.shard, from)
	if err != nil {
		return "", fmt.Errorf("GetCursor %s/%s shard %d from %s: %w", cfg.Project, w.c.logstore, w.shard, from, explain(err))
	}
	return c, nil
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
		lg.Warn("checkpoint not written", "err", explain(err))
		if isCode(err, "ConsumerNotMatch", "ConsumerNotExist", "ShardNotExist") {
			w.stop() // another consumer owns the shard now
		}
		return
	}
	w.committed = cp
}
