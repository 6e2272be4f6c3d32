package sls_test

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/forwarder/forwarder/engine"
	"github.com/forwarder/forwarder/internal/fwdtest"
	"github.com/forwarder/forwarder/internal/slsemu"
)

// TestReloadKeepsShards: rule edits reload the plan while the SLS source is
// unchanged, so it keeps its consumer-group membership: the emulator
// records no reassignment after the first grants and no heartbeat gap.
func TestReloadKeepsShards(t *testing.T) {
	emu := emulator(t, "steady", 4, 20000)
	dir := t.TempDir()
	out := filepath.Join(t.TempDir(), "out.ndjson")
	t.Setenv("TEST_SLS_AK_ID", akID)
	t.Setenv("TEST_SLS_AK_KEY", akKey)
	main := sourceHCL(emu.Endpoint(), "steady", out, "")
	main = main[:len(main)-len("route \"r\" {\n  from = [source.sls.audit]\n  to   = [sink.file.out]\n}\n")]
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	rules := func(v int) string {
		return fmt.Sprintf("rule \"mark\" {\n  set = { mark = \"'v%d'\" }\n}\nroute \"r\" {\n  from  = [source.sls.audit]\n  rules = [rule.mark]\n  to    = [sink.file.out]\n}\n", v)
	}
	write("main.hcl", main)
	write("rules.hcl", rules(0))
	rt := engine.New(engine.Settings{})
	defer shutdown(rt)
	rl := fwdtest.StartReloader(t, rt, slog.Default(), dir)
	waitFor(t, "all 4 shards held", 20*time.Second, func() bool {
		as, err := emu.Assignments(project, "steady", "siem-file-out")
		return err == nil && len(as) == 4
	})
	history, _ := emu.AssignmentHistory(project, "steady", "siem-file-out")
	lists := emu.RequestCount(slsemu.APIListConsumerGroup)
	for v := 1; v <= 5; v++ {
		write("rules.hcl", rules(v))
		if err := rl.Reload("test"); err != nil {
			t.Fatal(err)
		}
		if got := rt.Plan().Sources()[0].Key; got != "sls.audit" {
			t.Fatalf("source %q", got)
		}
		time.Sleep(700 * time.Millisecond)
	}
	after, _ := emu.AssignmentHistory(project, "steady", "siem-file-out")
	if len(after) != len(history) {
		t.Errorf("reloads caused %d assignment changes: %+v", len(after)-len(history), after[len(history):])
	}
	if n := emu.RequestCount(slsemu.APIListConsumerGroup); n != lists {
		t.Errorf("the source restarted during reloads (%d more group set-ups)", n-lists)
	}
	gap, beats, err := emu.MaxHeartbeatGap(project, "steady", "siem-file-out", "fwd-1")
	if err != nil || beats < 4 || gap > 1800*time.Millisecond {
		t.Errorf("heartbeats: %d, longest gap %v (interval 1s), err %v", beats, gap, err)
	}
	waitFor(t, "every event", 60*time.Second, func() bool { return sent(rt) >= 20000 })
}
