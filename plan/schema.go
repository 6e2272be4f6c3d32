package plan

import "github.com/hashicorp/hcl/v2"

// SinkSettings returns the part of every sink body that the engine decodes
// itself (batching, concurrency, buffering, retry backoff): its top-level
// schema and, per nested block, a value of the struct the block decodes
// into. The generated configuration reference (internal/gendocs) reads it.
func SinkSettings() (schema *hcl.BodySchema, blocks map[string]any) {
	return commonSinkSchema, map[string]any{"batch": batchBlock{}, "retry": retryBlock{}}
}
