package leeftest

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	ok := []struct {
		msg   string
		attrs int
		delim byte
	}{
		{"LEEF:1.0|IBM|QRadar|7.5|Login|src=10.0.0.1\tusrName=alice", 2, '\t'},
		{"LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5", 3, '^'},
		{"LEEF:2.0|V|P|1|E|x5E|a=1^b=x=y", 2, '^'},
		{"LEEF:2.0|V|P|1|E|0x09|a=1\tb=2", 2, '\t'},
		{"LEEF:2.0|V|P|1|E||a=1\tb=2", 2, '\t'},
		{"LEEF:2.0|V|P|1|E|^|", 0, '^'},
		{"LEEF:2.0|V|P|1|E|^|devTime=2026-12-01T10:00:00.123+0800^devTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSZ", 2, '^'},
		{"LEEF:1.0|V|P|1|E|devTime=Dec 01 2026 10:00:00\tusrName=张伟", 2, '\t'},
	}
	for _, tt := range ok {
		e, err := Parse(tt.msg)
		if err != nil {
			t.Errorf("%q: %v", tt.msg, err)
			continue
		}
		if len(e.Attrs) != tt.attrs || e.Delimiter != tt.delim {
			t.Errorf("%q: %d attrs, delimiter %q", tt.msg, len(e.Attrs), e.Delimiter)
		}
	}
	e, _ := Parse("LEEF:2.0|V|P|1|E|^|devTime=2026-12-01T10:00:00.123+0800^devTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSZ")
	if want := time.Date(2026, 12, 1, 2, 0, 0, 123e6, time.UTC); !e.DevTime.Equal(want) {
		t.Errorf("devTime %v, want %v", e.DevTime, want)
	}
	bad := []string{
		"CEF:0|a|b|c|d|e|5|",
		"LEEF:3.0|V|P|1|E|",
		"LEEF:1.0|V|P|1|",               // no event id
		"LEEF:1.0||P|1|E|",              // empty vendor
		"LEEF:2.0|V|P|1|E|a=1",          // 2.0 without delimiter field
		"LEEF:2.0|V|P|1|E|ab|a=1",       // bad delimiter
		"LEEF:2.0|V|P|1|E|x7F|a=1",      // not printable
		"LEEF:1.0|V|P|1|E|a=1\ta=2",     // duplicate key
		"LEEF:1.0|V|P|1|E|a b=1",        // space in key
		"LEEF:1.0|V|P|1|E|=1",           // empty key
		"LEEF:1.0|V|P|1|E|novalue",      // no '='
		"LEEF:1.0|V|P|1|E|a=1\t",        // trailing delimiter
		"LEEF:1.0|V|P|1|E|a=x\ny",       // line break
		"LEEF:1.0|V|P|1|E|sev=11",       // sev out of range
		"LEEF:1.0|V|P|1|E|src=Internal", // not an IP
		"LEEF:1.0|V|P|1|E|srcPort=70000",
		"LEEF:1.0|V|P|1|E|devTimeFormat=yyyy",
		"LEEF:1.0|V|P|1|E|devTime=2026-12-01\tdevTimeFormat=dd/MM/yyyy",
		"LEEF:1.0|V|P|1|E|a=\xff",
	}
	for _, m := range bad {
		if _, err := Parse(m); err == nil {
			t.Errorf("%q parsed", m)
		}
	}
}
