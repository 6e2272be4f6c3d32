package config

import "github.com/hashicorp/hcl/v2"

// Schemas returns the schema of a configuration file's top level and of
// the rule, route and test blocks, for the generated configuration
// reference (internal/gendocs). Source and sink bodies are not here: each
// factory's config struct is their schema.
func Schemas() (root *hcl.BodySchema, blocks map[string]*hcl.BodySchema) {
	return rootSchema, map[string]*hcl.BodySchema{"rule": ruleSchema, "route": routeSchema, "test": testSchema}
}
