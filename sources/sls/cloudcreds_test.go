package sls_test

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/aliyun/aliyun-log-go-sdk"

	"github.com/forwarder/forwarder/internal/slsemu"
	"github.com/forwarder/forwarder/internal/testcerts"
	"github.com/forwarder/forwarder/sources/demo"
)

// issuer hands out short-lived keys the emulator accepts, as STS or the
// instance metadata service would, and revokes each key two generations
// later: a source that does not refresh in time is refused.
type issuer struct {
	emu  *slsemu.Server
	life time.Duration

	mu      sync.Mutex
	n       int
	secrets []string // every secret and token handed out
	calls   []string // what each call carried, for the test to check
}

func (is *issuer) issue(note string) (id, secret, token string, exp time.Time) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.n++
	id = fmt.Sprintf("STS.issued%d", is.n)
	secret = fmt.Sprintf("issued-secret-%d-%d", is.n, time.Now().UnixNano())
	token = fmt.Sprintf("issued-token-%d-%d", is.n, time.Now().UnixNano())
	is.emu.AddAccessKey(id, secret)
	if is.n > 2 {
		is.emu.RemoveAccessKey(fmt.Sprintf("STS.issued%d", is.n-2))
	}
	is.secrets = append(is.secrets, secret, token)
	is.calls = append(is.calls, note)
	return id, secret, token, time.Now().Add(is.life).UTC()
}

func (is *issuer) count() int { is.mu.Lock(); defer is.mu.Unlock(); return is.n }

// fakeIMDS is the ECS instance metadata service (IMDSv2) for role "fwd-role".
func fakeIMDS(t *testing.T, is *issuer) *httptest.Server {
	const tok = "imds-session-token"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
			fmt.Fprint(w, tok)
		case r.Header.Get("X-aliyun-ecs-metadata-token") != tok:
			http.Error(w, "IMDSv2 token required", http.StatusUnauthorized)
		case r.URL.Path == "/latest/meta-data/ram/security-credentials/":
			fmt.Fprint(w, "fwd-role")
		case r.URL.Path == "/latest/meta-data/ram/security-credentials/fwd-role":
			id, secret, token, exp := is.issue("imds")
			json.NewEncoder(w).Encode(map[string]string{"Code": "Success", "AccessKeyId": id, "AccessKeySecret": secret,
				"SecurityToken": token, "Expiration": exp.Format(time.RFC3339), "LastUpdated": time.Now().UTC().Format(time.RFC3339)})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// fakeSTS answers AssumeRole and AssumeRoleWithOIDC over TLS with the test
// CA, which the test makes the default transport trust (STS is HTTPS only).
func fakeSTS(t *testing.T, is *issuer) *httptest.Server {
	certs := testcerts.New(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var note string
		switch r.URL.Query().Get("Action") {
		case "AssumeRole":
			note = fmt.Sprintf("AssumeRole role=%s by=%s signed=%v", r.PostForm.Get("RoleArn"), r.URL.Query().Get("AccessKeyId"), r.URL.Query().Get("Signature") != "")
		case "AssumeRoleWithOIDC":
			note = fmt.Sprintf("OIDC role=%s provider=%s token=%s", r.PostForm.Get("RoleArn"), r.PostForm.Get("OIDCProviderArn"), r.PostForm.Get("OIDCToken"))
		default:
			http.Error(w, `{"Code":"InvalidAction"}`, http.StatusBadRequest)
			return
		}
		id, secret, token, exp := is.issue(note)
		json.NewEncoder(w).Encode(map[string]any{"RequestId": "fake", "Credentials": map[string]string{
			"AccessKeyId": id, "AccessKeySecret": secret, "SecurityToken": token, "Expiration": exp.Format("2006-01-02T15:04:05Z")}})
	}))
	srv.TLS = certs.ServerConfig(false)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	tr := http.DefaultTransport.(*http.Transport)
	old := tr.TLSClientConfig
	tr.TLSClientConfig = &tls.Config{RootCAs: certs.CAPool}
	t.Cleanup(func() { tr.TLSClientConfig = old })
	return srv
}

// TestCloudCredentials: each credential source authenticates to SLS with
// keys it fetched from a loopback fake, refreshes them before they expire
// (old keys are revoked) while events flow, loses none, and never logs a
// secret or token.
func TestCloudCredentials(t *testing.T) {
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true") // the default chain must never reach 100.100.100.200
	tests := []struct {
		name     string
		life     time.Duration // lifetime of issued keys
		setup    func(t *testing.T, is *issuer) string
		minCalls int
		check    func(t *testing.T, calls []string)
	}{
		{name: "ecs ram role", life: 8 * time.Second, minCalls: 2, setup: func(t *testing.T, is *issuer) string {
			return fmt.Sprintf("credentials = \"ecs_ram_role\"\n  metadata_endpoint = %q", fakeIMDS(t, is).URL)
		}},
		{name: "rrsa oidc from the ACK variables", life: 185 * time.Second, minCalls: 2, setup: func(t *testing.T, is *issuer) string {
			tokenFile := filepath.Join(t.TempDir(), "token")
			if err := os.WriteFile(tokenFile, []byte("oidc-jwt-xyz"), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Setenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE", tokenFile)
			t.Setenv("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "acs:ram::123:oidc-provider/ack-rrsa-c1")
			t.Setenv("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::123:role/fwd")
			return fmt.Sprintf("credentials = \"oidc\"\n  sts_endpoint = %q", strings.TrimPrefix(fakeSTS(t, is).URL, "https://"))
		}, check: func(t *testing.T, calls []string) {
			if calls[0] != "OIDC role=acs:ram::123:role/fwd provider=acs:ram::123:oidc-provider/ack-rrsa-c1 token=oidc-jwt-xyz" {
				t.Errorf("STS call: %s", calls[0])
			}
		}},
		{name: "assume role over static keys", life: 185 * time.Second, minCalls: 2, setup: func(t *testing.T, is *issuer) string {
			// The base key is unknown to SLS: only the assumed keys get in.
			return fmt.Sprintf("access_key_id = \"LTAIbase\"\n  access_key_secret = \"base-secret\"\n  assume_role_arn = \"acs:ram::456:role/audit-reader\"\n  sts_endpoint = %q",
				strings.TrimPrefix(fakeSTS(t, is).URL, "https://"))
		}, check: func(t *testing.T, calls []string) {
			if calls[0] != "AssumeRole role=acs:ram::456:role/audit-reader by=LTAIbase signed=true" {
				t.Errorf("STS call: %s", calls[0])
			}
		}},
		{name: "assume role over the ecs role", life: 185 * time.Second, minCalls: 3, setup: func(t *testing.T, is *issuer) string {
			return fmt.Sprintf("credentials = \"ecs_ram_role\"\n  metadata_endpoint = %q\n  assume_role_arn = \"acs:ram::456:role/audit-reader\"\n  sts_endpoint = %q",
				fakeIMDS(t, is).URL, strings.TrimPrefix(fakeSTS(t, is).URL, "https://"))
		}},
		{name: "default chain from the environment", setup: func(t *testing.T, is *issuer) string {
			t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", akID)
			t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", akKey)
			return `credentials = "default"`
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const shards = 2
			emu := emulator(t, "creds", shards, 0)
			is := &issuer{emu: emu, life: tt.life}
			extra := tt.setup(t, is)
			hcl := sourceHCL(emu.Endpoint(), "creds", filepath.Join(t.TempDir(), "out.ndjson"), extra)
			hcl = strings.Replace(hcl, "  access_key_id     = env(\"TEST_SLS_AK_ID\")\n  access_key_secret = env(\"TEST_SLS_AK_KEY\")\n", "", 1)
			rt, logs := startLogged(t, hcl)
			defer shutdown(rt)
			// Feed for 12 s: the keys are refreshed under load.
			written := feed(t, emu, "creds", shards, 12*time.Second)
			waitFor(t, "every event", 30*time.Second, func() bool { return sent(rt) >= written })
			if got := sent(rt); got != written {
				t.Errorf("%d events sent, %d written", got, written)
			}
			if is.count() < tt.minCalls {
				t.Errorf("%d credential fetches, want at least %d (a refresh)", is.count(), tt.minCalls)
			}
			if tt.check != nil {
				is.mu.Lock()
				tt.check(t, is.calls)
				is.mu.Unlock()
			}
			all := fmt.Sprint(logs.records(t, ""))
			is.mu.Lock()
			defer is.mu.Unlock()
			for _, s := range append(is.secrets, "oidc-jwt-xyz", "base-secret", akKey) {
				if strings.Contains(all, s) {
					t.Fatalf("a secret or token was logged: %s", s)
				}
			}
		})
	}
}

// feed appends a log group of 100 events every 100 ms for d and returns
// how many events it wrote.
func feed(t *testing.T, emu *slsemu.Server, logstore string, shards int, d time.Duration) int {
	t.Helper()
	g := demo.NewGenerator(5, time.Unix(1795939202, 0))
	n := 0
	for i, end := 0, time.Now().Add(d); time.Now().Before(end); i++ {
		logs := make([]*sdk.Log, 100)
		for j := range logs {
			logs[j] = slsemu.LogFromEvent(g.Next())
		}
		topic := demo.TopicActionTrail
		if _, err := emu.AppendLogGroupToShard(project, logstore, i%shards, &sdk.LogGroup{Logs: logs, Topic: &topic}); err != nil {
			t.Fatal(err)
		}
		n += len(logs)
		time.Sleep(100 * time.Millisecond)
	}
	return n
}
