// Package plainterm keeps mcpforge from querying the terminal at start-up
// when the wizard is to run in accessible mode.
//
// Bubble Tea (which huh imports) asks the terminal for its background
// colour from an init function, before main runs: it writes OSC 11 and a
// cursor position report to stdout and reads the answer from the terminal,
// with echo off, for up to five seconds. A screen reader's terminal may never
// answer, and a script's typed-ahead answers are read as the reply. In
// accessible mode nothing is coloured, so the query has no use. termenv
// skips it when TERM is dumb, so this package's init sets TERM=dumb for the
// rest of start-up when accessible mode is asked for (--accessible, or
// ACCESSIBLE); Restore puts the real TERM back once main runs, before any
// child process can inherit the change.
//
// The init runs before Bubble Tea's because Go initializes packages in
// import-path order among those whose imports are ready: this package
// imports only os and strings, which termenv imports too, and its path
// sorts before github.com/muesli/termenv, which Bubble Tea needs first.
// TestWizardAccessibleBinary (cmd/mcpforge) fails if that ever changes.
package plainterm

import (
	"os"
	"strings"
)

// term is TERM as it was before init changed it; set reports that init
// changed it.
var (
	term, hadTerm = os.LookupEnv("TERM")
	set           bool
)

func init() {
	if accessible(os.Args[1:], os.Getenv("ACCESSIBLE")) && term != "dumb" {
		set = os.Setenv("TERM", "dumb") == nil
	}
}

// accessible reports whether the command line or the ACCESSIBLE value asks
// for accessible mode, as mcpforge's flags and environment read them: the
// flag --accessible (or --accessible=VALUE with a true VALUE) before any
// "--", or ACCESSIBLE set to anything but "", "0" or "false".
func accessible(args []string, env string) bool {
	if EnvAsks(env) {
		return true
	}
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "--accessible" {
			return true
		}
		if v, ok := strings.CutPrefix(a, "--accessible="); ok {
			return truthy(v)
		}
	}
	return false
}

// truthy reports whether a flag value is one strconv.ParseBool (which
// pflag uses) reads as true; strconv itself is not imported, to keep this
// package's imports to what termenv imports anyway (see the package
// comment).
func truthy(v string) bool {
	switch v {
	case "1", "t", "T", "TRUE", "true", "True":
		return true
	}
	return false
}

// EnvAsks reports whether a value of the environment variable ACCESSIBLE
// asks for accessible mode: anything but "", "0" or "false" (the convention
// of charm's tools).
func EnvAsks(v string) bool {
	v = strings.TrimSpace(v)
	return v != "" && v != "0" && !strings.EqualFold(v, "false")
}

// Restore puts back the TERM that init replaced, if it did.
func Restore() {
	if !set {
		return
	}
	set = false
	if hadTerm {
		_ = os.Setenv("TERM", term)
	} else {
		_ = os.Unsetenv("TERM")
	}
}
