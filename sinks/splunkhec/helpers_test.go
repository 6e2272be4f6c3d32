package splunkhec

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/forwarder/forwarder/engine/event"
	"github.com/forwarder/forwarder/sinks"
	"github.com/forwarder/forwarder/sinks/splunkhec/hectest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// syncBuffer is a log sink safe for concurrent writers.
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

// testConfig is a config for srv with compression off and short timers.
func testConfig(srv *hectest.Server) *Config {
	c := NewConfig()
	c.Endpoint = srv.URL()
	c.Token = hectest.DefaultToken
	c.Compression = CompressionNone
	c.Timeout = "5s"
	c.AckPollInterval = "20ms"
	c.AckTimeout = "5s"
	return c
}

// connect builds and connects a sink, closing it when the test ends.
func connect(t testing.TB, c *Config, logs *syncBuffer) *Sink {
	t.Helper()
	set := sinks.Settings{Name: "splunk_hec.test"}
	if logs != nil {
		set.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s, err := New(c, set)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Connect(ctx); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return s
}

// auditJSON is the `event` field of a synthetic ActionTrail log; seq makes
// it unique.
func auditJSON(seq int) string {
	return fmt.Sprintf(`{"eventId":"5f0c2d1e-9b7a-4c4e-8f31-%012d","eventVersion":"1","eventName":"CreateAccessKey",`+
		`"eventSource":"ram.aliyuncs.com","eventType":"ApiCall","eventCategory":"Management","eventRW":"Write",`+
		`"eventTime":"2026-11-24T08:15:02Z","acsRegion":"cn-hangzhou","requestId":"7C2E5A3B-11F0-4D2A-9E0B-6A1C3F5D7E92",`+
		`"apiVersion":"2015-05-01","serviceName":"Ram","sourceIpAddress":"203.0.113.45",`+
		`"userAgent":"AlibabaCloud (linux; amd64) Go/1.26 Core/0.1.0","recipientAccountId":"1234567890123456",`+
		`"userIdentity":{"type":"ram-user","principalId":"276543210987654321","accountId":"1234567890123456",`+
		`"userName":"ci-deployer","accessKeyId":"LTAI5tExampleKeyId01"},`+
		`"requestParameters":{"UserName":"ci-deployer","RegionId":"cn-hangzhou","AcsHost":"ram.aliyuncs.com"},`+
		`"responseElements":{"AccessKey":{"AccessKeyId":"LTAI5tNewKeyExample02","Status":"Active","CreateDate":"2026-11-24T08:15:02Z"}},`+
		`"additionalEventData":{"isMFAChecked":"false","loginAccount":"ci-deployer@1234567890123456.onaliyun.com"}}`, seq)
}

// auditEvent is a realistic ~1 KB ActionTrail event as rules leave it: the
// `event` field decoded (KindJSON) plus a few strings.
func auditEvent(seq int) *event.Event {
	return &event.Event{
		Time:   time.Unix(1795939202, int64(seq%1000)*int64(time.Millisecond)),
		Topic:  "actiontrail_audit_event",
		Source: "100.104.12.8",
		Tags:   []event.Tag{{Key: "__receive_time__", Value: "1795939202"}},
		Fields: []event.Field{
			{Key: "event", Value: event.RawJSON(auditJSON(seq))},
			{Key: "owner_id", Value: event.String("1234567890123456")},
			{Key: "action", Value: event.String("CreateAccessKey")},
			{Key: "user", Value: event.String("ci-deployer")},
			{Key: "seq", Value: event.String(strconv.Itoa(seq))},
		},
		Origin: "actiontrail/shard 0",
	}
}

func auditEvents(from, n int) []*event.Event {
	evs := make([]*event.Event, n)
	for i := range evs {
		evs[i] = auditEvent(from + i)
	}
	return evs
}

// bodyOf decodes an indexed event's body.
func bodyOf(t testing.TB, e hectest.Event) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.Event, &m); err != nil {
		t.Fatalf("event body %s: %v", e.Event, err)
	}
	return m
}

// seqOf returns the "seq" field of an indexed event.
func seqOf(t testing.TB, e hectest.Event) int {
	t.Helper()
	s, ok := bodyOf(t, e)["seq"].(string)
	if !ok {
		t.Fatalf("indexed event has no seq: %s", e.Event)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// seqs lists the seq of every indexed event.
func seqs(t testing.TB, srv *hectest.Server) []int {
	t.Helper()
	var out []int
	for _, e := range srv.Events() {
		out = append(out, seqOf(t, e))
	}
	return out
}

func span(from, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = from + i
	}
	return out
}
