package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// nodeHarness installs the pinned node packages of testdata/node (the MCP
// TypeScript SDK, the MCP Inspector, oidc-provider) with `npm ci` when the
// installed tree does not match package-lock.json, and returns the directory.
func nodeHarness(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "node"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node is not on PATH: the end-to-end tests need Node.js 20 or newer")
	}
	lock, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(lock)
	want := hex.EncodeToString(sum[:])
	marker := filepath.Join(dir, "node_modules", ".mcpforge-lock-sha256")
	if got, err := os.ReadFile(marker); err == nil && string(got) == want {
		return dir
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
	}
	if err := os.WriteFile(marker, []byte(want), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// inspector runs the MCP Inspector CLI (0.15.0) with args and decodes the
// JSON it prints.
func inspector(t *testing.T, node string, args ...string) map[string]any {
	t.Helper()
	cmd := exec.Command(filepath.Join(node, "node_modules", ".bin", "mcp-inspector"), append([]string{"--cli"}, args...)...)
	cmd.Dir = node
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			_ = cmd.Process.Kill()
		}
	}()
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("mcp-inspector %s: %v\n%s\n%s", strings.Join(args, " "), err, out, stderr)
	}
	var result map[string]any
	if err := json.Unmarshal(out, &result); err != nil {
		t.Fatalf("mcp-inspector printed no JSON: %v\n%s", err, out)
	}
	return result
}

// checkInspector lists the tools and calls hello_world with the MCP
// Inspector CLI, over stdio (target is the binary, whose default transport
// must be stdio) or streamable HTTP (target is the /mcp URL).
func checkInspector(t *testing.T, node string, target ...string) {
	list := inspector(t, node, append(append([]string{}, target...), "--method", "tools/list")...)
	raw, _ := json.Marshal(list["tools"])
	if !strings.Contains(string(raw), `"hello_world"`) || !strings.Contains(string(raw), `"whoami"`) {
		t.Errorf("Inspector tools/list lacks hello_world or whoami: %s", raw)
	}
	call := inspector(t, node, append(append([]string{}, target...), "--method", "tools/call", "--tool-name", "hello_world", "--tool-arg", "name=Ada")...)
	raw, _ = json.Marshal(call["content"])
	if !strings.Contains(string(raw), "Hello, Ada!") || call["isError"] == true {
		t.Errorf("Inspector tools/call hello_world = %s", raw)
	}
}
