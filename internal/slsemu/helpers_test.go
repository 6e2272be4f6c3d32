package slsemu

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	sls "github.com/aliyun/aliyun-log-go-sdk"
	"go.uber.org/goleak"
)

const (
	testAK       = "test-ak-id"
	testSK       = "test-ak-secret"
	testProject  = "proj-a"
	testLogstore = "audit"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startServer starts an emulator with the test key and closes it at cleanup.
func startServer(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.AccessKeyID == "" && opts.AccessKeys == nil {
		opts.AccessKeyID, opts.AccessKeySecret = testAK, testSK
	}
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	s := New(opts)
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// newClient returns an unchanged SDK client reaching s over loopback HTTP.
func newClient(t testing.TB, s *Server, id, secret string) *sls.Client {
	t.Helper()
	hc := s.HTTPClient()
	t.Cleanup(hc.CloseIdleConnections)
	return &sls.Client{
		Endpoint:        s.Addr(),
		AccessKeyID:     id,
		AccessKeySecret: secret,
		HTTPClient:      hc,
		RetryTimeOut:    15 * time.Second,
	}
}

// mustLogstore creates the test logstore.
func mustLogstore(t testing.TB, s *Server, shards int) {
	t.Helper()
	if err := s.CreateLogstore(testProject, testLogstore, LogstoreConfig{Shards: shards}); err != nil {
		t.Fatalf("CreateLogstore: %v", err)
	}
}

// slsCode extracts the SLS error code and status from an SDK error.
func slsCode(err error) (int32, string) {
	if e, ok := err.(*sls.Error); ok {
		return e.HTTPCode, e.Code
	}
	return 0, fmt.Sprint(err)
}

// makeGroup builds a LogGroup of n logs whose contents encode gid and index.
func makeGroup(gid, n int) *sls.LogGroup {
	base := time.Unix(1_750_000_000, 0)
	logs := make([]*sls.Log, n)
	for i := range logs {
		t := base.Add(time.Duration(gid*n+i) * time.Millisecond)
		logs[i] = NewLog(t,
			"seq", fmt.Sprintf("%d-%d", gid, i),
			"eventName", []string{"ConsoleSignin", "CreateUser", "DeleteBucket", "AssumeRole"}[(gid+i)%4],
			"userIdentity", fmt.Sprintf(`{"type":"ram-user","principalId":"%d","userName":"user-%d"}`, 20000+i%97, i%13),
			"sourceIpAddress", fmt.Sprintf("10.%d.%d.%d", gid%256, i%256, (gid*i)%256),
			"note", fmt.Sprintf("entry %d of group %d with some padding text to look like an audit event", i, gid),
			"requestId", fmt.Sprintf("%016X-%08x", mix(uint64(gid)<<20|uint64(i)), uint32(mix(uint64(i)<<40|uint64(gid)))),
		)
	}
	return &sls.LogGroup{
		Logs:   logs,
		Topic:  strPtr("actiontrail_audit_event"),
		Source: strPtr(fmt.Sprintf("192.168.0.%d", gid%250)),
		LogTags: []*sls.LogTag{
			{Key: strPtr("__pack_id__"), Value: strPtr(fmt.Sprintf("PACK-%d", gid))},
			{Key: strPtr("gid"), Value: strPtr(fmt.Sprint(gid))},
		},
	}
}

// mix is splitmix64: deterministic, incompressible-looking ids.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// tamperTransport lets a test alter requests after the SDK signed them.
type tamperTransport struct {
	base   http.RoundTripper
	mu     sync.Mutex
	tamper func(*http.Request)
}

func (tt *tamperTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	tt.mu.Lock()
	f := tt.tamper
	tt.mu.Unlock()
	if f != nil {
		r = r.Clone(r.Context())
		f(r)
	}
	return tt.base.RoundTrip(r)
}

// waitFor polls cond every 50 ms until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func itoa(n int64) string { return fmt.Sprint(n) }

func atoi(s string) (int, error) {
	var n int
	_, err := fmt.Sscan(s, &n)
	return n, err
}

func timeUnix(s int64) time.Time { return time.Unix(s, 0) }
