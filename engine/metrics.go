package engine

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/forwarder/forwarder/sources"
)

// Metrics are the runtime's Prometheus metrics. Label children are resolved
// once per route or sink, never per event.
type Metrics struct {
	Registry        *prometheus.Registry
	EventsIn        *prometheus.CounterVec // source
	BytesIn         *prometheus.CounterVec // source
	CursorResets    *prometheus.CounterVec // source
	ShardsOwned     *prometheus.GaugeVec   // source, logstore, lane
	ShardCheckpoint *prometheus.GaugeVec   // source, logstore, shard, lane
	ShardReceive    *prometheus.GaugeVec   // source, logstore, shard, lane
	ShardLag        *prometheus.GaugeVec   // source, logstore, shard, lane
	ShardBacklog    *prometheus.GaugeVec   // source, logstore, shard, lane
	StuckCursors    *prometheus.CounterVec // source, logstore, shard, lane
	RouteEvents     *prometheus.CounterVec // route, outcome (passed, filtered, dead_lettered, dropped)
	SinkEvents      *prometheus.CounterVec // sink, outcome (sent, rejected, dead_lettered_lost)
	SinkRetries     *prometheus.CounterVec // sink
	SinkLatency     *prometheus.HistogramVec
	SinkQueued      *prometheus.GaugeVec // sink
	SinkConnected   *prometheus.GaugeVec // sink
	ReloadOK        prometheus.Gauge
	ReloadTotal     *prometheus.CounterVec // result
	ReloadTimestamp prometheus.Gauge
	PlanInfo        *prometheus.GaugeVec // version
	Applies         prometheus.Counter
}

var shardLabels = []string{"source", "logstore", "shard", "lane"}

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
		Registry:        prometheus.NewRegistry(),
		EventsIn:        prometheus.NewCounterVec(prometheus.CounterOpts{Name: "forwarder_source_events_total", Help: "Events read from a source."}, []string{"source"}),
		BytesIn:         prometheus.NewCounterVec(prometheus.CounterOpts{Name: "forwarder_source_bytes_total", Help: "Raw log bytes (keys and values) read from a source."}, []string{"source"}),
		CursorResets:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "forwarder_source_cursor_resets_total", Help: "Shard positions abandoned because SLS no longer had the data (InvalidCursor); events were skipped."}, []string{"source"}),
		ShardsOwned:     prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "forwarder_source_shards_owned", Help: "Shards this process holds in its consumer group."}, []string{"source", "logstore", "lane"}),
		ShardCheckpoint: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "forwarder_source_shard_checkpoint_timestamp_seconds", Help: "Server receive time of the last log group before the committed checkpoint."}, shardLabels),
		ShardReceive:    prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "forwarder_source_shard_last_pulled_receive_timestamp_seconds", Help: "Server receive time of the last pulled log group."}, shardLabels),
		ShardLag:        prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "forwarder_source_shard_lag_seconds", Help: "Age of the last pulled data while more is waiting; 0 once the shard is read to its end."}, shardLabels),
		ShardBacklog:    prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "forwarder_source_shard_backlog_log_groups", Help: "Log groups between the pulled position and the shard's end (cursor distance)."}, shardLabels),
		StuckCursors:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "forwarder_source_stuck_cursor_total", Help: "Pull answers that returned data without advancing the cursor (delivered at most once, then retried with backoff)."}, shardLabels),
		RouteEvents:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "forwarder_route_events_total", Help: "Events seen by a route, by outcome: passed, filtered, dead_lettered, dropped."}, []string{"route", "outcome"}),
		SinkEvents:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "forwarder_sink_events_total", Help: "Events a sink finished with, by outcome: sent, rejected, lost (rejected with no dead-letter sink)."}, []string{"sink", "outcome"}),
		SinkRetries:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "forwarder_sink_retries_total", Help: "Failed sink writes that will be retried."}, []string{"sink"}),
		SinkLatency:     prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "forwarder_sink_write_seconds", Help: "Latency of one sink write (one batch).", Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10)}, []string{"sink"}),
		SinkQueued:      prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "forwarder_sink_queued_batches", Help: "Source batches waiting in a sink's queue."}, []string{"sink"}),
		SinkConnected:   prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "forwarder_sink_connected", Help: "1 when the sink's last connect or write succeeded."}, []string{"sink"}),
		ReloadOK:        prometheus.NewGauge(prometheus.GaugeOpts{Name: "forwarder_config_last_reload_successful", Help: "1 if the last configuration reload succeeded."}),
		ReloadTotal:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "forwarder_config_reloads_total", Help: "Configuration reloads, by result: success, failure, unchanged."}, []string{"result"}),
		ReloadTimestamp: prometheus.NewGauge(prometheus.GaugeOpts{Name: "forwarder_config_last_reload_success_timestamp_seconds", Help: "Time of the last successful reload."}),
		PlanInfo:        prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "forwarder_config_plan_info", Help: "1 for the running plan version."}, []string{"version"}),
		Applies:         prometheus.NewCounter(prometheus.CounterOpts{Name: "forwarder_config_applies_total", Help: "Plans applied to the runtime."}),
	}
	m.Registry.MustRegister(m.EventsIn, m.BytesIn, m.CursorResets, m.ShardsOwned, m.ShardCheckpoint, m.ShardReceive, m.ShardLag, m.ShardBacklog, m.StuckCursors, m.RouteEvents, m.SinkEvents, m.SinkRetries, m.SinkLatency, m.SinkQueued,
		m.SinkConnected, m.ReloadOK, m.ReloadTotal, m.ReloadTimestamp, m.PlanInfo, m.Applies,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}
