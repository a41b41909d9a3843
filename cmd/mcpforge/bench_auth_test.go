package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpforge/mcpforge/generator"
)

const benchClients = 32

// BenchmarkToolsCallThroughput measures tools/call throughput over streamable
// HTTP with 32 concurrent clients against a generated server with jwt-local,
// two CEL conditions and the access log, and against the same server
// generated with auth none, in one run. It reports both rates and their ratio
// (target: at least 0.85).
func BenchmarkToolsCallThroughput(b *testing.B) {
	plainBin := benchServer(b, "plain", "--auth", "none")
	authBin := benchServer(b, "authd", "--auth", "jwt-local")

	issuer := newJWKSIssuer(b)
	plain := startServer(b, plainBin, &security{auth: "none"}, "--transport", "http")
	prefix := generator.EnvPrefix("authd")
	authd := startServer(b, authBin, &security{auth: "jwt-local", env: []string{
		prefix + "_MIDDLEWARE_JWT_LOCAL_ISSUER=" + issuer.url,
		prefix + "_MIDDLEWARE_JWT_LOCAL_JWKS_URI=" + issuer.url + "/jwks",
		prefix + `_MIDDLEWARE_JWT_LOCAL_ALLOW_CONDITIONS=["claims.sub != \"\"", "request.method == \"POST\" || request.method == \"GET\" || request.method == \"DELETE\""]`,
		prefix + "_MIDDLEWARE_ACCESS_LOG_ENABLED=true",
		prefix + "_OAUTH_ENABLED=false",
	}}, "--transport", "http")
	token := "Bearer " + issuer.mint(b, authd.base, claims{"sub": "bench", "scope": "tool:user"}, nil)

	plainSessions := benchSessions(b, plain.base, "", "")
	authSessions := benchSessions(b, authd.base, "Authorization", token)

	const callsPerClient = 20
	var plainTime, plainTokenTime, authTime time.Duration
	calls := 0
	for b.Loop() {
		plainTime += benchRound(b, plain.base, "", "", plainSessions, callsPerClient)
		// The same server sent the same bytes as the authenticated one: what
		// carrying a ~700-byte token costs HTTP/1.1 before any validation.
		plainTokenTime += benchRound(b, plain.base, "X-Ignored-Token", token, plainSessions, callsPerClient)
		authTime += benchRound(b, authd.base, "Authorization", token, authSessions, callsPerClient)
		calls += benchClients * callsPerClient
	}
	plainRate := float64(calls) / plainTime.Seconds()
	authRate := float64(calls) / authTime.Seconds()
	b.ReportMetric(plainRate, "calls/s-auth-none")
	b.ReportMetric(authRate, "calls/s-jwt-local")
	b.ReportMetric(authRate/plainRate, "x-auth-none")
	b.ReportMetric(authRate/(float64(calls)/plainTokenTime.Seconds()), "x-auth-none-same-bytes")
}

// benchServer generates and builds an HTTP-only server called name.
func benchServer(b *testing.B, name string, extra ...string) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), name)
	var out, errOut bytes.Buffer
	args := append([]string{"new", name, "--dir", dir, "--transport", "http", "--deploy", "none", "--yes", "--no-git"}, extra...)
	if code := run(args, strings.NewReader(""), &out, &errOut); code != 0 {
		b.Fatalf("mcpforge new %s: exit %d: %s", name, code, errOut.String())
	}
	bin := filepath.Join(b.TempDir(), name)
	goCmd(b, dir, "build", "-o", bin, "./cmd/"+name)
	return bin
}

// benchSessions opens one 2025-11-25 session per client.
func benchSessions(b *testing.B, base, header, value string) []string {
	b.Helper()
	ids := make([]string, benchClients)
	for i := range ids {
		ids[i] = openSession(b, base, header, value)
	}
	return ids
}

// benchRound runs callsPerClient tools/call requests on every session at
// once and returns the wall time.
func benchRound(b *testing.B, base, header, value string, sessions []string, callsPerClient int) time.Duration {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients}}
	var wg sync.WaitGroup
	errs := make(chan error, len(sessions))
	start := time.Now()
	for i, id := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < callsPerClient; n++ {
				body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"hello_world","arguments":{"name":"client-%d"}}}`, n+10, i)
				req, _ := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", "application/json, text/event-stream")
				req.Header.Set("MCP-Protocol-Version", "2025-11-25")
				req.Header.Set("Mcp-Session-Id", id)
				if header != "" {
					req.Header.Set(header, value)
				}
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				data, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || !bytes.Contains(data, []byte("Hello, client-")) {
					errs <- fmt.Errorf("tools/call: %d %s", resp.StatusCode, data)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return elapsed
}
