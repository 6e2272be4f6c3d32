package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/forwarder/forwarder/internal/slsemu"
	"github.com/forwarder/forwarder/sinks/splunkhec/hectest"
)

// TestMultiLogstoreProcess runs examples/multi-logstore.hcl unchanged in a
// real forwarder process against an emulator with two logstores and a test
// HEC: every event arrives once, in the index and sourcetype of the
// logstore it was read from, through the route that filters on that
// logstore, and the origin is sent only where the rule copied it.
func TestMultiLogstoreProcess(t *testing.T) {
	want := map[string]int{"actiontrail": 6000, "oss_access": 4000}
	index := map[string]string{"actiontrail": "alicloud_audit", "oss_access": "alicloud_oss"}
	emu := procEmulator(t, "actiontrail", 2)
	if err := emu.CreateLogstore(procProject, "oss_access", slsemu.LogstoreConfig{Shards: 1}); err != nil {
		t.Fatal(err)
	}
	feedA := startFeeder(t, emu, "actiontrail", 2, want["actiontrail"], 20000)
	feedB := startFeeder(t, emu, "oss_access", 1, want["oss_access"], 20000)
	hec := hectest.New(t, hectest.Config{Tokens: []hectest.Token{{Value: hectest.DefaultToken, Indexes: []string{"alicloud_audit", "alicloud_oss"}}}})

	cmd := exec.Command(os.Args[0], "run", "--admin=", "--no-watch", "--log-level=warn", "../../examples/multi-logstore.hcl")
	cmd.Env = append(os.Environ(), "FORWARDER_TEST_MAIN=1", "SLS_ENDPOINT="+emu.Endpoint(), "SLS_AK_ID="+procAK, "SLS_AK_KEY="+procSecret,
		"HEC_ENDPOINT="+hec.URL(), "HEC_TOKEN="+hectest.DefaultToken)
	cmd.Stderr = &prefixWriter{t: t, name: "fwd"}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	feedA.wait()
	feedB.wait()
	total := want["actiontrail"] + want["oss_access"]
	waitUntil(t, "every event at the HEC", 90*time.Second, func() bool { return hec.EventCount() >= total })
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("forwarder exit: %v", err)
	}

	type key struct {
		logstore string
		seq      string
	}
	seen := map[key]int{}
	perLogstore := map[string]int{}
	decodedOK := 0
	for _, ev := range hec.Events() {
		var body map[string]any
		if err := json.Unmarshal(ev.Event, &body); err != nil {
			t.Fatalf("event body %s: %v", ev.Event, err)
		}
		ls := fmt.Sprint(ev.Fields["sls_logstore"])
		seen[key{ls, fmt.Sprint(body["demo_seq"])}]++
		perLogstore[ls]++
		if ev.Index != index[ls] || ev.Sourcetype != "alicloud:"+ls {
			t.Fatalf("event from %q in index %q, sourcetype %q; want %q", ls, ev.Index, ev.Sourcetype, index[ls])
		}
		if e, ok := body["event"]; ok {
			// Only the actiontrail route decodes `event`.
			if _, decoded := e.(map[string]any); decoded != (ls == "actiontrail") {
				t.Fatalf("event from %q went through the wrong route: %s", ls, ev.Event)
			}
			if _, ok := body["action"]; ok != (ls == "actiontrail") {
				t.Fatalf("event from %q went through the wrong route: %s", ls, ev.Event)
			}
			decodedOK++
		}
		for _, k := range []string{"project", "logstore", "shard", "source_name"} {
			if _, ok := body[k]; ok {
				t.Fatalf("event carries %q though no rule copied it: %s", k, ev.Event)
			}
		}
	}
	for ls, n := range want {
		if perLogstore[ls] != n {
			t.Errorf("%s: %d events at the HEC, want %d", ls, perLogstore[ls], n)
		}
		for i := 1; i <= n; i++ {
			if c := seen[key{ls, fmt.Sprint(i)}]; c != 1 {
				t.Errorf("%s event %d arrived %d times", ls, i, c)
				break
			}
		}
	}
	if decodedOK == 0 {
		t.Error("no ActionTrail event to check the routes with")
	}
	if len(perLogstore) != len(want) {
		t.Errorf("events from unexpected logstores: %v", perLogstore)
	}
}
