package engine

import (
	"context"
	"log/slog"
	"sort"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// LogProgress logs, every interval until ctx ends, the rates of events in
// per source and out per sink since the last line, so a running forwarder
// shows it is moving (and a stalled sink shows as a rate of 0 with events
// still coming in). Sources with shards add their backlog (log groups
// still to read, summed over shards) and lag (seconds, the worst shard), so
// a backfill shows what remains and when it caught up.
func (rt *Runtime) LogProgress(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	prev := rt.counters()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cur, now := rt.counters(), time.Now()
		secs := now.Sub(last).Seconds()
		keys := make([]string, 0, len(cur))
		for k := range cur {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		attrs := make([]any, 0, 2*len(keys))
		for _, k := range keys {
			attrs = append(attrs, k+"_per_s", int((cur[k]-prev[k])/secs))
		}
		attrs = append(attrs, rt.positions()...)
		log.Info("progress", attrs...)
		prev, last = cur, now
	}
}

// counters sums the events-in counter per source lane and the sent counter
// per sink, keyed "in.SOURCE" (or "in.SOURCE>SINK" for a per-sink lane) and
// "out.SINK".
func (rt *Runtime) counters() map[string]float64 {
	out := map[string]float64{}
	mfs, err := rt.metrics.Registry.Gather()
	if err != nil {
		return out
	}
	for _, mf := range mfs {
		switch mf.GetName() {
		case "forwarder_source_events_total":
			for _, m := range mf.GetMetric() {
				k := "in." + label(m, "source")
				if lane := label(m, "lane"); lane != "" {
					k += ">" + lane
				}
				out[k] += m.GetCounter().GetValue()
			}
		case "forwarder_sink_events_total":
			for _, m := range mf.GetMetric() {
				if label(m, "outcome") == "sent" {
					out["out."+label(m, "sink")] += m.GetCounter().GetValue()
				}
			}
		}
	}
	return out
}

// positions returns "backlog.SOURCE" and "lag_s.SOURCE" attributes from
// the per-shard gauges, sorted by source.
func (rt *Runtime) positions() []any {
	backlog, lag := map[string]float64{}, map[string]float64{}
	mfs, err := rt.metrics.Registry.Gather()
	if err != nil {
		return nil
	}
	for _, mf := range mfs {
		switch mf.GetName() {
		case "forwarder_source_shard_backlog_log_groups":
			for _, m := range mf.GetMetric() {
				backlog[label(m, "source")] += m.GetGauge().GetValue()
			}
		case "forwarder_source_shard_lag_seconds":
			for _, m := range mf.GetMetric() {
				src := label(m, "source")
				lag[src] = max(lag[src], m.GetGauge().GetValue())
			}
		}
	}
	srcs := make([]string, 0, len(backlog))
	for s := range backlog {
		srcs = append(srcs, s)
	}
	sort.Strings(srcs)
	var attrs []any
	for _, s := range srcs {
		attrs = append(attrs, "backlog."+s, int64(backlog[s]), "lag_s."+s, int64(lag[s]))
	}
	return attrs
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
