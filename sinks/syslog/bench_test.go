package syslog

import (
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/forwarder/forwarder/event"
)

// benchEvent is an ActionTrail-like audit record as SLS delivers it: every
// content field a string, the event itself a JSON document in a string.
func benchEvent(i int) *event.Event {
	return &event.Event{
		Time:   time.Date(2026, 11, 24, 8, 15, 2, i*1000, time.UTC),
		Topic:  "actiontrail_audit_event",
		Source: "10.12.0." + strconv.Itoa(i%250),
		Tags: []event.Tag{
			{Key: "__receive_time__", Value: "1795508102"},
			{Key: "__pack_id__", Value: "5F1C3A9B2D4E6F70-" + strconv.Itoa(i)},
		},
		Fields: []event.Field{
			{Key: "event", Value: event.String(`{"eventId":"8E1F2C3D-4B5A-6978-8A9B-0C1D2E3F4A5B","eventVersion":1,` +
				`"eventSource":"ram.aliyuncs.com","sourceIpAddress":"203.0.113.7","userAgent":"AlibabaCloud (linux; amd64) Go/1.26 Core/0.0.1 aliyun-cli/v3.0.200",` +
				`"eventRW":"Write","eventType":"ApiCall","eventName":"CreateUser","eventTime":"2026-11-24T08:15:02Z",` +
				`"userIdentity":{"type":"ram-user","principalId":"208475937239434","accountId":"1234567890123456","userName":"alice","accessKeyId":"LTAI5tExampleKeyId0000000"},` +
				`"requestParameters":{"UserName":"bob","DisplayName":"Bob \"the builder\"","Comments":"created by automation\nticket OPS-1234","RegionId":"cn-hangzhou"},` +
				`"responseElements":{"RequestId":"0B1C2D3E-4F5A-6B7C-8D9E-0F1A2B3C4D5E","User":{"UserId":"209384756473829","UserName":"bob","CreateDate":"2026-11-24T08:15:02Z"}},` +
				`"requestId":"0B1C2D3E-4F5A-6B7C-8D9E-0F1A2B3C4D5E","apiVersion":"2015-05-01","acsRegion":"cn-hangzhou","isGlobal":true}`)},
			{Key: "event.eventName", Value: event.String("CreateUser")},
			{Key: "event.userIdentity.userName", Value: event.String("alice")},
			{Key: "event.sourceIpAddress", Value: event.String("203.0.113.7")},
			{Key: "event.acsRegion", Value: event.String("cn-hangzhou")},
		},
		Meta: []event.Tag{{Key: event.MetaSeverity, Value: "notice"}, {Key: event.MetaMsgID, Value: "CreateUser"}},
	}
}

// discard is a loopback TCP listener that reads and drops everything.
func discard(b *testing.B) string {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.Copy(io.Discard, c)
	}()
	b.Cleanup(func() { l.Close(); <-done })
	return l.Addr().String()
}

// BenchmarkWrite measures WriteBatch over TCP (octet counting) to a local
// discard listener, in raw event bytes (event.RawSize) per second. Run with
// -cpu 1. ack_hold is 0: the hold is idle time, not work, and would measure
// the configured wait instead of the sink.
func BenchmarkWrite(b *testing.B) {
	for _, enc := range []string{"json", "kv", "cef", "leef"} {
		b.Run("rfc5424/"+enc, func(b *testing.B) {
			c := NewConfig()
			c.Address, c.Encoding, c.AckHold, c.Hostname = discard(b), enc, "0s", "bench-host"
			s, err := New(c, testSettings())
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close(b.Context())
			if err := s.Connect(b.Context()); err != nil {
				b.Fatal(err)
			}
			const batch = 1000
			events := make([]*event.Event, batch)
			raw := 0
			for i := range events {
				events[i] = benchEvent(i)
				raw += events[i].RawSize()
			}
			b.SetBytes(int64(raw))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := s.WriteBatch(b.Context(), events); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
