// Command sidebyside measures forwarder against two peers on the same SLS
// emulator data and prints a side-by-side table:
//
//	go run ./bench/sidebyside [-events 300000] [-shards 4] [-runs 3] [-before /path/to/old/forwarder]
//	    [-systems fwd-file,sdkcount] [-fwd-args "--gc-percent=1000"] [-perf DIR]
//
// Systems: forwarder SLS → HEC (gzip off and on, no rules), forwarder SLS →
// file (stdout, piped to this program), a plain program on the unchanged SDK
// consumer library posting one batched encoding/json HEC POST per pull
// (bench/peers/sdkhec), and the SDK consumer library counting only
// (bench/peers/sdkcount, the SDK's decode ceiling). Each runs as its own
// process, alternating, -runs times; every run reads the whole logstore
// through a fresh consumer group and counts events at the receiver (the HEC
// receiver here, the stdout pipe, or the count-only peer's own count).
// MB are raw log bytes (keys + values, event.RawSize) per CPU-second of the
// system's process (user + sys, getrusage); peak RSS is its VmHWM. A
// backlog run follows: forwarder SLS → HEC against a slow receiver (every
// POST held 50 ms), reporting peak RSS.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	sdk "github.com/aliyun/aliyun-log-go-sdk"
	"github.com/klauspost/compress/gzip"

	"github.com/forwarder/forwarder/internal/slsemu"
	"github.com/forwarder/forwarder/sources/demo"
)

type system struct {
	name string
	kind string // "fwd-hec", "fwd-hec-gzip", "fwd-file", "sdkhec", "sdkcount"
	bin  string
}

type result struct {
	cpu, wall time.Duration
	rssKB     int64
	received  int64
}

var (
	fwdArgs, perfDir string

	received  atomic.Int64
	postDelay atomic.Int64 // ns each HEC POST is held (the backlog run's slow SIEM)
)

func main() {
	events := flag.Int("events", 300000, "events in the logstore")
	shards := flag.Int("shards", 4, "shards")
	perGroup := flag.Int("per-group", 200, "events per log group")
	runs := flag.Int("runs", 3, "alternating runs per system")
	before := flag.String("before", "", "an older forwarder binary to measure too (e.g. built from commit 9b1ef97)")
	backlog := flag.Bool("backlog", true, "add the backlog run (slow HEC receiver)")
	lanes := flag.Bool("lanes", false, "measure only the cost of lanes: SLS → HEC + file with lanes = per_sink (two consumer groups) vs shared (one)")
	only := flag.String("systems", "", "run only these systems, a comma-separated list of fwd-hec, fwd-hec-gzip, fwd-file, sdkhec, sdkcount (e.g. fwd-file,sdkcount)")
	flag.StringVar(&fwdArgs, "fwd-args", "", "extra flags for `forwarder run`, space-separated (e.g. \"--gc-percent=800\")")
	flag.StringVar(&perfDir, "perf", "", "run forwarder under `perf record -e cpu-clock -g`, writing DIR/<system>-<run>.data (profiling only: the figures then include perf)")
	flag.Parse()

	dir, err := os.MkdirTemp("", "sidebyside")
	check(err)
	defer os.RemoveAll(dir)
	build := func(name, pkg string) string {
		out := filepath.Join(dir, name)
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Stderr = os.Stderr
		check(cmd.Run())
		return out
	}
	fwd := build("forwarder", "./cmd/forwarder")
	systems := []system{
		{"forwarder SLS → HEC, gzip off", "fwd-hec", fwd},
		{"forwarder SLS → HEC, gzip on", "fwd-hec-gzip", fwd},
		{"forwarder SLS → file (stdout pipe)", "fwd-file", fwd},
	}
	if *lanes {
		systems = []system{
			{"forwarder SLS → HEC + file, lanes = per_sink (2 groups)", "fwd-2lanes", fwd},
			{"forwarder SLS → HEC + file, lanes = shared (1 group)", "fwd-shared", fwd},
		}
		*backlog = false
	} else if *before != "" {
		systems = append(systems,
			system{"before: forwarder SLS → HEC, gzip off", "fwd-hec", *before},
			system{"before: forwarder SLS → HEC, gzip on", "fwd-hec-gzip", *before},
			system{"before: forwarder SLS → file (stdout pipe)", "fwd-file", *before})
	}
	if !*lanes {
		systems = append(systems,
			system{"peer: SDK consumer + encoding/json HEC POST per pull", "sdkhec", build("sdkhec", "./bench/peers/sdkhec")},
			system{"peer: SDK consumer, count only", "sdkcount", build("sdkcount", "./bench/peers/sdkcount")})
	}

	if *only != "" {
		keep := strings.Split(*only, ",")
		systems = slices.DeleteFunc(systems, func(s system) bool { return !slices.Contains(keep, s.kind) })
		if len(systems) == 0 {
			log.Fatalf("-systems %q: no such system", *only)
		}
		*backlog = *backlog && systems[0].kind == "fwd-hec"
	}

	emu := slsemu.New(slsemu.Options{AccessKeyID: "bench", AccessKeySecret: "bench-secret", Logger: slog.New(slog.DiscardHandler)})
	check(emu.Start())
	defer emu.Close()
	check(emu.CreateProject("p", ""))
	check(emu.CreateLogstore("p", "audit", slsemu.LogstoreConfig{Shards: *shards}))
	raw := fill(emu, *events, *shards, *perGroup)
	hec := receiver()
	fmt.Printf("data: %d events, %.1f MB raw log bytes, %d shards, %d events per log group; %d alternating runs\n\n",
		*events, float64(raw)/1e6, *shards, *perGroup, *runs)

	res := make([][]result, len(systems))
	for r := range *runs {
		for i, s := range systems {
			res[i] = append(res[i], run(s, emu.Endpoint(), hec, fmt.Sprintf("g%d-%d", r, i), int64(*events), raw))
		}
	}
	table(systems, res, raw, int64(*events))
	if *backlog {
		postDelay.Store(int64(50 * time.Millisecond))
		b := run(systems[0], emu.Endpoint(), hec, "backlog", int64(*events), raw)
		fmt.Printf("\nbacklog run (%s, every HEC POST held 50 ms): peak RSS %.0f MB, %d events at the receiver, %.1f MB/s wall\n",
			systems[0].name, float64(b.rssKB)/1024, b.received, float64(raw)/1e6/b.wall.Seconds())
	}
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

// fill writes n demo events (ActionTrail, OSS, WAF), perGroup to a log
// group, round robin over the shards, and returns their raw bytes.
func fill(emu *slsemu.Server, n, shards, perGroup int) int64 {
	g := demo.NewGenerator(5, time.Unix(1795939202, 0))
	var raw int64
	for grp, i := 0, 0; i < n; grp++ {
		var logs []*sdk.Log
		var topic, source string
		for ; len(logs) < perGroup && i < n; i++ {
			ev := g.Next()
			raw += int64(ev.RawSize())
			topic, source = ev.Topic, ev.Source
			logs = append(logs, slsemu.LogFromEvent(ev))
		}
		recv := "__receive_time__"
		ts := "1795939202"
		_, err := emu.AppendLogGroupToShard("p", "audit", grp%shards, &sdk.LogGroup{Logs: logs, Topic: &topic, Source: &source,
			LogTags: []*sdk.LogTag{{Key: &recv, Value: &ts}}})
		check(err)
	}
	return raw
}

// receiver is a HEC endpoint on 127.0.0.1 that counts the events of every
// accepted POST (one JSON object per line, as both forwarder and the peer
// send them).
func receiver() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Splunk bench-token" {
			http.Error(w, `{"text":"Invalid token","code":4}`, http.StatusForbidden)
			return
		}
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, `{"text":"bad gzip","code":6}`, http.StatusBadRequest)
				return
			}
			body = zr
		}
		b, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, `{"text":"bad body","code":6}`, http.StatusBadRequest)
			return
		}
		if d := postDelay.Load(); d > 0 {
			time.Sleep(time.Duration(d))
		}
		received.Add(int64(bytes.Count(b, []byte("\n"))))
		_, _ = w.Write([]byte(`{"text":"Success","code":0}`))
	}))
	return "http://" + ln.Addr().String()
}

const fwdConfig = `
source "sls" "audit" {
  endpoint          = %q
  project           = "p"
  logstore          = "audit"
  consumer_group    = %q
  consumer_name     = "bench-1"
  access_key_id     = "bench"
  access_key_secret = "bench-secret"
  fetch_interval    = "50ms"
  %s
}
%s
route "r" {
  from = [source.sls.audit]
  to   = [%s]
}
`

// run runs one system until n events have been received, then stops it.
func run(s system, endpoint, hec, group string, n, raw int64) result {
	received.Store(0)
	dir, err := os.MkdirTemp("", "run")
	check(err)
	defer os.RemoveAll(dir)
	var cmd *exec.Cmd
	switch s.kind {
	case "sdkhec":
		cmd = exec.Command(s.bin, "-endpoint", endpoint, "-group", group, "-hec", hec)
	case "sdkcount":
		cmd = exec.Command(s.bin, "-endpoint", endpoint, "-group", group, "-n", strconv.FormatInt(n, 10))
	default:
		sink, to := fmt.Sprintf(`sink "splunk_hec" "siem" {
  endpoint    = %q
  token       = "bench-token"
  compression = %q
}`, hec, map[bool]string{true: "gzip", false: "none"}[s.kind == "fwd-hec-gzip"]), "sink.splunk_hec.siem"
		lanes := ""
		switch s.kind {
		case "fwd-file":
			sink, to = `sink "file" "out" { path = "-" }`, "sink.file.out"
		case "fwd-2lanes", "fwd-shared":
			// Both sinks count into received: the target is every event twice.
			sink, to = sink+"\n"+`sink "file" "out" { path = "-" }`, to+", sink.file.out"
			n *= 2
			if s.kind == "fwd-shared" {
				lanes = `lanes = "shared"`
			}
		}
		cfg := filepath.Join(dir, "f.hcl")
		check(os.WriteFile(cfg, []byte(fmt.Sprintf(fwdConfig, endpoint, group, lanes, sink, to)), 0o600))
		args := append([]string{"run", "--admin=", "--no-watch", "--log-level=warn", "--progress=0"}, strings.Fields(fwdArgs)...)
		args = append(args, cfg)
		if perfDir != "" {
			args = append([]string{"record", "-q", "-e", "cpu-clock", "-g", "-o", filepath.Join(perfDir, s.kind+"-"+group+".data"), "--", s.bin}, args...)
			cmd = exec.Command("perf", args...)
		} else {
			cmd = exec.Command(s.bin, args...)
		}
	}
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	check(err)
	start := time.Now()
	check(cmd.Start())
	counted := make(chan struct{})
	go func() {
		defer close(counted)
		br := bufio.NewReaderSize(stdout, 1<<20)
		if s.kind == "sdkcount" {
			line, _ := br.ReadString('\n')
			v, _ := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
			received.Store(v)
			return
		}
		buf := make([]byte, 1<<20)
		for {
			k, err := br.Read(buf)
			if s.kind == "fwd-file" || s.kind == "fwd-2lanes" || s.kind == "fwd-shared" {
				received.Add(int64(bytes.Count(buf[:k], []byte("\n"))))
			}
			if err != nil {
				return
			}
		}
	}()
	// Peak RSS is the child's VmHWM, polled until it exits: ru_maxrss would
	// report this (large) process's RSS, which the child's address space
	// had until its exec.
	var hwm atomic.Int64
	exited := make(chan struct{})
	go func() {
		for {
			if v := vmHWM(cmd.Process.Pid); v > hwm.Load() {
				hwm.Store(v)
			}
			select {
			case <-exited:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	deadline := time.Now().Add(10 * time.Minute)
	for received.Load() < n && time.Now().Before(deadline) {
		select {
		case <-counted:
			if s.kind == "sdkcount" {
				deadline = time.Now()
			}
		case <-time.After(10 * time.Millisecond):
		}
	}
	wall := time.Since(start)
	if s.kind != "sdkcount" {
		_ = cmd.Process.Signal(syscall.SIGTERM)
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			_ = cmd.Process.Kill()
		}
	}()
	<-counted
	_ = cmd.Wait()
	close(done)
	close(exited)
	time.Sleep(200 * time.Millisecond) // anything still in flight arrives, and is counted
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	r := result{cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), wall: wall, rssKB: hwm.Load(), received: received.Load()}
	fmt.Fprintf(os.Stderr, "  %-55s %7.1f MB/cpu-s %7.1f MB/s wall %5.0f MB RSS %d events\n", s.name,
		float64(raw)/1e6/r.cpu.Seconds(), float64(raw)/1e6/r.wall.Seconds(), float64(r.rssKB)/1024, r.received)
	return r
}

// vmHWM is a process's peak resident set in KiB (/proc/PID/status), 0 once
// it is gone.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

func table(systems []system, res [][]result, raw, n int64) {
	stats := func(rs []result, f func(result) float64) (lo, med, hi float64) {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[0], v[len(v)/2], v[len(v)-1]
	}
	mbcpu := func(r result) float64 { return float64(raw) / 1e6 / r.cpu.Seconds() }
	var plain, count float64
	for i, s := range systems {
		_, med, _ := stats(res[i], mbcpu)
		switch s.kind {
		case "sdkhec":
			plain = med
		case "sdkcount":
			count = med
		}
	}
	fmt.Println("| system | MB per CPU-s (min / median / max) | wall MB/s (median) | peak RSS MB (median) | events at receiver | × plain SDK HEC | × SDK count-only |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for i, s := range systems {
		lo, med, hi := stats(res[i], mbcpu)
		_, wall, _ := stats(res[i], func(r result) float64 { return float64(raw) / 1e6 / r.wall.Seconds() })
		_, rss, _ := stats(res[i], func(r result) float64 { return float64(r.rssKB) / 1024 })
		got, want := "all exactly once", n
		if s.kind == "fwd-2lanes" || s.kind == "fwd-shared" {
			got, want = "all exactly once at both sinks", 2*n
		}
		for _, r := range res[i] {
			if r.received != want {
				got = fmt.Sprintf("%d of %d in a run", r.received, want)
			}
		}
		ratio := func(base float64) string {
			if base == 0 {
				return "–"
			}
			return fmt.Sprintf("%.2f", med/base)
		}
		fmt.Printf("| %s | %.0f / %.0f / %.0f | %.0f | %.0f | %s | %s | %s |\n", s.name, lo, med, hi, wall, rss, got, ratio(plain), ratio(count))
	}
}
