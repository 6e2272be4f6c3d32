package main

import (
	"strings"
	"testing"
)

func TestValidateExplain(t *testing.T) {
	cfg := write(t, "c.hcl", `
source "sls" "audit" {
  endpoint          = "http://127.0.0.1:1"
  project           = "p"
  logstore          = "l"
  consumer_group    = "g"
  access_key_id     = env("AK")
  access_key_secret = env("SK")
}
source "sls" "raw" {
  endpoint       = "http://127.0.0.1:1"
  project        = "p"
  logstore       = "l2"
  consumer_group = "g"
  push_down      = false
}
source "demo" "d" {
  count = 1
}
rule "waf" {
  filter = "topic == 'waf_access_log'"
}
sink "file" "o" {
  path = "-"
}
route "r" {
  from  = [source.sls.audit, source.sls.raw, source.demo.d]
  rules = [rule.waf]
  to    = [sink.file.o]
}
`)
	code, out, errOut := runCLI(t, "validate", "--explain", cfg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		`source sls.audit lane file.o: query: * | where __topic__ = 'waf_access_log'`,
		`source sls.raw lane file.o: no push-down: push_down = false`,
		`source demo.d: no push-down (a demo source reads everything)`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if _, out, _ := runCLI(t, "validate", cfg); strings.Contains(out, "source sls.audit") {
		t.Errorf("explain output without --explain:\n%s", out)
	}
}
