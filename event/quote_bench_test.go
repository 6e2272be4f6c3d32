package event_test

import (
	"strings"
	"testing"
	"time"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/internal/cputime"
	"github.com/forwarder/forwarder/sources/demo"
)

// BenchmarkAppendQuote quotes the strings of 1000 demo ActionTrail events
// (the source of the HEC and NDJSON paths' time): "fields" every key and
// value as SLS delivers them, the `event` JSON text included (escape-heavy:
// every quote needs a backslash); "plain" the same without `event` (ids,
// names, IPs, regions). Throughput is input bytes.
//
//	go test -run '^$' -bench AppendQuote -cpu 1 ./event
func BenchmarkAppendQuote(b *testing.B) {
	g := demo.NewGenerator(7, time.Unix(1795939202, 0))
	var fields, plain, values []string
	for len(fields) < 20000 {
		ev := g.Next()
		if ev.Topic != demo.TopicActionTrail {
			continue
		}
		for _, f := range ev.Fields {
			fields = append(fields, f.Key, f.Value.Str())
			if f.Key != "event" {
				plain = append(plain, f.Key, f.Value.Str())
				continue
			}
			for _, v := range strings.Split(f.Value.Str(), `"`) {
				if len(v) > 1 && v != ":" && v != "," && v != ":{" {
					values = append(values, v)
				}
			}
		}
	}
	for _, tc := range []struct {
		name string
		strs []string
	}{{"fields", fields}, {"plain", plain}, {"values", values}} {
		b.Run(tc.name, func(b *testing.B) {
			n := 0
			for _, s := range tc.strs {
				n += len(s)
			}
			b.SetBytes(int64(n))
			b.ReportAllocs()
			buf := make([]byte, 0, 4*n)
			cpu := cputime.Now()
			for b.Loop() {
				buf = buf[:0]
				for _, s := range tc.strs {
					buf = event.AppendQuote(buf, s)
				}
			}
			cputime.Report(b, cpu, int64(n))
		})
	}
}
