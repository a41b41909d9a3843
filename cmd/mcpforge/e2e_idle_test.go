package main

import (
	"testing"
	"time"
)

// idleMemoryBudget is the most a jwt-local server may hold resident while
// idle (issue 11): a server per tenant or per developer must stay cheap.
const idleMemoryBudget = 20 << 20

func init() {
	registerHardening(hardeningCheck{name: "idle-memory", applies: func(a variantAnswers) bool { return a.Auth == "jwt-local" }, run: checkIdleMemory})
}

// checkIdleMemory: VmRSS of a jwt-local server as generated (built as make
// build builds it), 5 s after /ready first answers 200, with its keys
// loaded.
func checkIdleMemory(t *testing.T, bin string, sec *security, _ variantAnswers, transport string) {
	p := startServer(t, bin, sec, "--transport", transport) // returns once /ready answered 200
	time.Sleep(5 * time.Second)
	rss := vmRSS(t, p.cmd.Process.Pid)
	t.Logf("idle VmRSS %.1f MiB", float64(rss)/(1<<20))
	if rss > idleMemoryBudget {
		t.Errorf("an idle jwt-local server holds %.1f MiB resident, budget %d MiB", float64(rss)/(1<<20), idleMemoryBudget>>20)
	}
}
