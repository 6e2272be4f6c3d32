package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/forwarder/forwarder/engine/event"
	"github.com/forwarder/forwarder/internal/ctxsleep"
	"github.com/forwarder/forwarder/sinks"
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

func attr(name, msg string) error { return &sinks.AttrError{Attr: name, Err: errors.New(msg)} }

// Factory returns the demo source factory.
func Factory() sources.Factory {
	return sources.Factory{
		Type:      "demo",
		NewConfig: func() sources.Config { return &Config{BatchSize: 100, InFlight: 4, Seed: 1} },
		New: func(cfg sources.Config, set sources.Settings) (sources.Source, error) {
			return &Source{cfg: *cfg.(*Config), name: set.Name}, nil
		},
	}
}

// Source emits generated events in batches, keeping at most InFlight
// batches unacknowledged, as the SLS source does per shard.
type Source struct {
	cfg  Config
	name string
}

// Run emits until Count events are acknowledged or ctx ends.
func (s *Source) Run(ctx context.Context, out sources.Output) error {
	start := time.Now()
	if s.cfg.Start != "" {
		start, _ = time.Parse(time.RFC3339, s.cfg.Start)
	}
	g := NewGenerator(uint64(s.cfg.Seed), start)
	slots := make(chan struct{}, s.cfg.InFlight)
	failed := make(chan error, s.cfg.InFlight)
	var interval time.Duration
	if s.cfg.Rate > 0 {
		interval = time.Duration(float64(time.Second) * float64(s.cfg.BatchSize) / float64(s.cfg.Rate))
	}
	next := time.Now()
	emitted, seq := 0, 0
	from := &event.Origin{Source: s.name, Shard: -1}
	for s.cfg.Count == 0 || emitted < s.cfg.Count {
		if interval > 0 {
			if d := time.Until(next); d > 0 && !ctxsleep.Sleep(ctx, d) {
				break
			}
			next = next.Add(interval)
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
		n := s.cfg.BatchSize
		if s.cfg.Count > 0 {
			n = min(n, s.cfg.Count-emitted)
		}
		seq++
		b := &event.Batch{Events: make([]*event.Event, n), Origin: fmt.Sprintf("%s batch %d", s.name, seq)}
		for i := range b.Events {
			b.Events[i] = g.Next()
		}
		b.SetOrigin(from)
		emitted += n
		done := func(err error) {
			if err != nil {
				select {
				case failed <- err:
				default:
				}
			}
			<-slots
		}
		if err := out.Deliver(ctx, b, done); err != nil && ctx.Err() == nil {
			return fmt.Errorf("demo %q: deliver: %w", s.name, err)
		}
	}
	// Wait for the batches in flight.
	for range s.cfg.InFlight {
		slots <- struct{}{}
	}
	select {
	case err := <-failed:
		if ctx.Err() == nil {
			return fmt.Errorf("demo %q: a batch was not delivered: %w", s.name, err)
		}
	default:
	}
	return nil
}
