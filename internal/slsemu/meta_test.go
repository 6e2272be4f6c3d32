package slsemu

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	sls "github.com/aliyun/aliyun-log-go-sdk"
)

// TestProjectAndLogstoreAPI exercises the admin calls a pre-flight check
// makes (GetProject, GetLogStore) and the create/list/delete calls.
func TestProjectAndLogstoreAPI(t *testing.T) {
	s := startServer(t, Options{})
	c := newClient(t, s, testAK, testSK)
	if _, err := c.CreateProject(testProject, "audit logs"); err != nil {
		t.Fatalf("CreateProject: %v", err)
	}
	if _, err := c.CreateProject(testProject, "again"); err == nil {
		t.Fatal("creating an existing project succeeded")
	}
	p, err := c.GetProject(testProject)
	if err != nil || p.Name != testProject || p.Description != "audit logs" || p.Status != "Normal" {
		t.Fatalf("GetProject = %+v, %v", p, err)
	}
	if err := c.CreateLogStore(testProject, testLogstore, 7, 3, false, 0); err != nil {
		t.Fatalf("CreateLogStore: %v", err)
	}
	ls, err := c.GetLogStore(testProject, testLogstore)
	if err != nil || ls.TTL != 7 || ls.ShardCount != 3 {
		t.Fatalf("GetLogStore = %+v, %v", ls, err)
	}
	names, err := c.ListLogStore(testProject)
	if err != nil || len(names) != 1 || names[0] != testLogstore {
		t.Fatalf("ListLogStore = %v, %v", names, err)
	}
	shards, err := c.ListShards(testProject, testLogstore)
	if err != nil || len(shards) != 3 || shards[0].InclusiveBeginKey != "00000000000000000000000000000000" ||
		shards[1].InclusiveBeginKey != "55555555555555555555555555555555" || shards[2].ExclusiveBeginKey != maxKey {
		t.Fatalf("ListShards = %+v, %v", shards, err)
	}
	if err := s.EnsureLogstore(testProject, testLogstore, LogstoreConfig{Shards: 9}); err != nil {
		t.Fatalf("EnsureLogstore on an existing logstore: %v", err)
	}
	if err := c.DeleteLogStore(testProject, testLogstore); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetLogStore(testProject, testLogstore); err == nil {
		t.Fatal("deleted logstore still exists")
	}
}

func TestLifecycle(t *testing.T) {
	if err := New(Options{Listen: "0.0.0.0:0"}).Start(); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("non-loopback listen: %v", err)
	}
	s := New(Options{Logger: quietLogger()})
	if s.Addr() != "" {
		t.Fatal("Addr before Start")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	waitFor(t, 5*time.Second, "listening", func() bool { return s.Addr() != "" })
	if err := s.Start(); err == nil {
		t.Fatal("second Start succeeded")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestProxyMode reaches the emulator as an HTTP proxy (absolute-form request
// URIs) with a non-loopback endpoint name, the alternative to dialling.
func TestProxyMode(t *testing.T) {
	s := startServer(t, Options{})
	mustLogstore(t, s, 2)
	proxy, _ := url.Parse(s.Endpoint())
	tr := &http.Transport{Proxy: http.ProxyURL(proxy)}
	t.Cleanup(tr.CloseIdleConnections)
	c := &sls.Client{Endpoint: "sls.emu.test", AccessKeyID: testAK, AccessKeySecret: testSK, HTTPClient: &http.Client{Transport: tr}}
	if err := c.PutLogs(testProject, testLogstore, makeGroup(1, 2)); err != nil {
		t.Fatalf("PutLogs through proxy mode: %v", err)
	}
	shards, err := c.ListShards(testProject, testLogstore)
	if err != nil || len(shards) != 2 {
		t.Fatalf("ListShards = %v, %v", shards, err)
	}
}
