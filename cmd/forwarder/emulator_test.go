package main

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	sdk "github.com/aliyun/aliyun-log-go-sdk"

	"github.com/forwarder/forwarder/internal/loopback"
)

// TestEmulatorCommand: `forwarder emulator --demo N` serves N events that
// the unchanged SDK can pull, and stops on cancel.
func TestEmulatorCommand(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	var out, errOut bytes.Buffer
	go func() {
		done <- realMain(ctx, []string{"emulator", "--listen", addr, "--project", "p", "--logstore", "l", "--shards", "2", "--demo", "1200"}, &out, &errOut)
	}()
	c := &sdk.Client{Endpoint: "http://" + addr, HTTPClient: loopback.HTTPClient(addr), RequestTimeOut: 5 * time.Second, RetryTimeOut: 2 * time.Second}
	total := 0
	for deadline := time.Now().Add(20 * time.Second); total != 1200; {
		if time.Now().After(deadline) {
			t.Fatalf("pulled %d of 1200 demo events; stderr:\n%s", total, errOut.String())
		}
		time.Sleep(100 * time.Millisecond)
		total = 0
		for shard := range 2 {
			cur, err := c.GetCursor("p", "l", shard, "begin")
			if err != nil {
				total = -1
				break
			}
			for {
				gl, next, err := c.PullLogsV2(&sdk.PullLogRequest{Project: "p", Logstore: "l", ShardID: shard, Cursor: cur, LogGroupMaxCount: 100})
				if err != nil || next == cur {
					break
				}
				for _, g := range gl.LogGroups {
					total += len(g.Logs)
				}
				cur = next
			}
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
}
