package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	sdk "github.com/aliyun/aliyun-log-go-sdk"
	"github.com/rogpeppe/go-internal/testscript"
	"go.uber.org/goleak"

	"github.com/forwarder/forwarder/internal/slsemu"
	"github.com/forwarder/forwarder/sources/demo"
)

// TestMain lets the test binary act as the forwarder: with
// FORWARDER_TEST_MAIN=1 it runs the CLI, so tests start real processes that
// can be killed with SIGKILL; testscript scripts (script_test.go) run it as
// the command "forwarder".
func TestMain(m *testing.M) {
	if os.Getenv("FORWARDER_TEST_MAIN") == "1" {
		os.Exit(realMain(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	// Every goroutine a command started (runCLI runs them in this process)
	// has ended when the tests end. testscript.Main calls os.Exit itself,
	// so the check runs inside the TestingM it is given.
	testscript.Main(leakCheckedM{m}, map[string]func(){
		"forwarder": func() { os.Exit(realMain(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// leakCheckedM runs the tests, then fails the run if a goroutine is left.
type leakCheckedM struct{ m *testing.M }

func (l leakCheckedM) Run() int {
	code := l.m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	return code
}

const (
	procProject = "audit-prod"
	procAK      = "LTAI5tProcTest"
	procSecret  = "proc-secret"
)

// feeder appends demo events to the emulator at a steady rate, as SLS
// receives them, until stopped; it records how many it wrote.
type feeder struct {
	emu      *slsemu.Server
	logstore string
	shards   int
	mu       sync.Mutex
	written  int
	stop     chan struct{}
	done     chan struct{}
}

func startFeeder(t *testing.T, emu *slsemu.Server, logstore string, shards, total, perSecond int) *feeder {
	f := &feeder{emu: emu, logstore: logstore, shards: shards, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(f.done)
		g := demo.NewGenerator(9, time.Unix(1795939202, 0))
		const perGroup = 200
		tick := time.NewTicker(time.Second * perGroup / time.Duration(perSecond))
		defer tick.Stop()
		for grp := 0; f.count() < total; grp++ {
			select {
			case <-f.stop:
				return
			case <-tick.C:
			}
			var logs []*sdk.Log
			for len(logs) < perGroup && f.count()+len(logs) < total {
				logs = append(logs, slsemu.LogFromEvent(g.Next()))
			}
			topic := demo.TopicActionTrail
			if _, err := emu.AppendLogGroupToShard(procProject, logstore, grp%shards, &sdk.LogGroup{Logs: logs, Topic: &topic}); err != nil {
				t.Error(err)
				return
			}
			f.mu.Lock()
			f.written += len(logs)
			f.mu.Unlock()
		}
	}()
	return f
}

func (f *feeder) count() int { f.mu.Lock(); defer f.mu.Unlock(); return f.written }
func (f *feeder) wait()      { <-f.done }

func procEmulator(t *testing.T, logstore string, shards int) *slsemu.Server {
	t.Helper()
	emu := slsemu.New(slsemu.Options{AccessKeyID: procAK, AccessKeySecret: procSecret})
	if err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	if err := emu.CreateProject(procProject, ""); err != nil {
		t.Fatal(err)
	}
	if err := emu.CreateLogstore(procProject, logstore, slsemu.LogstoreConfig{Shards: shards}); err != nil {
		t.Fatal(err)
	}
	return emu
}

// forwarder starts the forwarder as a child process reading the logstore
// into out, as consumer `name`; extra lines go into the source block.
func forwarder(t *testing.T, emu *slsemu.Server, logstore, name, out string, extra ...string) *exec.Cmd {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "f.hcl")
	src := fmt.Sprintf(`
source "sls" "audit" {
  endpoint            = %q
  project             = %q
  logstore            = %q
  consumer_group      = "siem"
  consumer_name       = %q
  access_key_id       = env("PROC_AK")
  access_key_secret   = env("PROC_SECRET")
  heartbeat_interval  = "1s"
  fetch_interval      = "50ms"
  checkpoint_interval = "100ms"
  %s
}
sink "file" "out" {
  path = %q
}
route "r" {
  from = [source.sls.audit]
  to   = [sink.file.out]
}
`, emu.Endpoint(), procProject, logstore, name, strings.Join(extra, "\n  "), out)
	if err := os.WriteFile(cfg, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "run", "--admin=", "--no-watch", "--log-level=warn", cfg)
	cmd.Env = append(os.Environ(), "FORWARDER_TEST_MAIN=1", "PROC_AK="+procAK, "PROC_SECRET="+procSecret)
	cmd.Stderr = &prefixWriter{t: t, name: name}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd
}

type prefixWriter struct {
	t    *testing.T
	name string
}

func (w *prefixWriter) Write(p []byte) (int, error) {
	w.t.Logf("[%s] %s", w.name, p)
	return len(p), nil
}

// seqs reads demo_seq values from NDJSON files (a line cut short by SIGKILL
// is skipped: it was never acknowledged).
func seqs(t *testing.T, paths ...string) map[int]int {
	t.Helper()
	seen := map[int]int{}
	for _, p := range paths {
		f, err := os.Open(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var ev struct {
				Seq string `json:"demo_seq"`
			}
			if json.Unmarshal(sc.Bytes(), &ev) != nil {
				continue
			}
			n, _ := strconv.Atoi(ev.Seq)
			seen[n]++
		}
		f.Close()
	}
	return seen
}

func waitUntil(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func lostAndDuplicated(seen map[int]int, total int) (lost, dups int) {
	for i := 1; i <= total; i++ {
		if seen[i] == 0 {
			lost++
		}
		if seen[i] > 1 {
			dups += seen[i] - 1
		}
	}
	return
}

// TestKill9AndRestart: SIGKILL a forwarder mid-stream, start it again with
// the same consumer name: every event arrives at least once; duplicates are
// bounded by what was in flight and not yet checkpointed.
func TestKill9AndRestart(t *testing.T) {
	const total = 60000
	emu := procEmulator(t, "kill", 4)
	feed := startFeeder(t, emu, "kill", 4, total, 20000)
	out := filepath.Join(t.TempDir(), "out.ndjson")
	a := forwarder(t, emu, "kill", "fwd-a", out)
	waitUntil(t, "a third of the stream", 60*time.Second, func() bool { return len(seqs(t, out)) > total/3 })
	if err := a.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = a.Wait()
	before := len(seqs(t, out))
	b := forwarder(t, emu, "kill", "fwd-a", out)
	feed.wait()
	waitUntil(t, "every event after the restart", 90*time.Second, func() bool { return len(seqs(t, out)) == total })
	_ = b.Process.Signal(syscall.SIGTERM)
	_ = b.Wait()
	lost, dups := lostAndDuplicated(seqs(t, out), total)
	t.Logf("killed after %d events; %d events, lost %d, duplicated %d", before, total, lost, dups)
	if lost != 0 {
		t.Errorf("lost %d events", lost)
	}
	// The replay is what was past the last checkpoint: at most the
	// in-flight window (4 shards × 4 pulls × 100 groups × 200 logs) and in
	// practice one checkpoint interval's worth.
	if dups > 4*4*100*200 {
		t.Errorf("%d duplicates exceed the in-flight window", dups)
	}
}

// TestKill9StartEndDuringOutage: with start = "end", events written after
// the shards were assigned are pulled while the sink is down (its
// directory does not exist yet), and the process is SIGKILLed before any
// acknowledgement. The restart resumes at the start position committed on
// assignment: no event is skipped.
func TestKill9StartEndDuringOutage(t *testing.T) {
	const shards, total = 2, 1000
	emu := procEmulator(t, "fresh", shards)
	dir := filepath.Join(t.TempDir(), "siem")
	out := filepath.Join(dir, "out.ndjson")
	a := forwarder(t, emu, "fresh", "fwd-a", out, `start = "end"`)
	waitUntil(t, "the start positions", 30*time.Second, func() bool { return emu.RequestCount(slsemu.APIGetCursor) >= shards })
	time.Sleep(500 * time.Millisecond) // let the checkpoint calls after GetCursor land
	g := demo.NewGenerator(9, time.Unix(1795939202, 0))
	for i := range total / 100 {
		logs := make([]*sdk.Log, 100)
		for j := range logs {
			logs[j] = slsemu.LogFromEvent(g.Next())
		}
		if _, err := emu.AppendLogGroupToShard(procProject, "fresh", i%shards, &sdk.LogGroup{Logs: logs}); err != nil {
			t.Fatal(err)
		}
	}
	// Every written group pulled (and not delivered: the sink is down).
	waitUntil(t, "the written groups pulled", 30*time.Second, func() bool { return emu.PulledGroups() >= total/100 })
	if err := a.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = a.Wait()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b := forwarder(t, emu, "fresh", "fwd-a", out, `start = "end"`)
	waitUntil(t, "every event after the restart", 60*time.Second, func() bool { return len(seqs(t, out)) == total })
	_ = b.Process.Signal(syscall.SIGTERM)
	_ = b.Wait()
	if lost, _ := lostAndDuplicated(seqs(t, out), total); lost != 0 {
		t.Errorf("lost %d events", lost)
	}
}

// TestTwoProcessesShareAndFailOver: two forwarders in one group split the
// shards; SIGKILL one; the other takes its shards over after the group
// timeout; nothing is lost and no shard was ever held by two consumers.
func TestTwoProcessesShareAndFailOver(t *testing.T) {
	const total = 60000
	emu := procEmulator(t, "pair", 4)
	feed := startFeeder(t, emu, "pair", 4, total, 15000)
	outA := filepath.Join(t.TempDir(), "a.ndjson")
	outB := filepath.Join(t.TempDir(), "b.ndjson")
	a := forwarder(t, emu, "pair", "fwd-a", outA)
	b := forwarder(t, emu, "pair", "fwd-b", outB)
	waitUntil(t, "a 2/2 split", 30*time.Second, func() bool {
		as, err := emu.Assignments(procProject, "pair", "siem-file-out")
		if err != nil {
			return false
		}
		n := map[string]int{}
		for _, owner := range as {
			n[owner]++
		}
		return n["fwd-a"] == 2 && n["fwd-b"] == 2
	})
	waitUntil(t, "both consuming", 30*time.Second, func() bool { return len(seqs(t, outA)) > 0 && len(seqs(t, outB)) > 0 })
	if err := a.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = a.Wait()
	waitUntil(t, "b owning all 4 shards", 30*time.Second, func() bool {
		as, err := emu.Assignments(procProject, "pair", "siem-file-out")
		if err != nil || len(as) != 4 {
			return false
		}
		for _, owner := range as {
			if owner != "fwd-b" {
				return false
			}
		}
		return true
	})
	feed.wait()
	waitUntil(t, "every event", 90*time.Second, func() bool { return len(seqs(t, outA, outB)) == total })
	_ = b.Process.Signal(syscall.SIGTERM)
	_ = b.Wait()
	lost, dups := lostAndDuplicated(seqs(t, outA, outB), total)
	t.Logf("%d events, lost %d, duplicated %d", total, lost, dups)
	if lost != 0 {
		t.Errorf("lost %d events", lost)
	}
	if v, err := emu.Violations(procProject, "pair", "siem-file-out"); err != nil || len(v) > 0 {
		t.Errorf("a shard was held by two consumers: %v %v", v, err)
	}
}
