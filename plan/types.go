package plan

import (
	"time"

	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/plugin"
	"github.com/forwarder/forwarder/rules"
	"github.com/forwarder/forwarder/sinks"
	"github.com/forwarder/forwarder/sources"
)

// Lane is one independently acknowledged reader of a source. A source whose
// config supports lanes (sources.LaneConfig, e.g. SLS) and has them on runs
// one lane per sink its routes write to, each with its own cursor and only
// the routes (and rules) that lead to that sink; otherwise the source is a
// single lane running all its routes.
type Lane struct {
	// Key identifies the lane in the runtime: the source key, or
	// "SOURCE>SINK" for a per-sink lane.
	Key string
	// Source is the source the lane reads.
	Source *SourceSpec
	// Sink is the sink key of a per-sink lane; "" for a single lane.
	Sink string
	// Config is the source config of this lane (its own consumer group).
	Config plugin.Config
	// Fingerprint changes when the lane must restart: its source changed.
	// Route and rule changes do not restart lanes.
	Fingerprint string
	// Routes are what the lane's batches run through, in file order.
	Routes []LaneRoute
	// PushDown is what a per-sink lane asks upstream to filter (its own
	// routes' filters); nil for a single lane (see SourceSpec.PushDown) or
	// a source that cannot filter upstream.
	PushDown *PushDown
}

// LaneRoute is a route as one lane runs it.
type LaneRoute struct {
	Route *Route
	// Clone: the route changes events another route of the lane reads.
	Clone bool
	// To are the sinks the route writes to in this lane.
	To []string
	// Primary: this lane counts the route's metrics and dead-letters its rule
	// failures (the lane of the route's first sink), so a route in several
	// lanes reports and dead-letters each event once.
	Primary bool
}

// SourceSpec is a source to run.
type SourceSpec struct {
	Key, Type   string
	Config      plugin.Config
	Factory     sources.Factory
	Fingerprint string
	// PushDown is the upstream filter derived from the routes; nil for
	// source types that cannot filter upstream.
	PushDown *PushDown
}

// SinkSpec is a sink to run, with the engine's settings for it.
type SinkSpec struct {
	Key, Type   string
	Config      plugin.Config
	Factory     sinks.Factory
	Delivery    Delivery
	Fingerprint string
}

// Delivery holds the engine-owned settings of a sink: batching, concurrency,
// buffering and retry backoff.
type Delivery struct {
	MaxEvents    int           `json:"max_events"`
	MaxBytes     int64         `json:"max_bytes"`
	FlushTimeout time.Duration `json:"flush_timeout"`
	InFlight     int           `json:"in_flight"`
	BufferEvents int           `json:"buffer_events"`
	BufferBytes  int64         `json:"buffer_bytes"`
	RetryInitial time.Duration `json:"retry_initial"`
	RetryMax     time.Duration `json:"retry_max"`
}

// Route connects sources to sinks through rules.
type Route struct {
	Name  string
	From  []string // source keys
	Rules []*rules.Rule
	To    []string // sink keys
	// DeadLetter is the sink key for events that fail a rule or that a sink
	// rejects; "" means they are logged and counted.
	DeadLetter string
	// Mutates is true when a rule changes events.
	Mutates bool
}

// Test is a compiled test block.
type Test struct {
	Name  string
	Route *Route
	Input *config.Test
}

// SourceRoute is one route as a source's batches see it, with the facts the
// runtime needs resolved at compile time.
type SourceRoute struct {
	Route *Route
	// Clone is true when the route changes events that another route of the
	// same source also reads: it must work on copies so that what one route's
	// rules do is never visible to another route or its sinks. A route that
	// is its source's only reader changes the events in place.
	Clone bool
}
