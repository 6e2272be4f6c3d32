package slsemu

import (
	"testing"

	sls "github.com/aliyun/aliyun-log-go-sdk"
)

func TestParseSPL(t *testing.T) {
	lg := &sls.LogGroup{
		Topic:   strPtr("actiontrail_audit_event"),
		LogTags: []*sls.LogTag{{Key: strPtr("__receive_time__"), Value: strPtr("1750000000")}},
	}
	log := NewLog(timeUnix(1750000001), "event", "CreateUser", "user", "alice", "it's", "quoted",
		"j", `{"eventName":"CreateUser","n":5,"f":1.50,"b":true,"z":null,"o":{"k":"v"},"a":["x",{"y":"w"}]}`, "bad", "{not json")
	tests := []struct {
		q       string
		want    bool
		wantErr bool
	}{
		{q: "", want: true},
		{q: "*", want: true},
		{q: "* | where event = 'CreateUser'", want: true},
		{q: "* | where event = 'DeleteUser'", want: false},
		{q: "* | where event != 'DeleteUser'", want: true},
		{q: "* | where event <> 'CreateUser'", want: false},
		{q: "* | where event = 'CreateUser' and user = 'alice'", want: true},
		{q: "* | where event = 'CreateUser' and user = 'bob'", want: false},
		{q: "* | where user = 'bob' or user = 'alice'", want: true},
		{q: "* | where not (user = 'bob')", want: true},
		{q: "* | where __topic__ = 'actiontrail_audit_event'", want: true},
		{q: "* | where __tag__:__receive_time__ = '1750000000'", want: true},
		{q: "* | where __time__ = '1750000001'", want: true},
		{q: `* | where "it's" = 'quoted'`, want: true},
		{q: "* | where user = 'it''s'", want: false},
		{q: "* | where missing = 'x'", want: false},
		{q: "* | where missing != 'x'", want: false},
		{q: "* | where not missing = 'x'", want: false},
		{q: "* | where missing = 'x' or user = 'alice'", want: true},
		{q: "* | where event = 'CreateUser' | where user = 'alice'", want: true},
		{q: "* | where user is not null", want: true},
		{q: "* | where missing is null", want: true},
		{q: "* | where user is null", want: false},
		{q: "* | where missing is null and user = 'alice';", want: true},
		{q: "* | where user like 'al%'", want: true},
		{q: "* | where user like '%ic_'", want: true},
		{q: "* | where user like 'AL%'", want: false},
		{q: "* | where user like 'al'", want: false},
		{q: "* | where user not like 'b%'", want: true},
		{q: "* | where missing not like 'b%'", want: false},
		{q: "* | where user in ('bob', 'alice')", want: true},
		{q: "* | where user not in ('bob', 'alice')", want: false},
		{q: "* | where user in ('bob', null)", want: false},
		{q: "* | where not (user in ('bob', null))", want: false},
		{q: "* | where json_extract_scalar(j, '$.eventName') = 'CreateUser'", want: true},
		{q: "* | where json_extract_scalar(j, '$.n') = '5'", want: true},
		{q: "* | where json_extract_scalar(j, '$.f') = '1.50'", want: true},
		{q: "* | where json_extract_scalar(j, '$.b') = 'true'", want: true},
		{q: "* | where json_extract_scalar(j, '$.z') is null", want: true},
		{q: "* | where json_extract_scalar(j, '$.o') is null", want: true},
		{q: "* | where json_extract_scalar(j, '$.o.k') = 'v'", want: true},
		{q: "* | where json_extract_scalar(j, '$.a[0]') = 'x'", want: true},
		{q: "* | where json_extract_scalar(j, '$.a[1].y') = 'w'", want: true},
		{q: "* | where json_extract_scalar(j, '$.a[2]') is null", want: true},
		{q: "* | where json_extract_scalar(j, '$.nope') is null", want: true},
		{q: `* | where json_extract(j, '$.o') = '{"k":"v"}'`, want: true},
		{q: "* | where json_extract(j, '$.z') = 'null'", want: true},
		{q: "* | where json_extract(j, '$.nope') is null", want: true},
		{q: "* | where json_extract(bad, '$') is null and bad is not null", want: true},
		{q: "* | where json_extract(j, '$') is null", want: false},
		{q: "* | where json_extract_scalar(missing, '$.a') is null", want: true},
		{q: "* | where json_extract_scalar(j, 'eventName') = 'x'", wantErr: true},
		{q: "* | where json_extract_scalar(j, '$.a[-1]') = 'x'", wantErr: true},
		{q: "* | where lower(user) = 'alice'", wantErr: true},
		{q: "* | where user is 'alice'", wantErr: true},
		{q: "* | where user in 'alice'", wantErr: true},
		{q: "* | where and = 'x'", wantErr: true},
		{q: "WHERE_NOT", wantErr: true},
		{q: "* | project event", wantErr: true},
		{q: "* | where event", wantErr: true},
		{q: "* | where event = ", wantErr: true},
		{q: "* | where event = 'x", wantErr: true},
		{q: "* | where (event = 'x'", wantErr: true},
		{q: "* | where event > 'x'", wantErr: true},
		{q: "* | where event = 'x' extra", wantErr: true},
	}
	for _, tt := range tests {
		q, err := parseSPL(tt.q)
		if tt.wantErr {
			if err == nil {
				t.Errorf("parseSPL(%q) accepted", tt.q)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseSPL(%q): %v", tt.q, err)
			continue
		}
		got := true
		for _, w := range q.where {
			if w.eval(fields{lg: lg, log: log}) != triTrue {
				got = false
			}
		}
		if got != tt.want {
			t.Errorf("%q matched=%v, want %v", tt.q, got, tt.want)
		}
	}
}

// TestPullWithQuery shows that filtering happens in the emulator: the
// response holds only matching logs and the stats headers count the rest.
func TestPullWithQuery(t *testing.T) {
	s := startServer(t, Options{})
	mustLogstore(t, s, 1)
	c := newClient(t, s, testAK, testSK)
	const groups, per = 8, 20
	for g := 0; g < groups; g++ {
		if err := c.PutLogs(testProject, testLogstore, makeGroup(g, per)); err != nil {
			t.Fatal(err)
		}
	}
	begin, _ := c.GetCursor(testProject, testLogstore, 0, "begin")
	end, _ := c.GetCursor(testProject, testLogstore, 0, "end")
	tests := []struct {
		name     string
		query    string
		compress int
		match    func(l *sls.Log) bool
	}{
		{"equal lz4", "* | where eventName = 'CreateUser'", sls.Compress_LZ4, func(l *sls.Log) bool { return field(l, "eventName") == "CreateUser" }},
		{"and != zstd", "* | where eventName != 'CreateUser' and eventName != 'AssumeRole'", sls.Compress_ZSTD,
			func(l *sls.Log) bool { e := field(l, "eventName"); return e != "CreateUser" && e != "AssumeRole" }},
		{"nothing", "* | where eventName = 'Nope'", sls.Compress_LZ4, func(*sls.Log) bool { return false }},
		{"everything", "*", sls.Compress_LZ4, func(*sls.Log) bool { return true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := 0
			for g := 0; g < groups; g++ {
				for _, l := range makeGroup(g, per).Logs {
					if tt.match(l) {
						want++
					}
				}
			}
			gl, meta, err := c.PullLogsWithQuery(&sls.PullLogRequest{
				Project: testProject, Logstore: testLogstore, Cursor: begin, LogGroupMaxCount: 1000,
				Query: tt.query, CompressType: tt.compress,
			})
			if err != nil {
				t.Fatal(err)
			}
			got := 0
			for _, lg := range gl.LogGroups {
				if lg.GetTopic() != "actiontrail_audit_event" || len(lg.LogTags) != 2 {
					t.Fatalf("filtered group lost its topic or tags: %v", lg)
				}
				for _, l := range lg.Logs {
					if !tt.match(l) {
						t.Fatalf("log %v should have been filtered out", l)
					}
					got++
				}
			}
			if got != want || meta.Lines != want || meta.LinesBeforeQuery != groups*per || meta.DataCountBeforeQuery != groups {
				t.Fatalf("got %d logs (meta lines %d, before %d, groups before %d), want %d of %d",
					got, meta.Lines, meta.LinesBeforeQuery, meta.DataCountBeforeQuery, want, groups*per)
			}
			if meta.NextCursor != end {
				t.Fatalf("next cursor %s, want end %s even when filtered", meta.NextCursor, end)
			}
		})
	}
	if q := s.Stats().Queries["* | where eventName = 'CreateUser'"]; q != 1 {
		t.Fatalf("stats counted the query %d times, want 1", q)
	}
	_, _, err := c.PullLogsWithQuery(&sls.PullLogRequest{Project: testProject, Logstore: testLogstore, Cursor: begin, LogGroupMaxCount: 10, Query: "* | stats count(*)"})
	if _, code := slsCode(err); code != CodeParameterInvalid {
		t.Fatalf("unsupported SPL: %v", err)
	}
}

func field(l *sls.Log, k string) string {
	for _, c := range l.Contents {
		if c.GetKey() == k {
			return c.GetValue()
		}
	}
	return ""
}
