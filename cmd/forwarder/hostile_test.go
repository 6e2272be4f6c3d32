package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forwarder/forwarder/builtin"
	"github.com/forwarder/forwarder/config"
)

// secretBases are minimal valid bodies of every built-in type; the test
// replaces one attribute at a time with env().
var secretBases = map[string]map[string]string{
	"source.demo":       {"count": "1"},
	"source.sls":        {"endpoint": `"http://127.0.0.1:1"`, "project": `"p"`, "logstore": `"l"`, "consumer_group": `"g"`},
	"sink.file":         {"path": `"-"`},
	"sink.splunk_hec":   {"endpoint": `"https://127.0.0.1:1"`, "token": `"t"`},
	"sink.syslog":       {"address": `"127.0.0.1:1"`},
	"sink.object_store": {"endpoint": `"https://127.0.0.1:1"`, "bucket": `"b"`},
}

// commonSinkAttrs are the engine-owned attributes of every sink body.
var commonSinkAttrs = []string{"in_flight", "buffer_events", "batch.max_events", "batch.max_bytes", "batch.timeout", "retry.initial_backoff", "retry.max_backoff"}

// hclAttrs lists the attributes of a config struct as "name" or
// "block.name", following `hcl:",block"` fields.
func hclAttrs(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	var out []string
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("hcl")
		name, kind, _ := strings.Cut(tag, ",")
		switch {
		case name == "":
		case kind == "block":
			out = append(out, hclAttrs(t.Field(i).Type, prefix+name+".")...)
		case kind == "" || kind == "optional":
			out = append(out, prefix+name)
		}
	}
	return out
}

// secretBody renders a block body with attr set to value and the base
// attributes, nested blocks written out.
func secretBody(base map[string]string, attr, value string) string {
	top := map[string]string{}
	blocks := map[string]map[string]string{}
	for k, v := range base {
		top[k] = v
	}
	if blk, name, ok := strings.Cut(attr, "."); ok {
		blocks[blk] = map[string]string{name: value}
	} else {
		top[attr] = value
	}
	var b strings.Builder
	keys := func(m map[string]string) []string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return ks
	}
	for _, k := range keys(top) {
		fmt.Fprintf(&b, "  %s = %s\n", k, top[k])
	}
	for blk, attrs := range blocks {
		fmt.Fprintf(&b, "  %s {\n", blk)
		for _, k := range keys(attrs) {
			fmt.Fprintf(&b, "    %s = %s\n", k, attrs[k])
		}
		b.WriteString("  }\n")
	}
	return b.String()
}

// TestSecretsNeverPrinted sets a distinctive secret through env() and
// through file() for every attribute of every block type, compiles each
// configuration for real (run mode) and checks that neither the text nor
// the JSON diagnostics show it.
func TestSecretsNeverPrinted(t *testing.T) {
	reg := builtin.Registries()
	type kind struct {
		key   string
		attrs []string
	}
	var kinds []kind
	for _, name := range reg.Sources.Types() {
		f, _ := reg.Sources.Lookup(name)
		kinds = append(kinds, kind{"source." + name, hclAttrs(reflect.TypeOf(f.NewConfig()), "")})
	}
	for _, name := range reg.Sinks.Types() {
		f, _ := reg.Sinks.Lookup(name)
		kinds = append(kinds, kind{"sink." + name, append(hclAttrs(reflect.TypeOf(f.NewConfig()), ""), commonSinkAttrs...)})
	}
	dir := t.TempDir()
	secretPat := regexp.MustCompile(`Zq9SECRET\d+x`)
	n, leaks, diagnosed := 0, 0, 0
	for _, k := range kinds {
		base, ok := secretBases[k.key]
		if !ok {
			t.Fatalf("no base body for %s: add one to secretBases", k.key)
		}
		for _, attr := range k.attrs {
			for _, via := range []string{"env", "file"} {
				n++
				secret := fmt.Sprintf("Zq9SECRET%04dx", n)
				var call string
				if via == "env" {
					name := fmt.Sprintf("FWD_TEST_SECRET_%d", n)
					t.Setenv(name, secret)
					call = fmt.Sprintf("env(%q)", name)
				} else {
					name := fmt.Sprintf("secret-%d.txt", n)
					if err := os.WriteFile(filepath.Join(dir, name), []byte(secret+"\n"), 0o600); err != nil {
						t.Fatal(err)
					}
					call = fmt.Sprintf("file(%q)", name)
				}
				typ, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(k.key, "source."), "sink."), ".")
				block := "source"
				route := fmt.Sprintf("route \"r\" {\n  from = [source.%s.x]\n  to = [sink.file.o]\n}\nsink \"file\" \"o\" {\n  path = \"-\"\n}\n", typ)
				if strings.HasPrefix(k.key, "sink.") {
					block = "sink"
					route = fmt.Sprintf("source \"demo\" \"d\" {\n  count = 1\n}\nroute \"r\" {\n  from = [source.demo.d]\n  to = [sink.%s.x]\n}\n", typ)
				}
				src := fmt.Sprintf("%s %q \"x\" {\n%s}\n%s", block, typ, secretBody(base, attr, call), route)
				path := filepath.Join(dir, "c.hcl")
				if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
					t.Fatal(err)
				}
				var text, js bytes.Buffer
				_, diags := compile([]string{path}, config.Run, "text", &text)
				compile([]string{path}, config.Run, "json", &js)
				if diags.HasErrors() {
					diagnosed++
				}
				for _, out := range []string{text.String(), js.String()} {
					if m := secretPat.FindString(out); m != "" {
						leaks++
						t.Errorf("%s %s via %s: the secret %s is printed:\n%s", k.key, attr, via, m, out)
					}
				}
			}
		}
	}
	if diagnosed < n/3 {
		t.Fatalf("only %d of %d configurations had errors: the test does not exercise diagnostics", diagnosed, n)
	}
	t.Logf("%d configurations, %d with diagnostics, %d leaks", n, diagnosed, leaks)
}

// TestSecretsNotLogged runs a forwarder whose syslog address comes from
// env() and points at a closed port: the connect errors it logs name the
// function, not the address.
func TestSecretsNotLogged(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // now refused
	t.Setenv("FWD_TEST_SYSLOG_ADDR", addr)
	path := write(t, "c.hcl", `
source "demo" "d" {
  count = 5
}
sink "syslog" "s" {
  address = env("FWD_TEST_SYSLOG_ADDR")
  retry {
    initial_backoff = "20ms"
    max_backoff     = "50ms"
  }
}
route "r" {
  from = [source.demo.d]
  to   = [sink.syslog.s]
}
`)
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			var out, errOut syncBuffer
			done := make(chan int)
			go func() {
				done <- realMain(ctx, []string{"run", "--admin", "", "--no-watch", "--shutdown-timeout", "1s", "--log-format", format, path}, &out, &errOut)
			}()
			deadline := time.Now().Add(20 * time.Second)
			for !strings.Contains(errOut.String(), "FWD_TEST_SYSLOG_ADDR") && !strings.Contains(errOut.String(), addr) && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			cancel()
			<-done
			logs := errOut.String()
			if !strings.Contains(logs, "FWD_TEST_SYSLOG_ADDR") {
				t.Fatalf("no log names env(\"FWD_TEST_SYSLOG_ADDR\"):\n%s", logs)
			}
			if strings.Contains(logs, addr) {
				t.Fatalf("the address from env() is logged:\n%s", logs)
			}
		})
	}
}

// TestFileDirFlag: validate refuses a file() outside the configuration
// directory, and accepts it once --file-dir names its directory.
func TestFileDirFlag(t *testing.T) {
	secrets := t.TempDir()
	path := write(t, "c.hcl", `
source "demo" "d" {
  count = 1
}
sink "file" "o" {
  path = file("`+filepath.Join(secrets, "path")+`")
}
route "r" {
  from = [source.demo.d]
  to   = [sink.file.o]
}
`)
	code, _, errOut := runCLI(t, "validate", path)
	if code != exitConfig || !strings.Contains(errOut, "outside the directories file() may read") || !strings.Contains(errOut, "c.hcl:6:") {
		t.Fatalf("without --file-dir: exit %d\n%s", code, errOut)
	}
	if code, out, errOut := runCLI(t, "validate", "--file-dir", secrets, path); code != 0 {
		t.Fatalf("with --file-dir: exit %d\n%s%s", code, out, errOut)
	}
	config.SetFileDirs(nil)
}

// TestSecretsNotInAdminAnswers: a reload that fails on a secret value
// answers with the function, and neither /health nor /metrics shows it.
func TestSecretsNotInAdminAnswers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	admin := ln.Addr().String()
	ln.Close()
	t.Setenv("FWD_TEST_SECRET_TOKEN", "TOKENXYZ987")
	conf := func(addr string) string {
		return `
source "demo" "d" {
  rate = 10
}
sink "syslog" "s" {
  address = ` + addr + `
}
route "r" {
  from = [source.demo.d]
  to   = [sink.syslog.s]
}
`
	}
	path := write(t, "c.hcl", conf(`"127.0.0.1:1"`))
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int)
	go func() {
		done <- realMain(ctx, []string{"run", "--admin", admin, "--no-watch", "--shutdown-timeout", "1s", path}, &out, &errOut)
	}()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	defer stop()
	get := func(method, p string) (int, string) {
		req, _ := http.NewRequest(method, "http://"+admin+p, nil)
		req.Header.Set("X-Forwarder-Admin", "1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(20 * time.Second)
	for code, _ := get("GET", "/livez"); code != 200; code, _ = get("GET", "/livez") {
		if time.Now().After(deadline) {
			t.Fatalf("admin server not up:\n%s", errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := os.WriteFile(path, []byte(conf(`env("FWD_TEST_SECRET_TOKEN")`)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, body := get("POST", "/-/reload")
	if code != 400 || !strings.Contains(body, `env("FWD_TEST_SECRET_TOKEN") is not host:port`) {
		t.Fatalf("reload: %d %s", code, body)
	}
	for _, p := range []string{"/health", "/metrics"} {
		if _, b := get("GET", p); strings.Contains(b, "TOKENXYZ987") {
			t.Errorf("%s shows the secret", p)
		}
	}
	stop()
	if strings.Contains(body+errOut.String()+out.String(), "TOKENXYZ987") {
		t.Fatalf("the secret is printed:\n%s\n%s", body, errOut.String())
	}
}

// TestRuleDivisionByZeroDeadLetters: a test block sees a division by zero
// dead-lettered with the expression and its position, not a null field.
func TestRuleDivisionByZeroDeadLetters(t *testing.T) {
	path := write(t, "c.hcl", `
source "demo" "d" {
  count = 1
}
rule "ratio" {
  set = { ratio = "len(topic) / (len(topic) - 3)" }
}
sink "file" "o" {
  path = "-"
}
route "r" {
  from  = [source.demo.d]
  rules = [rule.ratio]
  to    = [sink.file.o]
}
test "zero divisor" {
  route              = route.r
  input              = { __topic__ = "abc" }
  expect_dead_letter = true
}
test "non-zero divisor" {
  route  = route.r
  input  = { __topic__ = "abcd" }
  expect = { ratio = 4 }
}
`)
	code, out, errOut := runCLI(t, "test", path)
	if code != 0 || !strings.Contains(out, "2 passed, 0 failed") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
}
