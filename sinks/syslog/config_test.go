package syslog

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/forwarder/forwarder/plugin"
	"github.com/forwarder/forwarder/sinks"
)

func decodeHCL(t *testing.T, src string) (*Config, error) {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "test.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cfg := Factory().NewConfig().(*Config)
	if diags := gohcl.DecodeBody(f.Body, nil, cfg); diags.HasErrors() {
		return nil, diags
	}
	return cfg, nil
}

func TestConfigHCL(t *testing.T) {
	t.Parallel()
	cfg, err := decodeHCL(t, `
address  = "qradar.example:6514"
protocol = "tls"
encoding = "leef"
facility = "local4"
ack_hold = "20ms"
tls  { ca_file = "/etc/ca.pem" }
leef { delimiter = "^" }
kv   { pair_separator = "||" }
`)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"address", cfg.Address, "qradar.example:6514"},
		{"protocol", cfg.Protocol, "tls"},
		{"format default", cfg.Format, "rfc5424"},
		{"severity default", cfg.Severity, "info"},
		{"facility", cfg.Facility, "local4"},
		{"tls.ca_file", cfg.TLS.CAFile, "/etc/ca.pem"},
		{"leef.delimiter", cfg.LEEF.Delimiter, "^"},
		{"leef.format_version default kept", cfg.LEEF.FormatVersion, "2.0"},
		{"kv.pair_separator", cfg.KV.PairSeparator, "||"},
		{"kv.kv_separator default kept", cfg.KV.KVSeparator, "="},
		{"cef default block", cfg.CEF.Vendor, "Alibaba Cloud"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	// Unknown attributes are diagnostics, never ignored.
	if _, err := decodeHCL(t, `address = "a:1"
bogus = 1`); err == nil {
		t.Error("unknown attribute decoded without error")
	}
	// The JSON fingerprint changes with any attribute and never with nothing.
	a, _ := json.Marshal(cfg)
	cfg2 := *cfg
	cfg2.AckHold = "30ms"
	b, _ := json.Marshal(&cfg2)
	c, _ := json.Marshal(cfg)
	if string(a) == string(b) || string(a) != string(c) {
		t.Errorf("fingerprint not sensitive or not stable:\n%s\n%s", a, b)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(c *Config)
		attr   string // "" = valid
	}{
		{"defaults", func(c *Config) {}, ""},
		{"no address", func(c *Config) { c.Address = "" }, "address"},
		{"address without port", func(c *Config) { c.Address = "host" }, "address"},
		{"protocol", func(c *Config) { c.Protocol = "sctp" }, "protocol"},
		{"format", func(c *Config) { c.Format = "rfc5425" }, "format"},
		{"framing", func(c *Config) { c.Framing = "lf" }, "framing"},
		{"framing on udp", func(c *Config) { c.Protocol, c.Framing = "udp", "octet_counting" }, "framing"},
		{"non_transparent tls", func(c *Config) { c.Protocol, c.Framing = "tls", "non_transparent" }, ""},
		{"encoding", func(c *Config) { c.Encoding = "xml" }, "encoding"},
		{"facility name", func(c *Config) { c.Facility = "local8" }, "facility"},
		{"facility number", func(c *Config) { c.Facility = "24" }, "facility"},
		{"severity", func(c *Config) { c.Severity = "8" }, "severity"},
		{"severity name", func(c *Config) { c.Severity = "loud" }, "severity"},
		{"sd_id", func(c *Config) { c.SDID = "a b" }, "sd_id"},
		{"sd_id off", func(c *Config) { c.SDID = "" }, ""},
		{"sd_id with pen", func(c *Config) { c.SDID = "sls@12345.1" }, ""},
		{"sd_id without pen", func(c *Config) { c.SDID = "sls" }, "sd_id"},
		{"sd_id bad pen", func(c *Config) { c.SDID = "sls@acme" }, "sd_id"},
		{"timezone", func(c *Config) { c.Timezone = "Europe/Paris" }, "timezone"},
		{"timezone offset", func(c *Config) { c.Timezone = "+05:30" }, ""},
		{"udp_max_size unit", func(c *Config) { c.UDPMaxSize = "8KiB" }, ""},
		{"udp_max_size big", func(c *Config) { c.UDPMaxSize = "64KiB" }, "udp_max_size"},
		{"udp_max_size junk", func(c *Config) { c.UDPMaxSize = "lots" }, "udp_max_size"},
		{"udp_oversize", func(c *Config) { c.UDPOversize = "drop" }, "udp_oversize"},
		{"write_timeout", func(c *Config) { c.WriteTimeout = "soon" }, "write_timeout"},
		{"write_timeout zero", func(c *Config) { c.WriteTimeout = "0s" }, "write_timeout"},
		{"connect_timeout", func(c *Config) { c.ConnectTimeout = "-1s" }, "connect_timeout"},
		{"ack_hold", func(c *Config) { c.AckHold = "1m" }, "ack_hold"},
		{"ack_hold off", func(c *Config) { c.AckHold = "0s" }, ""},
		{"tls on tcp", func(c *Config) { c.TLS = &plugin.TLS{} }, "tls"},
		{"tls half cert", func(c *Config) { c.Protocol, c.TLS = "tls", &plugin.TLS{CertFile: "c"} }, "tls.cert_file"},
		{"kv same separators", func(c *Config) { c.KV = &KVConfig{PairSeparator: "=", KVSeparator: "="} }, "kv.kv_separator"},
		{"kv backslash", func(c *Config) { c.KV = &KVConfig{PairSeparator: `\`} }, "kv.pair_separator"},
		{"kv letter", func(c *Config) { c.KV = &KVConfig{KVSeparator: "n"} }, "kv.kv_separator"},
		{"kv newline", func(c *Config) { c.KV = &KVConfig{PairSeparator: "\n"} }, "kv.pair_separator"},
		{"cef severity", func(c *Config) { c.CEF = &CEFConfig{Severity: "11"} }, "cef.severity"},
		{"cef severity word", func(c *Config) { c.CEF = &CEFConfig{Severity: "Very-High"} }, ""},
		{"leef version", func(c *Config) { c.LEEF = &LEEFConfig{FormatVersion: "3.0"} }, "leef.format_version"},
		{"leef old version name", func(c *Config) { c.LEEF = &LEEFConfig{Version: "1.0"} }, ""},
		{"leef old name as product version", func(c *Config) { c.LEEF = &LEEFConfig{Version: "7.2"} }, "leef.version"},
		{"leef both names disagree", func(c *Config) { c.LEEF = &LEEFConfig{Version: "2.0", FormatVersion: "1.0"} }, "leef.version"},
		{"kv keys", func(c *Config) { c.KV = &KVConfig{Keys: map[string]string{"user": "user name"}} }, ""},
		{"kv keys empty", func(c *Config) { c.KV = &KVConfig{Keys: map[string]string{"user": ""}} }, "kv.keys"},
		{"cef keys", func(c *Config) {
			c.CEF = &CEFConfig{Keys: map[string]string{"user": "suser", "__tag__:__client_ip__": "src"}}
		}, ""},
		{"cef keys reserved", func(c *Config) { c.CEF = &CEFConfig{Keys: map[string]string{"when": "rt"}} }, "cef.keys"},
		{"cef keys space", func(c *Config) { c.CEF = &CEFConfig{Keys: map[string]string{"user": "s user"}} }, "cef.keys"},
		{"leef keys twice", func(c *Config) { c.LEEF = &LEEFConfig{Keys: map[string]string{"a": "usrName", "b": "usrName"}} }, "leef.keys"},
		{"leef keys reserved", func(c *Config) { c.LEEF = &LEEFConfig{Keys: map[string]string{"t": "devTime"}} }, "leef.keys"},
		{"leef delimiter", func(c *Config) { c.LEEF = &LEEFConfig{Delimiter: "ab"} }, "leef.delimiter"},
		{"leef delimiter hex", func(c *Config) { c.LEEF = &LEEFConfig{Delimiter: "xZZ"} }, "leef.delimiter"},
		{"leef 1.0 custom", func(c *Config) { c.LEEF = &LEEFConfig{FormatVersion: "1.0", Delimiter: "^"} }, "leef.delimiter"},
		{"nil blocks", func(c *Config) { c.KV, c.CEF, c.LEEF = nil, nil, nil }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewConfig()
			c.Address = "127.0.0.1:514"
			tt.mutate(c)
			err := c.Validate()
			if tt.attr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var ae *plugin.AttrError
			if !errors.As(err, &ae) || ae.Attr != tt.attr {
				t.Fatalf("error %v, want *plugin.AttrError on %q", err, tt.attr)
			}
		})
	}
}

func TestFactory(t *testing.T) {
	t.Parallel()
	f := Factory()
	if f.Type != "syslog" || f.MaxInFlight != 1 || f.Batch.MaxEvents <= 0 || f.Batch.MaxBytes <= 0 {
		t.Errorf("factory %+v", f)
	}
	cfg := f.NewConfig().(*Config)
	cfg.Address = "127.0.0.1:1"
	s, err := f.New(cfg, sinks.Settings{Name: "syslog.x"})
	if err != nil {
		t.Fatal(err)
	}
	// New does no I/O: nothing listens on port 1, yet New succeeded; Close
	// is safe without Connect and idempotent.
	for range 2 {
		if err := s.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	bad := f.NewConfig().(*Config)
	bad.Address, bad.Framing = "127.0.0.1:1", "nope"
	if _, err := f.New(bad, sinks.Settings{Name: "syslog.x"}); err == nil {
		t.Error("New accepted an invalid config")
	}
	if _, err := f.New(otherConfig{}, sinks.Settings{}); err == nil {
		t.Error("New accepted a foreign config type")
	}
}

type otherConfig struct{}

func (otherConfig) Validate() error { return nil }
