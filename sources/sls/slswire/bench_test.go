package slswire

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/pierrec/lz4/v4"

	"github.com/forwarder/forwarder/internal/cputime"
)

// BenchmarkPull decodes one lz4 PullLogs answer of 1000 ActionTrail-like
// logs (4 groups of 250, ~1.1 KB each) into events: "sdk" is the former
// path (the SDK's decompressResponse shape, LogsBytesDecode, copy into
// events), "slswire" this package. Throughput is raw log bytes.
//
//	go test -run '^$' -bench BenchmarkPull -cpu 1 ./sources/sls/slswire
func BenchmarkPull(b *testing.B) {
	raw := marshal(b, auditList(4, 250))
	lz := lz4Block(b, raw)
	evs, err := Decode(raw)
	if err != nil {
		b.Fatal(err)
	}
	logBytes := int64(0)
	for _, e := range evs {
		logBytes += int64(e.RawSize())
	}
	b.Run("sdk", func(b *testing.B) {
		b.SetBytes(logBytes)
		b.ReportAllocs()
		cpu := cputime.Now()
		for b.Loop() {
			out := make([]byte, len(raw))
			if _, err := lz4.UncompressBlock(lz, out); err != nil {
				b.Fatal(err)
			}
			if _, err := sdkEvents(out); err != nil {
				b.Fatal(err)
			}
		}
		cputime.Report(b, cpu, logBytes)
	})
	b.Run("slswire", func(b *testing.B) {
		b.SetBytes(logBytes)
		b.ReportAllocs()
		h := headers("MTA=", "4", strconv.Itoa(len(raw)), "lz4")
		r := Reader{Limits: Limits{MaxRawSize: 64 << 20, MaxBodySize: 64 << 20}}
		cpu := cputime.Now()
		for b.Loop() {
			if _, err := r.Read(h, int64(len(lz)), bytes.NewReader(lz)); err != nil {
				b.Fatal(err)
			}
		}
		cputime.Report(b, cpu, logBytes)
	})
}
