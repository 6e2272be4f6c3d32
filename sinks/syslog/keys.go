package syslog

import (
	"fmt"
	"sort"
	"strings"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/plugin"
)

// Keys written by the CEF and LEEF encoders themselves, which a keys map
// may not produce: a key should appear once per event.
var (
	cefReserved  = []string{"rt"}
	leefReserved = []string{"devTime", "devTimeFormat"}
)

// The keys CEF and LEEF bodies give the SLS envelope. CEF and LEEF keys are
// camelCase words (suser, usrName, devTime), so the envelope follows suit:
// "slsTopic", "slsSource", and "slsTag" plus the tag's name in camel case
// (__receive_time__ → slsTagReceiveTime) instead of "__tag__:NAME", whose
// ':' is not a key character. kv keeps the SLS names.
const (
	extKeyTopic  = "slsTopic"
	extKeySource = "slsSource"
	extKeyTag    = "slsTag"
)

// appendTagKey appends the CEF/LEEF key of the tag name: extKeyTag, then
// each run of ASCII letters and digits with its first letter upper-cased.
// Everything else ('_', ':', '.', non-ASCII) separates runs.
func appendTagKey(dst []byte, name string) []byte {
	dst = append(dst, extKeyTag...)
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z':
			if upper {
				c -= 'a' - 'A'
			}
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		default:
			upper = true
			continue
		}
		dst = append(dst, c)
		upper = false
	}
	return dst
}

// checkKeys validates a keys map: names are not empty, no two fields map to
// one key, and (for CEF and LEEF, ext) keys are made of letters, digits,
// '_', '.' and '-' and are not one the encoder writes itself.
func checkKeys(attr string, keys map[string]string, reserved []string, ext bool) error {
	from := make([]string, 0, len(keys))
	for k := range keys {
		from = append(from, k)
	}
	sort.Strings(from) // report the same error every time
	seen := map[string]string{}
	for _, f := range from {
		k := keys[f]
		switch {
		case f == "":
			return attrErr(attr, "a field name is empty")
		case k == "":
			return attrErr(attr, "field %q maps to an empty key", f)
		case ext && !validExtKey(k):
			return attrErr(attr, "%q (for field %q) is not a key: use ASCII letters, digits, '_', '.' and '-'", k, f)
		}
		for _, r := range reserved {
			if k == r {
				return attrErr(attr, "%q (for field %q) is written by the encoder itself; a key appears once per event", k, f)
			}
		}
		if prev, ok := seen[k]; ok {
			return attrErr(attr, "fields %q and %q both map to %q; a key appears once per event", prev, f, k)
		}
		seen[k] = f
	}
	return nil
}

func validExtKey(k string) bool {
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return k != ""
}

// keyMap is a keys map split for lookups without allocation: tag entries
// ("__tag__:NAME") are held by NAME.
type keyMap struct {
	fields map[string]string // content fields, "__topic__", "__source__"
	tags   map[string]string
}

func newKeyMap(keys map[string]string) keyMap {
	var m keyMap
	for f, k := range keys {
		if name, ok := strings.CutPrefix(f, event.KeyTag); ok {
			if m.tags == nil {
				m.tags = map[string]string{}
			}
			m.tags[name] = k
			continue
		}
		if m.fields == nil {
			m.fields = map[string]string{}
		}
		m.fields[f] = k
	}
	return m
}

// field returns the key for a field (or "__topic__", "__source__"), or def.
func (m *keyMap) field(name, def string) string {
	if k, ok := m.fields[name]; ok {
		return k
	}
	return def
}

// tag returns the mapped key of a tag and whether there is one.
func (m *keyMap) tag(name string) (string, bool) {
	k, ok := m.tags[name]
	return k, ok
}

// Warnings lists what is allowed but probably wrong: the old name
// leef.version, and an SD-ID with the documentation enterprise number.
// The engine prints them as warnings at the attribute.
func (c *Config) Warnings() []*plugin.AttrError {
	var out []*plugin.AttrError
	if c.LEEF != nil && c.LEEF.Version != "" {
		out = append(out, &plugin.AttrError{Attr: "leef.version", Err: fmt.Errorf(
			"the old name of format_version: the LEEF format version (here %q), not the product's; "+
				"rename it format_version, or set product_version for the header's Version field", c.LEEF.Version)})
	}
	if _, pen, ok := strings.Cut(c.SDID, "@"); ok && (pen == "32473" || strings.HasPrefix(pen, "32473.")) {
		out = append(out, &plugin.AttrError{Attr: "sd_id", Err: fmt.Errorf(
			"%q uses 32473, the enterprise number reserved for documentation (RFC 5612); use your organisation's IANA private enterprise number", c.SDID)})
	}
	return out
}

// checkSDID accepts "" (no structured data) or NAME@PEN (RFC 5424 §6.3.2):
// an SD-ID without '@' is reserved for IANA-registered elements.
func checkSDID(id string) error {
	if id == "" {
		return nil
	}
	if !validSDName(id) {
		return attrErr("sd_id", "%q is not an SD-ID: 1–32 printable ASCII characters other than '=', ' ', ']' and '\"'", id)
	}
	name, pen, ok := strings.Cut(id, "@")
	if !ok || name == "" || pen == "" || strings.Trim(pen, "0123456789.") != "" || pen[0] == '.' {
		return attrErr("sd_id", "%q: write NAME@PEN with your organisation's IANA private enterprise number (e.g. \"sls@12345\"); names without '@' are reserved for IANA", id)
	}
	return nil
}
