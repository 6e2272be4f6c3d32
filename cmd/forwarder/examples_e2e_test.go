package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/aliyun/aliyun-log-go-sdk"

	"github.com/forwarder/forwarder/internal/slsemu"
	"github.com/forwarder/forwarder/internal/testcerts"
	"github.com/forwarder/forwarder/sinks/splunkhec/hectest"
	"github.com/forwarder/forwarder/sources/demo"
)

// The end-to-end example tests run examples/splunk-hec, qradar-leef and
// arcsight-cef unchanged but for addresses and file paths: the SLS
// emulator serves demo events to the sls source over real HTTP, and a test
// HEC or a TLS/TCP syslog listener receives what the sinks send.

// trail is what the test expects of one ActionTrail event, by demo_seq.
type trail struct {
	Name, Region, IP, Error string
	User                    struct {
		Name    string `json:"userName"`
		Account string `json:"accountId"`
	} `json:"userIdentity"`
}

// exampleSLS starts an emulator holding n demo events and returns its
// endpoint and the ActionTrail events among them by demo_seq.
func exampleSLS(t *testing.T, n int) (string, map[string]trail) {
	t.Helper()
	emu := slsemu.New(slsemu.Options{})
	if err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Close() })
	if err := emu.EnsureLogstore("audit-demo", "actiontrail", slsemu.LogstoreConfig{Shards: 2}); err != nil {
		t.Fatal(err)
	}
	g := demo.NewGenerator(11, time.Now().Add(-time.Hour))
	want := map[string]trail{}
	for range n {
		ev := g.Next()
		topic, source := ev.Topic, ev.Source
		if _, err := emu.AppendLogGroup("audit-demo", "actiontrail", &sdk.LogGroup{Logs: []*sdk.Log{slsemu.LogFromEvent(ev)}, Topic: &topic, Source: &source}); err != nil {
			t.Fatal(err)
		}
		if topic != demo.TopicActionTrail {
			continue
		}
		raw, _ := ev.Get("event")
		var tr struct {
			trail
			EventName string `json:"eventName"`
			AcsRegion string `json:"acsRegion"`
			SourceIP  string `json:"sourceIpAddress"`
			ErrorCode string `json:"errorCode"`
		}
		if err := json.Unmarshal([]byte(raw.Str()), &tr); err != nil {
			t.Fatal(err)
		}
		tr.trail.Name, tr.trail.Region, tr.trail.IP, tr.trail.Error = tr.EventName, tr.AcsRegion, tr.SourceIP, tr.ErrorCode
		seq, _ := ev.Get("demo_seq")
		want[seq.Str()] = tr.trail
	}
	if len(want) < 20 {
		t.Fatalf("only %d ActionTrail events among %d", len(want), n)
	}
	return emu.Endpoint(), want
}

// runExample copies an example directory with replacements applied, sets
// the environment and runs it until stop is called, which returns stderr.
func runExample(t *testing.T, dir string, env map[string]string, repl ...string) (stop func() string) {
	t.Helper()
	tmp := t.TempDir()
	files, _ := filepath.Glob(filepath.Join("../../examples", dir, "*.hcl"))
	if len(files) == 0 {
		t.Fatalf("no example %s", dir)
	}
	r := strings.NewReplacer(append(repl, "/var/lib/forwarder/", tmp+"/")...)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, filepath.Base(f)), []byte(r.Replace(string(b))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- realMain(ctx, []string{"run", "--admin=", "--no-watch", "--progress=0", tmp}, &bytes.Buffer{}, &errOut)
	}()
	var once sync.Once
	stop = func() string {
		once.Do(func() {
			cancel()
			select {
			case code := <-done:
				if code != 0 {
					t.Errorf("run %s: exit %d\n%s", dir, code, errOut.String())
				}
			case <-time.After(60 * time.Second):
				t.Errorf("run %s did not stop", dir)
			}
		})
		return errOut.String()
	}
	t.Cleanup(func() { stop() })
	return stop
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func slsEnv(endpoint string) map[string]string {
	return map[string]string{"SLS_ENDPOINT": endpoint, "SLS_PROJECT": "audit-demo", "SLS_LOGSTORE": "actiontrail", "SLS_AK_ID": "id", "SLS_AK_KEY": "secret"}
}

func waitFor(t *testing.T, what string, cond func() bool, stderr func() string) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s\n%s", what, stderr())
		}
	}
}

func TestExampleSplunkHEC(t *testing.T) {
	endpoint, want := exampleSLS(t, 200)
	hec := hectest.New(t, hectest.Config{Tokens: []hectest.Token{{Value: hectest.DefaultToken, Indexes: []string{"alicloud_audit"}}}})
	env := slsEnv(endpoint)
	env["SPLUNK_HEC_URL"], env["SPLUNK_HEC_TOKEN"] = hec.URL(), hectest.DefaultToken
	stop := runExample(t, "splunk-hec", env)
	waitFor(t, "every ActionTrail event in HEC", func() bool { return hec.EventCount() >= len(want) }, stop)
	stop()
	evs := hec.Events()
	if len(evs) != len(want) {
		t.Fatalf("HEC got %d events, want the %d ActionTrail ones", len(evs), len(want))
	}
	for _, e := range evs {
		var body struct {
			Seq    string          `json:"demo_seq"`
			Topic  string          `json:"__topic__"`
			User   string          `json:"user"`
			Action string          `json:"action"`
			IP     string          `json:"client_ip"`
			Error  string          `json:"error_code"`
			Event  json.RawMessage `json:"event"`
		}
		if err := json.Unmarshal(e.Event, &body); err != nil {
			t.Fatalf("event is not a JSON object: %v\n%s", err, e.Event)
		}
		tr, ok := want[body.Seq]
		if !ok {
			t.Fatalf("unexpected event %s", e.Event)
		}
		if body.User != tr.User.Name || body.Action != tr.Name || body.IP != tr.IP || body.Error != tr.Error || !bytes.HasPrefix(body.Event, []byte("{")) {
			t.Errorf("event %s: the rule's fields are wrong: %s", body.Seq, e.Event)
		}
		if e.Index != "alicloud_audit" || e.Sourcetype != "alicloud:actiontrail" || e.Source != "sls:actiontrail_audit_event" || e.Host != tr.Region || !e.HasTime {
			t.Errorf("event %s: envelope index=%q sourcetype=%q source=%q host=%q (region %q)", body.Seq, e.Index, e.Sourcetype, e.Source, e.Host, tr.Region)
		}
		if e.Fields["action"] != tr.Name || e.Fields["__topic__"] != demo.TopicActionTrail {
			t.Errorf("event %s: indexed fields %v", body.Seq, e.Fields)
		}
	}
}

// syslogListener accepts one connection (TLS when cfg is set) and collects
// its LF-terminated lines.
type syslogListener struct {
	ln    net.Listener
	mu    sync.Mutex
	lines []string
}

func listenSyslog(t *testing.T, cfg *tls.Config) *syslogListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
	}
	l := &syslogListener{ln: ln}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				sc := bufio.NewScanner(c)
				sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
				for sc.Scan() {
					l.mu.Lock()
					l.lines = append(l.lines, sc.Text())
					l.mu.Unlock()
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return l
}

func (l *syslogListener) got() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

func TestExampleQRadarLEEF(t *testing.T) {
	endpoint, want := exampleSLS(t, 200)
	certs := testcerts.New(t)
	l := listenSyslog(t, certs.ServerConfig(false))
	env := slsEnv(endpoint)
	env["QRADAR_ADDRESS"] = l.ln.Addr().String()
	stop := runExample(t, "qradar-leef", env, "/etc/forwarder/qradar-ca.pem", certs.CAFile)
	waitFor(t, "every ActionTrail event at the syslog listener", func() bool { return len(l.got()) >= len(want) }, stop)
	stop()
	lines := l.got()
	if len(lines) != len(want) {
		t.Fatalf("got %d messages, want %d", len(lines), len(want))
	}
	for _, line := range lines {
		// <PRI>1 TIMESTAMP alicloud-actiontrail actiontrail - - - LEEF:2.0|… (no SD: no default SD-ID)
		i := strings.Index(line, "LEEF:2.0|")
		if i < 0 || !strings.Contains(line[:i], " alicloud-actiontrail actiontrail - - - ") {
			t.Fatalf("not RFC 5424 with LEEF 2.0: %s", line)
		}
		hdr := strings.SplitN(line[i:], "|", 7)
		if len(hdr) != 7 || hdr[1] != "Alibaba Cloud" || hdr[2] != "ActionTrail" || hdr[5] != "^" {
			t.Fatalf("LEEF header %q", hdr)
		}
		attrs := map[string]string{}
		for _, kv := range strings.Split(hdr[6], "^") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				t.Fatalf("attribute %q without '=' in %s", kv, line)
			}
			attrs[k] = v
		}
		tr, ok := want[attrs["demo_seq"]]
		if !ok {
			t.Fatalf("unexpected event %s", line)
		}
		sev := "3"
		if tr.Error != "" {
			sev = "7"
		}
		if hdr[4] != tr.Name || attrs["usrName"] != tr.User.Name || attrs["src"] != tr.IP || attrs["sev"] != sev ||
			attrs["accountId"] != tr.User.Account || attrs["errorCode"] != tr.Error || attrs["devTime"] == "" {
			t.Errorf("event %s (%+v): EventID %q, attributes %v", attrs["demo_seq"], tr, hdr[4], attrs)
		}
		if _, ok := attrs["event"]; ok {
			t.Errorf("the raw event JSON was sent: %s", line)
		}
	}
}

func TestExampleArcSightCEF(t *testing.T) {
	endpoint, want := exampleSLS(t, 200)
	l := listenSyslog(t, nil)
	env := slsEnv(endpoint)
	env["ARCSIGHT_ADDRESS"] = l.ln.Addr().String()
	stop := runExample(t, "arcsight-cef", env)
	waitFor(t, "every ActionTrail event at the syslog listener", func() bool { return len(l.got()) >= len(want) }, stop)
	stop()
	lines := l.got()
	if len(lines) != len(want) {
		t.Fatalf("got %d messages, want %d", len(lines), len(want))
	}
	for _, line := range lines {
		// <PRI>Mmm dd hh:mm:ss alicloud-actiontrail actiontrail: CEF:0|…
		i := strings.Index(line, "CEF:0|")
		if i < 0 || !strings.HasSuffix(line[:i], " alicloud-actiontrail actiontrail: ") {
			t.Fatalf("not RFC 3164 with CEF: %s", line)
		}
		hdr := strings.SplitN(line[i:], "|", 8)
		if len(hdr) != 8 || hdr[1] != "Alibaba Cloud" || hdr[2] != "ActionTrail" {
			t.Fatalf("CEF header %q", hdr)
		}
		ext := cefExtension(hdr[7])
		tr, ok := want[ext["demo_seq"]]
		if !ok {
			t.Fatalf("unexpected event %s", line)
		}
		sev, outcome, pri := "3", "success", "<166>"
		if tr.Error != "" {
			sev, outcome, pri = "7", "failure", "<164>"
		}
		if hdr[4] != tr.Name || hdr[5] != tr.Name || hdr[6] != sev || !strings.HasPrefix(line, pri) {
			t.Errorf("event %s: header %q, priority %s", ext["demo_seq"], hdr[:7], line[:5])
		}
		if ext["suser"] != tr.User.Name || ext["src"] != tr.IP || ext["act"] != tr.Name || ext["outcome"] != outcome ||
			ext["cs1"] != tr.User.Account || ext["cs2"] != tr.Region || ext["cs3"] != tr.Error || ext["rt"] == "" {
			t.Errorf("event %s (%+v): extension %v", ext["demo_seq"], tr, ext)
		}
		if _, ok := ext["cs3Label"]; ok != (tr.Error != "") {
			t.Errorf("event %s: cs3Label present=%v with errorCode %q", ext["demo_seq"], ok, tr.Error)
		}
	}
}

// cefExtension splits "k1=v1 k2=v two k3=v3": a value runs to the next
// " key=" (CEF escapes '=' in values, so an unescaped '=' ends a key).
func cefExtension(s string) map[string]string {
	out := map[string]string{}
	var keys []int // start of each key
	for i := 0; i < len(s); i++ {
		if s[i] == '=' && (i == 0 || s[i-1] != '\\') {
			j := strings.LastIndexByte(s[:i], ' ') + 1
			keys = append(keys, j)
		}
	}
	for n, start := range keys {
		end := len(s)
		if n+1 < len(keys) {
			end = keys[n+1] - 1
		}
		k, v, _ := strings.Cut(s[start:end], "=")
		out[k] = strings.NewReplacer(`\=`, "=", `\\`, `\`).Replace(v)
	}
	return out
}
