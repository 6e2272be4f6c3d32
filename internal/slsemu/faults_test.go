package slsemu

import (
	"errors"
	"testing"
	"time"

	sls "github.com/aliyun/aliyun-log-go-sdk"
)

func TestFaults(t *testing.T) {
	s := startServer(t, Options{})
	mustLogstore(t, s, 2)
	if err := s.CreateConsumerGroup(testProject, testLogstore, "cg", 30, false); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s, testAK, testSK)
	listShards := func() error { _, err := c.ListShards(testProject, testLogstore); return err }
	getCursor := func() error { _, err := c.GetCursor(testProject, testLogstore, 0, "begin"); return err }
	heartbeat := func(name string) func() error {
		return func() error { _, err := c.HeartBeat(testProject, testLogstore, "cg", name, nil); return err }
	}
	put := func() error { return c.PutLogs(testProject, testLogstore, makeGroup(1, 1)) }

	tests := []struct {
		name     string
		fault    Fault
		do       func() error
		status   int32  // expected SLS error status; 0 = success
		code     string // expected SLS error code
		netErr   bool   // expect a non-SLS (connection) error
		hits     int    // expected FaultHits; -1 = at least one
		minDelay time.Duration
	}{
		{name: "latency", fault: Fault{API: APIListShards, Latency: 300 * time.Millisecond}, do: listShards, hits: 1, minDelay: 300 * time.Millisecond},
		{name: "5xx retried by GET", fault: Fault{API: APIListShards, Code: CodeServerBusy, Times: 2}, do: listShards, hits: 2},
		{name: "500 on POST is retried", fault: Fault{API: APIPutLogs, Status: 500, Times: 1}, do: put, hits: 1},
		{name: "quota error", fault: Fault{API: APIPutLogs, Code: CodeWriteQuotaExceed}, do: put, status: 403, code: CodeWriteQuotaExceed, hits: 1},
		{name: "error code on heartbeat", fault: Fault{API: APIHeartbeat, Code: CodeNotExistConsumerWithBody}, do: heartbeat("c1"), status: 400, code: CodeNotExistConsumerWithBody, hits: 1},
		{name: "scoped to another consumer", fault: Fault{API: APIHeartbeat, Consumer: "c2", Code: CodeInternalServerError}, do: heartbeat("c1"), hits: 0},
		{name: "scoped to this consumer", fault: Fault{API: APIHeartbeat, Consumer: "c2", Code: CodeInternalServerError}, do: heartbeat("c2"), status: 500, code: CodeInternalServerError, hits: 1},
		{name: "dropped GET is retried", fault: Fault{API: APIGetCursor, Drop: true, Times: 1}, do: getCursor, hits: 1},
		{name: "dropped POST fails", fault: Fault{API: APIHeartbeat, Drop: true}, do: heartbeat("c1"), netErr: true, hits: 1},
		{name: "other API untouched", fault: Fault{API: APIPullLogs, Code: CodeServerBusy}, do: listShards, hits: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := s.InjectFault(tt.fault)
			defer s.RemoveFault(id)
			start := time.Now()
			err := tt.do()
			took := time.Since(start)
			var se *sls.Error
			switch {
			case tt.netErr:
				if err == nil || errors.As(err, &se) && se.HTTPCode > 0 {
					t.Fatalf("want a connection error, got %v", err)
				}
			case tt.code != "":
				if st, code := slsCode(err); st != tt.status || code != tt.code {
					t.Fatalf("got %v, want %d %s", err, tt.status, tt.code)
				}
			default:
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
			}
			if got := s.FaultHits(id); got != tt.hits {
				t.Fatalf("fault hit %d requests, want %d", got, tt.hits)
			}
			if took < tt.minDelay {
				t.Fatalf("call took %v, want ≥ %v", took, tt.minDelay)
			}
		})
	}
}

func TestFaultRate(t *testing.T) {
	s := startServer(t, Options{Seed: 7})
	mustLogstore(t, s, 1)
	id := s.InjectFault(Fault{API: APIGetLogStore, Status: 400, Code: CodeParameterInvalid, Rate: 0.5})
	c := newClient(t, s, testAK, testSK)
	failed := 0
	const n = 60
	for i := 0; i < n; i++ {
		if _, err := c.GetLogStore(testProject, testLogstore); err != nil {
			failed++
		}
	}
	if failed < n/5 || failed > n*4/5 || s.FaultHits(id) != failed {
		t.Fatalf("rate 0.5 failed %d of %d requests (hits %d)", failed, n, s.FaultHits(id))
	}
}

// TestFaultStuckCursor: a StuckCursor fault returns the data with the
// request's cursor as the next one, Times times, then pulls advance again.
func TestFaultStuckCursor(t *testing.T) {
	s := startServer(t, Options{})
	mustLogstore(t, s, 1)
	c := newClient(t, s, testAK, testSK)
	if err := c.PutLogsWithCompressType(testProject, testLogstore, makeGroup(3, 1), sls.Compress_LZ4); err != nil {
		t.Fatal(err)
	}
	begin, err := c.GetCursor(testProject, testLogstore, 0, "begin")
	if err != nil {
		t.Fatal(err)
	}
	id := s.InjectFault(Fault{API: APIPullLogs, StuckCursor: true, Times: 2})
	for i := range 3 {
		gl, next, err := c.PullLogs(testProject, testLogstore, 0, begin, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(gl.LogGroups); n != 1 {
			t.Fatalf("pull %d: %d log groups, want 1", i, n)
		}
		if stuck := next == begin; stuck != (i < 2) {
			t.Fatalf("pull %d: next %q, begin %q: stuck = %v", i, next, begin, stuck)
		}
	}
	if got := s.FaultHits(id); got != 2 {
		t.Fatalf("fault hits = %d, want 2", got)
	}
}
