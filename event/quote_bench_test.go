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
// names, IPs, regions); "values" the strings inside `event` (what a rule
// that decodes it quotes again). Throughput is input bytes. The "words/"
// cases run the portable word-at-a-time loop (what platforms without the
// vector code get); the "copy/" cases append each string between two
// quotes without looking at it: the ceiling for short strings, where the
// cost is per call, not per byte.
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
	quote := event.AppendQuote
	copyOnly := func(dst []byte, s string) []byte {
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	for _, tc := range []struct {
		name  string
		strs  []string
		quote func([]byte, string) []byte
	}{
		{"fields", fields, quote}, {"plain", plain, quote}, {"values", values, quote},
		{"words/fields", fields, event.AppendQuoteWords}, {"words/plain", plain, event.AppendQuoteWords}, {"words/values", values, event.AppendQuoteWords},
		{"copy/fields", fields, copyOnly}, {"copy/plain", plain, copyOnly}, {"copy/values", values, copyOnly},
	} {
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
					buf = tc.quote(buf, s)
				}
			}
			cputime.Report(b, cpu, int64(n))
		})
	}
}
