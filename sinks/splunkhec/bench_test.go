package splunkhec

import (
	"context"
	"testing"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/sinks/splunkhec/hectest"
)

// BenchmarkWriteBatch measures a whole WriteBatch of 500 ~1 KB ActionTrail
// events: envelope encoding, gzip when on, the HTTP request over loopback
// and the reply, against hectest in Discard mode (it reads the body and
// answers, decoding nothing). Throughput is raw event bytes (event.RawSize);
// run with -cpu 1, so the in-process server's reads count against it too.
//
//	go test -run '^$' -bench BenchmarkWriteBatch -cpu 1 ./sinks/splunkhec
func BenchmarkWriteBatch(b *testing.B) {
	for _, tc := range []struct {
		name        string
		compression string
		undecoded   bool // `event` left as the SLS string: escaped, not copied
	}{
		{"gzip=off", CompressionNone, false},
		{"gzip=on", CompressionGzip, false},
		{"gzip=off/event=string", CompressionNone, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			srv := hectest.New(b, hectest.Config{Discard: true})
			c := testConfig(srv)
			c.Compression = tc.compression
			s := connect(b, c, nil)
			evs := auditEvents(0, 500)
			raw := 0
			for _, e := range evs {
				if tc.undecoded {
					v, _ := e.Get("event")
					e.Set("event", event.String(v.Str()))
				}
				raw += e.RawSize()
			}
			b.SetBytes(int64(raw))
			b.ReportAllocs()
			ctx := context.Background()
			posts := srv.Posts()
			for b.Loop() {
				if err := s.WriteBatch(ctx, evs); err != nil {
					b.Fatal(err)
				}
			}
			if srv.Posts() == posts {
				b.Fatal("nothing was sent")
			}
			b.ReportMetric(float64(srv.BodyBytes())/float64(srv.Posts())/float64(raw), "wire/raw")
			b.ReportMetric(float64(raw)/float64(len(evs)), "raw-B/event")
		})
	}
}

// BenchmarkEncode measures the envelope encoder alone.
func BenchmarkEncode(b *testing.B) {
	enc := newEncoder(&Config{Index: "alicloud", Sourcetype: "alicloud:actiontrail", Fields: []string{"user"}}, false)
	evs := auditEvents(0, 500)
	raw := 0
	for _, e := range evs {
		raw += e.RawSize()
	}
	b.SetBytes(int64(raw))
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		buf = buf[:0]
		for _, e := range evs {
			buf = enc.appendEvent(buf, e)
		}
	}
}
