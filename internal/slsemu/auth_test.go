package slsemu

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	sls "github.com/aliyun/aliyun-log-go-sdk"
)

func TestAuth(t *testing.T) {
	type call func(c *sls.Client) error
	listShards := func(c *sls.Client) error { _, err := c.ListShards(testProject, testLogstore); return err }
	put := func(c *sls.Client) error {
		return c.PutLogs(testProject, testLogstore, makeGroup(1, 3))
	}
	pull := func(c *sls.Client) error {
		_, _, err := c.PullLogs(testProject, testLogstore, 0, EncodeCursor(0), "", 10)
		return err
	}
	heartbeat := func(c *sls.Client) error {
		_, err := c.HeartBeat(testProject, testLogstore, "cg", "c1", nil)
		return err
	}
	tests := []struct {
		name       string
		id, secret string
		auth       sls.AuthVersionType
		tamper     func(*http.Request)
		opts       Options
		do         call
		wantStatus int32
		wantCode   string
	}{
		{name: "v1 ok", id: testAK, secret: testSK, do: listShards},
		{name: "v1 put ok", id: testAK, secret: testSK, do: put},
		{name: "v4 ok", id: testAK, secret: testSK, auth: sls.AuthV4, do: listShards},
		{name: "v4 put ok", id: testAK, secret: testSK, auth: sls.AuthV4, do: put},
		{name: "v1 wrong secret", id: testAK, secret: "nope", do: listShards, wantStatus: 401, wantCode: CodeSignatureNotMatch},
		{name: "v1 wrong secret on POST", id: testAK, secret: "nope", do: put, wantStatus: 401, wantCode: CodeSignatureNotMatch},
		{name: "v4 wrong secret", id: testAK, secret: "nope", auth: sls.AuthV4, do: listShards, wantStatus: 401, wantCode: CodeSignatureNotMatch},
		{name: "unknown key id", id: "someone", secret: testSK, do: listShards, wantStatus: 401, wantCode: CodeUnauthorized},
		{name: "unsigned refused", id: testAK, secret: testSK, auth: sls.AuthV0, do: listShards, wantStatus: 401, wantCode: CodeUnauthorized},
		{name: "unsigned allowed", id: testAK, secret: testSK, auth: sls.AuthV0, do: listShards, opts: Options{AllowUnsigned: true}},
		{
			name: "tampered query", id: testAK, secret: testSK, do: pull, wantStatus: 401, wantCode: CodeSignatureNotMatch,
			tamper: func(r *http.Request) { r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "count=10", "count=11", 1) },
		},
		{
			name: "tampered path", id: testAK, secret: testSK, do: listShards, wantStatus: 401, wantCode: CodeSignatureNotMatch,
			tamper: func(r *http.Request) { r.URL.Path = "/logstores/other/shards" },
		},
		{
			name: "tampered signed header", id: testAK, secret: testSK, do: put, wantStatus: 401, wantCode: CodeSignatureNotMatch,
			tamper: func(r *http.Request) { r.Header.Set("x-log-compresstype", "zstd") },
		},
		{
			name: "tampered signature", id: testAK, secret: testSK, do: listShards, wantStatus: 401, wantCode: CodeSignatureNotMatch,
			tamper: func(r *http.Request) {
				a := r.Header.Get("Authorization")
				r.Header.Set("Authorization", a[:len(a)-4]+"AAA=")
			},
		},
		{
			name: "tampered body v1", id: testAK, secret: testSK, do: heartbeat, wantStatus: 401, wantCode: CodeSignatureNotMatch,
			tamper: func(r *http.Request) { setBody(r, []byte("[7]")) },
		},
		{
			name: "tampered body v4", id: testAK, secret: testSK, auth: sls.AuthV4, do: heartbeat, wantStatus: 401, wantCode: CodeSignatureNotMatch,
			tamper: func(r *http.Request) { setBody(r, []byte("[7]")) },
		},
		{
			name: "clock skew", id: testAK, secret: testSK, do: listShards, wantStatus: 400, wantCode: CodeRequestTimeTooSkewed,
			opts: Options{Clock: func() time.Time { return time.Now().Add(time.Hour) }},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startServer(t, tt.opts)
			mustLogstore(t, s, 2)
			if err := s.CreateConsumerGroup(testProject, testLogstore, "cg", 60, false); err != nil {
				t.Fatal(err)
			}
			c := newClient(t, s, tt.id, tt.secret)
			tr := &tamperTransport{base: c.HTTPClient.Transport, tamper: tt.tamper}
			c.HTTPClient.Transport = tr
			if tt.auth != "" {
				c.SetAuthVersion(tt.auth)
				c.SetRegion("cn-emulator")
			}
			err := tt.do(c)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				return
			}
			status, code := slsCode(err)
			if status != tt.wantStatus || code != tt.wantCode {
				t.Fatalf("got %d %q (%v), want %d %q", status, code, err, tt.wantStatus, tt.wantCode)
			}
		})
	}
}

func setBody(r *http.Request, b []byte) {
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

// TestErrorShape checks that refusals carry SLS's JSON error body and a
// request id, as the SDK needs to build *sls.Error.
func TestErrorShape(t *testing.T) {
	s := startServer(t, Options{})
	mustLogstore(t, s, 1)
	c := newClient(t, s, testAK, testSK)
	_, err := c.ListShards(testProject, "missing")
	e, ok := err.(*sls.Error)
	if !ok {
		t.Fatalf("error %T %v is not *sls.Error", err, err)
	}
	if e.HTTPCode != 404 || e.Code != CodeLogStoreNotExist || e.Message == "" || e.RequestID == "" {
		t.Fatalf("got %+v, want 404 LogStoreNotExist with a message and request id", e)
	}
	_, err = c.ListShards("nosuchproject", testLogstore)
	if st, code := slsCode(err); st != 404 || code != CodeProjectNotExist {
		t.Fatalf("unknown project: got %d %s", st, code)
	}
}
