package config

import "github.com/hashicorp/hcl/v2"

// Component is a source or sink block: `source "TYPE" "NAME" { … }`.
type Component struct {
	Type, Name           string
	Body                 hcl.Body
	DefRange             hcl.Range
	TypeRange, NameRange hcl.Range
}

// Key is "TYPE.NAME", unique among blocks of one kind.
func (c *Component) Key() string { return c.Type + "." + c.Name }
