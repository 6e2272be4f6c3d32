package reload_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/forwarder/forwarder/engine"
	"github.com/forwarder/forwarder/internal/fwdtest"
)

// BenchmarkSaveToApplied measures, over 100 rule edits saved while events
// flow, the time from the write to the new plan running, and reports p50
// and p99 beyond the debounce. b.N is ignored.
//
//	go test ./reload -run '^$' -bench SaveToApplied -benchtime 1x
func BenchmarkSaveToApplied(b *testing.B) {
	const debounce = 50 * time.Millisecond
	dir := b.TempDir()
	main := `
source "demo" "d" {
  rate = 20000
}
sink "file" "null" {
  path = "/dev/null"
}
route "r" {
  from  = [source.demo.d]
  rules = [rule.mark]
  to    = [sink.file.null]
}
`
	rules := func(v int) string { return fmt.Sprintf("rule \"mark\" {\n  set = { mark = \"'v%d'\" }\n}\n", v) }
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(main), 0o644); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "rules.hcl")
	if err := os.WriteFile(path, []byte(rules(0)), 0o644); err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rt := engine.New(engine.Settings{Logger: log})
	rl := fwdtest.StartReloader(b, rt, log, dir)
	ctx, cancel := context.WithCancel(context.Background())
	watched := make(chan error, 1)
	go func() { watched <- rl.Watch(ctx, debounce) }()
	time.Sleep(100 * time.Millisecond)
	var lat []time.Duration
	for i := 1; i <= 100; i++ {
		before := rt.Plan().Version()
		tmp := path + ".tmp"
		start := time.Now()
		if err := os.WriteFile(tmp, []byte(rules(i)), 0o644); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			b.Fatal(err)
		}
		for rt.Plan().Version() == before {
			if time.Since(start) > 5*time.Second {
				b.Fatalf("edit %d not applied", i)
			}
			time.Sleep(200 * time.Microsecond)
		}
		lat = append(lat, time.Since(start))
	}
	cancel()
	<-watched
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	rt.Shutdown(sctx)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64((lat[49]-debounce).Microseconds())/1000, "p50-ms-beyond-debounce")
	b.ReportMetric(float64((lat[98]-debounce).Microseconds())/1000, "p99-ms-beyond-debounce")
}
