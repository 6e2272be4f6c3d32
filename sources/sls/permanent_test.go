package sls_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/forwarder/forwarder/engine"
	"github.com/forwarder/forwarder/internal/slsemu"
)

// TestPermanentErrors: configuration and permission errors give one
// one-line ERROR naming the attribute to fix, are retried slowly instead of
// flooding, and show on /health.
func TestPermanentErrors(t *testing.T) {
	tests := []struct {
		name    string
		project string // default: the emulator's
		secret  string // default: the right one
		fault   *slsemu.Fault
		attr    string
		code    string
	}{
		{name: "unknown project", project: "no-such-project", attr: "project", code: "ProjectNotExist"},
		{name: "wrong secret", secret: "wrong", attr: "access_key_id", code: "SignatureNotMatch"},
		{name: "access denied on pull", fault: &slsemu.Fault{API: slsemu.APIPullLogs, Status: 403, Code: "Unauthorized", Message: "denied by sts or ram, action: log:GetCursorOrData"},
			attr: "access_key_id", code: "Unauthorized"},
		{name: "group gone and not creatable", fault: &slsemu.Fault{API: slsemu.APIHeartbeat, Code: slsemu.CodeConsumerGroupNotExist},
			attr: "consumer_group", code: "ConsumerGroupNotExist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu := emulator(t, "perm", 2, 1000)
			if tt.fault != nil {
				emu.InjectFault(*tt.fault)
			}
			hcl := sourceHCL(emu.Endpoint(), "perm", filepath.Join(t.TempDir(), "out.ndjson"), "")
			if tt.project != "" {
				hcl = strings.Replace(hcl, fmt.Sprintf("project           = %q", project), fmt.Sprintf("project           = %q", tt.project), 1)
			}
			if tt.secret != "" {
				hcl = strings.Replace(hcl, `env("TEST_SLS_AK_KEY")`, `env("TEST_SLS_AK_KEY_OVERRIDE")`, 1)
				t.Setenv("TEST_SLS_AK_KEY_OVERRIDE", tt.secret)
			}
			rt, logs := startLogged(t, hcl)
			defer shutdown(rt)
			waitFor(t, "the problem on /health", 20*time.Second, func() bool { return len(rt.SourceProblems()["sls.audit"]) > 0 })
			time.Sleep(3 * time.Second) // several heartbeats and pull attempts
			var errs []map[string]any
			for _, r := range logs.records(t, "") {
				if r["level"] == "ERROR" {
					errs = append(errs, r)
				}
				for k, v := range r {
					if s, ok := v.(string); ok && (strings.Contains(s, "\n") || strings.Contains(s, `"errorCode"`)) {
						t.Errorf("multi-line or JSON value in %s of %v", k, r)
					}
				}
			}
			if len(errs) != 1 {
				t.Fatalf("%d ERROR records, want 1: %v", len(errs), errs)
			}
			if errs[0]["attr"] != tt.attr || !strings.Contains(fmt.Sprint(errs[0]["err"]), tt.code) {
				t.Errorf("ERROR does not name %s and %s: %v", tt.attr, tt.code, errs[0])
			}
			probs := rt.SourceProblems()["sls.audit"]
			if len(probs) != 1 || probs[0].Attr != tt.attr || !strings.Contains(probs[0].Error, tt.code) {
				t.Errorf("problems = %+v", probs)
			}
			rec := httptest.NewRecorder()
			engine.AdminHandler(rt, func() error { return nil }, engine.AdminOptions{}).ServeHTTP(rec, httptest.NewRequest("GET", "/health", nil))
			var health struct {
				Status   string         `json:"status"`
				Problems map[string]any `json:"problems"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &health); err != nil || health.Status != "degraded" || health.Problems["sls.audit"] == nil {
				t.Errorf("/health = %d %s", rec.Code, rec.Body)
			}
		})
	}
}
