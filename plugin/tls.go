package plugin

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// Secret is a string that must never be printed: access keys, HEC tokens,
// passwords. Formatting it yields "REDACTED"; its JSON form (used for config
// fingerprints) is a hash, so a rotated secret changes the fingerprint while
// the secret itself is never serialised.
type Secret string

// Reveal returns the secret value, for the one place that sends it.
func (s Secret) Reveal() string { return string(s) }

// String redacts the secret.
func (s Secret) String() string { return "REDACTED" }

// GoString redacts the secret in %#v.
func (s Secret) GoString() string { return `"REDACTED"` }

// MarshalJSON returns a hash of the secret, never the secret.
func (s Secret) MarshalJSON() ([]byte, error) {
	if s == "" {
		return []byte(`""`), nil
	}
	h := sha256.Sum256([]byte("forwarder-secret:" + s))
	return json.Marshal("sha256:" + hex.EncodeToString(h[:8]))
}

// TLS is the `tls { … }` block shared by sinks that speak TLS. Verification
// is on unless insecure_skip_verify is set.
type TLS struct {
	// CAFile is a PEM bundle of CAs to trust instead of the system pool.
	CAFile string `hcl:"ca_file,optional" json:"ca_file,omitempty"`
	// CertFile and KeyFile are a client certificate for mutual TLS.
	CertFile string `hcl:"cert_file,optional" json:"cert_file,omitempty"`
	KeyFile  string `hcl:"key_file,optional" json:"key_file,omitempty"`
	// ServerName overrides the name checked in the server's certificate.
	ServerName string `hcl:"server_name,optional" json:"server_name,omitempty"`
	// InsecureSkipVerify turns verification off. For tests only.
	InsecureSkipVerify bool `hcl:"insecure_skip_verify,optional" json:"insecure_skip_verify,omitempty"`
	// MinVersion is "1.2" (default) or "1.3".
	MinVersion string `hcl:"min_version,optional" json:"min_version,omitempty"`
}

// Validate checks the block without reading files.
func (t *TLS) Validate() error {
	if (t.CertFile == "") != (t.KeyFile == "") {
		return &AttrError{Attr: "tls.cert_file", Err: errors.New("cert_file and key_file must be set together")}
	}
	switch t.MinVersion {
	case "", "1.2", "1.3":
	default:
		return &AttrError{Attr: "tls.min_version", Err: fmt.Errorf("unsupported TLS version %q; use \"1.2\" or \"1.3\"", t.MinVersion)}
	}
	return nil
}

// Build reads the files and returns a client TLS config. It does I/O, so
// sinks call it from Connect, never from New.
func (t *TLS) Build() (*tls.Config, error) {
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify, //nolint:gosec // explicit user opt-in
	}
	if t.MinVersion == "1.3" {
		cfg.MinVersion = tls.VersionTLS13
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls: read ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls: ca_file %q holds no PEM certificate", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls: load client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
