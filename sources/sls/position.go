package sls

import (
	"encoding/base64"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/forwarder/forwarder/sources"
)

// cursorPos decodes an SLS cursor: base64 of a decimal int64, consecutive
// per log group, so the difference of two cursors counts the log groups
// between them (reference/sls-protocol.md §6.3).
func cursorPos(c string) (int64, bool) {
	if c == "" || len(c) > 64 {
		return 0, false
	}
	b, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	return v, err == nil && v >= 0
}

// distance is the number of log groups from a to b, and whether both
// cursors could be decoded.
func distance(a, b string) (int64, bool) {
	pa, ok1 := cursorPos(a)
	pb, ok2 := cursorPos(b)
	return max(pb-pa, 0), ok1 && ok2
}

func unusedShardMetrics() *sources.ShardMetrics {
	labels := []string{"logstore", "shard", "lane"}
	g := func() *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "unused"}, labels)
	}
	return &sources.ShardMetrics{
		Owned:      prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "unused"}, []string{"logstore", "lane"}),
		Checkpoint: g(), LastReceive: g(), Lag: g(), Backlog: g(),
		StuckCursors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "unused"}, labels),
	}
}

// shardGauges are one shard's series, resolved once per worker.
type shardGauges struct {
	checkpoint, receive, lag, backlog prometheus.Gauge
	stuck                             prometheus.Counter
	drop                              func()
}

func newShardGauges(m *sources.ShardMetrics, logstore, lane string, shard int) *shardGauges {
	l := []string{logstore, strconv.Itoa(shard), lane}
	return &shardGauges{
		checkpoint: m.Checkpoint.WithLabelValues(l...),
		receive:    m.LastReceive.WithLabelValues(l...),
		lag:        m.Lag.WithLabelValues(l...),
		backlog:    m.Backlog.WithLabelValues(l...),
		stuck:      m.StuckCursors.WithLabelValues(l...),
		drop: func() {
			// A released shard's series go away, so another process's
			// series for it are the only ones left.
			m.Checkpoint.DeleteLabelValues(l...)
			m.LastReceive.DeleteLabelValues(l...)
			m.Lag.DeleteLabelValues(l...)
			m.Backlog.DeleteLabelValues(l...)
		},
	}
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
