package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// hardeningCheck is one attack run by TestEndToEnd against the built binary
// of every variant it applies to. Each attack lives in its own file and
// registers itself from init, so adding one touches no shared list.
type hardeningCheck struct {
	// name is the subtest name under <variant>/hardening/.
	name string
	// applies reports whether the attack makes sense for a variant; nil
	// means every variant with a network transport.
	applies func(a variantAnswers) bool
	// run attacks servers started from bin; transport is the variant's
	// first HTTP-based transport ("http" or "sse").
	run func(t *testing.T, bin string, sec *security, a variantAnswers, transport string)
}

var hardeningChecks []hardeningCheck

// registerHardening adds an attack to the hardening suite.
func registerHardening(c hardeningCheck) { hardeningChecks = append(hardeningChecks, c) }

// checkHardening runs every registered attack that applies to a variant.
func checkHardening(t *testing.T, bin string, sec *security, a variantAnswers, transport string) {
	for _, c := range hardeningChecks {
		if c.applies != nil && !c.applies(a) {
			continue
		}
		t.Run(c.name, func(t *testing.T) { c.run(t, bin, sec, a, transport) })
	}
}

// hasAuth reports whether a variant authenticates its callers.
func hasAuth(a variantAnswers) bool { return a.Auth != "" && a.Auth != "none" }

// vmRSS returns the resident memory of process pid in bytes, read from
// /proc/PID/status (the server's, never the test's own).
func vmRSS(t testing.TB, pid int) int64 {
	t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatalf("read the server's memory: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("parse %q: %v", line, err)
			}
			return kb * 1024
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}
