package loopback

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestEndpointAddr(t *testing.T) {
	tests := []struct {
		endpoint string
		want     string
		ok       bool
	}{
		{"http://127.0.0.1:8080", "127.0.0.1:8080", true},
		{"127.0.0.1:8080", "127.0.0.1:8080", true},
		{"https://127.0.0.2", "127.0.0.2:443", true},
		{"localhost:9", "127.0.0.1:9", true},
		{"http://[::1]:7", "[::1]:7", true},
		{"cn-hangzhou.log.aliyuncs.com", "", false},
		{"http://10.0.0.1:80", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := EndpointAddr(tt.endpoint)
		if got != tt.want || ok != tt.ok {
			t.Errorf("EndpointAddr(%q) = %q, %v; want %q, %v", tt.endpoint, got, ok, tt.want, tt.ok)
		}
	}
}

// TestHTTPClientKeepsHost dials the test server for an unresolvable
// "<project>.<endpoint>" host and checks the Host header arrives intact.
func TestHTTPClientKeepsHost(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Host)
	}))
	defer srv.Close()
	addr, ok := EndpointAddr(srv.URL)
	if !ok {
		t.Fatalf("EndpointAddr(%s) refused a loopback endpoint", srv.URL)
	}
	hc := HTTPClient(addr)
	defer hc.CloseIdleConnections()
	host := "proj." + srv.Listener.Addr().String()
	resp, err := hc.Get("http://" + host + "/logstores")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if string(b) != host {
		t.Fatalf("server saw Host %q, want %q", b, host)
	}
}
