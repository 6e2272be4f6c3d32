package bench

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	sdk "github.com/aliyun/aliyun-log-go-sdk"

	"github.com/forwarder/forwarder/internal/slsemu"
	"github.com/forwarder/forwarder/sources/demo"
)

// countingWriter counts response body bytes: what SLS sends over the wire
// (compressed LogGroupLists plus small JSON bodies).
type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w countingWriter) Write(b []byte) (int, error) {
	w.n.Add(int64(len(b)))
	return w.ResponseWriter.Write(b)
}

// BenchmarkPushDown: demo data (ActionTrail about 70%, OSS and WAF the
// rest, in log groups of one topic as SLS stores them) and one route that
// keeps a single ActionTrail event type. With push-down SLS (the emulator)
// evaluates the derived SPL and sends only matching logs; without it the
// forwarder pulls, decompresses and decodes everything and filters
// locally. Reported per run: bytes on the wire, raw log bytes read, events
// read, and the forwarder process's CPU (getrusage).
//
//	go test ./bench -run '^$' -bench PushDown -benchtime 1x -cpu 1
func BenchmarkPushDown(b *testing.B) {
	const events, shards, perGroup = 200000, 4, 500
	emu := slsemu.New(slsemu.Options{AccessKeyID: "bench", AccessKeySecret: "bench-secret"})
	must(b, emu.Start())
	defer emu.Close()
	must(b, emu.CreateProject("p", ""))
	must(b, emu.CreateLogstore("p", "audit", slsemu.LogstoreConfig{Shards: shards}))
	g := demo.NewGenerator(5, time.Unix(1795939202, 0))
	raw, keep := 0, 0
	groups := map[string][]*sdk.Log{}
	next := 0
	flush := func(topic string) {
		tp := topic
		shard := next % shards
		next++
		_, err := emu.AppendLogGroupToShard("p", "audit", shard, &sdk.LogGroup{Logs: groups[topic], Topic: &tp})
		must(b, err)
		groups[topic] = nil
	}
	for n := 0; n < events; n++ {
		ev := g.Next()
		raw += ev.RawSize()
		if v, ok := ev.Get("event"); ok && ev.Topic == demo.TopicActionTrail && containsEventName(v.Str(), "ConsoleSignin") {
			keep++
		}
		groups[ev.Topic] = append(groups[ev.Topic], slsemu.LogFromEvent(ev))
		if len(groups[ev.Topic]) == perGroup {
			flush(ev.Topic)
		}
	}
	for topic, logs := range groups {
		if len(logs) > 0 {
			flush(topic)
		}
	}
	var err error
	ends := make([]string, shards)
	c := &sdk.Client{Endpoint: emu.Endpoint(), AccessKeyID: "bench", AccessKeySecret: "bench-secret", HTTPClient: emu.HTTPClient()}
	for i := range ends {
		ends[i], err = c.GetCursor("p", "audit", i, "end")
		must(b, err)
	}
	var wire atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(b, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emu.ServeHTTP(countingWriter{w, &wire}, r)
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	bin := filepath.Join(b.TempDir(), "forwarder")
	build := exec.Command("go", "build", "-o", bin, "../cmd/forwarder")
	build.Stderr = os.Stderr
	must(b, build.Run())
	b.Logf("%d events, %d raw bytes, %d kept by the route (%.1f%%)", events, raw, keep, 100*float64(keep)/events)

	for i, mode := range []string{"on", "off"} {
		b.Run(mode, func(b *testing.B) {
			group := fmt.Sprintf("bench-%d", i)
			admin := freePort(b)
			cfg := filepath.Join(b.TempDir(), "f.hcl")
			must(b, os.WriteFile(cfg, []byte(fmt.Sprintf(`
source "sls" "audit" {
  endpoint            = "http://%s"
  project             = "p"
  logstore            = "audit"
  consumer_group      = %q
  consumer_name       = "bench-1"
  access_key_id       = "bench"
  access_key_secret   = "bench-secret"
  fetch_log_groups    = 20
  fetch_interval      = "50ms"
  checkpoint_interval = "100ms"
  push_down           = %v
}
rule "signin" {
  filter      = "topic == 'actiontrail_audit_event' && event.eventName == 'ConsoleSignin'"
  decode_json = ["event"]
}
sink "file" "null" {
  path = "/dev/null"
}
route "r" {
  from  = [source.sls.audit]
  rules = [rule.signin]
  to    = [sink.file.null]
}
`, ln.Addr(), group, mode == "on")), 0o600))
			wire.Store(0)
			cmd := exec.Command(bin, "run", "--admin="+admin, "--no-watch", "--log-level=warn", cfg)
			cmd.Stderr = os.Stderr
			b.ResetTimer()
			start := time.Now()
			must(b, cmd.Start())
			for deadline := time.Now().Add(5 * time.Minute); !caughtUp(emu, group, ends) || metric(admin, `forwarder_sink_events_total{outcome="sent",sink="file.null"}`) < float64(keep); {
				if time.Now().After(deadline) {
					_ = cmd.Process.Kill()
					b.Fatal("forwarder did not read the logstore within 5 minutes")
				}
				time.Sleep(20 * time.Millisecond)
			}
			wall := time.Since(start)
			read := metric(admin, `forwarder_source_events_total{source="sls.audit"}`)
			readBytes := metric(admin, `forwarder_source_bytes_total{source="sls.audit"}`)
			must(b, cmd.Process.Signal(syscall.SIGTERM))
			_ = cmd.Wait()
			ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			b.ReportMetric(float64(wire.Load())/1e6, "wire-MB")
			b.ReportMetric(readBytes/1e6, "raw-MB-read")
			b.ReportMetric(read, "events-read")
			b.ReportMetric(cpu.Seconds(), "cpu-s")
			b.ReportMetric(wall.Seconds(), "wall-s")
		})
	}
}

func containsEventName(js, name string) bool {
	return strings.Contains(js, `"eventName":"`+name+`"`)
}

// caughtUp reports whether the group's checkpoints reached the end of
// every shard.
func caughtUp(emu *slsemu.Server, group string, ends []string) bool {
	gi, err := emu.Group("p", "audit", group)
	if err != nil {
		return false
	}
	done := 0
	for _, c := range gi.Checkpoints {
		if c.Shard < len(ends) && c.Checkpoint == ends[c.Shard] {
			done++
		}
	}
	return done == len(ends)
}
