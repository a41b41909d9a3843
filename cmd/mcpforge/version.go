package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/mcpforge/mcpforge/generator"
)

// Stamped by the release build: -ldflags "-X main.version=v1.2.3 -X main.commit=abc1234".
var (
	version string
	commit  string
)

// buildInfo is what `mcpforge version` reports.
type buildInfo struct {
	version, commit, goVersion string
}

// currentBuild reads the stamped version and commit, falling back to what the
// Go toolchain recorded (a `go install …@v1.2.3` has a module version; a
// build from a git checkout has a VCS revision), and to "devel"/"unknown".
func currentBuild() buildInfo {
	b := buildInfo{version: version, commit: commit, goVersion: runtime.Version()}
	if info, ok := debug.ReadBuildInfo(); ok {
		if b.version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			b.version = info.Main.Version
		}
		if b.commit == "" {
			var rev string
			dirty := false
			for _, s := range info.Settings {
				switch s.Key {
				case "vcs.revision":
					rev = s.Value
				case "vcs.modified":
					dirty = s.Value == "true"
				}
			}
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if rev != "" && dirty {
				rev += "-dirty"
			}
			b.commit = rev
		}
	}
	if b.version == "" {
		b.version = generator.DevelVersion
	}
	if b.commit == "" {
		b.commit = "unknown"
	}
	return b
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and Go version of mcpforge",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := currentBuild()
			fmt.Fprintf(cmd.OutOrStdout(), "mcpforge %s\ncommit: %s\ngo: %s %s/%s\n",
				b.version, b.commit, b.goVersion, runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
