package slsemu

import (
	"bytes"
	"testing"

	sls "github.com/aliyun/aliyun-log-go-sdk"
)

// TestPutPullRoundTrip writes 100k logs over 4 shards with every PutLogs
// compression and reads them back with both PullLogs encodings.
func TestPutPullRoundTrip(t *testing.T) {
	const (
		groups       = 1000
		logsPerGroup = 100
		shards       = 4
	)
	s := startServer(t, Options{})
	mustLogstore(t, s, shards)
	c := newClient(t, s, testAK, testSK)

	putTypes := []int{sls.Compress_LZ4, sls.Compress_ZSTD, sls.Compress_None}
	sent := make(map[string][]byte, groups) // gid tag → marshalled group
	for g := 0; g < groups; g++ {
		lg := makeGroup(g, logsPerGroup)
		want, err := lg.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		sent[lg.LogTags[1].GetValue()] = want
		if err := c.PutLogsWithCompressType(testProject, testLogstore, lg, putTypes[g%len(putTypes)]); err != nil {
			t.Fatalf("PutLogs group %d: %v", g, err)
		}
	}

	tests := []struct {
		name     string
		compress int
		count    int
	}{
		{"lz4", sls.Compress_LZ4, 100},
		{"zstd", sls.Compress_ZSTD, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[string]bool{}
			totalLogs := 0
			pulledBefore := s.PulledGroups()
			defer func() {
				if got := s.PulledGroups() - pulledBefore; !t.Failed() && got != groups {
					t.Errorf("PulledGroups grew by %d over a full read, want %d", got, groups)
				}
			}()
			for shard := 0; shard < shards; shard++ {
				cur, err := c.GetCursor(testProject, testLogstore, shard, "begin")
				if err != nil {
					t.Fatalf("GetCursor: %v", err)
				}
				start, ok := DecodeCursor(cur)
				if !ok {
					t.Fatalf("begin cursor %q does not decode", cur)
				}
				expect := start
				for i := 0; ; i++ {
					if i > groups {
						t.Fatalf("shard %d: no end after %d pulls", shard, i)
					}
					gl, meta, err := c.PullLogsWithQuery(&sls.PullLogRequest{
						Project: testProject, Logstore: testLogstore, ShardID: shard,
						Cursor: cur, LogGroupMaxCount: tt.count, CompressType: tt.compress,
					})
					if err != nil {
						t.Fatalf("PullLogs shard %d: %v", shard, err)
					}
					if meta.NextCursor == cur {
						if len(gl.LogGroups) != 0 {
							t.Fatalf("shard %d: unchanged cursor with %d groups", shard, len(gl.LogGroups))
						}
						break
					}
					if len(gl.LogGroups) == 0 || len(gl.LogGroups) > tt.count {
						t.Fatalf("shard %d: got %d groups for count %d", shard, len(gl.LogGroups), tt.count)
					}
					for _, lg := range gl.LogGroups {
						gc, ok := DecodeCursor(lg.GetCursor())
						if !ok || gc != expect {
							t.Fatalf("shard %d: group cursor %q (%d), want %d", shard, lg.GetCursor(), gc, expect)
						}
						expect++
						gid := lg.LogTags[1].GetValue()
						got, err := lg.Marshal()
						if err != nil {
							t.Fatal(err)
						}
						if !bytes.Equal(got, sent[gid]) {
							t.Fatalf("group %s differs after the round trip", gid)
						}
						if seen[gid] {
							t.Fatalf("group %s returned twice", gid)
						}
						seen[gid] = true
						totalLogs += len(lg.Logs)
					}
					if next, _ := DecodeCursor(meta.NextCursor); next != expect {
						t.Fatalf("shard %d: next cursor %d, want %d", shard, next, expect)
					}
					cur = meta.NextCursor
				}
				end, err := c.GetCursor(testProject, testLogstore, shard, "end")
				if err != nil {
					t.Fatal(err)
				}
				if end != cur {
					t.Fatalf("shard %d: read to %q but end cursor is %q", shard, cur, end)
				}
			}
			if len(seen) != groups || totalLogs != groups*logsPerGroup {
				t.Fatalf("read %d groups / %d logs, want %d / %d", len(seen), totalLogs, groups, groups*logsPerGroup)
			}
		})
	}
	if got := s.RequestCount(APIPutLogs); got != groups {
		t.Errorf("RequestCount(PutLogs) = %d, want %d", got, groups)
	}
}
