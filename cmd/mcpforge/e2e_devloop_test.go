package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	mcpsdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpforge/mcpforge/generator"
)

// The development loop of a jwt-local repository (issue 10 §3): make dev
// starts a development issuer and the server trusting it, and a token from
// devtoken mint gets in. checkMakeDev is the check of the dev target in
// makeTargetsServing (e2e_ownci_test.go), so it runs wherever a generated
// Makefile has that target, in the repository make built.

// printedToken is the token make dev prints, ready to paste.
var printedToken = regexp.MustCompile(`(?m)^\s*export TOKEN=(\S+)$`)

// checkMakeDev runs make dev offline on free ports, calls whoami with the
// printed token and with one from `go run ./cmd/devtoken mint --sub alice`,
// checks that the server logged no warning (with OAuth on: its check of the
// development issuer as its provider passed) and that config.toml was not
// touched, stops it, and proves that devtoken serve refuses a non-loopback
// address.
func checkMakeDev(t *testing.T, r *ownRepo) {
	if r.a.Auth != "jwt-local" {
		t.Fatalf("make dev exists only in jwt-local repositories, but variant %s has it", r.name)
	}
	configBefore := readFiles(t, r.dir, "config.toml")
	port, issuerPort := freePort(t), freePort(t)
	// GOPROXY=off: go run ./cmd/devtoken must build from what the module
	// cache already holds for the server. The port override must be honoured.
	env := []string{"GOPROXY=off", generator.EnvPrefix(r.name) + "_SERVER_HTTP_PORT=" + strconv.Itoa(port)}
	cmd, out := r.startMake(t, env, "dev", "DEV_ISSUER=127.0.0.1:"+strconv.Itoa(issuerPort))

	var printed string
	for deadline := time.Now().Add(3 * time.Minute); printed == ""; time.Sleep(100 * time.Millisecond) {
		if m := printedToken.FindStringSubmatch(out.String()); m != nil {
			printed = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("make dev printed no token within 3 minutes:\n%s", out.String())
		}
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	transport := networkTransport(r.a.Transports)
	endpoint := base + map[string]string{"http": "/mcp", "sse": "/sse"}[transport]
	if !strings.Contains(out.String(), endpoint) {
		t.Errorf("make dev does not name the server's endpoint %s (from %s_SERVER_HTTP_PORT):\n%s", endpoint, generator.EnvPrefix(r.name), out.String())
	}

	mint := exec.Command("go", "run", "./cmd/devtoken", "mint", "--sub", "alice")
	mint.Dir = r.dir
	mint.Env = append(slices.Clone(r.env), env...)
	var mintErr lockedBuffer
	mint.Stderr = &mintErr
	minted, err := mint.Output()
	if err != nil {
		t.Fatalf("devtoken mint: %v\n%s", err, mintErr.String())
	}
	token, rest, _ := strings.Cut(string(minted), "\n")
	if token == "" || rest != "" || strings.ContainsAny(token, " \t") {
		t.Fatalf("devtoken mint must print the token alone, on one line; stdout was %q", minted)
	}

	for _, c := range []struct{ token, subject string }{{token, "alice"}, {printed, "dev"}} {
		if got := whoamiSubject(t, transport, endpoint, c.token); got != c.subject {
			t.Errorf("whoami with a %s token names %q", c.subject, got)
		}
	}
	if r.a.OAuth == nil || *r.a.OAuth {
		// The relay serves the development issuer's metadata: the same
		// fetch the provider check made at start-up.
		resp, err := http.Get(base + "/.well-known/oauth-authorization-server")
		if err != nil {
			t.Fatal(err)
		}
		var meta struct {
			Issuer string `json:"issuer"`
		}
		err = json.NewDecoder(resp.Body).Decode(&meta)
		resp.Body.Close()
		if want := "http://127.0.0.1:" + strconv.Itoa(issuerPort); err != nil || resp.StatusCode != http.StatusOK || meta.Issuer != want {
			t.Errorf("authorization server metadata: %d, issuer %q (%v), want 200 and %q", resp.StatusCode, meta.Issuer, err, want)
		}
	}
	stopMake(t, cmd, out)
	if log := out.String(); strings.Contains(log, `"level":"WARN"`) || strings.Contains(log, "authorization server check failed") {
		t.Errorf("the server warned while running under make dev:\n%s", log)
	}
	if readFiles(t, r.dir, "config.toml") != configBefore {
		t.Errorf("make dev changed config.toml; it must trust the issuer through the environment only")
	}
	if fi, err := os.Stat(filepath.Join(r.dir, ".dev", "signing-key.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the signing key is not a 0600 file under .dev/: %v", err)
	}

	t.Run("serve refuses a non-loopback address", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		serve := exec.CommandContext(ctx, "go", "run", "./cmd/devtoken", "serve", "--addr", "0.0.0.0:0")
		serve.Dir = r.dir
		serve.Env = append(slices.Clone(r.env), "GOPROXY=off")
		got, err := serve.CombinedOutput()
		if ctx.Err() != nil {
			t.Fatalf("devtoken serve --addr 0.0.0.0:0 kept running: it listened on every interface\n%s", got)
		}
		if err == nil || !strings.Contains(string(got), "loopback") {
			t.Fatalf("devtoken serve --addr 0.0.0.0:0: %v, want a non-zero exit naming loopback\n%s", err, got)
		}
	})
}

// whoamiSubject calls whoami through the official Go SDK with a bearer token
// and returns the subject it reports.
func whoamiSubject(t *testing.T, transport, endpoint, token string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hc := &http.Client{Transport: bearer(token)}
	var tr mcpsdk.Transport = &mcpsdk.StreamableClientTransport{Endpoint: endpoint, HTTPClient: hc, MaxRetries: -1}
	if transport == "sse" {
		tr = &mcpsdk.SSEClientTransport{Endpoint: endpoint, HTTPClient: hc}
	}
	sess, err := newSDKClient().Connect(ctx, tr, nil)
	if err != nil {
		t.Fatalf("connect to %s with a development token: %v", endpoint, err)
	}
	defer sess.Close()
	res, err := sess.CallTool(ctx, &mcpsdk.CallToolParams{Name: "whoami"})
	if err != nil || res.IsError {
		t.Fatalf("whoami: %v %+v", err, res)
	}
	raw, _ := json.Marshal(res.StructuredContent)
	var id struct {
		Subject string `json:"subject"`
	}
	if err := json.Unmarshal(raw, &id); err != nil {
		t.Fatalf("whoami returned %s: %v", raw, err)
	}
	return id.Subject
}
