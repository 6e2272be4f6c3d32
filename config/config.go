// Package config loads forwarder's HCL files into a Config: the blocks as
// written, with source ranges and no behaviour. Component bodies (sources,
// sinks) stay undecoded here; plan decodes them against their
// factory's schema. Every problem is a diagnostic with a source range.
package config

import "github.com/hashicorp/hcl/v2"

// Config is every block of a configuration, in file order.
type Config struct {
	Sources []*Component
	Sinks   []*Component
	Rules   []*Rule
	Routes  []*Route
	Tests   []*Test
	// Files maps file names to parsed files, for rendering snippets.
	Files map[string]*hcl.File
	// Paths are the files read, sorted.
	Paths []string
	// Checksum is a hash of every file's bytes: equal checksums mean nothing
	// changed, so a reload can be skipped.
	Checksum string
	// Dir is the directory relative paths in file() resolve against, and
	// the one directory file() may read by default.
	Dir string
	// Unparsed lists the files with syntax errors. Their blocks are not
	// decoded, and plan adds no semantic diagnostics to such a
	// configuration: "undeclared" or "unused" about a half-read file only
	// mislead.
	Unparsed []string
	// FileDirs are further directories file() may read (SetFileDirs).
	FileDirs []string
}
