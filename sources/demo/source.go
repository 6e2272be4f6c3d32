package demo

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/internal/ctxsleep"
	"github.com/forwarder/forwarder/plugin"
	"github.com/forwarder/forwarder/sources"
)

// Config is the body of `source "demo" "NAME" { … }`.
type Config struct {
	// Count is how many events to emit; 0 means without end.
	Count int `hcl:"count,optional" json:"count"`
	// Rate is events per second; 0 means as fast as the sinks take them.
	Rate int `hcl:"rate,optional" json:"rate"`
	// Seed fixes the generated events.
	Seed int64 `hcl:"seed,optional" json:"seed"`
	// BatchSize is events per batch, like one SLS pull (default 100).
	BatchSize int `hcl:"batch_size,optional" json:"batch_size"`
	// InFlight is how many batches may await acknowledgement (default 4).
	InFlight int `hcl:"in_flight,optional" json:"in_flight"`
	// Start is the RFC 3339 time of the first event (default: now).
	Start string `hcl:"start,optional" json:"start"`
}

// Validate checks the config.
func (c *Config) Validate() error {
	var errs []error
	if c.Count < 0 {
		errs = append(errs, attr("count", "must not be negative"))
	}
	if c.Rate < 0 {
		errs = append(errs, attr("rate", "must not be negative"))
	}
	if c.BatchSize < 1 || c.BatchSize > 10000 {
		errs = append(errs, attr("batch_size", "must be between 1 and 10000"))
	}
	if c.InFlight < 1 {
		errs = append(errs, attr("in_flight", "must be at least 1"))
	}
	if c.Start != "" {
		if _, err := time.Parse(time.RFC3339, c.Start); err != nil {
			errs = append(errs, attr("start", "must be an RFC 3339 time such as \"2026-11-24T08:00:00Z\""))
		}
	}
	return errors.Join(errs...)
}

func attr(name, msg string) error { return &plugin.AttrError{Attr: name, Err: errors.New(msg)} }

// Factory returns the demo source factory.
func Factory() sources.Factory {
	return sources.NewFactory("demo", NewConfig, New)
}

// NewConfig returns a config with the defaults filled in.
func NewConfig() *Config { return &Config{BatchSize: 100, InFlight: 4, Seed: 1} }

// New returns a demo source. It does no I/O and starts nothing: Run does.
func New(cfg *Config, set sources.Settings) (*Source, error) {
	return &Source{cfg: *cfg, name: set.Name}, nil
}

// Source emits generated events in batches, keeping at most InFlight
// batches unacknowledged, as the SLS source does per shard.
type Source struct {
	cfg  Config
	name string
}

var _ sources.Source = (*Source)(nil)

// Run emits until Count events are acknowledged or ctx ends. A batch the
// engine answers with an error (its sink was retired by a reload while
// failing) is generated again and re-delivered under the current plan, as
// a durable source reads it again: the demo source loses nothing.
func (s *Source) Run(ctx context.Context, out sources.Output) error {
	start := time.Now()
	if s.cfg.Start != "" {
		start, _ = time.Parse(time.RFC3339, s.cfg.Start)
	}
	g := NewGenerator(uint64(s.cfg.Seed), start)
	next := g.State()
	slots := make(chan struct{}, s.cfg.InFlight)
	var (
		mu      sync.Mutex
		retries []pending
	)
	takeRetry := func() (pending, bool) {
		mu.Lock()
		defer mu.Unlock()
		if len(retries) == 0 {
			return pending{}, false
		}
		pb := retries[0]
		retries = retries[1:]
		return pb, true
	}
	var interval time.Duration
	if s.cfg.Rate > 0 {
		interval = time.Duration(float64(time.Second) * float64(s.cfg.BatchSize) / float64(s.cfg.Rate))
	}
	nextAt := time.Now()
	emitted, seq := 0, 0
	idle := time.NewTicker(10 * time.Millisecond)
	defer idle.Stop()
	from := &event.Origin{Source: s.name, Shard: -1}
	for ctx.Err() == nil {
		pb, retry := takeRetry()
		if !retry {
			if s.cfg.Count > 0 && emitted >= s.cfg.Count {
				// Nothing new: finished once nothing is in flight and
				// nothing waits to be sent again.
				if len(slots) == 0 {
					if _, again := takeRetry(); !again {
						return nil
					}
				}
				select {
				case <-idle.C:
				case <-ctx.Done():
				}
				continue
			}
			if interval > 0 {
				if d := time.Until(nextAt); d > 0 && !ctxsleep.Sleep(ctx, d) {
					break
				}
				nextAt = nextAt.Add(interval)
			}
			n := s.cfg.BatchSize
			if s.cfg.Count > 0 {
				n = min(n, s.cfg.Count-emitted)
			}
			seq++
			pb = pending{state: next, n: n, seq: seq}
			emitted += n
		}
		acquired := false
		select {
		case slots <- struct{}{}:
			acquired = true
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			// select may take a slot even though ctx had ended; give it
			// back, or the wait for in-flight batches below never ends.
			if acquired {
				<-slots
			}
			break
		}
		g.Restore(pb.state)
		b := &event.Batch{Events: make([]*event.Event, pb.n)}
		for i := range b.Events {
			b.Events[i] = g.Next()
		}
		if !retry {
			next = g.State()
		}
		b.SetOrigin(from)
		done := func(err error) {
			if err != nil && ctx.Err() == nil {
				mu.Lock()
				retries = append(retries, pb)
				mu.Unlock()
			}
			<-slots
		}
		if err := out.Deliver(ctx, b, done); err != nil && ctx.Err() == nil {
			// done has put the batch back; do not spin while no plan runs.
			if !ctxsleep.Sleep(ctx, 50*time.Millisecond) {
				break
			}
		}
	}
	// Stopped: wait for the batches in flight (the engine answers each).
	for range s.cfg.InFlight {
		slots <- struct{}{}
	}
	return nil
}

// pending is a batch to (re)generate: the generator position it starts at.
type pending struct {
	state  State
	n, seq int
}
