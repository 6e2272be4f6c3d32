package syslog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/plan"
	"github.com/forwarder/forwarder/plugin"
	"github.com/forwarder/forwarder/rules"
	"github.com/forwarder/forwarder/sinks/syslog/leeftest"
	"github.com/forwarder/forwarder/sources/demo"
)

// nsyslogDir holds the independent CEF parser (npm nsyslog-parser, pinned in
// package-lock.json); scripts/test.sh installs it with npm ci.
const nsyslogDir = "testdata/nsyslog"

// nsResult is what nsyslog-parser makes of one syslog message.
type nsResult struct {
	Err     string            `json:"err"`
	Type    string            `json:"type"`
	Host    string            `json:"host"`
	AppName string            `json:"appName"`
	CEF     map[string]string `json:"cef"`
	Fields  map[string]string `json:"fields"`
}

// nsyslogParse runs nsyslog-parser through node on each message. Without
// node or the package it skips, except under CI=true, where it fails: the
// CEF output must be checked by a parser that is not ours.
func nsyslogParse(t *testing.T, msgs []string) []nsResult {
	t.Helper()
	missing := ""
	node, err := exec.LookPath("node")
	if err != nil {
		missing = "node is not installed (apt-get install nodejs npm)"
	} else if _, err := os.Stat(filepath.Join(nsyslogDir, "node_modules", "nsyslog-parser")); err != nil {
		missing = "nsyslog-parser is not installed (npm ci --prefix " + filepath.Join("sinks/syslog", nsyslogDir) + ", or bash scripts/test.sh)"
	}
	if missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatal(missing)
		}
		t.Skip(missing)
	}
	var in bytes.Buffer
	for _, m := range msgs {
		b, _ := json.Marshal(m)
		in.Write(append(b, '\n'))
	}
	cmd := exec.CommandContext(t.Context(), node, "parse.js")
	cmd.Dir = nsyslogDir
	cmd.Stdin = &in
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node parse.js: %v", err)
	}
	var res []nsResult
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r nsResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("parse.js output %q: %v", sc.Bytes(), err)
		}
		res = append(res, r)
	}
	if len(res) != len(msgs) {
		t.Fatalf("parse.js answered %d of %d messages", len(res), len(msgs))
	}
	return res
}

// actionTrail is the ready mapping of testdata/actiontrail.hcl compiled:
// its route's rules and its two syslog sinks' formatters.
type actionTrail struct {
	rules            []*rules.Rule
	qradar, arcsight *formatter
}

func loadActionTrail(t *testing.T) *actionTrail {
	t.Helper()
	cfg, diags := config.Load("testdata/actiontrail.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	reg, err := plugin.NewRegistry("sink", Factory())
	if err != nil {
		t.Fatal(err)
	}
	p, diags := plan.Compile(cfg, plan.Registries{Sources: plugin.MustRegistry("source", demo.Factory()), Sinks: reg}, config.Run)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	at := &actionTrail{rules: p.Routes()[0].Rules}
	for _, s := range p.Sinks() {
		c := s.Config.(*Config)
		c.Hostname, c.SDID = "fwd-1", testSDID
		switch s.Key {
		case "syslog.qradar":
			at.qradar = mustFormatter(t, c)
		case "syslog.arcsight":
			at.arcsight = mustFormatter(t, c)
		}
	}
	if at.qradar == nil || at.arcsight == nil {
		t.Fatal("testdata/actiontrail.hcl lacks the qradar or arcsight sink")
	}
	return at
}

// trail is what the test knows of an ActionTrail event before the rule.
type trail struct {
	EventName    string `json:"eventName"`
	SourceIP     string `json:"sourceIpAddress"`
	Category     string `json:"eventCategory"`
	UserIdentity struct {
		UserName  string `json:"userName"`
		AccountID string `json:"accountId"`
	} `json:"userIdentity"`
}

// demoTrails runs demo events through the mapping's rule and returns the
// ActionTrail ones, with the original event each came from.
func demoTrails(t *testing.T, at *actionTrail, n int) ([]*event.Event, []trail) {
	t.Helper()
	g := demo.NewGenerator(7, time.Date(2026, 12, 1, 10, 0, 0, 123456789, time.UTC))
	runner := rules.NewEvaluator()
	var evs []*event.Event
	var orig []trail
	for len(evs) < n {
		ev := g.Next()
		var tr trail
		if v, ok := ev.Get("event"); ok {
			if err := json.Unmarshal([]byte(v.Str()), &tr); err != nil {
				t.Fatal(err)
			}
		}
		out, err := runner.Run(at.rules, ev)
		if out == rules.Filtered {
			continue
		}
		if out != rules.Pass {
			t.Fatalf("rule: %v %v", out, err)
		}
		evs, orig = append(evs, ev), append(orig, tr)
	}
	return evs, orig
}

// message formats e as a whole RFC 5424 message and checks it with the
// strict syslog parser, returning the message and its MSG.
func message(t *testing.T, f *formatter, e *event.Event) (string, string) {
	t.Helper()
	msg := unframe(t, f, f.appendFrame(nil, e, &scratch{}))
	return string(msg), body(parse(t, f, msg))
}

// TestActionTrailLEEF: the ready mapping's LEEF output, parsed by the
// strict LEEF parser, carries the eventName as EventID and the standard
// keys QRadar reads.
func TestActionTrailLEEF(t *testing.T) {
	at := loadActionTrail(t)
	evs, orig := demoTrails(t, at, 200)
	internal := 0
	for i, e := range evs {
		_, msg := message(t, at.qradar, e)
		l, err := leeftest.Parse(msg)
		if err != nil {
			t.Fatalf("strict LEEF parser refuses %q: %v", msg, err)
		}
		tr := orig[i]
		a := l.Map()
		checks := []struct{ what, got, want string }{
			{"header", l.Version + "|" + l.Vendor + "|" + l.Product + "|" + l.ProductVersion + "|" + string(l.Delimiter), "2.0|Alibaba Cloud|ActionTrail|1.0|^"},
			{"EventID", l.EventID, tr.EventName},
			{"usrName", a["usrName"], tr.UserIdentity.UserName},
			{"accountName", a["accountName"], tr.UserIdentity.AccountID},
			{"cat", a["cat"], tr.Category},
			{"slsTopic", a["slsTopic"], demo.TopicActionTrail},
			{"action", a["action"], tr.EventName},
		}
		if tr.SourceIP == "Internal" {
			internal++
			checks = append(checks, struct{ what, got, want string }{"client", a["client"], "Internal"})
			if _, ok := a["src"]; ok {
				t.Errorf("src set for an internal caller: %q", msg)
			}
		} else {
			checks = append(checks, struct{ what, got, want string }{"src", a["src"], tr.SourceIP})
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("event %d %s = %q, want %q\n%q", i, c.what, c.got, c.want, msg)
			}
		}
		if !l.DevTime.Equal(e.Time.Truncate(time.Millisecond)) {
			t.Errorf("devTime %v, want %v", l.DevTime, e.Time)
		}
		if _, ok := a["slsTagReceiveTime"]; !ok {
			t.Errorf("no readable receive-time tag key in %q", msg)
		}
		for k := range a {
			if k == "user" || k == "client_ip" || strings.HasPrefix(k, "__tag") {
				t.Errorf("key %q should have been mapped: %q", k, msg)
			}
		}
	}
	if internal == 0 || internal == len(evs) {
		t.Errorf("%d of %d events from internal callers: the sample does not cover both", internal, len(evs))
	}
}

// TestActionTrailCEF: the ready mapping's CEF output, parsed by
// nsyslog-parser, carries the eventName as Signature ID, the meta
// event_name as Name and the standard extension keys ArcSight reads.
func TestActionTrailCEF(t *testing.T) {
	at := loadActionTrail(t)
	evs, orig := demoTrails(t, at, 200)
	msgs := make([]string, len(evs))
	for i, e := range evs {
		msgs[i], _ = message(t, at.arcsight, e)
	}
	for i, r := range nsyslogParse(t, msgs) {
		tr := orig[i]
		if r.Err != "" || r.Type != "CEF" || r.Host != "fwd-1" || r.AppName != "forwarder" {
			t.Fatalf("nsyslog-parser: %+v\n%q", r, msgs[i])
		}
		checks := []struct{ what, got, want string }{
			{"version", r.CEF["version"], "CEF:0"},
			{"deviceVendor", r.CEF["deviceVendor"], "Alibaba Cloud"},
			{"deviceProduct", r.CEF["deviceProduct"], "ActionTrail"},
			{"deviceEventClassID", r.CEF["deviceEventClassID"], tr.EventName},
			{"name", r.CEF["name"], tr.EventName + " by " + tr.UserIdentity.UserName},
			{"severity", r.CEF["severity"], "5"},
			{"rt", r.Fields["rt"], strconv.FormatInt(evs[i].Time.UnixMilli(), 10)},
			{"suser", r.Fields["suser"], tr.UserIdentity.UserName},
			{"act", r.Fields["act"], tr.EventName},
			{"cat", r.Fields["cat"], tr.Category},
			{"slsTopic", r.Fields["slsTopic"], demo.TopicActionTrail},
		}
		if tr.SourceIP != "Internal" {
			checks = append(checks, struct{ what, got, want string }{"src", r.Fields["src"], tr.SourceIP})
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("event %d %s = %q, want %q\n%q", i, c.what, c.got, c.want, msgs[i])
			}
		}
		if _, ok := r.Fields["slsTagReceiveTime"]; !ok {
			t.Errorf("no readable receive-time tag key: %v", r.Fields)
		}
	}
}

// cefEscaped is how a CEF extension value is written; nsyslog-parser
// returns values as written, without unescaping.
func cefEscaped(v string) string {
	return strings.NewReplacer(`\`, `\\`, "=", `\=`, "\n", `\n`, "\r", `\r`).Replace(v)
}

// TestCEFIndependentParser: awkward header and extension text, the
// event_id/event_name meta and the keys map, as nsyslog-parser reads them.
func TestCEFIndependentParser(t *testing.T) {
	c := NewConfig()
	c.Encoding, c.Hostname, c.SDID = "cef", "fwd-1", testSDID
	c.CEF = &CEFConfig{Vendor: `Ali|baba\`, Product: "Log Service", Version: "2.1", SignatureIDField: "sig",
		Keys: map[string]string{"user": "suser", "__source__": "dvc", "__tag__:__client_ip__": "src"}}
	f := mustFormatter(t, c)
	base := func() *event.Event {
		return &event.Event{Time: time.Unix(1795939202, 5e8), Topic: "actiontrail_audit_event", Source: "100.104.12.8",
			Tags: []event.Tag{{Key: "__client_ip__", Value: "203.0.113.9"}, {Key: "__receive_time__", Value: "1795939202"}}}
	}
	e1 := base()
	e1.Fields = []event.Field{{Key: "user", Value: event.String("张伟")}, {Key: "msg", Value: event.String(`pipes | stay, back\slash, line` + "\n" + `break`)}}
	e1.SetMeta(event.MetaEventID, "Create|User")
	e1.SetMeta(event.MetaEventName, `Create user "x"`)
	e2 := base() // no meta: the field, then the topic
	e2.Fields = []event.Field{{Key: "sig", Value: event.String("FromField")}}
	e3 := base()
	e3.Fields = []event.Field{{Key: "other", Value: event.String("v")}}
	var msgs []string
	for _, e := range []*event.Event{e1, e2, e3} {
		m, _ := message(t, f, e)
		msgs = append(msgs, m)
	}
	res := nsyslogParse(t, msgs)
	want := []struct {
		sig, name string
		fields    map[string]string
	}{
		{`Create\|User`, `Create user "x"`, map[string]string{"suser": "张伟", "msg": cefEscaped(`pipes | stay, back\slash, line` + "\n" + `break`)}},
		{"FromField", "FromField", map[string]string{"sig": "FromField"}},
		{"actiontrail_audit_event", "actiontrail_audit_event", map[string]string{"other": "v"}},
	}
	for i, r := range res {
		if r.CEF["deviceVendor"] != `Ali\|baba\\` || r.CEF["deviceVersion"] != "2.1" {
			t.Errorf("message %d header %v", i, r.CEF)
		}
		if r.CEF["deviceEventClassID"] != want[i].sig || r.CEF["name"] != want[i].name {
			t.Errorf("message %d: signature %q name %q, want %q %q", i, r.CEF["deviceEventClassID"], r.CEF["name"], want[i].sig, want[i].name)
		}
		envelope := map[string]string{"rt": "1795939202500", "slsTopic": "actiontrail_audit_event", "dvc": "100.104.12.8",
			"src": "203.0.113.9", "slsTagReceiveTime": "1795939202"}
		for k, v := range envelope {
			want[i].fields[k] = v
		}
		if len(r.Fields) != len(want[i].fields) {
			t.Errorf("message %d fields %v, want %v", i, r.Fields, want[i].fields)
		}
		for k, v := range want[i].fields {
			if r.Fields[k] != v {
				t.Errorf("message %d %s = %q, want %q\n%q", i, k, r.Fields[k], v, msgs[i])
			}
		}
	}
}

// TestLEEFStrict formats the tricky test events in both LEEF versions and
// several delimiters; the strict parser takes every one, and the EventID
// follows meta, field, constant, topic.
func TestLEEFStrict(t *testing.T) {
	for _, lc := range []*LEEFConfig{
		{FormatVersion: "1.0"},
		{FormatVersion: "2.0", Delimiter: "^"},
		{FormatVersion: "2.0", Delimiter: "0x7C"}, // '|': refused
		{FormatVersion: "2.0", Delimiter: "x09", EventID: "constant", Keys: map[string]string{"seq": "sev"}},
	} {
		c := NewConfig()
		c.Address, c.Encoding, c.SDID, c.LEEF = "127.0.0.1:514", "leef", testSDID, lc
		if lc.Delimiter == "0x7C" {
			if c.Validate() == nil {
				t.Errorf("delimiter '|' accepted")
			}
			continue
		}
		f := mustFormatter(t, c)
		for i, e := range testEvents(0, 40) {
			if lc.Keys != nil {
				// seq is mapped to sev, which must be 1–10.
				e.Fields[0] = event.Field{Key: "seq", Value: event.String(strconv.Itoa(1 + i%10))}
			}
			wantID := lc.EventID
			switch i % 3 {
			case 0:
				e.SetMeta(event.MetaEventID, "Meta|ID")
				wantID = "Meta_ID"
			case 1:
				if wantID == "" {
					wantID = e.Topic
					if wantID == "" {
						wantID = "sls"
					}
					wantID = strings.NewReplacer("|", "_", "\n", " ", "\r", " ", "\t", " ").Replace(wantID)
				}
			default:
				continue
			}
			_, msg := message(t, f, e)
			l, err := leeftest.Parse(msg)
			if err != nil {
				t.Fatalf("%+v event %d: strict parser refuses %q: %v", lc, i, msg, err)
			}
			if l.EventID != wantID {
				t.Errorf("%+v event %d: EventID %q, want %q", lc, i, l.EventID, wantID)
			}
		}
	}
}
