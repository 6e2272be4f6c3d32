package objectstore

import (
	"syscall"
	"testing"
	"time"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/sources/demo"
)

// BenchmarkEncode encodes realistic demo audit events (ActionTrail with a
// JSON event field, OSS and WAF logs) into an object: the format, the codec
// and the spool's hash, with the spool in memory. Throughput is raw log
// bytes (event.RawSize); MB/cpu-s divides them by the process's CPU time
// (user + sys, GC included), which a loaded machine does not distort the way
// it does MB/s. Run with -cpu 1:
//
//	go test ./sinks/objectstore -run '^$' -bench Encode -cpu 1
func BenchmarkEncode(b *testing.B) {
	g := demo.NewGenerator(3, time.Unix(1795939202, 0))
	evs := make([]*event.Event, 2000)
	raw := 0
	for i := range evs {
		evs[i] = g.Next()
		raw += evs[i].RawSize()
	}
	csvCols := []string{"__time__", "__topic__", "__source__", "event", "demo_seq", "owner_id", "user_agent"}
	pqCols := []ParquetColumn{{"__time__", TypeInt64}, {"__topic__", TypeString}, {"__source__", TypeString},
		{"event", TypeString}, {"demo_seq", TypeInt64}, {"owner_id", TypeString}, {"user_agent", TypeString}}
	for _, tt := range []struct{ format, comp string }{
		{FormatJSON, CompressionNone}, {FormatJSON, CompressionZstd}, {FormatJSON, CompressionGzip}, {FormatJSON, CompressionSnappy},
		{FormatCSV, CompressionZstd}, {FormatParquet, CompressionZstd}, {FormatParquet, CompressionSnappy},
	} {
		b.Run(tt.format+"-"+tt.comp, func(b *testing.B) {
			c := NewConfig()
			c.Endpoint, c.Bucket, c.Format, c.Compression = "http://127.0.0.1:1", "b", tt.format, tt.comp
			c.AccessKeyID, c.AccessKeySecret = "id", "key"
			switch tt.format {
			case FormatCSV:
				c.CSV = &CSVConfig{Columns: csvCols}
			case FormatParquet:
				c.Parquet = &ParquetConfig{Columns: pqCols}
			}
			s, err := c.settings()
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(raw))
			b.ReportAllocs()
			var size int64
			cpu0 := cpuTime()
			for b.Loop() {
				sp := newSpool("", 1<<30)
				enc, err := newEncoder(c, s, sp)
				if err != nil {
					b.Fatal(err)
				}
				for _, ev := range evs {
					if _, err := enc.add(ev); err != nil {
						b.Fatal(err)
					}
				}
				if err := enc.finish(); err != nil {
					b.Fatal(err)
				}
				size = sp.size()
				sp.release()
			}
			if cpu := (cpuTime() - cpu0).Seconds(); cpu > 0 {
				b.ReportMetric(float64(raw)*float64(b.N)/1e6/cpu, "MB/cpu-s")
			}
			b.ReportMetric(float64(raw)/float64(size), "ratio")
		})
	}
}

// cpuTime is the process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
