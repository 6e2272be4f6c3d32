package splunkhec

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/sinks"
)

// fuzzReply is the answer the fuzz server gives, set by each fuzz call.
type fuzzReply struct {
	mu                sync.Mutex
	status, ackStatus int
	body, ackBody     []byte
}

func (f *fuzzReply) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/health") {
		_, _ = w.Write([]byte(`{"text":"HEC is healthy","code":17}`))
		return
	}
	f.mu.Lock()
	status, body := f.status, f.body
	if strings.HasSuffix(r.URL.Path, "/ack") {
		status, body = f.ackStatus, f.ackBody
	}
	f.mu.Unlock()
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// FuzzReply feeds arbitrary HEC replies (status and body of the event
// post, and of the indexer-ack query) to a sink over real HTTP on
// 127.0.0.1: WriteBatch must not panic, must report one outcome per event
// when it reports any, and may accept the batch only on a 200 whose ack
// (when asked for) said true. The seed corpus is in testdata/fuzz/FuzzReply.
func FuzzReply(f *testing.F) {
	f.Add(uint16(200), []byte(`{"text":"Success","code":0}`), false, uint16(200), []byte(nil))
	f.Add(uint16(400), []byte(`{"text":"Invalid data format","code":6,"invalid-event-number":1}`), false, uint16(200), []byte(nil))
	f.Add(uint16(400), []byte(`{"text":"x","code":6,"invalid-event-number":-7}`), false, uint16(200), []byte(nil))
	f.Add(uint16(200), []byte(`{"text":"Success","code":0,"ackId":0}`), true, uint16(200), []byte(`{"acks":{"0":true}}`))
	f.Add(uint16(200), []byte(`{"text":"Success","code":0,"ackId":18446744073709551615}`), true, uint16(200), []byte(`{"acks":{"x":true}}`))
	f.Add(uint16(503), []byte(`{"text":"Server is busy","code":9}`), false, uint16(200), []byte(nil))
	f.Add(uint16(413), []byte("<html>Request Entity Too Large</html>"), false, uint16(200), []byte(nil))
	rep := &fuzzReply{}
	srv := httptest.NewServer(rep)
	f.Cleanup(srv.Close)
	newSink := func(t *testing.T, ack bool) *Sink {
		c := NewConfig()
		c.Endpoint, c.Token, c.Compression = srv.URL, "fuzz-token", CompressionNone
		c.Timeout, c.IndexerAck, c.AckPollInterval, c.AckTimeout = "2s", ack, "5ms", "60ms"
		s, err := New(c, sinks.Settings{Name: "splunk_hec.fuzz"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Connect(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s
	}
	events := []*event.Event{
		{Time: time.Unix(1795939202, 0), Topic: "t", Fields: []event.Field{{Key: "a", Value: event.String("1")}}},
		{Time: time.Unix(1795939203, 0), Topic: "t", Fields: []event.Field{{Key: "b", Value: event.String("2")}}},
		{Time: time.Unix(1795939204, 0), Topic: "t", Fields: []event.Field{{Key: "c", Value: event.String("3")}}},
	}
	f.Fuzz(func(t *testing.T, status uint16, body []byte, ack bool, ackStatus uint16, ackBody []byte) {
		if status < 100 || status > 999 || ackStatus < 100 || ackStatus > 999 || status/100 == 1 || ackStatus/100 == 1 {
			return // not a final HTTP status
		}
		rep.mu.Lock()
		rep.status, rep.body, rep.ackStatus, rep.ackBody = int(status), body, int(ackStatus), ackBody
		rep.mu.Unlock()
		s := newSink(t, ack)
		defer s.Close(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := s.WriteBatch(ctx, events)
		var be *sinks.BatchError
		if errors.As(err, &be) && len(be.Results) != len(events) {
			t.Fatalf("%d results for %d events", len(be.Results), len(events))
		}
		if err == nil && status != 200 {
			t.Fatalf("status %d %q accepted", status, body)
		}
		if err != nil && strings.Contains(err.Error(), "fuzz-token") {
			t.Fatalf("the token is in the error: %v", err)
		}
	})
}
