package splunkhec

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forwarder/forwarder/event"
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

// Pools the synthetic audit events draw from.
var (
	eventNames = []struct{ name, service, source string }{
		{"CreateAccessKey", "Ram", "ram.aliyuncs.com"}, {"DeleteUser", "Ram", "ram.aliyuncs.com"},
		{"AttachPolicyToUser", "Ram", "ram.aliyuncs.com"}, {"ConsoleSignin", "AasSub", "signin.aliyun.com"},
		{"RunInstances", "Ecs", "ecs.aliyuncs.com"}, {"DeleteInstance", "Ecs", "ecs.aliyuncs.com"},
		{"AuthorizeSecurityGroup", "Ecs", "ecs.aliyuncs.com"}, {"PutBucketAcl", "Oss", "oss.aliyuncs.com"},
		{"DeleteBucket", "Oss", "oss.aliyuncs.com"}, {"CreateVpc", "Vpc", "vpc.aliyuncs.com"},
		{"ModifyDBInstanceSpec", "Rds", "rds.aliyuncs.com"}, {"GetSecretValue", "Kms", "kms.aliyuncs.com"},
	}
	regions    = []string{"cn-hangzhou", "cn-shanghai", "cn-beijing", "ap-southeast-1", "eu-central-1", "us-west-1"}
	users      = []string{"ci-deployer", "alice", "bob.chen", "ops-automation", "terraform", "security-audit", "li.wei", "backup-svc"}
	userAgents = []string{
		"AlibabaCloud (linux; amd64) Go/1.26 Core/0.1.0 TeaDSL/1",
		"aliyun-cli/3.0.200 (darwin; arm64)",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
		"Terraform/1.9.8 terraform-provider-alicloud/1.240.0",
		"aliyun-sdk-java/2.0.0 (Linux; amd64) Java/17.0.12",
	}
)

const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func randString(r *rand.Rand, chars string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[r.IntN(len(chars))]
	}
	return string(b)
}

func randUUID(r *rand.Rand, upper bool) string {
	const lower, up = "0123456789abcdef", "0123456789ABCDEF"
	h := lower
	if upper {
		h = up
	}
	return randString(r, h, 8) + "-" + randString(r, h, 4) + "-4" + randString(r, h, 3) + "-" + randString(r, h, 4) + "-" + randString(r, h, 12)
}

// auditJSON is the `event` field of a synthetic ActionTrail log (about
// 1 KB). Its values vary as real ones do (ids, addresses, users, APIs), drawn
// from a generator seeded by seq, so tests stay deterministic and gzip sees
// realistic entropy.
func auditJSON(seq int) string {
	r := rand.New(rand.NewPCG(uint64(seq), 0x5eed))
	ev := eventNames[r.IntN(len(eventNames))]
	region := regions[r.IntN(len(regions))]
	user := users[r.IntN(len(users))]
	account := fmt.Sprintf("1%015d", r.Int64N(1e15))
	ip := fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(223), r.IntN(256), r.IntN(256), 1+r.IntN(254))
	ts := time.Unix(1795939202+int64(seq), 0).UTC().Format(time.RFC3339)
	rw := "Write"
	if strings.HasPrefix(ev.name, "Get") {
		rw = "Read"
	}
	return fmt.Sprintf(`{"eventId":%q,"eventVersion":"1","eventName":%q,"eventSource":%q,"eventType":"ApiCall",`+
		`"eventCategory":"Management","eventRW":%q,"eventTime":%q,"acsRegion":%q,"requestId":%q,"apiVersion":"2014-05-26",`+
		`"serviceName":%q,"sourceIpAddress":%q,"userAgent":%q,"recipientAccountId":%q,`+
		`"userIdentity":{"type":"ram-user","principalId":"%018d","accountId":%q,"userName":%q,"accessKeyId":"LTAI5t%s"},`+
		`"requestParameters":{"RegionId":%q,"InstanceId":"i-%s","ClientToken":%q,"AcsHost":"%s.%s.aliyuncs.com"},`+
		`"responseElements":{"RequestId":%q,"Status":"Success"},`+
		`"additionalEventData":{"isMFAChecked":%q,"loginAccount":"%s@%s.onaliyun.com"},"seq":%d}`,
		randUUID(r, false), ev.name, ev.source, rw, ts, region, randUUID(r, true),
		ev.service, ip, userAgents[r.IntN(len(userAgents))], account,
		r.Int64N(1e18), account, user, randString(r, alnum, 16),
		region, randString(r, "0123456789abcdefghijklmnopqrstuvwxyz", 20), randUUID(r, false), strings.ToLower(ev.service), region,
		randUUID(r, true), []string{"true", "false"}[r.IntN(2)], user, account, seq)
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
			{Key: "action", Value: event.String("ApiCall")},
			{Key: "user", Value: event.String("ci-deployer")},
			{Key: "seq", Value: event.String(strconv.Itoa(seq))},
		},
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
