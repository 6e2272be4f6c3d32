package engine_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/forwarder/forwarder/engine"
	"github.com/forwarder/forwarder/reload"
)

// TestMonitoringExamplesUseRealMetrics: every forwarder_* metric the
// Grafana dashboard and the alerting rules query is one the runtime
// registers (or the reloader, whose metrics the CLI registers on the
// runtime's registry), so renaming a metric without updating them fails
// here.
func TestMonitoringExamplesUseRealMetrics(t *testing.T) {
	m := engine.NewMetrics()
	m.Registry.MustRegister(reload.NewMetrics().Collectors()...)
	known := map[string]bool{}
	ch := make(chan *prometheus.Desc, 256)
	go func() {
		m.Registry.Describe(ch)
		close(ch)
	}()
	name := regexp.MustCompile(`fqName: "([a-z_]+)"`)
	for d := range ch {
		if mm := name.FindStringSubmatch(d.String()); mm != nil {
			known[mm[1]] = true
		}
	}
	used := regexp.MustCompile(`forwarder_[a-z_]+`)
	for _, f := range []string{"../examples/monitoring/grafana-dashboard.json", "../examples/monitoring/alerts.yml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, u := range used.FindAllString(string(b), -1) {
			base := strings.TrimSuffix(u, "_bucket")
			if !known[base] {
				t.Errorf("%s queries %s, which the runtime does not register", f, u)
			}
			n++
		}
		if n < 5 {
			t.Errorf("%s: only %d metric references found", f, n)
		}
	}
}
