// Package bench holds end-to-end benchmarks: real processes on loopback,
// throughput counted in raw log bytes (keys + values) per CPU-second of the
// forwarder process (user + sys from getrusage), as DESIGN §8 defines.
//
//	go test ./bench -run '^$' -bench . -benchtime 1x
package bench

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	sdk "github.com/aliyun/aliyun-log-go-sdk"

	"github.com/forwarder/forwarder/internal/slsemu"
	"github.com/forwarder/forwarder/sources/demo"
)

// BenchmarkSLSToFile: emulator → forwarder (SLS source, one filter rule with
// decode_json, file sink to /dev/null). The forwarder is a separate process;
// its CPU time is measured with getrusage. b.N is ignored: one run moves
// the whole logstore.
func BenchmarkSLSToFile(b *testing.B) {
	const events, shards, perGroup = 300000, 4, 500
	emu := slsemu.New(slsemu.Options{AccessKeyID: "bench", AccessKeySecret: "bench-secret"})
	if err := emu.Start(); err != nil {
		b.Fatal(err)
	}
	defer emu.Close()
	must(b, emu.CreateProject("p", ""))
	must(b, emu.CreateLogstore("p", "audit", slsemu.LogstoreConfig{Shards: shards}))
	g := demo.NewGenerator(5, time.Unix(1795939202, 0))
	raw := 0
	for grp, n := 0, 0; n < events; grp++ {
		var logs []*sdk.Log
		for ; len(logs) < perGroup && n < events; n++ {
			ev := g.Next()
			raw += ev.RawSize()
			logs = append(logs, slsemu.LogFromEvent(ev))
		}
		topic := demo.TopicActionTrail
		if _, err := emu.AppendLogGroupToShard("p", "audit", grp%shards, &sdk.LogGroup{Logs: logs, Topic: &topic}); err != nil {
			b.Fatal(err)
		}
	}
	bin := filepath.Join(b.TempDir(), "forwarder")
	build := exec.Command("go", "build", "-o", bin, "../cmd/forwarder")
	build.Stderr = os.Stderr
	must(b, build.Run())
	admin := freePort(b)
	cfg := filepath.Join(b.TempDir(), "f.hcl")
	must(b, os.WriteFile(cfg, []byte(fmt.Sprintf(`
source "sls" "audit" {
  endpoint          = %q
  project           = "p"
  logstore          = "audit"
  consumer_group    = "bench"
  consumer_name     = "bench-1"
  access_key_id     = "bench"
  access_key_secret = "bench-secret"
  fetch_log_groups  = 20
  fetch_interval    = "50ms"
}
rule "audit" {
  filter      = "event.userIdentity.type != 'system'"
  decode_json = ["event"]
}
sink "file" "null" {
  path = "/dev/null"
}
route "r" {
  from  = [source.sls.audit]
  rules = [rule.audit]
  to    = [sink.file.null]
}
`, emu.Endpoint())), 0o600))
	cmd := exec.Command(bin, "run", "--admin="+admin, "--no-watch", "--log-level=warn", cfg)
	cmd.Stderr = os.Stderr
	b.ResetTimer()
	start := time.Now()
	must(b, cmd.Start())
	for deadline := time.Now().Add(5 * time.Minute); metric(admin, `forwarder_sink_events_total{outcome="sent",sink="file.null"}`) < events; {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			b.Fatal("forwarder did not move every event within 5 minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
	wall := time.Since(start)
	must(b, cmd.Process.Signal(syscall.SIGTERM))
	_ = cmd.Wait()
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	b.ReportMetric(float64(raw)/1e6/cpu.Seconds(), "MB/cpu-s")
	b.ReportMetric(float64(raw)/1e6/wall.Seconds(), "MB/wall-s")
	b.ReportMetric(cpu.Seconds(), "cpu-s")
	b.ReportMetric(float64(raw)/events, "B/event")
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

func freePort(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(b, err)
	defer ln.Close()
	return ln.Addr().String()
}

// metric reads one sample from the forwarder's /metrics.
func metric(addr, name string) float64 {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, name+" ") {
			v, _ := strconv.ParseFloat(strings.TrimPrefix(line, name+" "), 64)
			return v
		}
	}
	return 0
}
