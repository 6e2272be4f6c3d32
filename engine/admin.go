package engine

import (
	"encoding/json"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// AdminHandler serves the admin endpoints: Prometheus /metrics, /health
// (200 with the running plan version once a plan runs, 503 before; status
// "degraded" with the sources' problems when one waits on a permanent
// error), and
// POST /-/reload, which calls reload and answers 200, or 400 with the
// diagnostics when the new configuration is rejected.
func AdminHandler(rt *Runtime, reload func() error) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(rt.metrics.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		p := rt.Plan()
		w.Header().Set("Content-Type", "application/json")
		if p == nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_ = json.NewEncoder(w).Encode(map[string]string{"status": "starting"})
			return
		}
		body := map[string]any{"status": "ok", "plan": p.Version()}
		if probs := rt.SourceProblems(); len(probs) > 0 {
			// Still 200: the other sources run, and a reload may fix it.
			body["status"], body["problems"] = "degraded", probs
		}
		_ = json.NewEncoder(w).Encode(body)
	})
	mux.HandleFunc("POST /-/reload", func(w http.ResponseWriter, _ *http.Request) {
		if err := reload(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte("reloaded\n"))
	})
	return mux
}
