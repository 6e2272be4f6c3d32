// Package demo is a built-in source of realistic Alibaba Cloud audit events,
// so forwarder runs with no cloud account: ActionTrail events (topic
// actiontrail_audit_event, the whole event as a JSON string in field `event`)
// mixed with OSS access logs and WAF logs, of varied sizes. Output is
// deterministic for a seed.
package demo

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/forwarder/forwarder/event"
)

// Topics the generator produces.
const (
	TopicActionTrail = "actiontrail_audit_event"
	TopicOSS         = "oss_access_log"
	TopicWAF         = "waf_access_log"
)

// Generator makes events. It is not safe for concurrent use.
type Generator struct {
	pcg   *rand.PCG
	rnd   *rand.Rand
	now   time.Time
	seq   uint64
	epoch time.Time
}

// State is a generator's position, to produce the same events again.
type State struct {
	pcg rand.PCG
	now time.Time
	seq uint64
}

// State returns the generator's position.
func (g *Generator) State() State { return State{pcg: *g.pcg, now: g.now, seq: g.seq} }

// Restore moves the generator back (or forth) to a position from State.
func (g *Generator) Restore(s State) { *g.pcg, g.now, g.seq = s.pcg, s.now, s.seq }

// NewGenerator returns a generator whose output is fixed by seed. Event times
// start at start and advance a few milliseconds per event.
func NewGenerator(seed uint64, start time.Time) *Generator {
	pcg := rand.NewPCG(seed, seed^0x5eed)
	return &Generator{pcg: pcg, rnd: rand.New(pcg), now: start, epoch: start}
}

type api struct {
	name, source, service, typ, rw string
	params                         func(g *Generator) string
}

var apis = []api{
	{"CreateUser", "ram.aliyuncs.com", "Ram", "ApiCall", "Write", func(g *Generator) string {
		return `{"UserName":` + q(g.pick(userNames)) + `,"DisplayName":` + q(g.pick(userNames)) + `}`
	}},
	{"CreateAccessKey", "ram.aliyuncs.com", "Ram", "ApiCall", "Write", func(g *Generator) string { return `{"UserName":` + q(g.pick(userNames)) + `}` }},
	{"AttachPolicyToUser", "ram.aliyuncs.com", "Ram", "ApiCall", "Write", func(g *Generator) string {
		return `{"PolicyType":"System","PolicyName":"AdministratorAccess","UserName":` + q(g.pick(userNames)) + `}`
	}},
	{"DeleteBucket", "oss.aliyuncs.com", "Oss", "ApiCall", "Write", func(g *Generator) string { return `{"BucketName":"audit-archive-` + g.hex(6) + `"}` }},
	{"PutBucketAcl", "oss.aliyuncs.com", "Oss", "ApiCall", "Write", func(g *Generator) string {
		return `{"BucketName":"public-assets","x-oss-acl":"public-read"}`
	}},
	{"RunInstances", "ecs.aliyuncs.com", "Ecs", "ApiCall", "Write", func(g *Generator) string {
		return `{"RegionId":"cn-hangzhou","ImageId":"aliyun_3_x64_20G_alibase_20260910.vhd","InstanceType":"ecs.g7.large","Amount":` + strconv.Itoa(1+g.rnd.IntN(4)) + `,"SecurityGroupId":"sg-` + g.hex(12) + `","VSwitchId":"vsw-` + g.hex(12) + `"}`
	}},
	{"DescribeInstances", "ecs.aliyuncs.com", "Ecs", "ApiCall", "Read", func(g *Generator) string {
		return `{"RegionId":"cn-hangzhou","PageSize":100,"PageNumber":` + strconv.Itoa(1+g.rnd.IntN(9)) + `}`
	}},
	{"AuthorizeSecurityGroup", "ecs.aliyuncs.com", "Ecs", "ApiCall", "Write", func(g *Generator) string {
		return `{"SecurityGroupId":"sg-` + g.hex(12) + `","IpProtocol":"tcp","PortRange":"22/22","SourceCidrIp":"0.0.0.0/0"}`
	}},
	{"ConsoleSignin", "signin.aliyun.com", "", "ConsoleSignin", "Write", nil},
	{"GetCallerIdentity", "sts.aliyuncs.com", "Sts", "ApiCall", "Read", func(g *Generator) string { return `{}` }},
	{"ModifyDBInstanceSpec", "rds.aliyuncs.com", "Rds", "ApiCall", "Write", func(g *Generator) string {
		return `{"DBInstanceId":"rm-` + g.hex(14) + `","DBInstanceClass":"mysql.n4.large.2c","DBInstanceStorage":500}`
	}},
	{"CreateVpc", "vpc.aliyuncs.com", "Vpc", "ApiCall", "Write", func(g *Generator) string {
		return `{"RegionId":"cn-shanghai","CidrBlock":"172.16.0.0/12","VpcName":"prod-` + g.hex(4) + `"}`
	}},
}

var (
	userNames = []string{"ci-deployer", "alice", "bob.chen", "张伟", "ops-admin", "terraform", "李娜", "security-audit", "müller"}
	regions   = []string{"cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen", "ap-southeast-1", "eu-central-1"}
	agents    = []string{
		"AlibabaCloud (linux; amd64) Go/1.26 Core/0.1.0 TeaDSL/1",
		"aliyun-cli/v3.0.250 (darwin; arm64)",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36",
		"Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-alicloud/1.240.0",
		"ecs.aliyuncs.com",
	}
	identityTypes = []string{"ram-user", "ram-user", "ram-user", "root-account", "assumed-role", "cloudsso-user"}
	errorCodes    = []string{"NoPermission", "InvalidAccessKeyId.NotFound", "Forbidden.RAM", "EntityAlreadyExists.User", "Throttling.User"}
)

func q(s string) string { return string(event.AppendQuote(nil, s)) }

func (g *Generator) pick(xs []string) string { return xs[g.rnd.IntN(len(xs))] }

func (g *Generator) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.rnd.IntN(16)]
	}
	return string(b)
}

func (g *Generator) ip() string {
	switch g.rnd.IntN(10) {
	case 0:
		return fmt.Sprintf("2001:db8:%x::%x", g.rnd.IntN(0xffff), g.rnd.IntN(0xffff))
	case 1:
		return "Internal"
	default:
		return fmt.Sprintf("203.0.113.%d", 1+g.rnd.IntN(254))
	}
}

// Next returns the next event. Every event carries a field `demo_seq`, a
// unique increasing number, so tests can check that nothing was lost.
func (g *Generator) Next() *event.Event {
	g.seq++
	g.now = g.now.Add(time.Duration(1+g.rnd.IntN(5)) * time.Millisecond)
	var ev *event.Event
	switch r := g.rnd.IntN(100); {
	case r < 70:
		ev = g.actionTrail()
	case r < 85:
		ev = g.oss()
	default:
		ev = g.waf()
	}
	ev.Time = g.now
	ev.Fields = append(ev.Fields, event.Field{Key: "demo_seq", Value: event.String(strconv.FormatUint(g.seq, 10))})
	ev.Tags = []event.Tag{{Key: "__receive_time__", Value: strconv.FormatInt(g.now.Unix(), 10)}, {Key: "__pack_id__", Value: fmt.Sprintf("%X-%X", g.seq/4096, g.seq%4096)}}
	return ev
}

func (g *Generator) actionTrail() *event.Event {
	a := apis[g.rnd.IntN(len(apis))]
	account := "1234567890123456"
	user := g.pick(userNames)
	idType := g.pick(identityTypes)
	var b strings.Builder
	b.Grow(1200)
	b.WriteString(`{"eventId":"` + g.hex(8) + "-" + g.hex(4) + "-" + g.hex(4) + "-" + g.hex(4) + "-" + g.hex(12) + `","eventVersion":"1"`)
	b.WriteString(`,"eventName":` + q(a.name) + `,"eventSource":` + q(a.source) + `,"eventType":` + q(a.typ))
	b.WriteString(`,"eventCategory":"Management","eventRW":` + q(a.rw))
	b.WriteString(`,"eventTime":"` + g.now.UTC().Format("2006-01-02T15:04:05Z") + `","acsRegion":` + q(g.pick(regions)))
	b.WriteString(`,"requestId":"` + strings.ToUpper(g.hex(8)+"-"+g.hex(4)+"-"+g.hex(4)+"-"+g.hex(4)+"-"+g.hex(12)) + `"`)
	if a.service != "" {
		b.WriteString(`,"apiVersion":"2015-05-01","serviceName":` + q(a.service))
	}
	b.WriteString(`,"sourceIpAddress":` + q(g.ip()) + `,"userAgent":` + q(g.pick(agents)) + `,"recipientAccountId":"` + account + `"`)
	b.WriteString(`,"userIdentity":{"type":` + q(idType) + `,"principalId":"` + strconv.FormatUint(g.rnd.Uint64()%1e18, 10) + `","accountId":"` + account + `","userName":` + q(user) + `,"accessKeyId":"LTAI5t` + g.hex(16) + `"`)
	if idType == "assumed-role" {
		b.WriteString(`,"sessionContext":{"attributes":{"creationDate":"` + g.now.UTC().Format(time.RFC3339) + `","mfaAuthenticated":"false"}}`)
	}
	b.WriteString(`}`)
	if a.params != nil {
		params := a.params(g)
		if g.rnd.IntN(200) == 0 { // occasional very large request (tens of KB)
			params = `{"PolicyDocument":` + q(strings.Repeat(`{"Effect":"Allow","Action":["oss:GetObject","oss:PutObject"],"Resource":["acs:oss:*:*:bucket-`+g.hex(6)+`/*"]},`, 150)) + `}`
		}
		b.WriteString(`,"requestParameters":` + params)
	} else {
		b.WriteString(`,"additionalEventData":{"isMFAChecked":"` + strconv.FormatBool(g.rnd.IntN(3) > 0) + `","loginAccount":` + q(user+"@"+account+".onaliyun.com") + `}`)
	}
	if g.rnd.IntN(8) == 0 {
		code := g.pick(errorCodes)
		b.WriteString(`,"errorCode":` + q(code) + `,"errorMessage":` + q("You are not authorized to do this action. ("+code+")"))
	}
	b.WriteString(`,"referencedResources":{"ACS::RAM::User":[` + q(user) + `]}}`)
	return &event.Event{
		Topic:  TopicActionTrail,
		Source: fmt.Sprintf("100.104.%d.%d", g.rnd.IntN(256), 1+g.rnd.IntN(254)),
		Fields: []event.Field{
			{Key: "event", Value: event.String(b.String())},
			{Key: "owner_id", Value: event.String(account)},
		},
	}
}

func (g *Generator) oss() *event.Event {
	ops := []string{"GetObject", "PutObject", "DeleteObject", "ListObjects", "HeadObject"}
	status := []string{"200", "200", "200", "206", "304", "403", "404"}
	return &event.Event{
		Topic:  TopicOSS,
		Source: "oss-log-" + g.pick(regions),
		Fields: []event.Field{
			{Key: "bucket", Value: event.String("prod-data-" + g.hex(4))},
			{Key: "object", Value: event.String("reports/2026/11/" + g.hex(10) + ".parquet")},
			{Key: "operation", Value: event.String(g.pick(ops))},
			{Key: "http_status", Value: event.String(g.pick(status))},
			{Key: "client_ip", Value: event.String(g.ip())},
			{Key: "requester_id", Value: event.String(strconv.FormatUint(g.rnd.Uint64()%1e16, 10))},
			{Key: "response_body_length", Value: event.String(strconv.Itoa(g.rnd.IntN(1 << 24)))},
			{Key: "request_time", Value: event.String(strconv.Itoa(g.rnd.IntN(900)))},
			{Key: "user_agent", Value: event.String(g.pick(agents))},
		},
	}
}

func (g *Generator) waf() *event.Event {
	actions := []string{"pass", "pass", "pass", "block", "captcha"}
	uris := []string{"/login", "/api/v1/orders?id=1%27%20OR%201=1--", "/wp-admin/", "/static/app.js", "/api/v1/users/me", "/../../etc/passwd"}
	return &event.Event{
		Topic:  TopicWAF,
		Source: "waf",
		Fields: []event.Field{
			{Key: "host", Value: event.String("shop.example.com")},
			{Key: "request_uri", Value: event.String(g.pick(uris))},
			{Key: "request_method", Value: event.String([]string{"GET", "POST"}[g.rnd.IntN(2)])},
			{Key: "real_client_ip", Value: event.String(g.ip())},
			{Key: "final_action", Value: event.String(g.pick(actions))},
			{Key: "final_rule_id", Value: event.String(strconv.Itoa(100000 + g.rnd.IntN(900000)))},
			{Key: "status", Value: event.String(g.pick([]string{"200", "403", "405", "502"}))},
			{Key: "user_agent", Value: event.String(g.pick(agents))},
		},
	}
}
