// Command gendocs writes the generated references docs/configuration.md
// and docs/metrics.md from the code: the block schemas of config,
// the engine-owned sink settings of plan, every registered source
// and sink factory's config struct (hcl tags, Go doc comments, the defaults
// NewConfig fills in, the values Validate accepts) and the metrics
// engine.NewMetrics and the built-in sources register. scripts/test.sh regenerates both files and
// fails when they differ from the committed ones.
//
//	go generate ./internal/gendocs
package main

//go:generate go run . -config ../../docs/configuration.md -metrics ../../docs/metrics.md

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	cfgOut := flag.String("config", "", "write the configuration reference to this file")
	metOut := flag.String("metrics", "", "write the metrics reference to this file")
	flag.Parse()
	if err := run(*cfgOut, *metOut); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

func run(cfgOut, metOut string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if cfgOut != "" {
		var b bytes.Buffer
		if err := writeConfigReference(&b, root); err != nil {
			return err
		}
		if err := os.WriteFile(cfgOut, b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if metOut != "" {
		var b bytes.Buffer
		if err := writeMetricsReference(&b); err != nil {
			return err
		}
		if err := os.WriteFile(metOut, b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// moduleRoot is the directory holding go.mod, found upward from the working
// directory (go generate runs in the package directory).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
