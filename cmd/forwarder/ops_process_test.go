package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
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

	"github.com/forwarder/forwarder/sinks/splunkhec/hectest"
)

func ready(admin string) (int, string) {
	resp, err := http.Get("http://" + admin + "/-/ready")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestReadinessFollowsSinkHealth: /-/ready turns 503, naming the sink and
// its error, within a few seconds of HEC going down, and 200 again after it
// recovers; /health (liveness) stays 200 throughout.
func TestReadinessFollowsSinkHealth(t *testing.T) {
	hec := hectest.New(t, hectest.Config{})
	admin := freeAddr(t)
	cfg := filepath.Join(t.TempDir(), "f.hcl")
	writeConf(t, cfg, `
source "demo" "d" { rate = 500 }
`+hecSinkBlock("soc", hec.URL())+`
route "r" {
  from = [source.demo.d]
  to   = [sink.splunk_hec.soc]
}
`)
	startProc(t, cfg, "--admin="+admin, "--no-watch", "--unready-after=1s")
	waitUntil(t, "ready", 10*time.Second, func() bool { c, _ := ready(admin); return c == 200 })
	hec.SetBusy(true)
	down := time.Now()
	waitUntil(t, "not ready while HEC is down", 10*time.Second, func() bool { c, _ := ready(admin); return c == 503 })
	t.Logf("not ready %v after HEC went down", time.Since(down).Round(time.Millisecond))
	_, body := ready(admin)
	if !strings.Contains(body, "splunk_hec.soc") || !strings.Contains(body, `"state": "retrying"`) {
		t.Errorf("the readiness body does not name the retrying sink:\n%s", body)
	}
	if resp, err := http.Get("http://" + admin + "/health"); err != nil || resp.StatusCode != 200 {
		t.Errorf("liveness failed while a sink is down: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	hec.SetBusy(false)
	up := time.Now()
	waitUntil(t, "ready after recovery", 15*time.Second, func() bool { c, _ := ready(admin); return c == 200 })
	t.Logf("ready %v after HEC recovered", time.Since(up).Round(time.Millisecond))
}

// TestTapAfterHotEdit: `forwarder tap` shows a route's events as they leave
// its rules, with a field a hot-edited rule adds; a tap client that never
// reads does not slow the pipeline.
func TestTapAfterHotEdit(t *testing.T) {
	admin := freeAddr(t)
	dir := t.TempDir()
	cfg, out := filepath.Join(dir, "f.hcl"), filepath.Join(dir, "out.ndjson")
	conf := func(set string) string {
		return `
source "demo" "d" { rate = 2000 }
rule "mark" {
  set = { ` + set + ` }
}
sink "file" "out" { path = "` + out + `" }
route "r" {
  from  = [source.demo.d]
  rules = [rule.mark]
  to    = [sink.file.out]
}
`
	}
	writeConf(t, cfg, conf(`v = "'1'"`))
	p := startProc(t, cfg, "--admin="+admin, "--no-watch")
	waitUntil(t, "ready", 10*time.Second, func() bool { c, _ := ready(admin); return c == 200 })
	lines := func() int {
		b, _ := os.ReadFile(out)
		return bytes.Count(b, []byte("\n"))
	}
	rate := func() float64 {
		n0, t0 := lines(), time.Now()
		time.Sleep(2 * time.Second)
		return float64(lines()-n0) / time.Since(t0).Seconds()
	}
	before := rate()
	// A tap client that connects and never reads.
	conn, err := net.Dial("tcp", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /-/tap?route=r&rate=100000 HTTP/1.1\r\nHost: %s\r\n\r\n", admin)
	time.Sleep(500 * time.Millisecond)
	during := rate()
	t.Logf("pipeline rate %.0f/s before, %.0f/s with a tap reader that never reads", before, during)
	if during < before*0.7 {
		t.Errorf("a stuck tap reader slowed the pipeline: %.0f/s → %.0f/s", before, during)
	}

	writeConf(t, cfg, conf(`v = "'1'"
    tapped = "'hot-edit'"`))
	p.signal(t, syscall.SIGHUP)
	waitUntil(t, "the edit applied", 10*time.Second, func() bool { return strings.Contains(p.log(), "reloaded") })
	cmd := exec.Command(os.Args[0], "tap", "--admin="+admin, "--route=r", "--limit=5")
	cmd.Env = append(os.Environ(), "FORWARDER_TEST_MAIN=1")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Run(); err != nil {
		t.Fatalf("forwarder tap: %v", err)
	}
	sc := bufio.NewScanner(&stdout)
	n := 0
	for sc.Scan() {
		var line struct {
			Route string         `json:"route"`
			Event map[string]any `json:"event"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("tap line %q: %v", sc.Text(), err)
		}
		if line.Route != "r" || line.Event["tapped"] != "hot-edit" || line.Event["demo_seq"] == nil {
			t.Errorf("tap line without the hot-edited field: %s", sc.Text())
		}
		n++
	}
	if n != 5 {
		t.Errorf("tap printed %d lines, want 5", n)
	}
}
