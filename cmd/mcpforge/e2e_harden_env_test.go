package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func init() {
	registerHardening(hardeningCheck{name: "env-unknown-key", run: checkEnvUnknownKey})
}

// checkEnvUnknownKey proves that a misspelt override of a config table is
// refused by --check and at start-up, naming the variable and the one
// meant, while the owner's own variables of the prefix are left alone.
func checkEnvUnknownKey(t *testing.T, bin string, sec *security, _ variantAnswers, transport string) {
	pre := sec.envPrefix + "_"
	run := func(t *testing.T, extra string, args ...string) (int, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(append(os.Environ(), sec.env...), extra)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		if ctx.Err() != nil {
			t.Fatalf("%s %v with %s did not exit within 20s:\n%s", bin, args, extra, stderr.String())
		}
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("run %s: %v", bin, err)
		}
		return cmd.ProcessState.ExitCode(), stderr.String()
	}

	for _, tt := range []struct{ bad, meant string }{
		{pre + "SERVER_HTTP_PROT", pre + "SERVER_HTTP_PORT"},
		{pre + "MIDDLEWARE_CORS_ENABLE", pre + "MIDDLEWARE_CORS_ENABLED"},
		{pre + "LOG_LEVL", pre + "LOG_LEVEL"},
	} {
		t.Run(tt.bad, func(t *testing.T) {
			for _, args := range [][]string{
				{"--check"},
				{"--transport", transport, "--addr", "127.0.0.1:0"}, // start-up
			} {
				code, stderr := run(t, tt.bad+"=1", args...)
				if code == 0 {
					t.Fatalf("%v with %s=1: exit 0, want an error\n%s", args, tt.bad, stderr)
				}
				if !strings.Contains(stderr, "environment variable "+tt.bad) || !strings.Contains(stderr, "did you mean "+tt.meant+"?") {
					t.Errorf("%v: stderr does not name %s and suggest %s:\n%s", args, tt.bad, tt.meant, stderr)
				}
			}
		})
	}

	t.Run("owner's own variable", func(t *testing.T) {
		if code, stderr := run(t, pre+"API_KEY=x", "--check"); code != 0 {
			t.Fatalf("--check with %sAPI_KEY=x: exit %d\n%s", pre, code, stderr)
		}
		s := *sec
		s.env = append(append([]string(nil), sec.env...), pre+"API_KEY=x")
		startServer(t, bin, &s, "--transport", transport) // fails the test unless it serves and is ready
	})
}
