package engine

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/forwarder/forwarder/config"
)

// AdminOptions configure the admin endpoints.
type AdminOptions struct {
	// UnreadyAfter is how long a sink may fail before /-/ready says not
	// ready (default 5 s).
	UnreadyAfter time.Duration
	// Pprof exposes /debug/pprof/.
	Pprof bool
	// ReloadStatus reports the last configuration load for /health (the
	// reloader owns that state); nil reports none.
	ReloadStatus func() ReloadStatus
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
		if opts.ReloadStatus != nil && st.Plan != "" {
			st.Reload = opts.ReloadStatus()
		}
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
			http.Error(w, config.Redact(err.Error()), http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte("reloaded\n"))
	})
	mux.HandleFunc("GET "+LivenessPath, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
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

// LivenessPath is the one admin endpoint AdminGuard lets through without
// checks: it answers "ok" and tells nothing else.
const LivenessPath = "/livez"

// AdminHeader is the custom request header that marks a state-changing
// request as sent by a tool, not by a web page (which cannot set it
// without a CORS preflight the admin server never grants).
const AdminHeader = "X-Forwarder-Admin"

// AdminAccess says who may use the admin server.
type AdminAccess struct {
	// Addr is the address the server listens on (host:port); requests must
	// name it, or one of Hosts, in their Host header, so a DNS-rebinding
	// page cannot read /metrics through a name of its own.
	Addr string
	// Hosts are further names clients use, "name" (with Addr's port) or
	// "name:port" (--admin-host, for a proxy or a container name).
	Hosts []string
	// Token, when set, must come as "Authorization: Bearer TOKEN" on every
	// endpoint except LivenessPath.
	Token string
}

// AdminGuard wraps the admin handler with the checks of a:
//
//   - the Host header must be the listening address, localhost on its port,
//     or a configured name (403 otherwise); when the server listens on every
//     interface (0.0.0.0), any IP address on its port is accepted too, since
//     an address is not a name a rebinding attack controls;
//   - with a token, every request needs it (401 otherwise);
//   - a request that changes state (any method but GET and HEAD) must not
//     come from a foreign Origin or a cross-site fetch, and must carry the
//     AdminHeader or a Content-Type a plain HTML form cannot send
//     (application/json): both force a browser into a CORS preflight (403
//     otherwise).
//
// GET LivenessPath passes without checks.
func AdminGuard(h http.Handler, a AdminAccess) http.Handler {
	g := &adminGuard{next: h, token: []byte(a.Token), hosts: map[string]bool{}}
	host, port, err := net.SplitHostPort(a.Addr)
	if err != nil {
		host, port = a.Addr, "80"
	}
	g.port = port
	g.hosts[strings.ToLower(net.JoinHostPort(host, port))] = true
	ip := net.ParseIP(host)
	g.anyIP = host == "" || ip != nil && ip.IsUnspecified()
	if g.anyIP || ip != nil && ip.IsLoopback() {
		g.hosts["localhost:"+port] = true
	}
	for _, n := range a.Hosts {
		n = strings.ToLower(strings.TrimSpace(n))
		if _, _, err := net.SplitHostPort(n); err != nil {
			n = net.JoinHostPort(n, port)
		}
		g.hosts[n] = true
	}
	return g
}

type adminGuard struct {
	next  http.Handler
	token []byte
	hosts map[string]bool
	port  string
	anyIP bool
}

func (g *adminGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == LivenessPath && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		g.next.ServeHTTP(w, r)
		return
	}
	if !g.hostAllowed(r.Host) {
		http.Error(w, fmt.Sprintf("host %q is not allowed; use the listening address or add a name with --admin-host", r.Host), http.StatusForbidden)
		return
	}
	if len(g.token) > 0 {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), g.token) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="forwarder admin"`)
			http.Error(w, "a bearer token is required (Authorization: Bearer …)", http.StatusUnauthorized)
			return
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if err := g.checkStateChange(r); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
	}
	g.next.ServeHTTP(w, r)
}

// hostAllowed checks a Host header ("name", "name:port", "[::1]:port").
func (g *adminGuard) hostAllowed(h string) bool {
	h = strings.ToLower(h)
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		host, port = strings.Trim(h, "[]"), "80"
	}
	host = strings.TrimSuffix(host, ".")
	if g.hosts[net.JoinHostPort(host, port)] {
		return true
	}
	return g.anyIP && port == g.port && net.ParseIP(host) != nil
}

func (g *adminGuard) checkStateChange(r *http.Request) error {
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		return fmt.Errorf("refused: a %s request from a web page", site)
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if o == "null" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || !g.hostAllowed(u.Host) {
			return fmt.Errorf("refused: foreign Origin %q", o)
		}
	}
	if r.Header.Get(AdminHeader) != "" {
		return nil
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data":
		return fmt.Errorf("refused: send the header %s: 1 or Content-Type: application/json", AdminHeader)
	}
	return nil
}

// ReadAdminToken reads the bearer token of --admin-token-file: the file's
// content without surrounding white space, which must not be empty.
func ReadAdminToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", errors.New("admin token: " + path + " is empty")
	}
	if strings.ContainsAny(tok, " \t\r\n") {
		return "", errors.New("admin token: " + path + " holds more than one word")
	}
	return tok, nil
}
