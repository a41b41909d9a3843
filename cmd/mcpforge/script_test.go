package main

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mcpforge/mcpforge/generator"
)

// TestMain lets the test binary double as the mcpforge command inside
// testscript scripts, so the scripts run the real command line in a real
// process (with a real, non-terminal stdin).
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"mcpforge": func() {
			// Scripts cannot give mcpforge a terminal; this lets them drive
			// the wizard's accessible mode through stdin.
			if os.Getenv("MCPFORGE_TEST_TERMINAL") == "1" {
				stdinIsTerminal = func(io.Reader) bool { return true }
			}
			os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

// TestScripts runs testdata/script/*.txtar. `go test ./cmd/mcpforge -update`
// rewrites the expected output files compared with cmp.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":      cmdExits,
			"keystrokes": cmdKeystrokes,
		},
	})
}

// cmdExits runs a program and checks its exit status:
//
//	exits 2 mcpforge new Bad --yes
//
// stdout and stderr are kept for the stdout and stderr commands that follow.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad status %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// cmdKeystrokes writes the lines that answer the accessible wizard of
// `mcpforge new` into a file, for stdin: the lines given for some answers,
// and for every other question the line that keeps what it pre-fills, so
// that a script does not change when an answer is added:
//
//	keystrokes answers.txt name=Bad name=weather auth=1 confirm=y
//
// Each KEY=LINE adds a line to the answer KEY, in order; confirm is the
// answer to "Generate the repository?" (y unless given).
func cmdKeystrokes(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: keystrokes FILE [KEY=LINE]...")
	}
	typed := map[string][]string{}
	confirm := "y"
	for _, arg := range args[1:] {
		key, line, ok := strings.Cut(arg, "=")
		switch {
		case !ok:
			ts.Fatalf("keystrokes: %q is not KEY=LINE", arg)
		case key == "confirm":
			confirm = line
		default:
			if _, known := generator.FieldFor(key); !known {
				ts.Fatalf("keystrokes: no answer %q", key)
			}
			typed[key] = append(typed[key], line)
		}
	}
	lines, err := wizardKeystrokes(generator.Answers{}, typed, confirm)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(strings.Join(lines, "\n")+"\n"), 0o644))
}
