package splunkhec

import (
	"context"
	"strings"
	"testing"

	"github.com/forwarder/forwarder/internal/testcerts"
	"github.com/forwarder/forwarder/plugin"
	"github.com/forwarder/forwarder/sinks"
	"github.com/forwarder/forwarder/sinks/splunkhec/hectest"
)

// TestTLS checks verification (on by default), server_name and mutual TLS
// against servers using a generated CA.
func TestTLS(t *testing.T) {
	certs := testcerts.New(t)
	srv := hectest.New(t, hectest.Config{TLS: certs.ServerConfig(false)})
	mtls := hectest.New(t, hectest.Config{TLS: certs.ServerConfig(true)})

	for _, tc := range []struct {
		name     string
		srv      *hectest.Server
		endpoint func(*hectest.Server) string
		tls      *plugin.TLS
		wantErr  string // "" means events are indexed
	}{
		{name: "trusted CA", srv: srv, tls: &plugin.TLS{CAFile: certs.CAFile}},
		{name: "system roots do not know the CA", srv: srv, tls: nil, wantErr: "certificate"},
		{name: "another CA", srv: srv, tls: &plugin.TLS{CAFile: certs.OtherCAFile}, wantErr: "certificate"},
		{name: "server_name matches", srv: srv, tls: &plugin.TLS{CAFile: certs.CAFile, ServerName: "localhost"}},
		{name: "server_name does not match", srv: srv, tls: &plugin.TLS{CAFile: certs.CAFile, ServerName: "splunk.other.example"}, wantErr: "splunk.other.example"},
		{name: "by host name", srv: srv, endpoint: func(s *hectest.Server) string { return strings.Replace(s.URL(), "127.0.0.1", "localhost", 1) }, tls: &plugin.TLS{CAFile: certs.CAFile}},
		{name: "insecure_skip_verify", srv: srv, tls: &plugin.TLS{InsecureSkipVerify: true}},
		{name: "mTLS", srv: mtls, tls: &plugin.TLS{CAFile: certs.CAFile, CertFile: certs.ClientCert, KeyFile: certs.ClientKey}},
		{name: "mTLS without a client certificate", srv: mtls, tls: &plugin.TLS{CAFile: certs.CAFile}, wantErr: "certificate"},
		{name: "TLS 1.3 minimum", srv: srv, tls: &plugin.TLS{CAFile: certs.CAFile, MinVersion: "1.3"}},
		{name: "missing ca_file", srv: srv, tls: &plugin.TLS{CAFile: certs.CAFile + ".missing"}, wantErr: "ca_file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig(tc.srv)
			if tc.endpoint != nil {
				c.Endpoint = tc.endpoint(tc.srv)
			}
			c.TLS = tc.tls
			if err := c.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			s, err := New(c, sinks.Settings{Name: "splunk_hec.tls"})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close(context.Background())
			before := tc.srv.EventCount()
			err = s.Connect(context.Background())
			if err == nil {
				err = s.WriteBatch(context.Background(), auditEvents(0, 2))
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
				}
				if n := tc.srv.EventCount() - before; n != 0 {
					t.Fatalf("%d events indexed over a failed TLS setup", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n := tc.srv.EventCount() - before; n != 2 {
				t.Fatalf("indexed %d events, want 2", n)
			}
		})
	}
}
