package engine

import (
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// AdminOptions configure the admin endpoints.
type AdminOptions struct {
	// UnreadyAfter is how long a sink may fail before /-/ready says not
	// ready (default 5 s).
	UnreadyAfter time.Duration
	// Pprof exposes /debug/pprof/.
	Pprof bool
}

// AdminHandler serves the admin endpoints:
//
//   - GET /metrics: Prometheus metrics;
//   - GET /health: liveness (200 while the process works), with the state
//     of every component as JSON (see Status);
//   - GET /-/ready: readiness, the same body, 200 when ready and 503 when
//     not (no plan yet, a sink failing for longer than UnreadyAfter, a
//     source lane not running, shutting down);
//   - GET /-/tap?route=R|sink=S[&limit=N][&sample=F][&rate=N]: live events
//     as NDJSON (see Runtime.Tap); a slow reader skips events, never slows
//     the pipeline;
//   - POST /-/reload: calls reload; 200, or 400 with the diagnostics;
//   - /debug/pprof/ when Pprof is set.
func AdminHandler(rt *Runtime, reload func() error, opts AdminOptions) http.Handler {
	if opts.UnreadyAfter == 0 {
		opts.UnreadyAfter = 5 * time.Second
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(rt.metrics.Registry, promhttp.HandlerOpts{}))
	status := func(w http.ResponseWriter, ready bool) {
		st := rt.Status(opts.UnreadyAfter)
		w.Header().Set("Content-Type", "application/json")
		if ready && st.Status != "ready" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(st)
	}
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { status(w, false) })
	mux.HandleFunc("GET /-/ready", func(w http.ResponseWriter, _ *http.Request) { status(w, true) })
	mux.HandleFunc("GET /-/tap", func(w http.ResponseWriter, r *http.Request) { serveTap(rt, w, r) })
	mux.HandleFunc("POST /-/reload", func(w http.ResponseWriter, _ *http.Request) {
		if err := reload(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte("reloaded\n"))
	})
	if opts.Pprof {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// serveTap streams a tap until the client goes, or limit lines were sent.
func serveTap(rt *Runtime, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := TapFilter{Route: q.Get("route"), Sink: q.Get("sink")}
	if (f.Route == "") == (f.Sink == "") {
		http.Error(w, "give exactly one of route= and sink=", http.StatusBadRequest)
		return
	}
	p := rt.Plan()
	if p == nil || (f.Route != "" && !p.HasRoute(f.Route)) || (f.Sink != "" && !p.HasSink(f.Sink)) {
		http.Error(w, "no such route or sink in the running plan", http.StatusNotFound)
		return
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	f.Sample, _ = strconv.ParseFloat(q.Get("sample"), 64)
	f.Rate, _ = strconv.Atoi(q.Get("rate"))
	t := rt.Tap(f)
	defer t.Close()
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	if fl != nil {
		fl.Flush()
	}
	for sent := 0; limit <= 0 || sent < limit; sent++ {
		select {
		case <-r.Context().Done():
			return
		case line := <-t.C:
			if _, err := w.Write(line); err != nil {
				return
			}
			if fl != nil && len(t.C) == 0 {
				fl.Flush()
			}
		}
	}
}
