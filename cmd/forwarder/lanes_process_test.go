package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/forwarder/forwarder/sinks/splunkhec/hectest"
	"github.com/forwarder/forwarder/sinks/syslog/rsyslogtest"
)

// rssMiB reads a process's resident set size.
func rssMiB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// syslogSeqs counts demo_seq values of the JSON bodies rsyslog received.
func syslogSeqs(t *testing.T, srv *rsyslogtest.Server) map[int]int {
	t.Helper()
	msgs, err := srv.Messages()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	for _, m := range msgs {
		var ev struct {
			Seq string `json:"demo_seq"`
		}
		if json.Unmarshal([]byte(strings.TrimSpace(m.Msg)), &ev) != nil {
			continue
		}
		n, _ := strconv.Atoi(ev.Seq)
		seen[n]++
	}
	return seen
}

// TestLanesSIEMOutage: an SLS source fans out to Splunk HEC and to real
// rsyslog over TCP. HEC is down (503 busy) for two minutes (20 s outside
// CI) while more events than the in-flight window arrive, and the
// forwarder is killed with SIGKILL and restarted in the middle of it.
// rsyslog receives every event during the outage (its lane's checkpoints
// advance); HEC receives every event after recovery; RSS stays flat.
func TestLanesSIEMOutage(t *testing.T) {
	outage := 20 * time.Second
	if os.Getenv("CI") == "true" {
		outage = 2 * time.Minute
	}
	const total = 30000 // window per lane: 2 shards × 4 pulls × 2 groups × 200 = 3,200 events
	emu := procEmulator(t, "lanes", 2)
	hec := hectest.New(t, hectest.Config{})
	rs := rsyslogtest.Start(t, rsyslogtest.Options{})
	cfg := filepath.Join(t.TempDir(), "f.hcl")
	writeConf(t, cfg, slsSourceBlock(emu, "lanes", "siem", `fetch_log_groups = 2`)+hecSinkBlock("soc", hec.URL())+fmt.Sprintf(`
sink "syslog" "qradar" {
  address  = %q
  protocol = "tcp"
  ack_hold = "10ms"
}
route "r" {
  from = [source.sls.audit]
  to   = [sink.splunk_hec.soc, sink.syslog.qradar]
}
`, rs.TCPAddr))
	hec.SetBusy(true)
	outageStart := time.Now()
	f := startFeeder(t, emu, "lanes", 2, total, total*2/int(outage.Seconds()))
	p := startProc(t, cfg, "--admin=", "--no-watch")
	var rss []float64
	sample := func(p *proc) {
		if r := rssMiB(p.cmd.Process.Pid); r > 0 {
			rss = append(rss, r)
		}
	}
	// Halfway through the feed: SIGKILL and restart.
	waitUntil(t, "half the events at rsyslog", outage, func() bool { sample(p); return len(syslogSeqs(t, rs)) >= total/3 })
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.exitCode(10 * time.Second)
	p = startProc(t, cfg, "--admin=", "--no-watch")
	f.wait()
	waitUntil(t, "every event at rsyslog while HEC is down", outage, func() bool {
		sample(p)
		lost, _ := lostAndDuplicated(syslogSeqs(t, rs), total)
		return lost == 0
	})
	if hec.EventCount() != 0 {
		t.Fatalf("HEC indexed %d events while busy", hec.EventCount())
	}
	for time.Since(outageStart) < outage {
		sample(p)
		time.Sleep(time.Second)
	}
	hec.SetBusy(false)
	waitUntil(t, "every event at HEC after recovery", 2*time.Minute, func() bool {
		sample(p)
		lost, _ := lostAndDuplicated(hecSeqs(t, hec), total)
		return lost == 0
	})
	p.signal(t, syscall.SIGTERM)
	if code := p.exitCode(30 * time.Second); code != 0 {
		t.Errorf("exit code %d after SIGTERM", code)
	}
	sLost, sDups := lostAndDuplicated(syslogSeqs(t, rs), total)
	hLost, hDups := lostAndDuplicated(hecSeqs(t, hec), total)
	peak, first := 0.0, 0.0
	for i, r := range rss {
		peak = max(peak, r)
		if i == len(rss)/4 {
			first = r
		}
	}
	t.Logf("lanes, %v HEC outage with a SIGKILL: rsyslog lost %d dup %d; HEC lost %d dup %d; RSS samples %d, quarter-way %.0f MiB, peak %.0f MiB",
		outage, sLost, sDups, hLost, hDups, len(rss), first, peak)
	if sLost != 0 || hLost != 0 {
		t.Errorf("lost events: rsyslog %d, HEC %d", sLost, hLost)
	}
	if peak > 400 {
		t.Errorf("peak RSS %.0f MiB during the outage", peak)
	}
}
