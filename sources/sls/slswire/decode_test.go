package slswire

import (
	"strings"
	"testing"

	sdk "github.com/aliyun/aliyun-log-go-sdk"
	"google.golang.org/protobuf/encoding/protowire"
)

func TestDecodeMatchesSDK(t *testing.T) {
	noTags := auditList(2, 3)
	for _, g := range noTags.LogGroups {
		g.LogTags, g.Topic, g.Source = nil, nil, nil
	}
	empty := &sdk.LogGroupList{LogGroups: []*sdk.LogGroup{{Topic: sp("t")}, {Logs: []*sdk.Log{{Time: u32(1)}}}}}
	for _, tc := range []struct {
		name string
		raw  []byte
	}{
		{"audit", marshal(t, auditList(3, 50))},
		{"no tags, topic or source", marshal(t, noTags)},
		{"empty group and log", marshal(t, empty)},
		{"empty list", nil},
		// Topic after the logs, an unknown field, and Time twice (the last wins).
		{"field order and unknown fields", group(
			field(1, logMsg(field(2, pairMsg("k", "v")), varintField(1, 5), varintField(1, 7), fixed32Field(4, 9), varintField(9, 1))),
			field(3, []byte("late-topic")), field(6, pairMsg("tk", "tv")), field(15, []byte("unknown")))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := sdkEvents(tc.raw)
			if err != nil {
				t.Fatalf("sdk: %v", err)
			}
			got, err := Decode(tc.raw)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if err := equalEvents(got, want); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestDecodeRejectsMalformed(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  []byte
		want string
	}{
		{"truncated group", []byte{0x0a, 0x05, 0x0a}, "unexpected end"},
		{"wrong wire type for logs", []byte{0x08, 0x01}, "wrong wire type"},
		{"log without time", group(field(1, logMsg(field(2, pairMsg("k", "v"))))), "Time not set"},
		{"content without value", group(field(1, logMsg(varintField(1, 1), field(2, field(1, []byte("k")))))), "Key or Value not set"},
		{"tag without key", group(field(6, field(2, []byte("v")))), "Key or Value not set"},
		{"field number zero", []byte{0x02, 0x00}, "illegal field number"},
		{"stray end group", []byte{0x0c}, "end group"},
		{"varint overflow", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, "overflow"},
		{"short TimeNs", group(field(1, append(varintField(1, 1), 0x25, 1, 2))), "unexpected end"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := sdkEvents(tc.raw); err == nil {
				t.Fatalf("the SDK accepts this input; the case is wrong")
			}
			_, err := Decode(tc.raw)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Decode: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestDecodeFieldRoom: setting two fields on an event appends in place
// without touching its neighbour, and a pull costs a fixed few allocations.
func TestDecodeFieldRoom(t *testing.T) {
	evs, err := Decode(marshal(t, auditList(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	next := evs[1].Fields[0]
	evs[0].Fields = append(evs[0].Fields, evs[0].Fields[0], evs[0].Fields[0])
	if evs[1].Fields[0] != next {
		t.Fatal("appending to one event's fields overwrote the next event's")
	}
	raw := marshal(t, auditList(4, 100))
	if n := testing.AllocsPerRun(20, func() { _, _ = Decode(raw) }); n > 5 {
		t.Fatalf("Decode makes %.0f allocations per pull of 400 logs, want at most 5", n)
	}
}

// Hand-built protobuf pieces for cases the SDK's marshaller cannot produce.
func field(num protowire.Number, v []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), v)
}
func varintField(num protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.VarintType), v)
}
func fixed32Field(num protowire.Number, v uint32) []byte {
	return protowire.AppendFixed32(protowire.AppendTag(nil, num, protowire.Fixed32Type), v)
}
func logMsg(parts ...[]byte) []byte { return join(parts) }
func pairMsg(k, v string) []byte    { return join([][]byte{field(1, []byte(k)), field(2, []byte(v))}) }
func group(parts ...[]byte) []byte  { return field(1, join(parts)) }
func join(parts [][]byte) (b []byte) {
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}
