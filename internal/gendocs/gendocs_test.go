package main

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/forwarder/forwarder/builtin"
	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/plan"
)

func TestCleanCheck(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`unsupported value "?"; use one of udp, tcp, tls`, "Use one of udp, tcp, tls"},
		{`invalid endpoint "?": want https://REGION.log.aliyuncs.com`, "Want https://REGION.log.aliyuncs.com"},
		{`must be "event" or "raw", not "?"`, `Must be "event" or "raw"`},
		{`"?" is not host:port`, "Must be host:port"},
		{`must be between 1 and 1000`, "Must be between 1 and 1000"},
		{`cert_file and key_file must be set together`, "cert_file and key_file must be set together"},
		{`invalid duration "?": want a number with a unit such as "500ms"`, ""},
	} {
		if got := cleanCheck(tc.in); got != tc.want {
			t.Errorf("cleanCheck(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDefaultString(t *testing.T) {
	long := map[string]string{}
	for i := range 20 {
		long[fmt.Sprintf("key%02d", i)] = "value"
	}
	for _, tc := range []struct {
		in   any
		want string
	}{
		{"tcp", `"tcp"`},
		{"", ""},
		{3, "3"},
		{false, "false"},
		{[]string{"a", "b"}, `["a", "b"]`},
		{map[string]string{"userName": "usrName", "sourceIpAddress": "src"}, `{ sourceIpAddress = "src", userName = "usrName" }`},
		{long, "{ … } (20 entries)"},
		{(*bool)(nil), ""},
	} {
		if got := defaultString(reflect.ValueOf(tc.in)); got != tc.want {
			t.Errorf("defaultString(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestReferenceCoversEverything checks that every attribute of every
// registered factory's config, every block schema attribute and every
// metric appear in the generated references.
func TestReferenceCoversEverything(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := writeConfigReference(&b, root); err != nil {
		t.Fatal(err)
	}
	doc := b.String()
	want := func(section, name string) {
		t.Helper()
		i := strings.Index(doc, section)
		if i < 0 {
			t.Fatalf("no section %s", section)
		}
		rest := doc[i:]
		if j := strings.Index(rest[1:], "\n### `"); j >= 0 && !strings.HasPrefix(section, "## ") {
			rest = rest[:j+1]
		}
		if !strings.Contains(rest, "| `"+name+"` |") {
			t.Errorf("%s: attribute %s missing", section, name)
		}
	}
	var walk func(section string, typ reflect.Type)
	walk = func(section string, typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
		}
		for i := range typ.NumField() {
			name, kind, ok := hclTag(typ.Field(i))
			if !ok {
				continue
			}
			if kind == "block" {
				walk(section, typ.Field(i).Type)
				continue
			}
			want(section, name)
		}
	}
	reg := builtin.Registries()
	for _, typ := range reg.Sources.Types() {
		f, _ := reg.Sources.Lookup(typ)
		walk("### `source \""+typ+"\" \"NAME\"`", reflect.TypeOf(f.NewConfig()))
	}
	for _, typ := range reg.Sinks.Types() {
		f, _ := reg.Sinks.Lookup(typ)
		walk("### `sink \""+typ+"\" \"NAME\"`", reflect.TypeOf(f.NewConfig()))
	}
	_, schemas := config.Schemas()
	for typ, s := range schemas {
		for _, a := range s.Attributes {
			want("## `"+typ+" \"NAME\"`", a.Name)
		}
	}
	common, _ := plan.SinkSettings()
	for _, a := range common.Attributes {
		want("### Settings of every sink", a.Name)
	}
	if !strings.Contains(doc, "Checked: Use one of udp, tcp, tls.") {
		t.Error("syslog protocol: the values Validate accepts are missing")
	}

	b.Reset()
	if err := writeMetricsReference(&b); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"forwarder_source_events_total", "forwarder_sink_write_seconds", "forwarder_config_reloads_total", "forwarder_source_cursor_resets_total"} {
		if !strings.Contains(b.String(), "| `"+m+"` |") {
			t.Errorf("metric %s missing", m)
		}
	}
}
