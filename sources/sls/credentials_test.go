package sls_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCredentialsFileRotation: the source reads its keys from a file. A
// wrong key is refused by SLS (401) and the source keeps retrying; writing
// the right key to the file, with no restart and no reload, lets it in.
func TestCredentialsFileRotation(t *testing.T) {
	const n = 2000
	emu := emulator(t, "rotate", 2, n)
	creds := filepath.Join(t.TempDir(), "sts.json")
	write := func(id, secret string) {
		doc := fmt.Sprintf(`{"RequestId":"x","Credentials":{"AccessKeyId":%q,"AccessKeySecret":%q,"SecurityToken":"tok","Expiration":"2026-11-24T12:00:00Z"}}`, id, secret)
		if err := os.WriteFile(creds+".tmp", []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(creds+".tmp", creds); err != nil {
			t.Fatal(err)
		}
	}
	write("STS.expired", "old-secret")
	out := filepath.Join(t.TempDir(), "out.ndjson")
	hcl := sourceHCL(emu.Endpoint(), "rotate", out, fmt.Sprintf("credentials_file = %q", creds))
	hcl = strings.Replace(hcl, "  access_key_id     = env(\"TEST_SLS_AK_ID\")\n  access_key_secret = env(\"TEST_SLS_AK_KEY\")\n", "", 1)
	rt := startRuntime(t, hcl)
	defer shutdown(rt)
	time.Sleep(1500 * time.Millisecond)
	if got := sent(rt); got != 0 {
		t.Fatalf("%d events read with a wrong key", got)
	}
	write(akID, akKey)
	waitFor(t, "events after rotation", 30*time.Second, func() bool { return sent(rt) >= n })
}
