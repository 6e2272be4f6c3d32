package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/forwarder/forwarder/internal/slsemu"
	"github.com/forwarder/forwarder/sinks/splunkhec/hectest"
)

// proc is a forwarder child process with its stderr captured.
type proc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs strings.Builder
	done chan struct{}
	err  error
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.Write(b)
}

func (p *proc) log() string { p.mu.Lock(); defer p.mu.Unlock(); return p.logs.String() }

// exitCode waits up to d for the process to exit and returns its code, or
// -1 if it is still running.
func (p *proc) exitCode(d time.Duration) int {
	select {
	case <-p.done:
		var ee *exec.ExitError
		if errors.As(p.err, &ee) {
			return ee.ExitCode()
		}
		if p.err != nil {
			return -2
		}
		return 0
	case <-time.After(d):
		return -1
	}
}

func (p *proc) signal(t *testing.T, s os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(s); err != nil {
		t.Fatal(err)
	}
}

// startProc runs `forwarder run ARGS… CFG` with the SLS test keys in its
// environment.
func startProc(t *testing.T, cfg string, args ...string) *proc {
	t.Helper()
	p := &proc{done: make(chan struct{})}
	p.cmd = exec.Command(os.Args[0], append(append([]string{"run"}, args...), cfg)...)
	p.cmd.Env = append(os.Environ(), "FORWARDER_TEST_MAIN=1", "PROC_AK="+procAK, "PROC_SECRET="+procSecret, "HEC_TOKEN="+hectest.DefaultToken)
	p.cmd.Stderr = p
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		if p.exitCode(0) == -1 {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("forwarder log:\n%s", p.log())
		}
	})
	return p
}

func writeConf(t *testing.T, path, src string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// hecSeqs counts demo_seq values of the events a HEC test server indexed.
func hecSeqs(t *testing.T, h *hectest.Server) map[int]int {
	t.Helper()
	seen := map[int]int{}
	for _, e := range h.Events() {
		var ev struct {
			Seq string `json:"demo_seq"`
		}
		if err := json.Unmarshal(e.Event, &ev); err != nil {
			t.Fatalf("HEC event %s: %v", e.Event, err)
		}
		n, _ := strconv.Atoi(ev.Seq)
		seen[n]++
	}
	return seen
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// deadHEC is an address where nothing listens.
func deadHEC(t *testing.T) string { return "http://" + freeAddr(t) }

func slsSourceBlock(emu *slsemu.Server, logstore, group, extra string) string {
	return fmt.Sprintf(`
source "sls" "audit" {
  endpoint            = %q
  project             = %q
  logstore            = %q
  consumer_group      = %q
  consumer_name       = "c1"
  access_key_id       = env("PROC_AK")
  access_key_secret   = env("PROC_SECRET")
  heartbeat_interval  = "1s"
  fetch_interval      = "50ms"
  checkpoint_interval = "200ms"
  %s
}
`, emu.Endpoint(), procProject, logstore, group, extra)
}

func hecSinkBlock(name, endpoint string) string {
	return fmt.Sprintf(`
sink "splunk_hec" %q {
  endpoint    = %q
  token       = env("HEC_TOKEN")
  compression = "none"
  retry {
    initial_backoff = "50ms"
    max_backoff     = "25s"
  }
}
`, name, endpoint)
}

// TestReloadEveryBlockKindUnderLoad: while events stream in, a sequence of
// reloads changes a rule, a source (twice: an attribute, then the group), a
// sink, adds and removes a sink, adds a test block and a route. The process
// keeps running through all of them and no event is lost.
func TestReloadEveryBlockKindUnderLoad(t *testing.T) {
	const total = 24000
	emu := procEmulator(t, "reload-all", 2)
	hec := hectest.New(t, hectest.Config{})
	dir := t.TempDir()
	cfg := filepath.Join(dir, "f.hcl")
	extraOut := filepath.Join(dir, "extra.ndjson")
	conf := func(step int) string {
		group, fetch := "siem", "50ms"
		if step >= 2 {
			fetch = "80ms"
		}
		if step >= 3 {
			group = "siem-v2" // a new group starts from the start position: duplicates, never loss
		}
		src := slsSourceBlock(emu, "reload-all", group, `fetch_interval_placeholder = 1`)
		src = strings.Replace(src, `fetch_interval      = "50ms"`, `fetch_interval      = "`+fetch+`"`, 1)
		src = strings.Replace(src, "fetch_interval_placeholder = 1", `start = "begin"`, 1)
		mark := "'v1'"
		if step >= 1 {
			mark = "'v2'"
		}
		sink := hecSinkBlock("main", hec.URL())
		if step >= 4 {
			sink = strings.Replace(sink, `max_backoff     = "25s"`, `max_backoff     = "20s"`, 1)
		}
		s := src + sink + `
rule "mark" {
  set = { mark = "` + mark + `" }
}
route "r" {
  from  = [source.sls.audit]
  rules = [rule.mark]
  to    = [sink.splunk_hec.main` + map[bool]string{true: ", sink.file.extra", false: ""}[step == 5] + `]
}
`
		if step == 5 {
			s += "sink \"file\" \"extra\" {\n  path = \"" + extraOut + "\"\n}\n"
		}
		if step >= 6 {
			s += `
test "marks" {
  route  = route.r
  input  = { a = "1" }
  expect = { mark = "v2" }
}
`
		}
		if step >= 7 {
			s += "sink \"file\" \"second\" {\n  path = \"" + filepath.Join(dir, "second.ndjson") + "\"\n}\n" +
				"route \"second\" {\n  from = [source.sls.audit]\n  to   = [sink.file.second]\n}\n"
		}
		return s
	}
	writeConf(t, cfg, conf(0))
	p := startProc(t, cfg, "--admin=", "--no-watch", "--log-level=info")
	f := startFeeder(t, emu, "reload-all", 2, total, 4000)
	for step := 1; step <= 8; step++ {
		time.Sleep(700 * time.Millisecond)
		writeConf(t, cfg, conf(min(step, 7)))
		if step == 8 { // step 8 removes nothing new: re-apply 7 after 6 removed the extra sink
			writeConf(t, cfg, conf(6))
		}
		p.signal(t, syscall.SIGHUP)
		if code := p.exitCode(0); code != -1 {
			t.Fatalf("process exited with %d after reload %d", code, step)
		}
	}
	f.wait()
	waitUntil(t, "every event at HEC", 60*time.Second, func() bool {
		lost, _ := lostAndDuplicated(hecSeqs(t, hec), total)
		return lost == 0
	})
	if code := p.exitCode(0); code != -1 {
		t.Fatalf("process exited with %d", code)
	}
	if !strings.Contains(p.log(), "reloaded") {
		t.Error("no reload was logged")
	}
	p.signal(t, syscall.SIGTERM)
	if code := p.exitCode(30 * time.Second); code != 0 {
		t.Errorf("exit code %d after a clean SIGTERM, want 0", code)
	}
	lost, dups := lostAndDuplicated(hecSeqs(t, hec), total)
	t.Logf("reloads under load: %d events, lost %d, duplicated %d (a new consumer group re-reads from begin)", total, lost, dups)
	if lost != 0 {
		t.Errorf("lost %d events", lost)
	}
}

// TestDeadSinkFixReachesCorrectedSink: the HEC sink points at a dead
// address; the user saves the corrected address; every event reaches the
// corrected sink within seconds, not after the drain timeout.
func TestDeadSinkFixReachesCorrectedSink(t *testing.T) {
	const total = 5000
	emu := procEmulator(t, "dead-fix", 4)
	hec := hectest.New(t, hectest.Config{})
	cfg := filepath.Join(t.TempDir(), "f.hcl")
	conf := func(endpoint string) string {
		return slsSourceBlock(emu, "dead-fix", "siem", `in_flight = 4`) + hecSinkBlock("main", endpoint) + `
route "r" {
  from = [source.sls.audit]
  to   = [sink.splunk_hec.main]
}
`
	}
	writeConf(t, cfg, conf(deadHEC(t)))
	f := startFeeder(t, emu, "dead-fix", 4, total, 50000)
	f.wait()
	p := startProc(t, cfg, "--admin=", "--no-watch", "--log-level=info")
	waitUntil(t, "retries against the dead address", 20*time.Second, func() bool { return strings.Contains(p.log(), "retrying") })
	writeConf(t, cfg, conf(hec.URL()))
	fixed := time.Now()
	p.signal(t, syscall.SIGHUP)
	waitUntil(t, "every event at the corrected sink", 10*time.Second, func() bool {
		lost, _ := lostAndDuplicated(hecSeqs(t, hec), total)
		return lost == 0
	})
	took := time.Since(fixed)
	_, dups := lostAndDuplicated(hecSeqs(t, hec), total)
	t.Logf("dead-sink fix: all %d events at the corrected sink %v after the save; %d duplicates", total, took.Round(time.Millisecond), dups)
	if took > 5*time.Second {
		t.Errorf("corrected sink complete after %v, want within 5s", took)
	}
}

// retryingToDeadHEC starts a forwarder whose only sink points at a dead
// address, and returns once it is retrying.
func retryingToDeadHEC(t *testing.T, shutdownTimeout string) *proc {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "f.hcl")
	writeConf(t, cfg, `
source "demo" "d" { rate = 2000 }
`+hecSinkBlock("main", deadHEC(t))+`
route "r" {
  from = [source.demo.d]
  to   = [sink.splunk_hec.main]
}
`)
	p := startProc(t, cfg, "--admin=", "--no-watch", "--shutdown-timeout="+shutdownTimeout)
	waitUntil(t, "retries", 20*time.Second, func() bool { return strings.Contains(p.log(), "retrying") })
	return p
}

// TestSecondSignalExitsAtOnce: with the sink down, the first SIGINT starts a
// graceful shutdown that would wait 30 s; a second SIGINT exits within a
// second, with the undelivered exit code.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	p := retryingToDeadHEC(t, "30s")
	p.signal(t, os.Interrupt)
	time.Sleep(500 * time.Millisecond)
	if code := p.exitCode(0); code != -1 {
		t.Fatalf("exited with %d before the second signal", code)
	}
	p.signal(t, os.Interrupt)
	start := time.Now()
	code := p.exitCode(5 * time.Second)
	if took := time.Since(start); code == -1 || took > time.Second {
		t.Errorf("second SIGINT: exit after %v (code %d), want within 1s", took, code)
	}
	if code != exitUndelivered {
		t.Errorf("exit code %d, want %d (undelivered)", code, exitUndelivered)
	}
}

// TestUndeliveredShutdownExitCode: a SIGTERM whose deadline passes with
// batches undelivered exits with the documented code, after logging what is
// pending (a shutdown that delivered everything exits 0:
// TestReloadEveryBlockKindUnderLoad).
func TestUndeliveredShutdownExitCode(t *testing.T) {
	p := retryingToDeadHEC(t, "6s")
	p.signal(t, syscall.SIGTERM)
	if code := p.exitCode(20 * time.Second); code != exitUndelivered {
		t.Errorf("exit code %d, want %d", code, exitUndelivered)
	}
	log := p.log()
	if !strings.Contains(log, "shutdown: waiting for sink") || !strings.Contains(log, "last_error") {
		t.Errorf("no pending report naming the sink and its last error in the log")
	}
	if strings.Contains(log, "sources did not stop") {
		t.Error("the log blames the sources for a sink outage")
	}
}

// TestAdminPortClashExitsBeforeJoining: when the admin address is taken, the
// process exits non-zero, naming --admin, before it joins the consumer group.
func TestAdminPortClashExitsBeforeJoining(t *testing.T) {
	emu := procEmulator(t, "clash", 2)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := filepath.Join(t.TempDir(), "f.hcl")
	writeConf(t, cfg, slsSourceBlock(emu, "clash", "siem", "")+`
sink "file" "out" { path = "`+filepath.Join(t.TempDir(), "out")+`" }
route "r" {
  from = [source.sls.audit]
  to   = [sink.file.out]
}
`)
	p := startProc(t, cfg, "--admin="+ln.Addr().String(), "--no-watch")
	if code := p.exitCode(10 * time.Second); code != exitFailed {
		t.Fatalf("exit code %d, want %d", code, exitFailed)
	}
	if !strings.Contains(p.log(), "--admin") {
		t.Errorf("the error does not name --admin:\n%s", p.log())
	}
	if gi, err := emu.Group(procProject, "clash", "siem-file-out"); err == nil && len(gi.Consumers) > 0 {
		t.Errorf("the process joined the consumer group: %+v", gi.Consumers)
	}
}

// TestReloadStatusClearsAfterFix: after a rejected edit, saving the fix
// (identical to the running plan) sets the success gauge back to 1 and logs
// that the configuration is valid again.
func TestReloadStatusClearsAfterFix(t *testing.T) {
	admin := freeAddr(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "f.hcl")
	good := `
source "demo" "d" { rate = 100 }
sink "file" "out" { path = "` + filepath.Join(dir, "out") + `" }
route "r" {
  from = [source.demo.d]
  to   = [sink.file.out]
}
`
	writeConf(t, cfg, good)
	p := startProc(t, cfg, "--admin="+admin, "--no-watch")
	gauge := func() string {
		resp, err := http.Get("http://" + admin + "/metrics")
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return grep(string(b), "forwarder_config_last_reload_successful ")
	}
	waitUntil(t, "admin server", 10*time.Second, func() bool { return gauge() != "" })
	writeConf(t, cfg, good+"\nroute \"broken\" {\n")
	p.signal(t, syscall.SIGHUP)
	waitUntil(t, "gauge 0 after a broken edit", 10*time.Second, func() bool { return gauge() == "forwarder_config_last_reload_successful 0" })
	writeConf(t, cfg, good)
	p.signal(t, syscall.SIGHUP)
	waitUntil(t, "gauge 1 after the fix", 10*time.Second, func() bool { return gauge() == "forwarder_config_last_reload_successful 1" })
	waitUntil(t, "the fix logged", 5*time.Second, func() bool { return strings.Contains(p.log(), "configuration is valid again") })
}
