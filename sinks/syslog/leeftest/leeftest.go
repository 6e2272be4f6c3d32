// Package leeftest is a strict LEEF parser for tests, written from IBM's
// published grammar ("LEEF event components" and "Predefined LEEF event
// attributes", QRadar DSM documentation) and kept apart from the encoder,
// so an encoder bug cannot be mirrored by its own decoder.
//
//	LEEF:1.0|Vendor|Product|Version|EventID|key=value<TAB>key=value…
//	LEEF:2.0|Vendor|Product|Version|EventID|DelimiterCharacter|key=value<DELIM>…
//
// The header has five (1.0) or six (2.0) fields ended by '|'; LEEF defines no
// escape, so no field holds '|'. The 2.0 delimiter is one character or "x"
// or "0x" with 1–4 hex digits; empty means TAB. Attributes are key=value
// split at the first '='; keys hold no space, '=' or delimiter (and, as IBM
// advises, no TAB, '|' or '^'); a key appears once. Predefined attributes
// are checked: sev 1–10, src/dst and the NAT addresses IPs, ports 0–65535,
// devTime against devTimeFormat (a Java SimpleDateFormat pattern) or the
// default "MMM dd yyyy HH:mm:ss", each of those two only with the other when
// devTimeFormat is given. Text is UTF-8 without control characters other
// than the delimiter.
package leeftest

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Event is one parsed LEEF event.
type Event struct {
	Version                         string // "1.0" or "2.0"
	Vendor, Product, ProductVersion string
	EventID                         string
	Delimiter                       byte
	Attrs                           []Attr
	DevTime                         time.Time // zero without devTime
}

// Attr is one attribute, in message order.
type Attr struct{ Key, Value string }

// Map returns the attributes as a map (keys are unique).
func (e *Event) Map() map[string]string {
	m := make(map[string]string, len(e.Attrs))
	for _, a := range e.Attrs {
		m[a.Key] = a.Value
	}
	return m
}

// Parse parses one LEEF event (the syslog MSG, without a syslog header).
func Parse(msg string) (*Event, error) {
	if !utf8.ValidString(msg) {
		return nil, errors.New("not UTF-8")
	}
	rest, ok := strings.CutPrefix(msg, "LEEF:")
	if !ok {
		return nil, errors.New(`no "LEEF:" prefix`)
	}
	e := &Event{Delimiter: '\t'}
	var err error
	if e.Version, rest, err = field(rest, "version"); err != nil {
		return nil, err
	}
	if e.Version != "1.0" && e.Version != "2.0" {
		return nil, fmt.Errorf("LEEF version %q is neither 1.0 nor 2.0", e.Version)
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"vendor", &e.Vendor}, {"product", &e.Product}, {"version", &e.ProductVersion}, {"event id", &e.EventID}} {
		if *f.dst, rest, err = field(rest, f.name); err != nil {
			return nil, err
		}
		if *f.dst == "" {
			return nil, fmt.Errorf("empty %s", f.name)
		}
		if err := text(*f.dst, f.name, 0); err != nil {
			return nil, err
		}
	}
	if e.Version == "2.0" {
		var d string
		if d, rest, err = field(rest, "delimiter"); err != nil {
			return nil, err
		}
		if e.Delimiter, err = delimiter(d); err != nil {
			return nil, err
		}
	}
	if rest == "" {
		return e, nil
	}
	seen := map[string]bool{}
	for _, a := range strings.Split(rest, string(e.Delimiter)) {
		k, v, ok := strings.Cut(a, "=")
		switch {
		case !ok:
			return nil, fmt.Errorf("attribute %q has no '='", a)
		case k == "":
			return nil, fmt.Errorf("attribute %q has an empty key", a)
		case strings.ContainsAny(k, " \t|^"):
			return nil, fmt.Errorf("key %q holds a space, TAB, '|' or '^'", k)
		case seen[k]:
			return nil, fmt.Errorf("key %q appears twice", k)
		}
		if err := text(k, "key", 0); err != nil {
			return nil, err
		}
		if err := text(v, "value of "+k, e.Delimiter); err != nil {
			return nil, err
		}
		seen[k] = true
		e.Attrs = append(e.Attrs, Attr{k, v})
	}
	return e, e.predefined()
}

// field cuts one header field ended by '|'.
func field(s, name string) (string, string, error) {
	i := strings.IndexByte(s, '|')
	if i < 0 {
		return "", "", fmt.Errorf("header ends before the %s field's '|'", name)
	}
	return s[:i], s[i+1:], nil
}

// text refuses control characters (except allow, the delimiter, which
// cannot occur anyway) and DEL.
func text(s, what string, allow byte) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 || c == 0x7f) && c != allow {
			return fmt.Errorf("%s holds control character %#x: %q", what, c, s)
		}
	}
	return nil
}

func delimiter(d string) (byte, error) {
	switch {
	case d == "":
		return '\t', nil
	case len(d) == 1:
		if d[0] == '=' || d[0] < 0x20 && d[0] != '\t' || d[0] >= 0x7f {
			return 0, fmt.Errorf("delimiter %q", d)
		}
		return d[0], nil
	}
	h, ok := strings.CutPrefix(d, "0x")
	if !ok {
		if h, ok = strings.CutPrefix(d, "x"); !ok {
			return 0, fmt.Errorf("delimiter %q is neither one character nor x/0x and hex digits", d)
		}
	}
	if len(h) < 1 || len(h) > 4 {
		return 0, fmt.Errorf("delimiter %q: 1–4 hex digits", d)
	}
	n, err := strconv.ParseUint(h, 16, 16)
	if err != nil || n == 0 || n > 0x7e {
		return 0, fmt.Errorf("delimiter %q is not an ASCII character", d)
	}
	return byte(n), nil
}

// Checked reports whether Parse checks the syntax of key's value: the
// predefined attributes sev, devTime, devTimeFormat, the addresses and the
// ports.
func Checked(key string) bool {
	switch key {
	case "sev", "devTime", "devTimeFormat",
		"src", "dst", "srcPreNAT", "dstPreNAT", "srcPostNAT", "dstPostNAT",
		"srcPort", "dstPort", "srcPreNATPort", "dstPreNATPort", "srcPostNATPort", "dstPostNATPort":
		return true
	}
	return false
}

// predefined checks the attributes IBM defines a syntax for.
func (e *Event) predefined() error {
	m := e.Map()
	if v, ok := m["sev"]; ok {
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 10 {
			return fmt.Errorf("sev %q is not 1–10", v)
		}
	}
	for _, k := range []string{"src", "dst", "srcPreNAT", "dstPreNAT", "srcPostNAT", "dstPostNAT"} {
		if v, ok := m[k]; ok {
			if _, err := netip.ParseAddr(v); err != nil {
				return fmt.Errorf("%s %q is not an IP address", k, v)
			}
		}
	}
	for _, k := range []string{"srcPort", "dstPort", "srcPreNATPort", "dstPreNATPort", "srcPostNATPort", "dstPostNATPort"} {
		if v, ok := m[k]; ok {
			if n, err := strconv.Atoi(v); err != nil || n < 0 || n > 65535 {
				return fmt.Errorf("%s %q is not a port", k, v)
			}
		}
	}
	dt, hasTime := m["devTime"]
	format, hasFormat := m["devTimeFormat"]
	switch {
	case hasFormat && !hasTime:
		return errors.New("devTimeFormat without devTime")
	case !hasTime:
		return nil
	case !hasFormat:
		format = "MMM dd yyyy HH:mm:ss"
	}
	layout, err := goLayout(format)
	if err != nil {
		return err
	}
	t, err := time.Parse(layout, dt)
	if err != nil {
		return fmt.Errorf("devTime %q does not match devTimeFormat %q: %v", dt, format, err)
	}
	e.DevTime = t
	return nil
}

// goLayout translates the Java SimpleDateFormat letters LEEF senders use
// into a Go layout; quoted text is literal.
func goLayout(p string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(p); {
		c := p[i]
		if c == '\'' {
			j := strings.IndexByte(p[i+1:], '\'')
			if j < 0 {
				return "", fmt.Errorf("devTimeFormat %q: unclosed quote", p)
			}
			b.WriteString(p[i+1 : i+1+j])
			i += j + 2
			continue
		}
		n := 1
		for i+n < len(p) && p[i+n] == c {
			n++
		}
		tok := p[i : i+n]
		i += n
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			b.WriteString(tok)
			continue
		}
		m := map[string]string{"yyyy": "2006", "yy": "06", "MMM": "Jan", "MM": "01", "dd": "02", "d": "2",
			"HH": "15", "mm": "04", "ss": "05", "SSS": "000", "Z": "-0700", "XXX": "Z07:00", "z": "MST", "a": "PM", "hh": "03"}
		g, ok := m[tok]
		if !ok {
			return "", fmt.Errorf("devTimeFormat %q: unsupported pattern %q", p, tok)
		}
		b.WriteString(g)
	}
	return b.String(), nil
}
