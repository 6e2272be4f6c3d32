package engine

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/forwarder/forwarder/sources"
)

// Metrics are the runtime's Prometheus metrics. Label children are resolved
// once per route or sink, never per event.
type Metrics struct {
	Registry         *prometheus.Registry
	EventsIn         *prometheus.CounterVec // source, lane
	BytesIn          *prometheus.CounterVec // source, lane
	RouteEvents      *prometheus.CounterVec // route, outcome (passed, filtered, dead_lettered, dropped, lost)
	SinkEvents       *prometheus.CounterVec // sink, outcome (sent, rejected, dead_lettered_lost)
	SinkRetries      *prometheus.CounterVec // sink
	SinkLatency      *prometheus.HistogramVec
	SinkQueued       *prometheus.GaugeVec // sink
	SinkConnected    *prometheus.GaugeVec // sink
	SinkPending      *prometheus.GaugeVec // sink
	SinkPendingBytes *prometheus.GaugeVec // sink
	SinkBufferBytes  *prometheus.GaugeVec // sink
	SinkInFlight     *prometheus.GaugeVec // sink
	SinkRetrying     *prometheus.GaugeVec // sink
	SinkFailures     *prometheus.GaugeVec // sink
	SinkLastSuccess  *prometheus.GaugeVec // sink
	BuildInfo        *prometheus.GaugeVec // version, revision, goversion
	PlanInfo         *prometheus.GaugeVec // version
	Applies          prometheus.Counter
	ShardsOwned      *prometheus.GaugeVec   // source, logstore, lane
	ShardCheckpoint  *prometheus.GaugeVec   // source, logstore, shard, lane
	ShardReceive     *prometheus.GaugeVec   // source, logstore, shard, lane
	ShardLag         *prometheus.GaugeVec   // source, logstore, shard, lane
	ShardBacklog     *prometheus.GaugeVec   // source, logstore, shard, lane
	StuckCursors     *prometheus.CounterVec // source, logstore, shard, lane
}

var shardLabels = []string{"source", "logstore", "shard", "lane"}

// sourceRegisterer is where a source registers series of its own, each
// carrying its source label.
func (m *Metrics) sourceRegisterer(source string) prometheus.Registerer {
	return prometheus.WrapRegistererWith(prometheus.Labels{"source": source}, m.Registry)
}

// shardMetrics returns the per-shard series curried with a source's label.
func (m *Metrics) shardMetrics(source string) *sources.ShardMetrics {
	l := prometheus.Labels{"source": source}
	return &sources.ShardMetrics{
		Owned:        m.ShardsOwned.MustCurryWith(l),
		Checkpoint:   m.ShardCheckpoint.MustCurryWith(l),
		LastReceive:  m.ShardReceive.MustCurryWith(l),
		Lag:          m.ShardLag.MustCurryWith(l),
		Backlog:      m.ShardBacklog.MustCurryWith(l),
		StuckCursors: m.StuckCursors.MustCurryWith(l),
	}
}

// NewMetrics registers the metrics on a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		ShardsOwned:      prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "forwarder_source_shards_owned", Help: "Shards this process holds in its consumer group."}, []string{"source", "logstore", "lane"}),
		ShardCheckpoint:  prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "forwarder_source_shard_checkpoint_timestamp_seconds", Help: "Server receive time of the last log group before the committed checkpoint."}, shardLabels),
		ShardReceive:     prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "forwarder_source_shard_last_pulled_receive_timestamp_seconds", Help: "Server receive time of the last pulled log group."}, shardLabels),
		ShardLag:         prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "forwarder_source_shard_lag_seconds", Help: "Age of the last pulled data while more is waiting; 0 once the shard is read to its end."}, shardLabels),
		ShardBacklog:     prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "forwarder_source_shard_backlog_log_groups", Help: "Log groups between the pulled position and the shard's end (cursor distance)."}, shardLabels),
		StuckCursors:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "forwarder_source_stuck_cursor_total", Help: "Pull answers that returned data without advancing the cursor (delivered at most once, then retried with backoff)."}, shardLabels),
		Registry:         prometheus.NewRegistry(),
		EventsIn:         prometheus.NewCounterVec(prometheus.CounterOpts{Name: "forwarder_source_events_total", Help: "Events read from a source, per lane (the sink a per-sink lane reads for; empty for a single lane)."}, []string{"source", "lane"}),
		BytesIn:          prometheus.NewCounterVec(prometheus.CounterOpts{Name: "forwarder_source_bytes_total", Help: "Raw log bytes (keys and values) read from a source, per lane."}, []string{"source", "lane"}),
		RouteEvents:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "forwarder_route_events_total", Help: "Events seen by a route, by outcome: passed, filtered, dead_lettered, dropped, lost (failed a rule with no dead-letter sink; logged)."}, []string{"route", "outcome"}),
		SinkEvents:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "forwarder_sink_events_total", Help: "Events a sink finished with, by outcome: sent, rejected, lost (rejected with no dead-letter sink)."}, []string{"sink", "outcome"}),
		SinkRetries:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "forwarder_sink_retries_total", Help: "Failed sink writes that will be retried."}, []string{"sink"}),
		SinkLatency:      prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "forwarder_sink_write_seconds", Help: "Latency of one sink write (one batch).", Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10)}, []string{"sink"}),
		SinkQueued:       prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "forwarder_sink_queued_batches", Help: "Source batches waiting in a sink's queue."}, []string{"sink"}),
		SinkConnected:    prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "forwarder_sink_connected", Help: "1 when the sink's last connect or write succeeded."}, []string{"sink"}),
		SinkPendingBytes: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "forwarder_sink_pending_bytes", Help: "Raw log bytes of the events a sink holds (queued, batched, being written or waiting to be retried)."}, []string{"sink"}),
		SinkInFlight:     prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "forwarder_sink_in_flight_writes", Help: "Sink writes in progress."}, []string{"sink"}),
		SinkRetrying:     prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "forwarder_sink_retrying", Help: "1 while the sink's writes are failing and being retried."}, []string{"sink"}),
		SinkFailures:     prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "forwarder_sink_consecutive_failures", Help: "Failed writes since the sink's last successful one."}, []string{"sink"}),
		SinkLastSuccess:  prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "forwarder_sink_last_success_timestamp_seconds", Help: "Time of the sink's last successful write."}, []string{"sink"}),
		BuildInfo:        prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "forwarder_build_info", Help: "1, labelled with the forwarder's version, VCS revision and Go version."}, []string{"version", "revision", "goversion"}),
		SinkBufferBytes:  prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "forwarder_sink_buffer_bytes", Help: "Memory of the events a sink holds, as charged to its buffer_bytes budget (their share of the source's measured footprint); enqueueing waits while it is full."}, []string{"sink"}),
		SinkPending:      prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "forwarder_sink_pending_events", Help: "Events a sink holds and has not finished with: queued, batched, being written or waiting to be retried."}, []string{"sink"}),
		PlanInfo:         prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "forwarder_config_plan_info", Help: "1 for the running plan version."}, []string{"version"}),
		Applies:          prometheus.NewCounter(prometheus.CounterOpts{Name: "forwarder_config_applies_total", Help: "Plans applied to the runtime."}),
	}
	m.Registry.MustRegister(m.EventsIn, m.BytesIn, m.RouteEvents, m.SinkEvents, m.SinkRetries, m.SinkLatency, m.SinkQueued,
		m.SinkConnected, m.ShardsOwned, m.ShardCheckpoint, m.ShardReceive, m.ShardLag, m.ShardBacklog, m.StuckCursors, m.SinkPending, m.SinkPendingBytes, m.SinkBufferBytes, m.SinkInFlight, m.SinkRetrying, m.SinkFailures, m.SinkLastSuccess, m.BuildInfo, m.PlanInfo, m.Applies,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// routeOutcomes are the outcome labels of forwarder_route_events_total.
var routeOutcomes = []string{"passed", "filtered", "dead_lettered", "dropped", "lost"}

// routeMetrics are one route's counters, resolved once per Apply.
type routeMetrics struct {
	passed, filtered, failed, dropped, lost prometheus.Counter
}

func (m *Metrics) route(name string) *routeMetrics {
	c := func(outcome string) prometheus.Counter { return m.RouteEvents.WithLabelValues(name, outcome) }
	return &routeMetrics{passed: c("passed"), filtered: c("filtered"), failed: c("dead_lettered"), dropped: c("dropped"), lost: c("lost")}
}

// deleteRoute drops a removed route's series.
func (m *Metrics) deleteRoute(name string) {
	for _, o := range routeOutcomes {
		m.RouteEvents.DeleteLabelValues(name, o)
	}
}

// deleteSink drops a removed sink's series.
func (m *Metrics) deleteSink(key string) {
	for _, o := range []string{"sent", "rejected", "lost"} {
		m.SinkEvents.DeleteLabelValues(key, o)
	}
	m.SinkRetries.DeleteLabelValues(key)
	m.SinkLatency.DeleteLabelValues(key)
	m.SinkQueued.DeleteLabelValues(key)
	m.SinkConnected.DeleteLabelValues(key)
	m.SinkPending.DeleteLabelValues(key)
	m.SinkPendingBytes.DeleteLabelValues(key)
	m.SinkBufferBytes.DeleteLabelValues(key)
	m.SinkInFlight.DeleteLabelValues(key)
	m.SinkRetrying.DeleteLabelValues(key)
	m.SinkFailures.DeleteLabelValues(key)
	m.SinkLastSuccess.DeleteLabelValues(key)
}
