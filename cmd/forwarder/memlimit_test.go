package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/forwarder/forwarder/builtin"
	"github.com/forwarder/forwarder/internal/fwdtest"
)

func TestMemoryLimit(t *testing.T) {
	const derived = 220 << 20
	for _, tc := range []struct {
		flag, cgroup string
		want         int64
		wantErr      bool
	}{
		{"auto", "", derived, false},
		{"auto", "max\n", derived, false},
		{"auto", "209715200\n", 188743680, false}, // 90% of a 200 MiB cgroup
		{"256MiB", "", 256 << 20, false},
		{"256MiB", "max\n", 256 << 20, false},
		{"256MiB", "209715200\n", 188743680, false},
		{"128MiB", "4294967296\n", 128 << 20, false},
		{"0", "209715200", 0, false},
		{"off", "", 0, false},
		{"1MiB", "", 0, true},
		{"lots", "", 0, true},
	} {
		got, err := memoryLimit(tc.flag, tc.cgroup, derived)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("memoryLimit(%q, %q) = %d, %v; want %d, error %v", tc.flag, tc.cgroup, got, err, tc.want, tc.wantErr)
		}
	}
}

// TestPlanBudget derives the budget from plans: every SLS lane's
// in_flight_bytes, every sink's buffer_bytes and its request bodies
// (in_flight × batch.max_bytes, at most buffer_bytes).
func TestPlanBudget(t *testing.T) {
	const sls = `
source "sls" "a" {
  endpoint          = "http://127.0.0.1:1"
  project           = "p"
  logstores         = ["ls"]
  consumer_group    = "g"
  access_key_id     = env("FWD_TEST_UNSET_AK", "ak")
  access_key_secret = env("FWD_TEST_UNSET_SK", "sk")
  %s
}
`
	hec := func(name, extra string) string {
		return `
sink "splunk_hec" "` + name + `" {
  endpoint = "https://127.0.0.1:1"
  token    = env("FWD_TEST_UNSET_TOKEN", "t")
  ` + extra + `
}
`
	}
	const mib = 1 << 20
	for _, tc := range []struct {
		name string
		src  string
		want memBudget
	}{
		{
			name: "defaults: one SLS lane, one HEC sink",
			src:  fmtSrc(sls, "") + hec("h", "") + route("source.sls.a", "sink.splunk_hec.h"),
			want: memBudget{Sources: 32 * mib, Buffers: 16 * mib, Bodies: 4 * mib},
		},
		{
			name: "two sinks, one lane each, tuned",
			src: fmtSrc(sls, `in_flight_bytes = "64MiB"`) + hec("h", `buffer_bytes = "8MiB"
  in_flight = 16
  batch { max_bytes = "2MiB" }`) + hec("k", "") + route("source.sls.a", "sink.splunk_hec.h, sink.splunk_hec.k"),
			// Lanes: 2 × 64MiB; bodies: min(16 × 2MiB, 8MiB) + 4 × 1MiB.
			want: memBudget{Sources: 128 * mib, Buffers: 24 * mib, Bodies: 12 * mib},
		},
		{
			name: "shared lane",
			src:  fmtSrc(sls, `lanes = "shared"`) + hec("h", "") + hec("k", "") + route("source.sls.a", "sink.splunk_hec.h, sink.splunk_hec.k"),
			want: memBudget{Sources: 32 * mib, Buffers: 32 * mib, Bodies: 8 * mib},
		},
		{
			name: "a demo source holds nothing of its own",
			src: `source "demo" "d" {}
sink "file" "f" { path = "-" }
` + route("source.demo.d", "sink.file.f"),
			want: memBudget{Buffers: 16 * mib, Bodies: 4 * mib}, // file: 1 × 4MiB
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := fwdtest.Compile(t, builtin.Registries(), tc.src)
			got := planBudget(p)
			if got != tc.want {
				t.Errorf("budget %+v, want %+v", got, tc.want)
			}
			if l := got.Limit(); l != gcHeadroom*tc.want.Held()+runtimeAllowance {
				t.Errorf("limit %d, want %d", l, gcHeadroom*tc.want.Held()+runtimeAllowance)
			}
		})
	}
}

func fmtSrc(format, attr string) string { return fmt.Sprintf(format, attr) }

func route(from, to string) string {
	return "route \"r\" {\n  from = [" + from + "]\n  to = [" + to + "]\n}\n"
}

// TestRunLogsMemoryLimit: `run` derives the soft memory limit from the plan
// by default and logs it with its parts (demo source: no window of its own;
// one HEC sink: 16MiB buffer + 4 × 1MiB bodies). A reload that adds a sink
// raises it, one that removes the sink lowers it again.
func TestRunLogsMemoryLimit(t *testing.T) {
	if os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOMEMLIMIT is set: run takes it instead")
	}
	hec := deadHEC(t)
	conf := func(sinks ...string) string {
		src := "source \"demo\" \"d\" { rate = 10 }\n"
		var to []string
		for _, s := range sinks {
			src += hecSinkBlock(s, hec)
			to = append(to, "sink.splunk_hec."+s)
		}
		return src + route("source.demo.d", strings.Join(to, ", "))
	}
	cfg := filepath.Join(t.TempDir(), "f.hcl")
	writeConf(t, cfg, conf("main"))
	p := startProc(t, cfg, "--admin=", "--no-watch", "--shutdown-timeout=0s")
	want := `msg="memory limit" limit=`
	waitUntil(t, "the memory limit log line", 20*time.Second, func() bool { return strings.Contains(p.log(), want) })
	for _, part := range []string{"flag=auto", "budget=20.0MiB", "source_windows=0.0MiB", "sink_buffers=16.0MiB", "request_bodies=4.0MiB"} {
		if !strings.Contains(p.log(), part) {
			t.Errorf("memory limit log line lacks %s:\n%s", part, p.log())
		}
	}
	for _, step := range []struct {
		sinks []string
		want  string
	}{
		{[]string{"main", "second"}, `msg="memory limit changed" limit=184.0MiB flag=auto budget=40.0MiB`},
		{[]string{"main"}, `msg="memory limit changed" limit=124.0MiB flag=auto budget=20.0MiB`},
	} {
		writeConf(t, cfg, conf(step.sinks...))
		p.signal(t, syscall.SIGHUP)
		waitUntil(t, step.want, 20*time.Second, func() bool { return strings.Contains(p.log(), step.want) })
	}
	p.signal(t, os.Interrupt)
	p.exitCode(10 * time.Second)
}
