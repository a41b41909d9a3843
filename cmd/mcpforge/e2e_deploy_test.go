package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// deployTools are the offline validators of testdata/tools (buildkit, helm,
// actionlint, goreleaser as libraries or binaries), built once per run.
type deployTools struct {
	validate   string
	goreleaser string
	toolsDir   string // testdata/tools, for its bad-values files
}

// buildDeployTools builds the validators. It needs the module proxy the first
// time on a machine (their modules are large), so it runs before the
// end-to-end test switches the proxy off.
func buildDeployTools(t *testing.T) *deployTools {
	t.Helper()
	toolsDir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "tools"))
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	d := &deployTools{
		validate:   filepath.Join(bin, "validate"),
		goreleaser: filepath.Join(bin, "goreleaser"),
		toolsDir:   toolsDir,
	}
	goCmd(t, toolsDir, "build", "-o", d.validate, ".")
	goCmd(t, toolsDir, "build", "-o", d.goreleaser, "github.com/goreleaser/goreleaser/v2")
	return d
}

// run runs one validator subcommand and fails the test with its findings.
func (d *deployTools) run(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(d.validate, args...)
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("validate %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// checkDeploy validates every deployment artifact a generated repository
// holds, with the tools their users run.
func checkDeploy(t *testing.T, d *deployTools, dir, name, bin string) {
	exists := func(p string) bool { _, err := os.Stat(filepath.Join(dir, p)); return err == nil }
	if exists("Dockerfile") {
		t.Run("dockerfile", func(t *testing.T) { d.run(t, "dockerfile", "--build", dir) })
	}
	if chart := filepath.Join("chart", name); exists(chart) {
		t.Run("helm", func(t *testing.T) {
			chartDir := filepath.Join(dir, chart)
			d.run(t, "helm", chartDir,
				"--all-options", filepath.Join(chartDir, "ci", "all-options-values.yaml"),
				"--reject", filepath.Join(d.toolsDir, "testdata", "bad-values"),
				"--check-config", bin)
		})
	}
	if exists(".github/workflows/ci.yml") {
		t.Run("actionlint", func(t *testing.T) { d.run(t, "actionlint", dir) })
	}
	if exists("goreleaser.yaml") {
		t.Run("goreleaser", func(t *testing.T) { d.run(t, "goreleaser", "--goreleaser", d.goreleaser, dir) })
	}
}

// checkOwnRelease runs `goreleaser check` on mcpforge's own goreleaser.yaml,
// in a copy holding only what the release reads.
func checkOwnRelease(t *testing.T, d *deployTools) {
	root := filepath.Join("..", "..")
	dir := t.TempDir()
	for _, f := range []string{"goreleaser.yaml", "go.mod", "go.sum", "LICENSE", "README.md", "cmd/mcpforge/main.go"} {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d.run(t, "goreleaser", "--goreleaser", d.goreleaser, "--remote", "https://github.com/mcpforge/mcpforge.git", dir)
}
