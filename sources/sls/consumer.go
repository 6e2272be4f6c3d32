package sls

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	sdk "github.com/aliyun/aliyun-log-go-sdk"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/forwarder/forwarder/sources"
)

// consumer is this process's membership of one logstore's consumer group:
// the heartbeat loop and a worker per held shard.
type consumer struct {
	src      *Source
	c        *sdk.Client
	logstore string
	name     string
	log      *slog.Logger

	owned prometheus.Gauge // shards held

	mu      sync.Mutex
	workers map[int]*shardWorker
	// kick asks the heartbeat loop to run now: a worker gave up on a batch
	// (its sink was retired while failing) and its shard should be read
	// again from the checkpoint at once, not at the next tick.
	kick chan struct{}
}

// run heartbeats until ctx ends. The heartbeat reports every shard whose
// worker still runs, so SLS moves a shard to another consumer only after
// this one has stopped reading it and committed its checkpoint.
func (c *consumer) run(ctx context.Context, out sources.Output) error {
	interval := mustDuration(c.src.cfg.HeartbeatInterval)
	timeout := time.Duration(c.src.groupTimeout()) * time.Second
	var held []int
	lastOK := time.Now()
	lastWarn := time.Time{}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		report := c.running()
		for _, s := range held {
			if !slices.Contains(report, s) {
				report = append(report, s)
			}
		}
		shards, err := c.c.HeartBeat(c.src.cfg.Project, c.logstore, c.src.cfg.ConsumerGroup, c.name, report)
		switch {
		case err == nil:
			lastOK = time.Now()
			held = shards
		case isCode(err, "NotExistConsumerWithBody", "ConsumerNotExist"):
			// SLS forgot this consumer (it missed heartbeats for the group
			// timeout): its shards may be another's now. Stop them, rejoin.
			c.log.Warn("consumer expired by SLS; releasing shards and rejoining", "err", err)
			held = nil
			c.stopAll()
		case isCode(err, "ConsumerGroupNotExist") && c.recreateGroup():
			// The group was deleted under us; it is back now.
			c.log.Warn("consumer group was missing; created it again", "group", c.src.cfg.ConsumerGroup)
		case c.src.health.trouble(c.log, c.src.scope(c.logstore, inGroup), err, c.src.slowRetry()):
			// Logged once; waiting slowly below. Shards are released as
			// for any failing heartbeat.
			if time.Since(lastOK) > timeout+interval {
				held = nil
				c.stopAll()
			}
		default:
			if time.Since(lastWarn) > 30*time.Second {
				c.log.Warn("heartbeat failed", "err", explain(err))
				lastWarn = time.Now()
			}
			if time.Since(lastOK) > timeout+interval {
				c.log.Warn("no heartbeat succeeded within the group timeout; releasing shards", "timeout", timeout)
				held = nil
				c.stopAll()
			}
		}
		if err == nil {
			c.src.health.clear(c.log, c.src.scope(c.logstore, inGroup))
		}
		c.reconcile(ctx, out, held)
		wait := tick.C
		if err != nil && classify(err).permanent {
			wait = time.After(c.src.slowRetry())
		}
		select {
		case <-ctx.Done():
			// Each worker waits (bounded) for its acknowledgements and
			// commits its checkpoint before it reports done.
			c.stopAll()
			return nil
		case <-wait:
		case <-c.kick:
		}
	}
}

// recreateGroup creates the consumer group after a heartbeat found it
// missing. It reports false when it cannot (SLS says the group exists
// after all, or refuses): the heartbeat's error then stands as permanent.
func (c *consumer) recreateGroup() bool {
	g := sdk.ConsumerGroup{ConsumerGroupName: c.src.cfg.ConsumerGroup, Timeout: c.src.groupTimeout()}
	return c.c.CreateConsumerGroup(c.src.cfg.Project, c.logstore, g) == nil
}

// running lists shards whose workers have not finished.
func (c *consumer) running() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []int
	for id, w := range c.workers {
		select {
		case <-w.done:
			delete(c.workers, id)
		default:
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// reconcile starts workers for newly held shards and stops the others.
func (c *consumer) reconcile(ctx context.Context, out sources.Output, held []int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var released, acquired []int
	for id, w := range c.workers {
		if !slices.Contains(held, id) {
			select {
			case <-w.stopCh:
			default:
				released = append(released, id)
			}
			w.stop()
		}
	}
	for _, id := range held {
		if _, ok := c.workers[id]; ok {
			continue
		}
		acquired = append(acquired, id)
		w := newShardWorker(c, id)
		c.workers[id] = w
		go func() {
			w.run(ctx, out)
			if w.failedErr() != nil {
				select {
				case c.kick <- struct{}{}:
				default:
				}
			}
		}()
	}
	if len(released)+len(acquired) > 0 {
		slices.Sort(released)
		c.log.Info("shard assignment changed", "acquired", acquired, "released", released, "held", held)
	}
	c.owned.Set(float64(len(held)))
}

// stopAll stops every worker and waits until each has finished.
func (c *consumer) stopAll() {
	c.mu.Lock()
	ws := make([]*shardWorker, 0, len(c.workers))
	for _, w := range c.workers {
		w.stop()
		ws = append(ws, w)
	}
	c.mu.Unlock()
	for _, w := range ws {
		<-w.done
	}
	c.owned.Set(0)
}
