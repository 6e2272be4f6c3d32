package objectstore_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/forwarder/forwarder/sinks/objectstore/s3test"
	"github.com/forwarder/forwarder/sources/demo"
)

// BenchmarkProcess runs the forwarder binary: the demo source (bounded,
// 600 000 events, about 640 MB of NDJSON) into object_store on versitygw,
// with 256 MiB objects, once per format and codec, once into a file sink
// on /dev/null as the baseline (the demo source's own cost), and json+zstd
// again with GOGC=100 and with 64 MiB objects to show what peak RSS is
// made of: the events awaiting their object's upload. The
// forwarder's CPU time (user + sys) and peak RSS come from getrusage of
// the child process; MB are raw log bytes. b.N is ignored.
//
//	go test ./sinks/objectstore -run '^$' -bench Process -benchtime 1x
func BenchmarkProcess(b *testing.B) {
	const events = 600000
	const startTime = "2026-12-01T20:00:00Z"
	st, _ := time.Parse(time.RFC3339, startTime)
	g := demo.NewGenerator(1, st)
	raw := 0
	for range events {
		raw += g.Next().RawSize()
	}
	bin := buildForwarder(b)
	pq := `
  parquet {
    column "__time__" { type = "int64" }
    column "__topic__" { type = "string" }
    column "__source__" { type = "string" }
    column "event" { type = "string" }
    column "demo_seq" { type = "int64" }
    column "owner_id" { type = "string" }
    column "user_agent" { type = "string" }
  }`
	csv := `
  csv { columns = ["__time__", "__topic__", "__source__", "event", "demo_seq", "owner_id", "user_agent"] }`
	type run struct {
		name, format, comp, extra string
		size                      string // max_object_size
		inFlight                  int    // source and sink in_flight, in batches of 1000
		gogc                      string // GOGC for the process; "" keeps run's --gc-percent 400
	}
	big := func(name, format, comp, extra string) run { return run{name, format, comp, extra, "256MiB", 400, ""} }
	for _, tt := range []run{
		{"file-devnull", "", "", "", "", 400, ""},
		big("json-none", "json", "none", ""), big("json-zstd", "json", "zstd", ""), big("json-gzip", "json", "gzip", ""),
		big("json-snappy", "json", "snappy", ""), big("csv-zstd", "csv", "zstd", csv),
		big("parquet-zstd", "parquet", "zstd", pq), big("parquet-snappy", "parquet", "snappy", pq),
		{"json-zstd-gogc100", "json", "zstd", "", "256MiB", 400, "100"},
		{"json-zstd-64MiB", "json", "zstd", "", "64MiB", 100, ""},
	} {
		b.Run(tt.name, func(b *testing.B) {
			sink := `sink "file" "out" { path = "/dev/null" }`
			to := "sink.file.out"
			var srv *s3test.Server
			if tt.format != "" {
				srv = s3test.Start(b, "archive")
				sink = fmt.Sprintf(`sink "object_store" "out" {
  endpoint          = %q
  bucket            = "archive"
  path_style        = true
  access_key_id     = %q
  access_key_secret = %q
  partition         = ""
  format            = %q
  compression       = %q
  max_object_size   = %q
  max_object_age    = "10m"
  flush_idle        = "2s"
  temp_dir          = %q
  in_flight         = %d
  buffer_events     = 20000
  batch {
    max_events = 1000
  }%s
}`, srv.URL, s3test.AccessKey, s3test.SecretKey, tt.format, tt.comp, tt.size, b.TempDir(), tt.inFlight, tt.extra)
				to = "sink.object_store.out"
			}
			cfg := filepath.Join(b.TempDir(), "f.hcl")
			src := fmt.Sprintf(`
source "demo" "d" {
  count      = %d
  batch_size = 1000
  in_flight  = %d
  start      = %q
}
%s
route "r" {
  from = [source.demo.d]
  to   = [%s]
}
`, events, tt.inFlight, startTime, sink, to)
			if err := os.WriteFile(cfg, []byte(src), 0o600); err != nil {
				b.Fatal(err)
			}
			cmd := exec.Command(bin, "run", "--admin=", "--no-watch", "--log-level=warn", cfg)
			cmd.Stderr = os.Stderr
			if tt.gogc != "" {
				cmd.Env = append(os.Environ(), "GOGC="+tt.gogc)
			}
			start := time.Now()
			if err := cmd.Run(); err != nil {
				b.Fatalf("forwarder: %v", err)
			}
			wall := time.Since(start)
			ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			b.ReportMetric(float64(raw)/1e6/cpu.Seconds(), "MB/cpu-s")
			b.ReportMetric(float64(raw)/1e6/wall.Seconds(), "MB/wall-s")
			b.ReportMetric(cpu.Seconds(), "cpu-s")
			b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MiB")
			if srv != nil {
				n, size, biggest := 0, int64(0), int64(0)
				for info := range srv.Client(b).ListObjects(context.Background(), "archive", minio.ListObjectsOptions{Recursive: true}) {
					if info.Err != nil {
						b.Fatal(info.Err)
					}
					n++
					size += info.Size
					biggest = max(biggest, info.Size)
				}
				b.ReportMetric(float64(n), "objects")
				b.ReportMetric(float64(raw)/float64(size), "ratio")
				b.ReportMetric(float64(biggest)/(1<<20), "largest-MiB")
			}
		})
	}
}
