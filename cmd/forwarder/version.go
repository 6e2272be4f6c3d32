package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/alecthomas/kong"
)

// Set at build time, each overriding what the Go build info says:
//
//	go build -ldflags "-X main.version=v1.2.0 -X main.commit=$(git rev-parse HEAD) -X main.date=$(date -u +%FT%TZ)"
//
// goreleaser sets all three. Left empty, `go install …@v1.2.0` still reports
// v1.2.0 (the module version) and a build from a git checkout reports its
// revision and commit time (vcs.revision, vcs.time), unless -buildvcs=false.
var version, commit, date string

// buildInfo says which build this is.
type buildInfo struct {
	Version  string // module version or -X main.version; "dev" when neither
	Commit   string // VCS revision
	Time     string // VCS commit time (or -X main.date)
	Modified bool   // built from a tree with uncommitted changes
	Go       string // Go version, GOOS/GOARCH
}

func (b buildInfo) String() string {
	s := "forwarder " + b.Version
	var extra []string
	if b.Commit != "" {
		c := b.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		if b.Modified {
			c += "-dirty"
		}
		extra = append(extra, "commit "+c)
	}
	if b.Time != "" {
		extra = append(extra, "built "+b.Time)
	}
	extra = append(extra, b.Go)
	return s + " (" + strings.Join(extra, ", ") + ")"
}

// currentBuild reads the running binary's build info.
func currentBuild() buildInfo {
	bi, _ := debug.ReadBuildInfo()
	return resolveBuild(version, commit, date, bi)
}

// resolveBuild combines -ldflags values with the Go build info; an
// -ldflags value wins when set.
func resolveBuild(ldVersion, ldCommit, ldDate string, bi *debug.BuildInfo) buildInfo {
	b := buildInfo{Go: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			b.Version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Commit = s.Value
			case "vcs.time":
				b.Time = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
		if bi.GoVersion != "" {
			b.Go = bi.GoVersion + " " + runtime.GOOS + "/" + runtime.GOARCH
		}
	}
	if ldVersion != "" {
		b.Version = ldVersion
	}
	if ldCommit != "" {
		b.Commit, b.Modified = ldCommit, false
	}
	if ldDate != "" {
		b.Time = ldDate
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	return b
}

type versionCmd struct{}

func (versionCmd) Run(e *env) error {
	fmt.Fprintln(e.stdout, currentBuild())
	return nil
}

// versionFlag is --version: it prints what `forwarder version` prints and
// exits 0 before any command is parsed.
type versionFlag bool

func (versionFlag) BeforeApply(app *kong.Kong) error {
	fmt.Fprintln(app.Stdout, currentBuild())
	app.Exit(exitOK)
	return nil
}
