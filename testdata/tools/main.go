// Command validate checks the deployment artifacts of a repository generated
// by mcpforge with the libraries of the tools their users run, offline once
// the Go modules are in the module cache:
//
//	validate dockerfile [--build] DIR|FILE
//	validate helm CHART_DIR [--values FILE]... [--all-options FILE] [--reject FILE|DIR]... [--dump DIR] [--check-config SERVER_BIN]
//	validate actionlint FILE|DIR
//	validate goreleaser [--snapshot] [--goreleaser BIN] [--remote URL] DIR
//
// Each subcommand prints every finding and exits 1 when there is at least
// one, 2 on bad usage, 0 when the artifact is clean. Run it from this
// directory with "go run . <subcommand> ..." or build it once with
// "go build -o BIN .".
//
// The validators live in a module of their own (testdata/tools) so that
// helm, buildkit, actionlint and goreleaser, with their large dependency
// trees, never enter mcpforge's go.mod.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

const usage = `usage:
  validate dockerfile [--build] DIR|FILE
      parse and lint the Dockerfile with buildkit, experimental rules included
      (zero warnings); --build also checks every file the default target
      copies from the context exists and is not .dockerignored, runs its
      "go build" commands in DIR and checks the binary the final stage copies
      was produced
  validate helm CHART_DIR [--values FILE]... [--all-options FILE] [--reject FILE|DIR]... [--namespace NS] [--dump DIR] [--check-config SERVER_BIN]
      lint and render the chart with helm's library for the default values and
      each values file, decode every manifest strictly into its Go type, check
      the chart's policies, and check that every --reject file (and a built-in
      unknown key) is refused by values.schema.json; --all-options also
      requires every optional resource to render; --check-config runs
      "SERVER_BIN --config FILE --check" on every rendered config.toml
  validate actionlint FILE|DIR
      lint a workflow file, or every workflow under DIR/.github/workflows
  validate goreleaser [--snapshot] [--goreleaser BIN] [--remote URL] DIR
      run "goreleaser check" in a git-initialised copy of DIR (one commit, an
      origin remote, https://github.com/example/<DIR name>.git by default);
      --snapshot also runs a snapshot release (no image, no before hooks) and
      checks the binary for this platform prints the stamped version; without
      --goreleaser, the version this module requires is built once into the
      user cache directory
`

// errFindings reports that the artifact has problems, already printed.
var errFindings = errors.New("findings")

// errUsage reports a bad command line.
var errUsage = errors.New("usage")

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process, returning the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "dockerfile":
		err = runDockerfile(args[1:], stdout)
	case "helm":
		err = runHelm(args[1:], stdout)
	case "actionlint":
		err = runActionlint(args[1:], stdout)
	case "goreleaser":
		err = runGoreleaser(args[1:], stdout)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		err = fmt.Errorf("%w: unknown subcommand %q", errUsage, args[0])
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "validate: %v\n%s", err, usage)
		return 2
	case errors.Is(err, errFindings):
		fmt.Fprintf(stderr, "validate %s: %v\n", args[0], err)
		return 1
	default:
		fmt.Fprintf(stderr, "validate %s: %v\n", args[0], err)
		return 1
	}
}

// cmdLine is a parsed command line: flags may come before or after the
// positional arguments, as in "helm CHART --values a.yaml".
type cmdLine struct {
	positional []string
	flags      map[string][]string
}

// parseArgs parses args given the names of boolean flags and of flags that
// take a value ("--name value" or "--name=value").
func parseArgs(args []string, boolFlags, valueFlags []string) (cmdLine, error) {
	cl := cmdLine{flags: map[string][]string{}}
	isIn := func(list []string, s string) bool {
		for _, v := range list {
			if v == s {
				return true
			}
		}
		return false
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "--") {
			cl.positional = append(cl.positional, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		switch {
		case isIn(boolFlags, name):
			if hasValue {
				return cl, fmt.Errorf("%w: --%s takes no value", errUsage, name)
			}
			cl.flags[name] = append(cl.flags[name], "true")
		case isIn(valueFlags, name):
			if !hasValue {
				if i+1 >= len(args) {
					return cl, fmt.Errorf("%w: --%s needs a value", errUsage, name)
				}
				i++
				value = args[i]
			}
			cl.flags[name] = append(cl.flags[name], value)
		default:
			return cl, fmt.Errorf("%w: unknown flag --%s", errUsage, name)
		}
	}
	return cl, nil
}

// one returns the single positional argument, or a usage error naming what
// it should be.
func (cl cmdLine) one(what string) (string, error) {
	if len(cl.positional) != 1 {
		return "", fmt.Errorf("%w: want exactly one %s, got %d arguments", errUsage, what, len(cl.positional))
	}
	return cl.positional[0], nil
}

// last returns the last value of a flag, or "".
func (cl cmdLine) last(name string) string {
	v := cl.flags[name]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// report prints findings under a heading and turns them into errFindings.
func report(out io.Writer, what string, findings []string) error {
	if len(findings) == 0 {
		fmt.Fprintf(out, "ok: %s\n", what)
		return nil
	}
	for _, f := range findings {
		fmt.Fprintf(out, "FAIL: %s\n", f)
	}
	return fmt.Errorf("%w: %d in %s", errFindings, len(findings), what)
}
