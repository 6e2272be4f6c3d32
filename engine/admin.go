package engine

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/forwarder/forwarder/engine/config"
)

// AdminHandler serves the admin endpoints: Prometheus /metrics, /health
// (200 with the running plan version once a plan runs, 503 before), POST
// /-/reload, which calls reload and answers 200, or 400 with the
// diagnostics when the new configuration is rejected, and GET /livez, a
// bare liveness probe ("ok"). Wrap it in AdminGuard before serving it.
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
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok", "plan": p.Version()})
	})
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
	return mux
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
