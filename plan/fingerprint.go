package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// fingerprint hashes a component's type and decoded config (secrets enter as
// hashes through plugin.Secret's JSON form): equal fingerprints mean a running
// instance can be kept across a reload.
func fingerprint(typ string, cfg any, runner any) string {
	h := sha256.New()
	h.Write([]byte(typ))
	h.Write([]byte{0})
	b, _ := json.Marshal(cfg)
	h.Write(b)
	h.Write([]byte{0})
	b, _ = json.Marshal(runner)
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func shortHash(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
