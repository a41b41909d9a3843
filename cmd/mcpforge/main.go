// Command mcpforge generates production MCP servers in Go.
//
// Usage:
//
//	mcpforge new NAME [flags]   generate a new server repository
//	mcpforge add tool NAME      add a tool to a generated repository
//	mcpforge add prompt NAME    add a prompt
//	mcpforge add resource URI   add a resource or resource template
//	mcpforge update             bring a generated repository to this version
//	mcpforge diff               show the owner's edits of generated files
//	mcpforge version            print version, commit and Go version
//	mcpforge completion SHELL   print a shell completion script
//
// Exit status: 0 on success, 1 on failure (and when update leaves
// conflicts), 2 on bad usage (unknown flags, invalid answers, a broken
// answers file, a non-empty target directory, an invalid or existing name to
// add, an update of a dirty working tree or to an older version), 130 when
// the wizard is interrupted.
//
// This package is only the command-line shell; everything it generates comes
// from package generator.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/spf13/cobra"

	"github.com/mcpforge/mcpforge/cmd/mcpforge/internal/plainterm"
)

func main() {
	// Undo what plainterm's init did to keep start-up from querying the
	// terminal, before anything reads TERM or starts a child process.
	plainterm.Restore()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Exit codes of mcpforge.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// exitError carries the exit code an error should end the process with.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks err as bad usage (exit 2).
func usageError(err error) error { return &exitError{code: exitUsage, err: err} }

// failure marks err as a failure (exit 1).
func failure(err error) error { return &exitError{code: exitFailure, err: err} }

// run is main without the process, so that tests can drive the whole command
// line: it returns the exit code instead of exiting.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	root := newRootCmd(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "mcpforge: %v\n", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	// Errors that do not come from our own commands come from cobra itself:
	// an unknown command, wrong arguments. Those are bad usage.
	return exitUsage
}

// newRootCmd builds the command tree with its input and outputs wired, so each
// run (and each test) gets a fresh one.
func newRootCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "mcpforge",
		Short: "Generate production MCP servers in Go",
		Long: `mcpforge generates a new Go repository holding an MCP (Model Context Protocol)
server that builds, passes its own tests and talks to MCP clients over stdio
and HTTP the moment it is written.

Start with: mcpforge new weather --yes`,
		// Errors are printed once, by run, as "mcpforge: <message>"; a usage
		// dump after every mistake would bury the message.
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError(fmt.Errorf("%w; see '%s --help'", err, c.CommandPath()))
	})
	root.AddCommand(newNewCmd(), newAddCmd(), newUpdateCmd(), newDiffCmd(), newVersionCmd())
	return root
}
