package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGHUPAndAdminReload runs forwarder as a process with the watcher off:
// SIGHUP applies an edited rule; POST /-/reload refuses a broken edit with
// its file:line:col, keeps the running plan, and /metrics says so.
func TestSIGHUPAndAdminReload(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	admin := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "f.hcl")
	conf := func(rule string) string {
		return `
source "demo" "d" {
  rate = 500
}
rule "r" {
  set = { mark = "` + rule + `" }
}
sink "file" "out" {
  path = "` + filepath.Join(dir, "out.ndjson") + `"
}
route "x" {
  from  = [source.demo.d]
  rules = [rule.r]
  to    = [sink.file.out]
}
`
	}
	if err := os.WriteFile(cfg, []byte(conf("'v1'")), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "run", "--admin="+admin, "--no-watch", "--log-level=warn", cfg)
	cmd.Env = append(os.Environ(), "FORWARDER_TEST_MAIN=1")
	cmd.Stderr = &prefixWriter{t: t, name: "fwd"}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	health := func() string {
		resp, err := http.Get("http://" + admin + "/health")
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		var h struct{ Plan string }
		_ = json.NewDecoder(resp.Body).Decode(&h)
		return h.Plan
	}
	metrics := func() string {
		resp, err := http.Get("http://" + admin + "/metrics")
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	waitUntil(t, "admin /health", 20*time.Second, func() bool { return health() != "" })
	v1 := health()

	if err := os.WriteFile(cfg, []byte(conf("'v2'")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "SIGHUP reload", 10*time.Second, func() bool { return health() != v1 })
	v2 := health()
	if m := metrics(); !strings.Contains(m, `forwarder_config_reloads_total{result="success"} 1`) || !strings.Contains(m, "forwarder_config_last_reload_successful 1") {
		t.Errorf("metrics after SIGHUP:\n%s", grep(m, "forwarder_config"))
	}

	if err := os.WriteFile(cfg, []byte(conf("'v3' +")), 0o600); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+admin+"/-/reload", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "f.hcl:6:") {
		t.Errorf("POST /-/reload of a broken file: %d %s", resp.StatusCode, body)
	}
	if health() != v2 {
		t.Error("a broken edit replaced the running plan")
	}
	if m := metrics(); !strings.Contains(m, "forwarder_config_last_reload_successful 0") {
		t.Errorf("metrics after a rejected reload:\n%s", grep(m, "forwarder_config"))
	}
}

func grep(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
