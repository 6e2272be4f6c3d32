package plan

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/forwarder/forwarder/config"
)

// Load reads the configuration at paths and compiles it: the one load →
// compile path that start-up, every reload, `validate` and `test` take. It
// compiles even when loading found errors, so one run reports every
// problem; a plan comes out only when there are none. cfg is nil when no
// file could be read.
func Load(reg Registries, mode config.Mode, paths ...string) (*config.Config, *Plan, hcl.Diagnostics) {
	cfg, diags := config.Load(paths...)
	if cfg == nil {
		return nil, nil, diags
	}
	p, d := Compile(cfg, reg, mode)
	diags = append(diags, d...)
	if diags.HasErrors() {
		return cfg, nil, diags
	}
	return cfg, p, diags
}
