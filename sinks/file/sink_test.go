package file

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/plugin"
	"github.com/forwarder/forwarder/sinks"
)

// open builds a sink through its factory, as the engine does, and connects it.
func open(t *testing.T, cfg *Config) sinks.Sink {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s, err := Factory().New(cfg, sinks.Settings{Name: "file.t"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

func write(t *testing.T, s sinks.Sink, evs ...*event.Event) {
	t.Helper()
	if err := s.WriteBatch(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
}

func richEvent() *event.Event {
	ev := &event.Event{
		Time:   time.Date(2026, 11, 24, 8, 15, 2, 500_000_000, time.UTC),
		Topic:  "actiontrail_audit_event",
		Source: "10.0.0.1",
		Tags:   []event.Tag{{Key: "__pack_id__", Value: "A-1"}},
		Fields: []event.Field{
			{Key: "user", Value: event.String("alice \"admin\"\n")},
			{Key: "event", Value: event.RawJSON(`{"eventName":"Login","n":3}`)},
		},
	}
	ev.SetMeta("index", "audit")
	return ev
}

// TestWritesNDJSON: one JSON object per line, in order, with the flat
// event form (SLS's reserved keys, tags, fields, JSON fields verbatim) and
// "__meta__" unless meta = false.
func TestWritesNDJSON(t *testing.T) {
	no := false
	for _, tc := range []struct {
		name     string
		meta     *bool
		wantMeta bool
	}{
		{"meta by default", nil, true},
		{"meta = false", &no, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.ndjson")
			s := open(t, &Config{Path: path, Meta: tc.meta})
			write(t, s, richEvent(), &event.Event{Topic: "second"})
			write(t, s, &event.Event{Topic: "third"})
			if err := s.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			if len(lines) != 3 || !strings.HasSuffix(string(b), "\n") {
				t.Fatalf("want 3 newline-terminated lines, got %q", b)
			}
			var first map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
				t.Fatalf("line 1 is not JSON: %v: %s", err, lines[0])
			}
			want := map[string]any{
				"__time__": "2026-11-24T08:15:02.5Z", "__topic__": "actiontrail_audit_event", "__source__": "10.0.0.1",
				"__tag__:__pack_id__": "A-1", "user": "alice \"admin\"\n",
				"event": map[string]any{"eventName": "Login", "n": 3.0},
			}
			if tc.wantMeta {
				want["__meta__"] = map[string]any{"index": "audit"}
			}
			if g, w := mustJSON(t, first), mustJSON(t, want); g != w {
				t.Errorf("line 1 = %s\nwant     %s", g, w)
			}
			for i, topic := range []string{"second", "third"} {
				var m map[string]any
				if err := json.Unmarshal([]byte(lines[i+1]), &m); err != nil || m["__topic__"] != topic {
					t.Errorf("line %d = %s (%v), want topic %q", i+2, lines[i+1], err, topic)
				}
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v) // maps marshal with sorted keys
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestStandardStreams: "-" and "stdout" write to standard output, "stderr"
// to standard error, and Close leaves the stream open.
func TestStandardStreams(t *testing.T) {
	for _, tc := range []struct {
		path   string
		stream **os.File
	}{
		{"-", &os.Stdout},
		{"stdout", &os.Stdout},
		{"stderr", &os.Stderr},
	} {
		t.Run(tc.path, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			saved := *tc.stream
			*tc.stream = w
			defer func() { *tc.stream = saved }()
			s := open(t, &Config{Path: tc.path})
			write(t, s, &event.Event{Topic: "to-" + tc.path})
			if err := s.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write([]byte("still open\n")); err != nil {
				t.Errorf("Close closed the stream: %v", err)
			}
			w.Close()
			b, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			want := `{"__time__":"0001-01-01T00:00:00Z","__topic__":"to-` + tc.path + `","__source__":""}` + "\nstill open\n"
			if string(b) != want {
				t.Errorf("stream got %q, want %q", b, want)
			}
			if _, err := os.Stat(tc.path); err == nil {
				t.Errorf("a file named %q was created", tc.path)
			}
		})
	}
}

// TestReopen: Close and Connect again appends to the same path (nothing
// truncated, as after a reconnect), and a file moved away (log rotation)
// is recreated at the path on the next Connect.
func TestReopen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.ndjson")
	if err := os.WriteFile(path, []byte(`{"seq":"0"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := open(t, &Config{Path: path})
	write(t, s, events(1, 2)...)
	ctx := context.Background()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.WriteBatch(ctx, events(9, 1)); !errors.Is(err, sinks.ErrNotConnected) {
		t.Errorf("WriteBatch after Close = %v, want ErrNotConnected", err)
	}
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	write(t, s, events(3, 1)...)
	if got := strings.Join(readLines(t, path), ","); got != "0,1,2,3" {
		t.Errorf("after reopen: seqs %s, want 0,1,2,3", got)
	}
	rotated := filepath.Join(dir, "out.ndjson.1")
	if err := os.Rename(path, rotated); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	write(t, s, events(4, 1)...)
	if got := strings.Join(readLines(t, path), ","); got != "4" {
		t.Errorf("new file after rotation: seqs %s, want 4", got)
	}
	if got := strings.Join(readLines(t, rotated), ","); got != "0,1,2,3" {
		t.Errorf("rotated file: seqs %s, want 0,1,2,3", got)
	}
}

// TestConfig: an empty path is an attribute error, and the factory refuses
// another sink's config instead of panicking; New opens nothing.
func TestConfig(t *testing.T) {
	var ae *plugin.AttrError
	if err := (&Config{}).Validate(); !errors.As(err, &ae) || ae.Attr != "path" {
		t.Errorf("Validate of an empty path = %v, want an AttrError on path", err)
	}
	if err := (&Config{Path: "-"}).Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	type other struct{ plugin.Config }
	if _, err := Factory().New(other{}, sinks.Settings{}); err == nil {
		t.Error("New accepted a config of another type")
	}
	path := filepath.Join(t.TempDir(), "never.ndjson")
	s, err := Factory().New(&Config{Path: path}, sinks.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("New created the file: %v", err)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Errorf("Close without Connect: %v", err)
	}
	if err := s.WriteBatch(context.Background(), nil); !errors.Is(err, sinks.ErrNotConnected) {
		t.Errorf("WriteBatch without Connect = %v, want ErrNotConnected", err)
	}
}
