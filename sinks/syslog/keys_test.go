package syslog

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/forwarder/forwarder/event"
)

func TestAppendTagKey(t *testing.T) {
	for in, want := range map[string]string{
		"__receive_time__": "slsTagReceiveTime",
		"__client_ip__":    "slsTagClientIp",
		"hostname":         "slsTagHostname",
		"app.Env-2":        "slsTagAppEnv2",
		"名字":               "slsTag",
		"":                 "slsTag",
		"_path:x":          "slsTagPathX",
	} {
		if got := string(appendTagKey(nil, in)); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}

// TestKVKeys: the kv keys map renames fields, the topic and tags; the rest
// keep their SLS names.
func TestKVKeys(t *testing.T) {
	c := NewConfig()
	c.Encoding = "kv"
	c.KV = &KVConfig{Keys: map[string]string{"user": "usrName", "__topic__": "topic", "__tag__:__client_ip__": "src"}}
	f := mustFormatter(t, c)
	e := &event.Event{Time: time.Unix(1, 0), Topic: "t", Source: "s",
		Tags:   []event.Tag{{Key: "__client_ip__", Value: "1.2.3.4"}, {Key: "__receive_time__", Value: "9"}},
		Fields: []event.Field{{Key: "user", Value: event.String("alice")}, {Key: "n", Value: event.String("1")}}}
	pairs, err := decodeKV(string(f.appendBody(nil, e, &scratch{})), " ", "=")
	if err != nil {
		t.Fatal(err)
	}
	want := []kvPair{{"__time__", "1970-01-01T00:00:01Z"}, {"topic", "t"}, {"__source__", "s"}, {"src", "1.2.3.4"},
		{"__tag__:__receive_time__", "9"}, {"usrName", "alice"}, {"n", "1"}}
	if d := cmp.Diff(want, pairs); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// TestWarnings: the old leef.version name and the documentation PEN warn;
// defaults do not.
func TestWarnings(t *testing.T) {
	c := NewConfig()
	if w := c.Warnings(); len(w) != 0 {
		t.Fatalf("defaults warn: %v", w)
	}
	c.SDID = "sls@32473"
	c.LEEF = &LEEFConfig{Version: "1.0"}
	w := c.Warnings()
	if len(w) != 2 || w[0].Attr != "leef.version" || w[1].Attr != "sd_id" {
		t.Fatalf("warnings %v", w)
	}
}
