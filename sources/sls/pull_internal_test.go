package sls

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	sdk "github.com/aliyun/aliyun-log-go-sdk"

	"github.com/forwarder/forwarder/internal/bytebudget"
	"github.com/forwarder/forwarder/internal/slsemu"
	"github.com/forwarder/forwarder/plugin"
	"github.com/forwarder/forwarder/sources"
	"github.com/forwarder/forwarder/sources/demo"
	"github.com/forwarder/forwarder/sources/sls/slswire"
)

// TestPullSignatures: the puller's requests carry the SDK's v1 and v4
// signatures and an STS token, which the emulator verifies; a wrong secret
// gives the SDK's *sdk.Error.
func TestPullSignatures(t *testing.T) {
	emu := newPullEmu(t, slsemu.Options{AccessKeyID: "id", AccessKeySecret: "secret", Logger: slog.New(slog.DiscardHandler)}, 1, 1, 1)
	good := &sdk.Client{Endpoint: emu.Endpoint(), AccessKeyID: "id", AccessKeySecret: "secret", HTTPClient: emu.HTTPClient(),
		RequestTimeOut: 10 * time.Second, RetryTimeOut: 5 * time.Second}
	begin, err := good.GetCursor("p", "ls", 0, "begin")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, secret, token string
		auth                sdk.AuthVersionType
		wantCode            string
	}{
		{name: "v1", secret: "secret"},
		{name: "v1 with STS token", secret: "secret", token: "sts-token"},
		{name: "v4", secret: "secret", auth: sdk.AuthV4},
		{name: "v1 wrong secret", secret: "wrong", wantCode: "SignatureNotMatch"},
		{name: "v4 wrong secret", secret: "wrong", auth: sdk.AuthV4, wantCode: "SignatureNotMatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, c, cons := newPullSource(t, emu, func(cfg *Config) {
				cfg.AccessKeySecret, cfg.SecurityToken = plugin.Secret(tc.secret), plugin.Secret(tc.token)
			})
			c.AuthVersion, c.Region = tc.auth, "cn-hangzhou"
			pl := newShardWorker(cons, 0).newPuller()
			a, err := pl.pull(context.Background(), begin)
			if tc.wantCode != "" {
				var se *sdk.Error
				if !errors.As(err, &se) || se.Code != tc.wantCode {
					t.Fatalf("err = %v, want *sdk.Error %s", err, tc.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Events) != 1 || a.Events[0].Topic != "t" {
				t.Fatalf("got %d events, want the one stored", len(a.Events))
			}
		})
	}
}

// TestWindowBoundsPulls: with in_flight_bytes smaller than one answer, a
// second pull waits until the first answer is released, and the window
// holds exactly the answers' footprints.
func TestWindowBoundsPulls(t *testing.T) {
	emu := newPullEmu(t, slsemu.Options{AccessKeyID: "id", AccessKeySecret: "secret"}, 1, 4, 500)
	src, c, cons := newPullSource(t, emu, func(cfg *Config) { cfg.FetchLogGroups, cfg.InFlightBytes = 2, "1MiB" })
	pl := newShardWorker(cons, 0).newPuller()
	begin := beginCursor(t, c, 0)
	ctx := context.Background()
	a1, err := pl.pull(ctx, begin)
	if err != nil {
		t.Fatal(err)
	}
	if len(a1.Events) != 1000 || a1.Footprint < 1<<20 {
		t.Fatalf("first pull: %d events, footprint %d; the test needs 1000 events over 1 MiB", len(a1.Events), a1.Footprint)
	}
	if got := src.inflight.Held(); got != int64(a1.Footprint) {
		t.Fatalf("window holds %d bytes, want the answer's footprint %d", got, a1.Footprint)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := pl.pull(short, a1.NextCursor); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a pull past a full window returned %v, want it to wait", err)
	}
	pl.release(a1)
	a2, err := pl.pull(ctx, a1.NextCursor)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := a2.Events[0].Get("demo_seq"); v.Str() != "1001" {
		t.Fatalf("second pull starts at demo_seq %q, want 1001", v.Str())
	}
	pl.release(a2)
	if got := src.inflight.Held(); got != 0 {
		t.Fatalf("window holds %d bytes after every release, want 0", got)
	}
}

// TestPullCountFollowsWindow: a shard's first pull asks for firstCount log
// groups; after an answer of large log groups, the next pull asks for only
// as many as fit a quarter of in_flight_bytes (at least one), and a window
// that holds fetch_log_groups of them gets that many.
func TestPullCountFollowsWindow(t *testing.T) {
	emu := newPullEmu(t, slsemu.Options{AccessKeyID: "id", AccessKeySecret: "secret"}, 1, 40, 50)
	for _, tc := range []struct {
		window     string
		wantSecond func(first *slswire.Answer) int // log groups in the second answer
	}{
		{"1MiB", func(a *slswire.Answer) int {
			return int(max(int64(1<<20)/pullShare/(int64(a.Footprint)/int64(a.Count)), 1))
		}},
		{"64MiB", func(*slswire.Answer) int { return 20 }},
	} {
		t.Run(tc.window, func(t *testing.T) {
			_, c, cons := newPullSource(t, emu, func(cfg *Config) { cfg.FetchLogGroups, cfg.InFlightBytes = 20, tc.window })
			pl := newShardWorker(cons, 0).newPuller()
			ctx := context.Background()
			a1, err := pl.pull(ctx, beginCursor(t, c, 0))
			if err != nil {
				t.Fatal(err)
			}
			pl.release(a1)
			if a1.Count != firstCount {
				t.Fatalf("first pull: %d log groups, want firstCount (%d)", a1.Count, firstCount)
			}
			a2, err := pl.pull(ctx, a1.NextCursor)
			if err != nil {
				t.Fatal(err)
			}
			pl.release(a2)
			want := tc.wantSecond(a1)
			if a2.Count != want || len(a2.Events) != 50*want {
				t.Fatalf("second pull: %d log groups (%d events) after a first answer of %d bytes in %d groups, want %d", a2.Count, len(a2.Events), a1.Footprint, a1.Count, want)
			}
			// groups differ in size, so the quarter is met only on average
			if tc.window == "1MiB" && (want >= firstCount || a2.Footprint > 1<<20/2) {
				t.Fatalf("second pull: %d groups, %d bytes; want fewer than the first pull's, well within the window", want, a2.Footprint)
			}
		})
	}
}

// newPullEmu starts an emulator (closed at the test's end) holding logstore
// p/ls with the given shards, each given groups log groups (topic "t") of
// perGroup demo logs, numbered in order across shards.
func newPullEmu(t *testing.T, opts slsemu.Options, shards, groups, perGroup int) *slsemu.Server {
	t.Helper()
	emu := slsemu.New(opts)
	if err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	if err := emu.CreateProject("p", ""); err != nil {
		t.Fatal(err)
	}
	if err := emu.CreateLogstore("p", "ls", slsemu.LogstoreConfig{Shards: shards}); err != nil {
		t.Fatal(err)
	}
	g := demo.NewGenerator(1, time.Unix(1795939202, 0))
	topic := "t"
	for shard := range shards {
		for range groups {
			logs := make([]*sdk.Log, 0, perGroup)
			for range perGroup {
				logs = append(logs, slsemu.LogFromEvent(g.Next()))
			}
			if _, err := emu.AppendLogGroupToShard("p", "ls", shard, &sdk.LogGroup{Topic: &topic, Logs: logs}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return emu
}

// newPullSource builds a validated source of emu's p/ls (key "id", secret
// "secret", then edit), its SDK client (idle connections closed at the
// test's end) and a consumer for shard workers.
func newPullSource(t *testing.T, emu *slsemu.Server, edit func(*Config)) (*Source, *sdk.Client, *consumer) {
	t.Helper()
	cfg := NewConfig()
	cfg.Endpoint, cfg.Project, cfg.Logstore, cfg.ConsumerGroup = emu.Endpoint(), "p", "ls", "g"
	cfg.AccessKeyID, cfg.AccessKeySecret = plugin.Secret("id"), plugin.Secret("secret")
	if edit != nil {
		edit(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	src := mustNew(t, cfg)
	c, err := src.client()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.HTTPClient.CloseIdleConnections)
	return src, c, &consumer{src: src, c: c, logstore: "ls"}
}

// beginCursor is shard's "begin" cursor.
func beginCursor(t *testing.T, c *sdk.Client, shard int) string {
	t.Helper()
	cur, err := c.GetCursor("p", "ls", shard, "begin")
	if err != nil {
		t.Fatal(err)
	}
	return cur
}

// mustNew builds a source with a discarding logger.
func mustNew(t *testing.T, cfg *Config) *Source {
	t.Helper()
	src, err := New(cfg, sources.Settings{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// TestWindowReservesDeclaredSize: a shard whose first pull fits the window
// by its small initial estimate still waits when the answer's headers
// declare more than the room left, so shards pulling at once cannot each
// overshoot the window by a whole answer.
func TestWindowReservesDeclaredSize(t *testing.T) {
	emu := newPullEmu(t, slsemu.Options{AccessKeyID: "id", AccessKeySecret: "secret"}, 2, 1, 1000)
	src, c, cons := newPullSource(t, emu, nil)
	ctx := context.Background()
	cursor := func(shard int) string { return beginCursor(t, c, shard) }
	// Measure one answer, then size the window to hold it with room for a
	// first pull's estimate but not for a second answer.
	probe, err := newShardWorker(cons, 0).newPuller().pull(ctx, cursor(0))
	if err != nil {
		t.Fatal(err)
	}
	src.inflight = bytebudget.New(int64(probe.Footprint) + 2*minReserve)
	pl0, pl1 := newShardWorker(cons, 0).newPuller(), newShardWorker(cons, 1).newPuller()
	a0, err := pl0.pull(ctx, cursor(0))
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if a, err := pl1.pull(short, cursor(1)); !errors.Is(err, context.DeadlineExceeded) {
		held := src.inflight.Held()
		if a != nil {
			pl1.release(a)
		}
		t.Fatalf("second shard's first pull returned %v with the window at %d of %d bytes, want it to wait", err, held, src.inflight.Max())
	}
	if got := src.inflight.Held(); got != int64(a0.Footprint) {
		t.Fatalf("window holds %d bytes while the second pull waited, want the first answer's %d", got, a0.Footprint)
	}
	pl0.release(a0)
	a1, err := pl1.pull(ctx, cursor(1))
	if err != nil {
		t.Fatal(err)
	}
	if got := src.inflight.Held(); got != int64(a1.Footprint) {
		t.Fatalf("window holds %d bytes, want the second answer's %d", got, a1.Footprint)
	}
	pl1.release(a1)
}
