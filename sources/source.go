// Package sources defines what a source is: something that reads batches of
// events from upstream, hands them to the engine and checkpoints only what
// the engine acknowledged.
package sources

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/plugin"
)

// Source reads batches until its context ends.
type Source interface {
	// Run reads until ctx is done, then stops pulling, waits (bounded) for
	// the acknowledgements of batches in flight, commits what they allow and
	// returns nil. It returns an error only when it cannot go on at all.
	Run(ctx context.Context, out Output) error
}

// Output is where a source hands its batches. The engine binds one to each
// source.
type Output interface {
	// Deliver routes b under the current plan and returns once it is queued
	// to the sinks. It blocks while the sinks' queues are full
	// (backpressure) and returns an error if ctx ends first or no plan runs.
	//
	// done is called exactly once (possibly before Deliver returns, and
	// possibly from another goroutine): with nil once every event is
	// acknowledged by every sink it was routed to (filtered and
	// dead-lettered events count as acknowledged), or with an error if the
	// batch could not be fully queued or the runtime gave up on it at
	// shutdown. Only after done(nil) may the source checkpoint past b. When
	// Deliver returns an error before routing anything, done is called with
	// that error too.
	Deliver(ctx context.Context, b *event.Batch, done func(error)) error
}

// Settings are what the engine gives a source besides its config.
type Settings struct {
	// Name is the source's key, "type.name".
	Name string
	// Logger is tagged with the source's key.
	Logger *slog.Logger
	// Lane is the sink key this instance delivers to when the source runs
	// one lane per sink (see LaneConfig); "" for a source with one lane.
	Lane string
	// Metrics is where a source registers series of its own. It is
	// curried with the source label: every series registered here carries
	// source="<key>", so the source adds only its own labels. The lanes of
	// one source share the registerer; registering a collector that is
	// already there returns prometheus.AlreadyRegisteredError with the
	// existing one. Nil when unused.
	Metrics prometheus.Registerer
	// Shards holds the per-shard position series, already curried with the
	// source label. Nil when unused.
	Shards *ShardMetrics
}

// ShardMetrics are the series a partitioned source keeps per shard. Every
// vector is curried with the source label; the remaining labels are
// logstore, shard and lane (lane is "" until lanes exist), so a label set
// stays bounded by the shards a logstore has.
type ShardMetrics struct {
	// Owned is the number of shards this process holds (logstore, lane).
	Owned *prometheus.GaugeVec
	// Checkpoint is the server receive time, unix seconds, of the last log
	// group before the committed checkpoint.
	Checkpoint *prometheus.GaugeVec
	// LastReceive is the server receive time, unix seconds, of the last
	// pulled log group.
	LastReceive *prometheus.GaugeVec
	// Lag is how far, in seconds, the pulled position is behind the newest
	// data (0 when the shard is read to its end).
	Lag *prometheus.GaugeVec
	// Backlog is the number of log groups between the pulled position and
	// the shard's end.
	Backlog *prometheus.GaugeVec
	// StuckCursors counts answers that returned data without moving the
	// cursor.
	StuckCursors *prometheus.CounterVec
}

// Problem is a condition only an operator can fix (a wrong project name,
// denied access): the source keeps retrying slowly and /health reports it.
type Problem struct {
	// Scope is what failed, e.g. "audit-prod/actiontrail".
	Scope string `json:"scope"`
	// Attr is the configuration attribute to check.
	Attr string `json:"attr"`
	// Error is the one-line error.
	Error string `json:"error"`
	// Since is when the problem was first seen.
	Since time.Time `json:"since"`
}

// HealthReporter is implemented by sources that tell permanent errors from
// transient ones; the admin /health endpoint lists their problems.
type HealthReporter interface {
	// Problems lists the current problems, empty when healthy.
	Problems() []Problem
}

// LaneConfig is implemented by the configs of sources whose upstream keeps a
// durable cursor per reader (SLS consumer groups). Such a source can run as
// one lane per sink its routes write to: each lane has its own cursor and
// checkpoints and runs only the routes leading to its sink, so one SIEM's
// outage never stalls another; the backlog of a dead one stays upstream.
type LaneConfig interface {
	// PerSinkLanes reports whether the source runs one lane per sink
	// rather than one for all of them.
	PerSinkLanes() bool
	// ForLane returns a copy of the config that reads as the lane of the
	// sink key (its own cursor, e.g. consumer group); the copy shares no
	// mutable state with the original.
	ForLane(sink string) plugin.Config
	// LaneName is the upstream name of the lane of the sink key (the
	// consumer group), for diagnostics and docs.
	LaneName(sink string) string
}

// MemoryConfig is implemented by the configs of sources that bound in bytes
// what they hold (SLS: in_flight_bytes, pulled batches awaiting
// acknowledgement). `run --memory-limit=auto` sums it over the lanes; a
// source without it holds only the batch it is delivering, whose events the
// sinks' buffer_bytes count.
type MemoryConfig interface {
	// HeldBytes is the most this source (one lane of it) keeps in memory.
	HeldBytes() int64
}

// Factory makes sources of one type.
type Factory struct {
	// Type is the first label of the source block ("sls").
	Type string
	// NewConfig returns a config with defaults filled in.
	NewConfig func() plugin.Config
	// New builds a source from a validated config. It does no I/O.
	New func(cfg plugin.Config, set Settings) (Source, error)
}

// TypeName returns the block type, for plugin.Registry.
func (f Factory) TypeName() string { return f.Type }

// NewFactory returns the Factory of the source type typ from a plugin's own
// typed constructors: newConfig returns its config (C, a pointer such as
// *sls.Config) with defaults filled in, newSource builds its source from
// one. The Factory's New checks the config's type and returns an error,
// never panics, when it is given another plugin's config; a failed
// newSource yields a nil Source, never a typed nil.
func NewFactory[C plugin.Config, S Source](typ string, newConfig func() C, newSource func(C, Settings) (S, error)) Factory {
	return Factory{
		Type:      typ,
		NewConfig: func() plugin.Config { return newConfig() },
		New: func(cfg plugin.Config, set Settings) (Source, error) {
			c, err := plugin.ConfigAs[C]("source", typ, set.Name, cfg)
			if err != nil {
				return nil, err
			}
			s, err := newSource(c, set)
			if err != nil {
				return nil, err
			}
			return s, nil
		},
	}
}
