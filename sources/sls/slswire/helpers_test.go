package slswire

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	sdk "github.com/aliyun/aliyun-log-go-sdk"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	"github.com/forwarder/forwarder/event"
)

// sdkEvents is the pull path slswire replaces: the SDK's decoder into
// LogGroupList structs, then a copy into events (the SLS source's former
// convert function, verbatim). Tests compare against it; the benchmark
// measures it.
func sdkEvents(raw []byte) ([]*event.Event, error) {
	gl, err := sdk.LogsBytesDecode(raw)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, g := range gl.LogGroups {
		n += len(g.Logs)
	}
	if n == 0 {
		return nil, nil
	}
	evs := make([]*event.Event, 0, n)
	store := make([]event.Event, n)
	for _, g := range gl.LogGroups {
		var tags []event.Tag
		if len(g.LogTags) > 0 {
			tags = make([]event.Tag, len(g.LogTags))
			for i, t := range g.LogTags {
				tags[i] = event.Tag{Key: t.GetKey(), Value: t.GetValue()}
			}
		}
		topic, source := g.GetTopic(), g.GetSource()
		for _, l := range g.Logs {
			ev := &store[len(evs)]
			ev.Time = time.Unix(int64(l.GetTime()), int64(l.GetTimeNs()))
			ev.Topic, ev.Source, ev.Tags = topic, source, tags
			ev.Fields = make([]event.Field, len(l.Contents), len(l.Contents)+2)
			for i, c := range l.Contents {
				ev.Fields[i] = event.Field{Key: c.GetKey(), Value: event.String(c.GetValue())}
			}
			evs = append(evs, ev)
		}
	}
	return evs, nil
}

// equalEvents reports the first difference between two decodes.
func equalEvents(a, b []*event.Event) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d events, want %d", len(a), len(b))
	}
	for i := range a {
		x, y := a[i], b[i]
		if !x.Time.Equal(y.Time) || x.Topic != y.Topic || x.Source != y.Source {
			return fmt.Errorf("event %d: time/topic/source %v %q %q, want %v %q %q", i, x.Time, x.Topic, x.Source, y.Time, y.Topic, y.Source)
		}
		if len(x.Tags) != len(y.Tags) || len(x.Fields) != len(y.Fields) {
			return fmt.Errorf("event %d: %d tags %d fields, want %d %d", i, len(x.Tags), len(x.Fields), len(y.Tags), len(y.Fields))
		}
		for j := range x.Tags {
			if x.Tags[j] != y.Tags[j] {
				return fmt.Errorf("event %d tag %d: %q, want %q", i, j, x.Tags[j], y.Tags[j])
			}
		}
		for j := range x.Fields {
			if x.Fields[j].Key != y.Fields[j].Key || x.Fields[j].Value.Str() != y.Fields[j].Value.Str() ||
				x.Fields[j].Value.Kind() != y.Fields[j].Value.Kind() {
				return fmt.Errorf("event %d field %d: %q=%q, want %q=%q", i, j,
					x.Fields[j].Key, x.Fields[j].Value.Str(), y.Fields[j].Key, y.Fields[j].Value.Str())
			}
		}
	}
	return nil
}

func sp(s string) *string  { return &s }
func u32(v uint32) *uint32 { return &v }

// auditList builds a LogGroupList of groups×perGroup ActionTrail-like logs.
func auditList(groups, perGroup int) *sdk.LogGroupList {
	gl := &sdk.LogGroupList{}
	for g := range groups {
		lg := &sdk.LogGroup{Topic: sp("actiontrail_audit_event"), Source: sp(fmt.Sprintf("10.0.%d.7", g)),
			LogTags: []*sdk.LogTag{{Key: sp("__receive_time__"), Value: sp("1795939202")}, {Key: sp("__pack_id__"), Value: sp(fmt.Sprintf("5F0B4D%04X-%X", g, g))}}}
		for i := range perGroup {
			n := g*perGroup + i
			lg.Logs = append(lg.Logs, &sdk.Log{Time: u32(1795939202 + uint32(n)), TimeNs: u32(uint32(n * 1000)), Contents: []*sdk.LogContent{
				{Key: sp("__topic__"), Value: sp("actiontrail_audit_event")},
				{Key: sp("event"), Value: sp(fmt.Sprintf(`{"eventId":"%08X-5D7E-4B5A-9E0C-1C6F3E5A%04X","eventName":"ConsoleSignin","eventSource":"signin.aliyun.com","eventTime":"2026-11-30T09:%02d:%02dZ","eventType":"ConsoleSignin","eventVersion":"1","acsRegion":"cn-hangzhou","sourceIpAddress":"203.0.113.%d","userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36","userIdentity":{"type":"ram-user","principalId":"2%014d","accountId":"1%015d","userName":"alice.%d@example.com"},"serviceName":"AasSub","additionalEventData":{"loginAccount":"alice@1234567890123456.onaliyun.com","isMFAChecked":"true"},"requestId":"%08X-AAAA-BBBB-CCCC-DDDDEEEEFFFF"}`, n, n%65536, n/60%60, n%60, n%250, n, n, n%40, n))},
				{Key: sp("event_id"), Value: sp(fmt.Sprintf("%08X-5D7E", n))},
				{Key: sp("owner_id"), Value: sp("1234567890123456")},
				{Key: sp("demo_seq"), Value: sp(strconv.Itoa(n))},
			}})
		}
		gl.LogGroups = append(gl.LogGroups, lg)
	}
	return gl
}

func marshal(t testing.TB, gl *sdk.LogGroupList) []byte {
	t.Helper()
	b, err := gl.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func lz4Block(t testing.TB, raw []byte) []byte {
	t.Helper()
	out := make([]byte, lz4.CompressBlockBound(len(raw)))
	n, err := lz4.CompressBlock(raw, out, nil)
	if err != nil || n == 0 {
		t.Fatalf("lz4: %d %v", n, err)
	}
	return out[:n]
}

func zstdFrame(t testing.TB, raw []byte) []byte {
	t.Helper()
	e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	return e.EncodeAll(raw, nil)
}

func headers(cursor, count, rawSize, compress string) http.Header {
	h := http.Header{}
	for k, v := range map[string]string{"X-Log-Cursor": cursor, "X-Log-Count": count, "X-Log-Bodyrawsize": rawSize, "X-Log-Compresstype": compress} {
		if v != "" {
			h.Set(k, v)
		}
	}
	return h
}
