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
//
// With -backlog-shards the program runs only the backlog matrix instead:
//
//	go run ./bench/sidebyside -events 3000000 -backlog-shards 4,16,64
//
// For each shard count the logstore is filled with -events events, and
// forwarder SLS → HEC with default settings (gzip on, default windows and
// --memory-limit) reads the whole backlog against a fast receiver, a
// stalled one (every POST held 50–200 ms) and one that is down (503, HEC
// "server busy") from the 2nd to the 12th second of the run and then fast.
// It reports the forwarder's peak RSS (VmHWM) and, by each event's
// demo_seq, that every event arrived exactly once.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	kind string // "fwd-hec", "fwd-hec-gzip", "fwd-hec-default", "fwd-file", "sdkhec", "sdkcount"
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
	delayJit  atomic.Int64 // ns of random extra hold on top of postDelay
	down      atomic.Bool  // the receiver answers 503 (HEC 9, server busy)
	seen      *seqSet      // demo_seq of every accepted event, when tracked
)

// seqSet records which demo_seq numbers (1..n) arrived, and how often one
// arrived again.
type seqSet struct {
	mu              sync.Mutex
	bits            []uint64
	distinct, dupes int64
	bad             int64 // lines without a demo_seq in range
}

func newSeqSet(n int) *seqSet { return &seqSet{bits: make([]uint64, n/64+1)} }

var seqKey = []byte(`"demo_seq":"`)

// add records the demo_seq of every line of an accepted HEC body.
func (s *seqSet) add(body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for line := range bytes.SplitSeq(body, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		i := bytes.Index(line, seqKey)
		if i < 0 {
			s.bad++
			continue
		}
		v := line[i+len(seqKey):]
		if j := bytes.IndexByte(v, '"'); j >= 0 {
			v = v[:j]
		}
		n, err := strconv.Atoi(string(v))
		if err != nil || n < 1 || n/64 >= len(s.bits) {
			s.bad++
			continue
		}
		w, b := n/64, uint64(1)<<(n%64)
		if s.bits[w]&b != 0 {
			s.dupes++
			continue
		}
		s.bits[w] |= b
		s.distinct++
	}
}

func (s *seqSet) counts() (distinct, dupes, bad int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.distinct, s.dupes, s.bad
}

func main() {
	events := flag.Int("events", 300000, "events in the logstore")
	shards := flag.Int("shards", 4, "shards")
	perGroup := flag.Int("per-group", 200, "events per log group")
	runs := flag.Int("runs", 3, "alternating runs per system")
	before := flag.String("before", "", "an older forwarder binary to measure too (e.g. built from commit 9b1ef97)")
	backlog := flag.Bool("backlog", true, "add the backlog run (slow HEC receiver)")
	lanes := flag.Bool("lanes", false, "measure only the cost of lanes: SLS → HEC + file with lanes = per_sink (two consumer groups) vs shared (one)")
	matrix := flag.String("backlog-shards", "", "run only the backlog matrix on these shard counts (e.g. 4,16,64): fast, stalled and down-then-back receivers, peak RSS and exactly-once counts")
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
	if *matrix != "" {
		backlogMatrix(fwd, *matrix, *events, *perGroup)
		return
	}
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
		if d, j := postDelay.Load(), delayJit.Load(); d > 0 || j > 0 {
			time.Sleep(time.Duration(d + rand.Int64N(j+1)))
		}
		if down.Load() {
			http.Error(w, `{"text":"Server is busy","code":9}`, http.StatusServiceUnavailable)
			return
		}
		if seen != nil {
			seen.add(b)
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
		if s.kind == "fwd-hec-default" {
			sink = fmt.Sprintf(`sink "splunk_hec" "siem" {
  endpoint = %q
  token    = "bench-token"
}`, hec)
		}
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
	arrived := func() int64 {
		if seen != nil {
			d, _, _ := seen.counts()
			return d
		}
		return received.Load()
	}
	deadline := time.Now().Add(15 * time.Minute)
	for arrived() < n && time.Now().Before(deadline) {
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

// backlogMatrix runs forwarder SLS → HEC with default settings over a
// backlog of n events on each shard count, against a fast, a stalled and a
// down-then-back receiver, and prints peak RSS and exactly-once counts.
func backlogMatrix(fwd, shardList string, n, perGroup int) {
	hec := receiver()
	cases := []struct {
		name     string
		lo, jit  time.Duration
		outage   bool
		describe string
	}{
		{name: "fast", describe: "answers at once"},
		{name: "stalled", lo: 50 * time.Millisecond, jit: 150 * time.Millisecond, describe: "every POST held 50–200 ms"},
		{name: "down, then back", outage: true, describe: "503 (HEC 9) from the 2nd to the 12th second, then fast"},
	}
	type row struct {
		shards               int
		name                 string
		r                    result
		distinct, dupes, bad int64
		raw                  int64
	}
	var rows []row
	for _, f := range strings.Split(shardList, ",") {
		shards, err := strconv.Atoi(strings.TrimSpace(f))
		check(err)
		emu := slsemu.New(slsemu.Options{AccessKeyID: "bench", AccessKeySecret: "bench-secret", Logger: slog.New(slog.DiscardHandler)})
		check(emu.Start())
		check(emu.CreateProject("p", ""))
		check(emu.CreateLogstore("p", "audit", slsemu.LogstoreConfig{Shards: shards}))
		t0 := time.Now()
		raw := fill(emu, n, shards, perGroup)
		fmt.Fprintf(os.Stderr, "filled %d events (%.0f MB raw) on %d shards in %s\n", n, float64(raw)/1e6, shards, time.Since(t0).Round(time.Second))
		for i, c := range cases {
			seen = newSeqSet(n)
			postDelay.Store(int64(c.lo))
			delayJit.Store(int64(c.jit))
			s := system{name: fmt.Sprintf("%d shards, receiver %s", shards, c.name), kind: "fwd-hec-default", bin: fwd}
			outage := make(chan struct{})
			go func() {
				defer close(outage)
				if c.outage {
					time.Sleep(2 * time.Second)
					down.Store(true)
					time.Sleep(10 * time.Second)
					down.Store(false)
				}
			}()
			r := run(s, emu.Endpoint(), hec, fmt.Sprintf("backlog-%d-%d", shards, i), int64(n), raw)
			<-outage
			d, dup, bad := seen.counts()
			rows = append(rows, row{shards: shards, name: c.name + " (" + c.describe + ")", r: r, distinct: d, dupes: dup, bad: bad, raw: raw})
		}
		postDelay.Store(0)
		delayJit.Store(0)
		emu.Close()
	}
	fmt.Printf("backlog: %d events per shard count, %d events per log group; forwarder SLS → HEC with default settings (gzip on, in_flight_bytes 32MiB, buffer_bytes 16MiB, --memory-limit=auto)\n\n", n, perGroup)
	fmt.Println("| shards | receiver | peak RSS MB | wall s | wall MB/s | MB per CPU-s | events at the receiver |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, w := range rows {
		got := "all exactly once"
		if w.distinct != int64(n) || w.dupes != 0 || w.bad != 0 {
			got = fmt.Sprintf("%d of %d distinct, %d again, %d unreadable", w.distinct, n, w.dupes, w.bad)
		}
		fmt.Printf("| %d | %s | %.0f | %.1f | %.0f | %.0f | %s |\n", w.shards, w.name, float64(w.r.rssKB)/1024, w.r.wall.Seconds(),
			float64(w.raw)/1e6/w.r.wall.Seconds(), float64(w.raw)/1e6/w.r.cpu.Seconds(), got)
	}
}
