package splunkhec

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/forwarder/forwarder/plugin"
	"github.com/forwarder/forwarder/sinks"
)

func decodeHCL(t *testing.T, src string) (*Config, hcl.Diagnostics) {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "test.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	c := Factory().NewConfig().(*Config)
	return c, gohcl.DecodeBody(f.Body, nil, c)
}

func TestConfigHCL(t *testing.T) {
	c, diags := decodeHCL(t, `
endpoint    = "https://splunk.corp.example:8088"
token       = "00000000-1111-2222-3333-444444444444"
index       = "alicloud"
sourcetype  = "alicloud:sls"
fields      = ["user", "__topic__"]
indexer_ack = true
ack_timeout = "2m"
tls {
  ca_file     = "/etc/forwarder/corp-ca.pem"
  server_name = "splunk.corp.example"
}
`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := NewConfig()
	want.Endpoint = "https://splunk.corp.example:8088"
	want.Token = "00000000-1111-2222-3333-444444444444"
	want.Index, want.Sourcetype = "alicloud", "alicloud:sls"
	want.Fields = []string{"user", "__topic__"}
	want.IndexerAck = true
	want.AckTimeout = "2m"
	want.TLS = &plugin.TLS{CAFile: "/etc/forwarder/corp-ca.pem", ServerName: "splunk.corp.example"}
	if d := cmp.Diff(want, c); d != "" {
		t.Fatalf("decoded config (-want +got):\n%s", d)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	fp, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(fp), string(c.Token)) {
		t.Fatalf("fingerprint holds the token: %s", fp)
	}
	// A rotated token changes the fingerprint.
	c2 := *c
	c2.Token = "00000000-1111-2222-3333-555555555555"
	fp2, _ := json.Marshal(&c2)
	if string(fp) == string(fp2) {
		t.Fatal("a different token gives the same fingerprint")
	}

	_, diags = decodeHCL(t, `
endpoint = "https://x:8088"
token    = "t"
in_flight = 3
`)
	if !diags.HasErrors() {
		t.Fatal("an attribute the sink does not declare was accepted")
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*Config)
		attrs []string // attributes named by the errors; nil means valid
	}{
		{"defaults", func(*Config) {}, nil},
		{"raw", func(c *Config) { c.EndpointType = EndpointRaw }, nil},
		{"prefix", func(c *Config) { c.Endpoint = "https://proxy.example/splunk/" }, nil},
		{"http", func(c *Config) { c.Endpoint = "http://127.0.0.1:8088" }, nil},
		{"no endpoint", func(c *Config) { c.Endpoint = "" }, []string{"endpoint"}},
		{"not a URL", func(c *Config) { c.Endpoint = "://x" }, []string{"endpoint"}},
		{"bad scheme", func(c *Config) { c.Endpoint = "tcp://splunk:8088" }, []string{"endpoint"}},
		{"no host", func(c *Config) { c.Endpoint = "https:///services" }, []string{"endpoint"}},
		{"credentials", func(c *Config) { c.Endpoint = "https://u:p@splunk:8088" }, []string{"endpoint"}},
		{"query", func(c *Config) { c.Endpoint = "https://splunk:8088/?token=x" }, []string{"endpoint"}},
		{"empty token", func(c *Config) { c.Token = "" }, []string{"token"}},
		{"token with space", func(c *Config) { c.Token = "a b" }, []string{"token"}},
		{"endpoint_type", func(c *Config) { c.EndpointType = "metrics" }, []string{"endpoint_type"}},
		{"raw with fields", func(c *Config) { c.EndpointType = EndpointRaw; c.Fields = []string{"a"} }, []string{"fields"}},
		{"relative path", func(c *Config) { c.Path = "services/collector" }, []string{"path"}},
		{"empty field", func(c *Config) { c.Fields = []string{""} }, []string{"fields"}},
		{"duplicate field", func(c *Config) { c.Fields = []string{"a", "a"} }, []string{"fields"}},
		{"compression", func(c *Config) { c.Compression = "deflate" }, []string{"compression"}},
		{"gzip_level", func(c *Config) { c.GzipLevel = 10 }, []string{"gzip_level"}},
		{"gzip_level ignored without gzip", func(c *Config) { c.Compression = CompressionNone; c.GzipLevel = 0 }, nil},
		{"channel", func(c *Config) { c.Channel = "not-a-guid" }, []string{"channel"}},
		{"channel ok", func(c *Config) { c.Channel = "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0" }, nil},
		{"timeout", func(c *Config) { c.Timeout = "soon" }, []string{"timeout"}},
		{"zero timeout", func(c *Config) { c.Timeout = "0s" }, []string{"timeout"}},
		{"ack_timeout", func(c *Config) { c.AckTimeout = "-1s" }, []string{"ack_timeout"}},
		{"poll longer than timeout", func(c *Config) { c.IndexerAck = true; c.AckPollInterval = "10m" }, []string{"ack_poll_interval"}},
		{"max_idle_conns", func(c *Config) { c.MaxIdleConns = 0 }, []string{"max_idle_conns"}},
		{"tls over http", func(c *Config) { c.Endpoint = "http://splunk:8088"; c.TLS = &plugin.TLS{} }, []string{"tls"}},
		{"tls block", func(c *Config) { c.TLS = &plugin.TLS{CertFile: "c.pem"} }, []string{"tls.cert_file"}},
		{"several", func(c *Config) { c.Endpoint = ""; c.Compression = "zstd"; c.Timeout = "x" }, []string{"endpoint", "compression", "timeout"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewConfig()
			c.Endpoint = "https://splunk.example:8088"
			c.Token = "00000000-1111-2222-3333-444444444444"
			tc.edit(c)
			err := c.Validate()
			var got []string
			if err != nil {
				errs := []error{err}
				if j, ok := err.(interface{ Unwrap() []error }); ok {
					errs = j.Unwrap()
				}
				for _, e := range errs {
					var ae *plugin.AttrError
					if !errors.As(e, &ae) {
						t.Fatalf("error %v is not an *AttrError", e)
					}
					got = append(got, ae.Attr)
				}
			}
			if d := cmp.Diff(tc.attrs, got); d != "" {
				t.Fatalf("attributes in error (-want +got):\n%s\nerror: %v", d, err)
			}
			if _, err := New(c, sinks.Settings{}); (err == nil) != (tc.attrs == nil) {
				t.Fatalf("New error %v, Validate %v", err, c.Validate())
			}
		})
	}
}

func TestFactory(t *testing.T) {
	f := Factory()
	if f.Type != "splunk_hec" || f.MaxInFlight != MaxInFlight || f.Batch.MaxEvents <= 0 || f.Batch.MaxBytes <= 0 {
		t.Fatalf("factory %+v", f)
	}
	if _, err := plugin.NewRegistry("sink", f); err != nil {
		t.Fatal(err)
	}
	c := f.NewConfig().(*Config)
	c.Endpoint, c.Token = "https://splunk.example:8088", "t"
	s, err := f.New(c, sinks.Settings{Name: "splunk_hec.x"})
	if err != nil || s == nil {
		t.Fatalf("New: %v", err)
	}
	if _, err := f.New(otherConfig{}, sinks.Settings{}); err == nil {
		t.Fatal("New accepted another sink's config")
	}
}

type otherConfig struct{}

func (otherConfig) Validate() error { return nil }

func TestNewGUID(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		g := newGUID()
		if !IsGUID(g) || g[14] != '4' {
			t.Fatalf("newGUID() = %q, not a v4 GUID", g)
		}
		if seen[g] {
			t.Fatalf("newGUID repeated %q", g)
		}
		seen[g] = true
	}
}
