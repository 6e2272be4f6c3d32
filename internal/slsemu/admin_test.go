package slsemu

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

func adminDo(t *testing.T, s *Server, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+s.Addr()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	hc := s.HTTPClient()
	defer hc.CloseIdleConnections()
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	if resp.StatusCode != http.StatusOK {
		var e Error
		if err := json.Unmarshal(b, &e); err != nil || e.Code == "" {
			t.Fatalf("%s %s: error body %q is not SLS JSON", method, path, b)
		}
	}
	return resp.StatusCode
}

func TestAdminAPI(t *testing.T) {
	s := startServer(t, Options{})
	c := newClient(t, s, testAK, testSK)
	steps := []struct {
		method, path string
		body         any
		want         int
	}{
		{"POST", "/_emu/logstores", map[string]any{"project": testProject, "logstore": testLogstore, "shards": 2}, 200},
		{"POST", "/_emu/logstores", map[string]any{"project": testProject, "logstore": testLogstore, "shards": 2}, 400},
		{"POST", "/_emu/logs", map[string]any{"project": testProject, "logstore": testLogstore, "shard": 1, "topic": "t",
			"logs": []map[string]any{{"time": 1750000000, "contents": map[string]string{"a": "1", "b": "2"}}}}, 200},
		{"POST", "/_emu/logs", map[string]any{"project": testProject, "logstore": "nope"}, 404},
		{"POST", "/_emu/split", map[string]any{"project": testProject, "logstore": testLogstore, "shard": 0}, 200},
		{"POST", "/_emu/merge", map[string]any{"project": testProject, "logstore": testLogstore, "shard": 2}, 200},
		{"POST", "/_emu/faults", map[string]any{"api": APIListShards, "code": CodeServerBusy, "latency": "10ms", "times": 1}, 200},
		{"GET", "/_emu/faults", nil, 200},
		{"POST", "/_emu/faults", map[string]any{"latency": "soon"}, 400},
		{"GET", "/_emu/nope", nil, 404},
		{"POST", "/_emu/state", nil, 404},
	}
	for _, st := range steps {
		if got := adminDo(t, s, st.method, st.path, st.body, nil); got != st.want {
			t.Fatalf("%s %s = %d, want %d", st.method, st.path, got, st.want)
		}
	}
	faults := s.Faults()
	if len(faults) != 1 || faults[0].Fault.Latency.Milliseconds() != 10 || faults[0].Fault.Code != CodeServerBusy {
		t.Fatalf("faults: %+v", faults)
	}
	if _, err := c.ListShards(testProject, testLogstore); err != nil { // retried past the fault
		t.Fatal(err)
	}
	if adminDo(t, s, "DELETE", "/_emu/faults", nil, nil) != 200 || len(s.Faults()) != 0 {
		t.Fatal("faults not cleared")
	}

	var state State
	adminDo(t, s, "GET", "/_emu/state", nil, &state)
	if len(state.Projects) != 1 || len(state.Projects[0].Logstores) != 1 {
		t.Fatalf("state: %+v", state)
	}
	shards := state.Projects[0].Logstores[0].Shards
	if len(shards) != 5 || shards[1].Logs != 1 || shards[0].Status != StatusReadOnly || shards[4].ShardID != 4 {
		t.Fatalf("shards in state: %+v", shards)
	}

	var stats Stats
	adminDo(t, s, "GET", "/_emu/stats", nil, &stats)
	if stats.Requests[APIListShards] != 2 {
		t.Fatalf("stats: %+v", stats.Requests)
	}
	var exp map[string]int
	adminDo(t, s, "POST", "/_emu/expire", map[string]any{"project": testProject, "logstore": testLogstore, "all": true}, &exp)
	if exp["expired"] != 1 {
		t.Fatalf("expire: %v", exp)
	}
	if err := s.CreateConsumerGroup(testProject, testLogstore, "cg", 10, false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HeartBeat(testProject, testLogstore, "cg", "a", nil); err != nil {
		t.Fatal(err)
	}
	var g struct {
		Group      GroupInfo         `json:"group"`
		History    []AssignmentEvent `json:"history"`
		Violations []Violation       `json:"violations"`
	}
	// order=false: read-only parents stay consumable until finished.
	adminDo(t, s, "GET", "/_emu/group?project="+testProject+"&logstore="+testLogstore+"&group=cg", nil, &g)
	if len(g.Group.Consumers) != 1 || len(g.Group.Consumers[0].Held) != 5 || len(g.History) != 5 {
		t.Fatalf("group: %+v", g)
	}
}
