package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	sdk "github.com/aliyun/aliyun-log-go-sdk"
	"github.com/go-kit/kit/log/level"

	"github.com/forwarder/forwarder/sources/sls"
)

// TestRunBridgesSDKLogs: `run` points the SLS SDK's process-wide logger at
// its own logger (stderr, with --log-format) before anything starts, so an
// SDK record never lands on stdout, where a file sink may write NDJSON.
func TestRunBridgesSDKLogs(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := realMain(context.Background(), []string{"run", "--log-format=json", broken}, &stdout, &stderr); code != exitConfig {
		t.Fatalf("exit %d, want %d: %s", code, exitConfig, stderr.String())
	}
	t.Cleanup(func() { sls.BridgeSDKLogs(slog.New(slog.DiscardHandler)) })
	stderr.Reset()
	_ = level.Error(sdk.Logger).Log("msg", "sdk bridge probe")
	got := stderr.String()
	for _, want := range []string{`"level":"ERROR"`, `"msg":"sdk bridge probe"`, `"component":"sls-sdk"`} {
		if !strings.Contains(got, want) {
			t.Errorf("SDK record on stderr = %q, lacks %s", got, want)
		}
	}
	if strings.Contains(stdout.String(), "sdk bridge probe") {
		t.Errorf("SDK record on stdout: %q", stdout.String())
	}
}
