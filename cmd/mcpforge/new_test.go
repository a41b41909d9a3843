package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/mcpforge/mcpforge/generator"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func fakeTerminal(t *testing.T) {
	t.Helper()
	old := stdinIsTerminal
	stdinIsTerminal = func(io.Reader) bool { return true }
	t.Cleanup(func() { stdinIsTerminal = old })
}

func TestNewOnTerminalWithoutWizard(t *testing.T) {
	fakeTerminal(t)
	old := runWizard
	runWizard = nil
	t.Cleanup(func() { runWizard = old })
	dir := filepath.Join(t.TempDir(), "weather")
	code, stdout, stderr := runCLI(t, "new", "weather", "--dir", dir)
	if code != exitUsage {
		t.Errorf("exit %d, want 2", code)
	}
	if !strings.Contains(stderr, "the interactive wizard is not available yet; pass --yes") ||
		!strings.Contains(stderr, "  --module ") {
		t.Errorf("stderr = %q", stderr)
	}
	if stdout != "" {
		t.Errorf("stdout = %q", stdout)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("target written: %v", err)
	}
}

func TestNewWizardSeam(t *testing.T) {
	fakeTerminal(t)
	var seen generator.Answers
	old := runWizard
	runWizard = func(_ context.Context, a generator.Answers, _ wizardOptions) (generator.Answers, error) {
		seen = a
		a.Module = "example.com/from/wizard"
		a.Transports = []string{"http"}
		return a, nil
	}
	t.Cleanup(func() { runWizard = old })
	dir := filepath.Join(t.TempDir(), "out")
	code, _, stderr := runCLI(t, "new", "weather", "--description", "given", "--dir", dir, "--no-tidy", "--no-git")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if seen.Name != "weather" || seen.Description != "given" || !seen.Given(generator.KeyDescription) {
		t.Errorf("wizard got %+v, want the flags pre-filled", seen)
	}
	rec, err := os.ReadFile(filepath.Join(dir, generator.RecordFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`module = "example.com/from/wizard"`, `transports = ["http"]`, `description = "given"`} {
		if !strings.Contains(string(rec), want) {
			t.Errorf("record lacks %s:\n%s", want, rec)
		}
	}
	// With --yes the wizard is never asked.
	runWizard = func(context.Context, generator.Answers, wizardOptions) (generator.Answers, error) {
		t.Error("wizard run despite --yes")
		return generator.Answers{}, nil
	}
	if code, _, stderr := runCLI(t, "new", "other", "--yes", "--dir", filepath.Join(t.TempDir(), "o"), "--no-tidy", "--no-git"); code != 0 {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

func TestNewPostStepFailure(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // neither go nor git
	dir := filepath.Join(t.TempDir(), "weather")
	code, stdout, stderr := runCLI(t, "new", "weather", "--yes", "--dir", dir)
	if code != exitFailure {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr, "--no-tidy") || !strings.Contains(stderr, "--no-git") {
		t.Errorf("stderr does not report both post steps: %q", stderr)
	}
	if !strings.Contains(stdout, "created "+dir) {
		t.Errorf("stdout = %q", stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Errorf("files removed after a failing post step: %v", err)
	}
}

func TestVersionStamped(t *testing.T) {
	oldV, oldC := version, commit
	version, commit = "v1.2.3", "abc1234"
	t.Cleanup(func() { version, commit = oldV, oldC })
	code, stdout, _ := runCLI(t, "version")
	if code != 0 || !strings.HasPrefix(stdout, "mcpforge v1.2.3\ncommit: abc1234\ngo: go") {
		t.Errorf("exit %d, stdout %q", code, stdout)
	}
	// The stamped version goes into the record of generated repositories.
	dir := filepath.Join(t.TempDir(), "w")
	if code, _, stderr := runCLI(t, "new", "w", "--yes", "--dir", dir, "--no-tidy", "--no-git"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rec, err := generator.ReadRecord(filepath.Join(dir, generator.RecordFile))
	if err != nil || rec.MCPForgeVersion != "v1.2.3" {
		t.Errorf("record version %q, %v", rec.MCPForgeVersion, err)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{"weather": "weather", "./a/b-c": "./a/b-c", "my dir": "'my dir'", "it's": `'it'\''s'`} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFlagsMatchFields checks that `new` has the flag of every answer of
// generator.Fields, under the name the generator's messages use, and only
// those besides its own options.
func TestFlagsMatchFields(t *testing.T) {
	cmd := newNewCmd()
	answerFlags := map[string]bool{}
	for _, f := range generator.Fields() {
		for _, name := range []string{f.Flag, f.NoFlag} {
			if name == "" {
				continue
			}
			answerFlags[name] = true
			if cmd.Flags().Lookup(name) == nil {
				t.Errorf("answer %s names flag --%s, which new does not have", f.Key, name)
			}
		}
	}
	own := map[string]bool{"answers": true, "dir": true, "yes": true, "dry-run": true, "force": true, "no-tidy": true, "no-git": true, "accessible": true}
	cmd.Flags().VisitAll(func(fl *pflag.Flag) {
		if !answerFlags[fl.Name] && !own[fl.Name] {
			t.Errorf("flag --%s sets no answer and is not an option of new", fl.Name)
		}
	})
}
