package engine_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/forwarder/forwarder/engine"
)

// TestAdminGuard drives the admin server over real HTTP on 127.0.0.1 as a
// hostile web page and a careless operator would: cross-site POSTs, a
// rebinding Host, missing and wrong tokens.
func TestAdminGuard(t *testing.T) {
	rt := engine.New(engine.Settings{})
	var reloads atomic.Int32
	type req struct {
		method, path string
		host         string // "" = the listening address
		header       map[string]string
	}
	cases := []struct {
		name   string
		access engine.AdminAccess
		req    req
		code   int
	}{
		{"json POST reloads", engine.AdminAccess{}, req{"POST", "/-/reload", "", map[string]string{"Content-Type": "application/json"}}, 200},
		{"custom header reloads", engine.AdminAccess{}, req{"POST", "/-/reload", "", map[string]string{engine.AdminHeader: "1"}}, 200},
		{"same origin reloads", engine.AdminAccess{}, req{"POST", "/-/reload", "", map[string]string{"Content-Type": "application/json", "Origin": "http://ADDR"}}, 200},
		{"text/plain from a foreign origin", engine.AdminAccess{}, req{"POST", "/-/reload", "", map[string]string{"Content-Type": "text/plain", "Origin": "https://evil.example"}}, 403},
		{"foreign origin even with json", engine.AdminAccess{}, req{"POST", "/-/reload", "", map[string]string{"Content-Type": "application/json", "Origin": "https://evil.example"}}, 403},
		{"null origin", engine.AdminAccess{}, req{"POST", "/-/reload", "", map[string]string{engine.AdminHeader: "1", "Origin": "null"}}, 403},
		{"cross-site fetch", engine.AdminAccess{}, req{"POST", "/-/reload", "", map[string]string{engine.AdminHeader: "1", "Sec-Fetch-Site": "cross-site"}}, 403},
		{"bare POST (form-like)", engine.AdminAccess{}, req{"POST", "/-/reload", "", nil}, 403},
		{"form POST", engine.AdminAccess{}, req{"POST", "/-/reload", "", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 403},
		{"GET reload is not allowed", engine.AdminAccess{}, req{"GET", "/-/reload", "", nil}, 405},
		{"rebinding host reads no metrics", engine.AdminAccess{}, req{"GET", "/metrics", "evil.example:PORT", nil}, 403},
		{"rebinding host on port 80", engine.AdminAccess{}, req{"GET", "/health", "evil.example", nil}, 403},
		{"localhost on the port", engine.AdminAccess{}, req{"GET", "/metrics", "localhost:PORT", nil}, 200},
		{"localhost on another port", engine.AdminAccess{}, req{"GET", "/metrics", "localhost:1", nil}, 403},
		{"configured name", engine.AdminAccess{Hosts: []string{"forwarder.internal"}}, req{"GET", "/metrics", "forwarder.internal:PORT", nil}, 200},
		{"configured name and port", engine.AdminAccess{Hosts: []string{"fwd.svc:8080"}}, req{"GET", "/metrics", "fwd.svc:8080", nil}, 200},
		{"liveness needs nothing", engine.AdminAccess{Token: "tok-123"}, req{"GET", "/livez", "evil.example", nil}, 200},
		{"token missing", engine.AdminAccess{Token: "tok-123"}, req{"GET", "/metrics", "", nil}, 401},
		{"token wrong", engine.AdminAccess{Token: "tok-123"}, req{"GET", "/health", "", map[string]string{"Authorization": "Bearer tok-124"}}, 401},
		{"token right", engine.AdminAccess{Token: "tok-123"}, req{"GET", "/metrics", "", map[string]string{"Authorization": "Bearer tok-123"}}, 200},
		{"token guards reload", engine.AdminAccess{Token: "tok-123"}, req{"POST", "/-/reload", "", map[string]string{engine.AdminHeader: "1"}}, 401},
		{"token and header reload", engine.AdminAccess{Token: "tok-123"}, req{"POST", "/-/reload", "", map[string]string{engine.AdminHeader: "1", "Authorization": "Bearer tok-123"}}, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewUnstartedServer(nil) // listens already, serves after Start
			addr := srv.Listener.Addr().String()
			_, port, _ := strings.Cut(addr, ":")
			tc.access.Addr = addr
			srv.Config.Handler = engine.AdminGuard(engine.AdminHandler(rt, func() error { reloads.Add(1); return nil }, engine.AdminOptions{}), tc.access)
			srv.Start()
			defer srv.Close()
			r, err := http.NewRequest(tc.req.method, srv.URL+tc.req.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.req.host != "" {
				r.Host = strings.ReplaceAll(tc.req.host, "PORT", port)
			}
			for k, v := range tc.req.header {
				r.Header.Set(k, strings.ReplaceAll(v, "ADDR", addr))
			}
			before := reloads.Load()
			resp, err := srv.Client().Do(r)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.code {
				t.Fatalf("%s %s (Host %q): %d %s, want %d", tc.req.method, tc.req.path, r.Host, resp.StatusCode, body, tc.code)
			}
			reloaded := reloads.Load() != before
			if want := tc.code == 200 && tc.req.path == "/-/reload"; reloaded != want {
				t.Fatalf("reload called: %v, want %v", reloaded, want)
			}
			if tc.code == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

// TestAdminGuardAnyInterface: listening on 0.0.0.0, clients reach the
// server by any IP address, but a name still needs --admin-host.
func TestAdminGuardAnyInterface(t *testing.T) {
	rt := engine.New(engine.Settings{})
	h := engine.AdminGuard(engine.AdminHandler(rt, func() error { return nil }, engine.AdminOptions{}), engine.AdminAccess{Addr: "0.0.0.0:9598"})
	for host, want := range map[string]int{"10.1.2.3:9598": 503, "[fd00::1]:9598": 503, "10.1.2.3:80": 403, "evil.example:9598": 403, "localhost:9598": 503} {
		r := httptest.NewRequest("GET", "/-/ready", nil) // 503 before a plan: the guard let it through
		r.Host = host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("Host %s: %d, want %d", host, w.Code, want)
		}
	}
}

func TestReadAdminToken(t *testing.T) {
	dir := t.TempDir()
	for content, ok := range map[string]bool{"s3cret-token\n": true, "  \n": false, "two words\n": false} {
		p := filepath.Join(dir, "tok")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		tok, err := engine.ReadAdminToken(p)
		if (err == nil) != ok || ok && tok != "s3cret-token" {
			t.Errorf("%q: %q, %v", content, tok, err)
		}
	}
	if _, err := engine.ReadAdminToken(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file gave no error")
	}
}
