package splunkhec

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/forwarder/forwarder/internal/units"
	"github.com/forwarder/forwarder/plugin"
)

// Type is the sink type, the first label of `sink "splunk_hec" "name" {…}`.
const Type = "splunk_hec"

// Endpoint types.
const (
	EndpointEvent = "event" // /services/collector/event: one JSON envelope per event
	EndpointRaw   = "raw"   // /services/collector/raw: one line per event
)

// Compression values.
const (
	CompressionGzip = "gzip"
	CompressionNone = "none"
)

// Default values filled in by NewConfig. Compression defaults to gzip at
// level 1: audit JSON shrinks about five times, level 1 of klauspost/compress
// costs about 2.5 ns per byte (reference/libraries.md §3), and 200 MB/s of raw
// events would otherwise be 1.6 Gbit/s on the wire to a SIEM that is usually
// across a WAN or a load balancer. Vector and OTel gzip HEC by default too.
const (
	DefaultCompression     = CompressionGzip
	DefaultGzipLevel       = 1
	DefaultTimeout         = "30s"
	DefaultAckTimeout      = "5m" // Splunk's guidance: resend after about 5 minutes without a true
	DefaultAckPollInterval = "1s" // one poll per channel serves every pending batch, so 1 s is cheap
	DefaultMaxIdleConns    = 16
)

// Config is the body of a `sink "splunk_hec" "name" { … }` block. Its JSON
// form is the sink's fingerprint: a changed attribute rebuilds the sink on
// reload. The token's JSON form is a hash (plugin.Secret).
//
// Durations are Go-style strings ("500ms", "5m"). The engine decodes
// `batch {}`, `in_flight` and retry settings itself.
type Config struct {
	// Endpoint is the base URL of HEC, https://splunk.example:8088. A path is
	// kept as a prefix (for a reverse proxy): https://proxy/splunk sends to
	// https://proxy/splunk/services/collector/event.
	Endpoint string `hcl:"endpoint" json:"endpoint"`
	// Token is the HEC token, sent as `Authorization: Splunk <token>`.
	Token plugin.Secret `hcl:"token" json:"token"`
	// EndpointType is "event" (default) or "raw".
	EndpointType string `hcl:"endpoint_type,optional" json:"endpoint_type"`
	// Path replaces the collector path (/services/collector/event or
	// /services/collector/raw) after the endpoint's own path.
	Path string `hcl:"path,optional" json:"path,omitempty"`
	// Index, Sourcetype, Source and Host are the defaults of the envelope's
	// metadata; an event's meta values of the same names override them.
	Index      string `hcl:"index,optional" json:"index,omitempty"`
	Sourcetype string `hcl:"sourcetype,optional" json:"sourcetype,omitempty"`
	Source     string `hcl:"source,optional" json:"source,omitempty"`
	Host       string `hcl:"host,optional" json:"host,omitempty"`
	// Fields names the event fields sent as HEC indexed fields. "__topic__",
	// "__source__" and "__tag__:NAME" name the SLS topic, source and tags.
	Fields []string `hcl:"fields,optional" json:"fields,omitempty"`
	// Compression is "gzip" (default) or "none".
	Compression string `hcl:"compression,optional" json:"compression"`
	// GzipLevel is 1 (fastest, default) to 9 (smallest).
	GzipLevel int `hcl:"gzip_level,optional" json:"gzip_level"`
	// IndexerAck makes a batch count as delivered only when HEC's indexer
	// acknowledgement says so. The token must have useACK enabled.
	IndexerAck bool `hcl:"indexer_ack,optional" json:"indexer_ack"`
	// Channel is the X-Splunk-Request-Channel GUID. A random one is made for
	// each sink when unset.
	Channel string `hcl:"channel,optional" json:"channel,omitempty"`
	// AckTimeout is how long a batch waits for its acknowledgement before it
	// is resent.
	AckTimeout string `hcl:"ack_timeout,optional" json:"ack_timeout"`
	// AckPollInterval is the period of the channel's ack queries.
	AckPollInterval string `hcl:"ack_poll_interval,optional" json:"ack_poll_interval"`
	// Timeout bounds one HTTP request, body and reply included.
	Timeout string `hcl:"timeout,optional" json:"timeout"`
	// MaxIdleConns is how many keep-alive connections are kept open.
	MaxIdleConns int `hcl:"max_idle_conns,optional" json:"max_idle_conns"`
	// TLS configures certificate verification and mutual TLS.
	TLS *plugin.TLS `hcl:"tls,block" json:"tls,omitempty"`
}

// NewConfig returns a Config with the defaults filled in; HCL decodes over it.
func NewConfig() *Config {
	return &Config{
		EndpointType:    EndpointEvent,
		Compression:     DefaultCompression,
		GzipLevel:       DefaultGzipLevel,
		AckTimeout:      DefaultAckTimeout,
		AckPollInterval: DefaultAckPollInterval,
		Timeout:         DefaultTimeout,
		MaxIdleConns:    DefaultMaxIdleConns,
	}
}

// Validate checks every attribute without I/O. It reports every bad
// attribute (errors.Join of *plugin.AttrError, each naming its attribute, so
// the plan can skip those whose value comes from env()); none of the errors
// contains the token.
func (c *Config) Validate() error {
	_, err := c.settings()
	return err
}

// settings is the validated, parsed form of a Config.
type settings struct {
	base            *url.URL // endpoint, path without a trailing slash
	postPath        string
	raw             bool
	gzipLevel       int // 0: no compression
	timeout         time.Duration
	ackTimeout      time.Duration
	ackPollInterval time.Duration
}

func attrErr(attr string, format string, args ...any) error {
	return &plugin.AttrError{Attr: attr, Err: fmt.Errorf(format, args...)}
}

func (c *Config) settings() (*settings, error) {
	var (
		s    settings
		errs []error
	)
	fail := func(attr string, format string, args ...any) {
		errs = append(errs, attrErr(attr, format, args...))
	}
	u, err := url.Parse(c.Endpoint)
	switch {
	case c.Endpoint == "":
		fail("endpoint", "must be set, for example \"https://splunk.example.com:8088\"")
	case err != nil:
		fail("endpoint", "not a valid URL")
	case u.Scheme != "https" && u.Scheme != "http":
		fail("endpoint", "scheme must be https or http, not %q", u.Scheme)
	case u.Host == "":
		fail("endpoint", "has no host; write it as \"https://splunk.example.com:8088\"")
	case u.User != nil:
		fail("endpoint", "must not hold credentials; HEC authenticates with token")
	case u.RawQuery != "" || u.Fragment != "":
		fail("endpoint", "must not have a query or fragment")
	default:
		u.Path = strings.TrimRight(u.Path, "/")
		u.RawPath = ""
		s.base = u
	}

	switch tok := c.Token.Reveal(); {
	case tok == "":
		fail("token", "must be set")
	case strings.ContainsFunc(tok, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		fail("token", "must not contain spaces or control characters")
	}

	switch c.EndpointType {
	case EndpointEvent, "":
		s.postPath = "/services/collector/event"
	case EndpointRaw:
		s.raw = true
		s.postPath = "/services/collector/raw"
		if len(c.Fields) > 0 {
			fail("fields", "indexed fields are not supported by the raw endpoint; use endpoint_type = \"event\"")
		}
	default:
		fail("endpoint_type", "must be \"event\" or \"raw\", not %q", c.EndpointType)
	}
	if c.Path != "" {
		if !strings.HasPrefix(c.Path, "/") || strings.ContainsAny(c.Path, "?#") {
			fail("path", "must be an absolute path such as \"/services/collector/event/1.0\", without a query")
		}
		s.postPath = c.Path
	}

	seen := make(map[string]bool, len(c.Fields))
	for _, f := range c.Fields {
		switch {
		case f == "":
			fail("fields", "field names must not be empty")
		case seen[f]:
			fail("fields", "%q is listed twice", f)
		}
		seen[f] = true
	}

	switch c.Compression {
	case CompressionGzip, "":
		if c.GzipLevel < 1 || c.GzipLevel > 9 {
			fail("gzip_level", "must be 1 (fastest) to 9 (smallest), not %d", c.GzipLevel)
		}
		s.gzipLevel = c.GzipLevel
	case CompressionNone:
	default:
		fail("compression", "must be \"gzip\" or \"none\", not %q", c.Compression)
	}

	if c.Channel != "" && !IsGUID(c.Channel) {
		fail("channel", "must be a GUID such as \"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0\"")
	}
	var dErrs [3]error
	s.timeout, dErrs[0] = positiveDuration("timeout", c.Timeout)
	s.ackTimeout, dErrs[1] = positiveDuration("ack_timeout", c.AckTimeout)
	s.ackPollInterval, dErrs[2] = positiveDuration("ack_poll_interval", c.AckPollInterval)
	errs = append(errs, dErrs[0], dErrs[1], dErrs[2])
	if c.IndexerAck && dErrs[1] == nil && dErrs[2] == nil && s.ackPollInterval > s.ackTimeout {
		fail("ack_poll_interval", "%s is longer than ack_timeout %s", s.ackPollInterval, s.ackTimeout)
	}
	if c.MaxIdleConns < 1 {
		fail("max_idle_conns", "must be at least 1, not %d", c.MaxIdleConns)
	}
	if c.TLS != nil {
		if s.base != nil && s.base.Scheme != "https" {
			fail("tls", "a tls block needs an https endpoint")
		}
		errs = append(errs, c.TLS.Validate())
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &s, nil
}

func positiveDuration(attr, v string) (time.Duration, error) {
	d, err := units.ParseDuration(v)
	if err != nil {
		return 0, &plugin.AttrError{Attr: attr, Err: err}
	}
	if d <= 0 {
		return 0, attrErr(attr, "must be longer than zero")
	}
	return d, nil
}

// IsGUID reports whether s has the 8-4-4-4-12 hexadecimal form HEC wants for
// a channel.
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
