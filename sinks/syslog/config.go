package syslog

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/forwarder/forwarder/internal/units"
	"github.com/forwarder/forwarder/plugin"
)

// Config is the body of a `sink "syslog" "NAME" { … }` block. HCL decodes
// over NewConfig, so an attribute that is absent keeps its default. The
// JSON form is the sink's fingerprint on reload: every attribute that changes
// behaviour carries a json tag.
type Config struct {
	// Address is the receiver's host:port.
	Address string `hcl:"address" json:"address"`
	// Protocol is udp, tcp (default) or tls.
	Protocol string `hcl:"protocol,optional" json:"protocol"`
	// Format is the syslog header: rfc5424 (default) or rfc3164.
	Format string `hcl:"format,optional" json:"format"`
	// Framing is octet_counting (the default for tcp and tls, RFC 6587 §3.4.1
	// and RFC 5425) or non_transparent (LF-terminated). Not used with udp.
	Framing string `hcl:"framing,optional" json:"framing"`
	// Encoding is the message body: json (default), kv, cef or leef.
	Encoding string `hcl:"encoding,optional" json:"encoding"`
	// Facility and Severity are names (local0, info) or numbers. The event
	// meta keys "facility" and "severity" override them per event.
	Facility string `hcl:"facility,optional" json:"facility"`
	Severity string `hcl:"severity,optional" json:"severity"`
	// Hostname, AppName, ProcID and MsgID fill the header. Empty means the
	// NILVALUE "-" (for hostname: this machine's name). The meta keys "host",
	// "app_name" and "msgid" override them per event.
	Hostname string `hcl:"hostname,optional" json:"hostname"`
	AppName  string `hcl:"app_name,optional" json:"app_name"`
	ProcID   string `hcl:"procid,optional" json:"procid"`
	MsgID    string `hcl:"msgid,optional" json:"msgid"`
	// SDID is the RFC 5424 structured-data element that carries the event's
	// topic, source and tags: NAME@PEN with your organisation's IANA private
	// enterprise number, e.g. "sls@12345". The default "" leaves structured
	// data out (NILVALUE); the body still holds topic, source and tags
	// unless fields_only is set.
	SDID string `hcl:"sd_id,optional" json:"sd_id"`
	// FieldsOnly makes the body hold only the content fields (json uses
	// event.AppendFields); by default it holds the flat SLS form with
	// __time__, __topic__, __source__ and __tag__:* (event.AppendJSON).
	FieldsOnly bool `hcl:"fields_only,optional" json:"fields_only"`
	// Timezone is the zone timestamps are written in: "UTC" (default),
	// "Local" or a fixed offset such as "+08:00".
	Timezone string `hcl:"timezone,optional" json:"timezone"`
	// UDPMaxSize is the largest datagram (default "2048", at most 65507).
	UDPMaxSize string `hcl:"udp_max_size,optional" json:"udp_max_size"`
	// UDPOversize is what happens to a larger message: truncate (default;
	// the event is shortened as with Oversize) or dead_letter (the event is
	// rejected).
	UDPOversize string `hcl:"udp_oversize,optional" json:"udp_oversize"`
	// MaxMessageSize is the largest TCP/TLS message, framing not counted
	// (default "64KiB"); set it to the receiver's limit (rsyslog's
	// maxMessageSize is 8k unless configured). UDP uses udp_max_size.
	MaxMessageSize string `hcl:"max_message_size,optional" json:"max_message_size"`
	// Oversize is what happens to a longer TCP/TLS message: truncate
	// (default: the event is shortened, the message stays valid) or
	// dead_letter (the event is rejected).
	Oversize string `hcl:"oversize,optional" json:"oversize"`
	// WriteTimeout bounds one batch's write (default "10s").
	WriteTimeout string `hcl:"write_timeout,optional" json:"write_timeout"`
	// ConnectTimeout bounds dialling plus the TLS handshake (default "10s").
	ConnectTimeout string `hcl:"connect_timeout,optional" json:"connect_timeout"`
	// AckHold is how long a TCP/TLS connection must stay healthy after a
	// batch's bytes were acknowledged by the peer's TCP stack before the
	// batch counts as delivered (default "100ms"; "0s" turns it off). See the
	// package documentation.
	AckHold string `hcl:"ack_hold,optional" json:"ack_hold"`

	// TLS configures protocol "tls"; verification is on by default.
	TLS *plugin.TLS `hcl:"tls,block" json:"tls,omitempty"`
	// KV, CEF and LEEF hold the settings of those encodings.
	KV   *KVConfig   `hcl:"kv,block" json:"kv,omitempty"`
	CEF  *CEFConfig  `hcl:"cef,block" json:"cef,omitempty"`
	LEEF *LEEFConfig `hcl:"leef,block" json:"leef,omitempty"`
}

// KVConfig is the `kv { … }` block: key=value pairs.
type KVConfig struct {
	// PairSeparator goes between pairs (default " ", e.g. "||").
	PairSeparator string `hcl:"pair_separator,optional" json:"pair_separator"`
	// KVSeparator goes between a key and its value (default "=").
	KVSeparator string `hcl:"kv_separator,optional" json:"kv_separator"`
	// Keys renames pairs: event field name (or "__topic__", "__source__",
	// "__tag__:NAME") → the key written. Unlisted fields keep their names.
	Keys map[string]string `hcl:"keys,optional" json:"keys,omitempty"`
}

// CEFConfig is the `cef { … }` block: the ArcSight CEF:0 header. Each
// *_field attribute names an event field whose value, when present and not
// empty, replaces the constant beside it; the meta keys "event_id" and
// "event_name" (set by a rule) come before both.
type CEFConfig struct {
	Vendor  string `hcl:"vendor,optional" json:"vendor"`
	Product string `hcl:"product,optional" json:"product"`
	// Version is the header's Device Version: the product's version (the
	// CEF format version is always 0).
	Version string `hcl:"version,optional" json:"version"`
	// SignatureID is the Signature ID (Device Event Class ID) when the
	// event has no meta "event_id" and no signature_id_field value. The
	// default "" means the event's __topic__, or "sls" when it has none.
	SignatureID      string `hcl:"signature_id,optional" json:"signature_id"`
	SignatureIDField string `hcl:"signature_id_field,optional" json:"signature_id_field"`
	// Name is the header's Name when the event has no meta "event_name"
	// and no name_field value; the default "" repeats the Signature ID.
	Name      string `hcl:"name,optional" json:"name"`
	NameField string `hcl:"name_field,optional" json:"name_field"`
	// Severity is 0–10 or Unknown, Low, Medium, High, Very-High.
	Severity      string `hcl:"severity,optional" json:"severity"`
	SeverityField string `hcl:"severity_field,optional" json:"severity_field"`
	// Keys maps event fields to CEF extension keys (user = "suser"), as
	// KVConfig.Keys; testdata/actiontrail.hcl has a mapping for ActionTrail.
	Keys map[string]string `hcl:"keys,optional" json:"keys,omitempty"`
}

// LEEFConfig is the `leef { … }` block: the QRadar LEEF header.
type LEEFConfig struct {
	// FormatVersion is the LEEF format version: "1.0" or "2.0" (default).
	FormatVersion string `hcl:"format_version,optional" json:"format_version"`
	// Version is the old name of FormatVersion. It is still honoured, with
	// a warning (Config.Warnings): it reads like the product's version,
	// which is ProductVersion here and version in a cef block.
	Version string `hcl:"version,optional" json:"version,omitempty"`
	Vendor  string `hcl:"vendor,optional" json:"vendor"`
	Product string `hcl:"product,optional" json:"product"`
	// ProductVersion is the header's Version field.
	ProductVersion string `hcl:"product_version,optional" json:"product_version"`
	// EventID is the header's EventID when the event has no meta
	// "event_id" and no event_id_field value. QRadar maps events to QIDs by
	// it, so one constant for everything is rarely right: the default ""
	// means the event's __topic__, or "sls" when it has none.
	EventID      string `hcl:"event_id,optional" json:"event_id"`
	EventIDField string `hcl:"event_id_field,optional" json:"event_id_field"`
	// Delimiter separates attributes: one ASCII character or its hex code
	// ("^", "x5E", "0x09"). Default TAB, the only choice for LEEF 1.0.
	Delimiter string `hcl:"delimiter,optional" json:"delimiter"`
	// Keys maps event fields to LEEF attribute keys (user = "usrName"), as
	// KVConfig.Keys; testdata/actiontrail.hcl has a mapping for ActionTrail.
	Keys map[string]string `hcl:"keys,optional" json:"keys,omitempty"`
}

// Defaults.
const (
	defaultAppName        = "forwarder"
	defaultUDPMaxSize     = 2048
	maxUDPPayload         = 65507
	defaultMaxMessageSize = 64 << 10
	minMessageSize        = 480 // RFC 5424 §6.1: every receiver takes 480 octets
	maxMessageSize        = 16 << 20
	defaultWriteTimeout   = 10 * time.Second
	defaultConnectTimeout = 10 * time.Second
	defaultAckHold        = 100 * time.Millisecond
)

// NewConfig returns a config with every default filled in.
func NewConfig() *Config {
	return &Config{
		Protocol:       "tcp",
		Format:         "rfc5424",
		Encoding:       "json",
		Facility:       "user",
		Severity:       "info",
		AppName:        defaultAppName,
		Timezone:       "UTC",
		UDPMaxSize:     strconv.Itoa(defaultUDPMaxSize),
		UDPOversize:    "truncate",
		MaxMessageSize: "64KiB",
		Oversize:       "truncate",
		WriteTimeout:   defaultWriteTimeout.String(),
		ConnectTimeout: defaultConnectTimeout.String(),
		AckHold:        defaultAckHold.String(),
		KV:             defaultKV(),
		CEF:            defaultCEF(),
		LEEF:           defaultLEEF(),
	}
}

func defaultKV() *KVConfig { return &KVConfig{PairSeparator: " ", KVSeparator: "="} }

func defaultCEF() *CEFConfig {
	return &CEFConfig{Vendor: "Alibaba Cloud", Product: "Log Service", Version: "1.0", Severity: "5"}
}

func defaultLEEF() *LEEFConfig {
	return &LEEFConfig{FormatVersion: "2.0", Vendor: "Alibaba Cloud", Product: "Log Service",
		ProductVersion: "1.0", Delimiter: "\t"}
}

func attrErr(attr string, format string, args ...any) error {
	return &plugin.AttrError{Attr: attr, Err: fmt.Errorf(format, args...)}
}

// Validate checks every attribute without I/O. Errors are *plugin.AttrError.
func (c *Config) Validate() error {
	_, err := c.resolve()
	return err
}

// settings is a validated config in the form the sink uses.
type settings struct {
	proto          string
	format         string
	framing        string
	encoding       string
	facility       int
	severity       int
	loc            *time.Location
	udpMax         int
	udpTruncate    bool
	maxMessage     int
	truncate       bool
	writeTimeout   time.Duration
	connectTimeout time.Duration
	ackHold        time.Duration
	kv             KVConfig
	cef            CEFConfig
	leef           LEEFConfig
	leefDelim      byte
}

func oneOf(attr, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return attrErr(attr, "unsupported value %q; use one of %s", v, strings.Join(allowed, ", "))
}

func (c *Config) resolve() (*settings, error) {
	s := &settings{}
	if c.Address == "" {
		return nil, attrErr("address", "must be set to host:port")
	}
	if _, port, err := net.SplitHostPort(c.Address); err != nil || port == "" {
		return nil, attrErr("address", "%q is not host:port", c.Address)
	}
	if err := oneOf("protocol", c.Protocol, "udp", "tcp", "tls"); err != nil {
		return nil, err
	}
	s.proto = c.Protocol
	if err := oneOf("format", c.Format, "rfc5424", "rfc3164"); err != nil {
		return nil, err
	}
	s.format = c.Format
	switch {
	case c.Protocol == "udp" && c.Framing != "":
		return nil, attrErr("framing", "applies to tcp and tls only; udp sends one message per datagram")
	case c.Framing == "":
		s.framing = "octet_counting"
	default:
		if err := oneOf("framing", c.Framing, "octet_counting", "non_transparent"); err != nil {
			return nil, err
		}
		s.framing = c.Framing
	}
	if err := oneOf("encoding", c.Encoding, "json", "kv", "cef", "leef"); err != nil {
		return nil, err
	}
	s.encoding = c.Encoding
	var ok bool
	if s.facility, ok = parseFacility(c.Facility); !ok {
		return nil, attrErr("facility", "unknown facility %q; use a name such as \"local0\" or a number 0–23", c.Facility)
	}
	if s.severity, ok = parseSeverity(c.Severity); !ok {
		return nil, attrErr("severity", "unknown severity %q; use a name such as \"info\" or a number 0–7", c.Severity)
	}
	if err := checkSDID(c.SDID); err != nil {
		return nil, err
	}
	loc, err := parseZone(c.Timezone)
	if err != nil {
		return nil, &plugin.AttrError{Attr: "timezone", Err: err}
	}
	s.loc = loc
	n, err := units.ParseSize(c.UDPMaxSize)
	if err != nil {
		return nil, &plugin.AttrError{Attr: "udp_max_size", Err: err}
	}
	if n < 64 || n > maxUDPPayload {
		return nil, attrErr("udp_max_size", "%d bytes is out of range 64–%d", n, maxUDPPayload)
	}
	s.udpMax = int(n)
	if err := oneOf("udp_oversize", c.UDPOversize, "truncate", "dead_letter"); err != nil {
		return nil, err
	}
	s.udpTruncate = c.UDPOversize == "truncate"
	m, err := units.ParseSize(c.MaxMessageSize)
	if err != nil {
		return nil, &plugin.AttrError{Attr: "max_message_size", Err: err}
	}
	if m < minMessageSize || m > maxMessageSize {
		return nil, attrErr("max_message_size", "%d bytes is out of range %d–%d", m, minMessageSize, maxMessageSize)
	}
	s.maxMessage = int(m)
	if err := oneOf("oversize", c.Oversize, "truncate", "dead_letter"); err != nil {
		return nil, err
	}
	s.truncate = c.Oversize == "truncate"
	for _, d := range []struct {
		attr string
		val  string
		dst  *time.Duration
	}{
		{"write_timeout", c.WriteTimeout, &s.writeTimeout},
		{"connect_timeout", c.ConnectTimeout, &s.connectTimeout},
		{"ack_hold", c.AckHold, &s.ackHold},
	} {
		v, err := units.ParseDuration(d.val)
		if err != nil {
			return nil, &plugin.AttrError{Attr: d.attr, Err: err}
		}
		*d.dst = v
	}
	if s.writeTimeout == 0 {
		return nil, attrErr("write_timeout", "must be positive")
	}
	if s.connectTimeout == 0 {
		return nil, attrErr("connect_timeout", "must be positive")
	}
	if s.ackHold > s.writeTimeout {
		return nil, attrErr("ack_hold", "must not exceed write_timeout (%s)", s.writeTimeout)
	}
	if c.TLS != nil {
		if c.Protocol != "tls" {
			return nil, attrErr("tls", "a tls block needs protocol = \"tls\"")
		}
		if err := c.TLS.Validate(); err != nil {
			return nil, err
		}
	}
	if err := s.resolveKV(c.KV); err != nil {
		return nil, err
	}
	if err := s.resolveCEF(c.CEF); err != nil {
		return nil, err
	}
	if err := s.resolveLEEF(c.LEEF); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *settings) resolveKV(kv *KVConfig) error {
	s.kv = *defaultKV()
	if kv == nil {
		return nil
	}
	if kv.PairSeparator != "" {
		s.kv.PairSeparator = kv.PairSeparator
	}
	if kv.KVSeparator != "" {
		s.kv.KVSeparator = kv.KVSeparator
	}
	s.kv.Keys = kv.Keys
	if err := checkKeys("kv.keys", kv.Keys, nil, false); err != nil {
		return err
	}
	for _, sep := range []struct{ attr, v string }{
		{"kv.pair_separator", s.kv.PairSeparator}, {"kv.kv_separator", s.kv.KVSeparator},
	} {
		if len(sep.v) > 8 {
			return attrErr(sep.attr, "%q is longer than 8 bytes", sep.v)
		}
		for i := 0; i < len(sep.v); i++ {
			b := sep.v[i]
			alnum := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
			if alnum || b == '\\' || b < 0x20 && b != '\t' || b >= 0x7f {
				return attrErr(sep.attr, "%q: a separator is ASCII punctuation, space or TAB, without '\\'", sep.v)
			}
		}
	}
	if s.kv.PairSeparator == s.kv.KVSeparator {
		return attrErr("kv.kv_separator", "must differ from pair_separator")
	}
	return nil
}

func (s *settings) resolveCEF(c *CEFConfig) error {
	s.cef = *defaultCEF()
	if c == nil {
		return nil
	}
	d := &s.cef
	for _, p := range []struct{ dst, src *string }{
		{&d.Vendor, &c.Vendor}, {&d.Product, &c.Product}, {&d.Version, &c.Version},
		{&d.SignatureID, &c.SignatureID}, {&d.Name, &c.Name}, {&d.Severity, &c.Severity},
	} {
		if *p.src != "" {
			*p.dst = *p.src
		}
	}
	d.SignatureIDField, d.NameField, d.SeverityField = c.SignatureIDField, c.NameField, c.SeverityField
	if !validCEFSeverity(d.Severity) {
		return attrErr("cef.severity", "%q is not a CEF severity: 0–10 or Unknown, Low, Medium, High, Very-High", d.Severity)
	}
	d.Keys = c.Keys
	return checkKeys("cef.keys", c.Keys, cefReserved, true)
}

func (s *settings) resolveLEEF(l *LEEFConfig) error {
	s.leef = *defaultLEEF()
	if l != nil {
		d := &s.leef
		for _, p := range []struct{ dst, src *string }{
			{&d.FormatVersion, &l.FormatVersion}, {&d.FormatVersion, &l.Version}, {&d.Vendor, &l.Vendor}, {&d.Product, &l.Product},
			{&d.ProductVersion, &l.ProductVersion}, {&d.EventID, &l.EventID}, {&d.Delimiter, &l.Delimiter},
		} {
			if *p.src != "" {
				*p.dst = *p.src
			}
		}
		d.EventIDField, d.Keys = l.EventIDField, l.Keys
		// HCL decodes over the defaults, so format_version holds "2.0"
		// unless the user wrote another value.
		if l.Version != "" && l.FormatVersion != "" && l.FormatVersion != defaultLEEF().FormatVersion && l.FormatVersion != l.Version {
			return attrErr("leef.version", "is the old name of format_version and says %q where format_version says %q; keep only format_version (the product's version is product_version)", l.Version, l.FormatVersion)
		}
		if l.Version != "" && oneOf("", l.Version, "1.0", "2.0") != nil {
			return attrErr("leef.version", "%q is not a LEEF format version: leef.version is the old name of format_version (\"1.0\" or \"2.0\"); the product's version is product_version", l.Version)
		}
	}
	if err := oneOf("leef.format_version", s.leef.FormatVersion, "1.0", "2.0"); err != nil {
		return err
	}
	if err := checkKeys("leef.keys", s.leef.Keys, leefReserved, true); err != nil {
		return err
	}
	delim, err := parseLEEFDelimiter(s.leef.Delimiter)
	if err != nil {
		return &plugin.AttrError{Attr: "leef.delimiter", Err: err}
	}
	if s.leef.FormatVersion == "1.0" && delim != '\t' {
		return attrErr("leef.delimiter", "LEEF 1.0 always uses TAB; set format_version = \"2.0\" for a custom delimiter")
	}
	s.leefDelim = delim
	return nil
}

// parseLEEFDelimiter reads one ASCII character or a hex code (x5E, 0x5E).
func parseLEEFDelimiter(v string) (byte, error) {
	h := v
	if strings.HasPrefix(h, "0x") || strings.HasPrefix(h, "0X") {
		h = h[2:]
	} else if len(h) > 1 && (h[0] == 'x' || h[0] == 'X') {
		h = h[1:]
	} else {
		h = ""
	}
	b := byte(0)
	switch {
	case h != "":
		n, err := strconv.ParseUint(h, 16, 16)
		if err != nil || len(h) > 4 {
			return 0, fmt.Errorf("%q is not a hex delimiter code (x5E, 0x09)", v)
		}
		if n == 0 || n > 0x7e {
			return 0, fmt.Errorf("%q: the delimiter must be an ASCII character", v)
		}
		b = byte(n)
	case len(v) == 1:
		b = v[0]
	default:
		return 0, fmt.Errorf("%q: the delimiter is one character or a hex code", v)
	}
	switch {
	case b == '|' || b == '=' || b == '\\' || b == '\r' || b == '\n':
		return 0, fmt.Errorf("%q cannot be a delimiter: it is '|', '=', '\\', CR or LF", v)
	case b >= 0x7f || b == 0:
		return 0, fmt.Errorf("%q: the delimiter must be an ASCII character", v)
	}
	return b, nil
}

func validCEFSeverity(v string) bool {
	switch v {
	case "Unknown", "Low", "Medium", "High", "Very-High":
		return true
	}
	n, err := strconv.Atoi(v)
	return err == nil && n >= 0 && n <= 10 && len(v) <= 2
}

// parseZone accepts "UTC", "Local" or a fixed offset "+hh:mm"/"-hh:mm".
// It never reads the zone database, so validation needs no I/O.
func parseZone(v string) (*time.Location, error) {
	switch v {
	case "", "UTC", "Z":
		return time.UTC, nil
	case "Local":
		return time.Local, nil
	}
	if len(v) == 6 && (v[0] == '+' || v[0] == '-') && v[3] == ':' {
		h, err1 := strconv.Atoi(v[1:3])
		m, err2 := strconv.Atoi(v[4:6])
		if err1 == nil && err2 == nil && h <= 14 && m < 60 {
			off := h*3600 + m*60
			if v[0] == '-' {
				off = -off
			}
			return time.FixedZone(v, off), nil
		}
	}
	return nil, errors.New("unsupported timezone " + strconv.Quote(v) + `; use "UTC", "Local" or an offset such as "+08:00"`)
}
