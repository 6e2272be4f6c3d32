package sls

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	sdk "github.com/aliyun/aliyun-log-go-sdk"
	"github.com/go-kit/kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/forwarder/forwarder/sources"
)

// TestNewLeavesSDKLogger: building sources does not touch the SDK's
// process-wide logger; only BridgeSDKLogs does, and a later call redirects
// the SDK's records to the new logger.
func TestNewLeavesSDKLogger(t *testing.T) {
	before := sdk.Logger
	for range 2 {
		if _, err := New(NewConfig(), sources.Settings{Name: "sls.x", Logger: slog.New(slog.DiscardHandler)}); err != nil {
			t.Fatal(err)
		}
	}
	if sdk.Logger != before {
		t.Fatal("New replaced sdk.Logger")
	}

	t.Cleanup(func() { BridgeSDKLogs(slog.New(slog.DiscardHandler)) })
	var first, second bytes.Buffer
	BridgeSDKLogs(slog.New(slog.NewTextHandler(&first, nil)))
	_ = level.Warn(sdk.Logger).Log("msg", "retrying\nPullLogs", "error", errors.New("{\n  \"errorCode\": \"ServerBusy\"\n}"))
	BridgeSDKLogs(slog.New(slog.NewTextHandler(&second, nil)))
	_ = level.Error(sdk.Logger).Log("msg", "gave up")
	for _, tc := range []struct {
		buf  *bytes.Buffer
		want []string
	}{
		{&first, []string{"level=WARN", "component=sls-sdk", "ServerBusy"}},
		{&second, []string{"level=ERROR", `msg="gave up"`, "component=sls-sdk"}},
	} {
		out := tc.buf.String()
		if strings.Count(out, "\n") != 1 {
			t.Errorf("want one line, got %q", out)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%q lacks %q", out, w)
			}
		}
	}
}

// TestCursorResetsRegistered: every lane of a source counts into the one
// series it registers on the source's registerer; the engine adds the
// source label.
func TestCursorResetsRegistered(t *testing.T) {
	reg := prometheus.NewRegistry()
	wrapped := prometheus.WrapRegistererWith(prometheus.Labels{"source": "sls.audit"}, reg)
	var srcs []*Source
	for _, lane := range []string{"file.a", "file.b"} {
		s, err := New(NewConfig(), sources.Settings{Name: "sls.audit", Lane: lane, Metrics: wrapped, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, s)
	}
	srcs[0].resets.Inc()
	srcs[1].resets.Inc()
	want := `
# HELP forwarder_source_cursor_resets_total Shard positions abandoned because SLS no longer had the data (InvalidCursor); events were skipped.
# TYPE forwarder_source_cursor_resets_total counter
forwarder_source_cursor_resets_total{source="sls.audit"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "forwarder_source_cursor_resets_total"); err != nil {
		t.Error(err)
	}
	// A registry holding another metric of that name (other help text) is
	// an error from New, not a silently unregistered counter.
	other := prometheus.NewRegistry()
	other.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "forwarder_source_cursor_resets_total", Help: "something else"}))
	if _, err := New(NewConfig(), sources.Settings{Name: "sls.other", Metrics: prometheus.WrapRegistererWith(prometheus.Labels{"source": "sls.other"}, other)}); err == nil {
		t.Error("New succeeded over a conflicting metric")
	}
}
