package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	mcpsdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// protocolEras are the two protocol generations every transport must serve:
// "" lets the Go SDK negotiate the newest (2026-07-28, stateless discover);
// "2025-11-25" forces the initialize handshake.
var protocolEras = []struct{ ask, want string }{
	{ask: "", want: "2026-07-28"},
	{ask: "2025-11-25", want: "2025-11-25"},
}

// variantAnswers is the part of a variant's answers file the tests need.
type variantAnswers struct {
	Name       string   `toml:"name"`
	Transports []string `toml:"transports"`
	Auth       string   `toml:"auth"`
	Audience   string   `toml:"audience"`
	OAuth      *bool    `toml:"oauth"`
	Deploy     []string `toml:"deploy"` // nil: the default set, which includes CI
	// Observability is nil for the default, on.
	Observability *bool `toml:"observability"`
}

func variantFiles(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "..", "testdata", "variants", "*.toml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no variant answers files found: %v", err)
	}
	return paths
}

func readVariant(t *testing.T, path string) variantAnswers {
	t.Helper()
	var a variantAnswers
	if _, err := toml.DecodeFile(path, &a); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if len(a.Transports) == 0 {
		a.Transports = []string{"stdio", "http"}
	}
	return a
}

// TestEndToEnd generates every golden variant, builds it, runs its own tests
// and talks to it with the official Go SDK over every transport it serves.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: generates, builds and runs every variant")
	}
	tools := buildDeployTools(t)
	node := nodeHarness(t)
	t.Run("mcpforge-release", func(t *testing.T) { checkOwnRelease(t, tools) })
	t.Run("mcpforge-staticcheck", checkOwnStaticcheck)
	// The post-generation `go mod tidy` must work from the module cache alone
	// once it holds the pinned versions: put them there (tidy also reads the
	// modules the tests of dependencies import), then cut the proxy off.
	primeModuleCache(t)
	// The generated repositories' own CI and Makefile run as their owners
	// run them: with the module proxy.
	ciEnv := os.Environ()
	t.Setenv("GOPROXY", "off")
	for _, path := range variantFiles(t) {
		variant := strings.TrimSuffix(filepath.Base(path), ".toml")
		t.Run(variant, func(t *testing.T) {
			a := readVariant(t, path)
			dir, bin := generateAndBuild(t, path, a.Name)
			t.Run("deploy", func(t *testing.T) { checkDeploy(t, tools, dir, a.Name, bin) })
			t.Run("own-ci", func(t *testing.T) { checkOwnCI(t, dir, a, ciEnv, node) })
			sec := newSecurity(t, a)
			for _, tr := range a.Transports {
				for _, era := range protocolEras {
					t.Run(tr+"/"+era.want, func(t *testing.T) {
						switch tr {
						case "stdio":
							checkStdio(t, bin, era.ask, era.want)
						case "http", "sse":
							checkNetwork(t, bin, sec, tr, era.ask, era.want)
						}
					})
				}
			}
			checkInspectorFor(t, node, bin, a)
			if net := networkTransport(a.Transports); net != "" {
				t.Run("hostile-requests", func(t *testing.T) { checkHostile(t, bin, sec, net) })
				t.Run("sigterm", func(t *testing.T) { checkSIGTERM(t, bin, sec, net) })
				t.Run("hardening", func(t *testing.T) { checkHardening(t, bin, sec, a, net) })
				if net == "http" {
					t.Run("two-replicas", func(t *testing.T) { checkReplicas(t, bin, sec) })
				}
				if a.Auth != "" && a.Auth != "none" {
					t.Run("auth", func(t *testing.T) { checkAuth(t, bin, sec, net) })
				}
				if a.Auth == "jwt-local" && (a.OAuth == nil || *a.OAuth) {
					t.Run("oauth", func(t *testing.T) { checkOAuth(t, node, bin, sec) })
					t.Run("oauth-provider-check", func(t *testing.T) { checkProviderCheck(t, bin, sec) })
				}
			}
		})
	}
}

// primeModuleCache downloads every module of mcpforge's module graph into the
// module cache, with a scratch copy of go.mod and go.sum so that the
// checksums the download adds never touch the repository's own files.
func primeModuleCache(t *testing.T) {
	t.Helper()
	root := filepath.Join("..", "..")
	scratch := t.TempDir()
	for _, f := range []string{"go.mod", "go.sum"} {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(scratch, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	goCmd(t, root, "mod", "download", "-modfile="+filepath.Join(scratch, "go.mod"), "all")
}

// checkInspectorFor runs the MCP Inspector CLI against a variant: over stdio
// when that is its default transport, and over streamable HTTP when it serves
// it without authentication (Inspector 0.15.0 cannot send a bearer token).
func checkInspectorFor(t *testing.T, node, bin string, a variantAnswers) {
	if len(a.Transports) > 0 && a.Transports[0] == "stdio" {
		t.Run("inspector/stdio", func(t *testing.T) { checkInspector(t, node, bin) })
	}
	if slices.Contains(a.Transports, "http") && (a.Auth == "" || a.Auth == "none") {
		t.Run("inspector/http", func(t *testing.T) {
			p := startServer(t, bin, &security{auth: "none"}, "--transport", "http")
			checkInspector(t, node, p.base+"/mcp", "--transport", "http")
		})
	}
}

// networkTransport returns the first HTTP-based transport, or "".
func networkTransport(transports []string) string {
	for _, tr := range transports {
		if tr != "stdio" {
			return tr
		}
	}
	return ""
}

// generateAndBuild runs `mcpforge new` for an answers file and checks that the
// result builds and is already tidy (offline, from the module cache). It
// returns the repository directory and the built server binary. Its vet,
// tests and lint run as its own CI runs them (checkOwnCI).
func generateAndBuild(t *testing.T, answers, name string) (dir, bin string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), name)
	var out, errOut bytes.Buffer
	code := run([]string{"new", "--answers", answers, "--dir", dir, "--yes", "--no-git"}, strings.NewReader(""), &out, &errOut)
	if code != 0 {
		t.Fatalf("mcpforge new: exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	bin = filepath.Join(t.TempDir(), name)
	// Built as make build and the Dockerfile build it: what owners ship,
	// static (a cgo build also maps libc, 1.3 MiB more resident memory
	// than any shipped server holds).
	goCmdEnv(t, dir, []string{"CGO_ENABLED=0"}, "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./cmd/"+name)

	before := readFiles(t, dir, "go.mod", "go.sum")
	goCmd(t, dir, "mod", "tidy")
	if after := readFiles(t, dir, "go.mod", "go.sum"); after != before {
		t.Errorf("go mod tidy changed go.mod/go.sum of a freshly generated repository")
	}
	return dir, bin
}

func readFiles(t *testing.T, dir string, names ...string) string {
	t.Helper()
	var b strings.Builder
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatalf("read %s: %v", n, err)
		}
		b.Write(data)
	}
	return b.String()
}

func goCmd(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return goCmdEnv(t, dir, nil, args...)
}

// goCmdEnv is goCmd with env added to the environment.
func goCmdEnv(t testing.TB, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

func newSDKClient() *mcpsdk.Client {
	return mcpsdk.NewClient(&mcpsdk.Implementation{Name: "mcpforge-e2e", Version: "1.0.0"}, nil)
}

// exerciseSession lists the tools and calls hello_world, checking the
// negotiated protocol version.
func exerciseSession(t *testing.T, ctx context.Context, sess *mcpsdk.ClientSession, wantVersion string) {
	t.Helper()
	if got := sess.InitializeResult().ProtocolVersion; got != wantVersion {
		t.Errorf("negotiated protocol %q, want %q", got, wantVersion)
	}
	list, err := sess.ListTools(ctx, nil)
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	names := map[string]bool{}
	for _, tool := range list.Tools {
		names[tool.Name] = true
	}
	for _, want := range []string{"hello_world", "whoami"} {
		if !names[want] {
			t.Errorf("tools/list lacks %q (got %v)", want, names)
		}
	}
	res, err := sess.CallTool(ctx, &mcpsdk.CallToolParams{Name: "hello_world", Arguments: map[string]any{"name": "Ada"}})
	if err != nil {
		t.Fatalf("tools/call hello_world: %v", err)
	}
	if res.IsError || len(res.Content) == 0 {
		t.Fatalf("hello_world returned an error or no content: %+v", res)
	}
	text, ok := res.Content[0].(*mcpsdk.TextContent)
	if !ok || text.Text != "Hello, Ada!" {
		t.Errorf("hello_world content = %#v, want text %q", res.Content[0], "Hello, Ada!")
	}
}

// lockedBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// checkStdio talks to the server over stdio and checks that stdout carried
// nothing but JSON-RPC messages.
func checkStdio(t *testing.T, bin, ask, want string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.Command(bin, "--transport", "stdio")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdoutPipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	reader := io.NopCloser(io.TeeReader(stdoutPipe, &stdout))
	sess, err := newSDKClient().Connect(ctx, &mcpsdk.IOTransport{Reader: reader, Writer: stdin}, &mcpsdk.ClientSessionOptions{ProtocolVersion: ask})
	if err != nil {
		t.Fatalf("connect over stdio: %v\nstderr:\n%s", err, stderr.String())
	}
	exerciseSession(t, ctx, sess, want)
	_ = sess.Close() // closes stdin: the server must exit 0 on EOF

	select {
	case err := <-waited:
		if err != nil {
			t.Errorf("server exited with %v after stdin closed\nstderr:\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("server did not exit after stdin closed")
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) < 2 {
		t.Fatalf("stdout holds %d lines, want the protocol exchange", len(lines))
	}
	for i, line := range lines {
		var msg struct {
			JSONRPC string `json:"jsonrpc"`
		}
		if err := json.Unmarshal([]byte(line), &msg); err != nil || msg.JSONRPC != "2.0" {
			t.Errorf("stdout line %d is not a JSON-RPC message: %q", i+1, line)
		}
	}
	if !strings.Contains(stderr.String(), "stdio") {
		t.Errorf("expected the start-up log on stderr, got %q", stderr.String())
	}
}

// serverProcess is a generated server running in network mode.
type serverProcess struct {
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:PORT
	stderr *lockedBuffer
	done   chan error
}

// listenAddr finds the bound address in the start-up log line, text
// (addr=127.0.0.1:PORT) or JSON ("addr":"127.0.0.1:PORT").
var listenAddr = regexp.MustCompile(`"?addr"?[=:]"?(127\.0\.0\.1:\d+)`)

// startServer starts the binary on a free loopback port and waits until
// /health answers.
func startServer(t testing.TB, bin string, sec *security, args ...string) *serverProcess {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), sec.env...)
	stderrPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &serverProcess{cmd: cmd, stderr: &lockedBuffer{}, done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderrPipe)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(p.stderr, line)
			if m := listenAddr.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			t.Logf("server stderr:\n%s", p.stderr.String())
		}
	})
	select {
	case addr := <-found:
		p.base = "http://" + addr
	case err := <-p.done:
		t.Fatalf("server exited before listening: %v\n%s", err, p.stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("server did not log its listen address\n%s", p.stderr.String())
	}
	for _, path := range []string{"/health", "/ready"} {
		var resp *http.Response
		var err error
		if path == "/ready" {
			resp, err = waitReady(p.base) // jwt-local is ready once its keys are loaded
		} else {
			resp, err = http.Get(p.base + path)
		}
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
	}
	return p
}

// stop sends sig and returns the exit error (nil for exit 0).
func (p *serverProcess) stop(t testing.TB, sig os.Signal) error {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal: %v", err)
	}
	select {
	case err := <-p.done:
		return err
	case <-time.After(15 * time.Second):
		t.Fatalf("server did not stop within 15s of %v", sig)
		return nil
	}
}

func checkNetwork(t *testing.T, bin string, sec *security, transport, ask, want string) {
	p := startServer(t, bin, sec, "--transport", transport)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess := connectSDK(t, ctx, p, sec, transport, ask)
	exerciseSession(t, ctx, sess, want)
	if err := sess.Close(); err != nil {
		t.Logf("close session: %v", err)
	}
	if err := p.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("server exit after SIGTERM: %v, want exit 0", err)
	}
}

// connectSDK opens a session of the official Go SDK client with full
// access on p over transport (http or sse), asking for protocol version ask
// ("" for the SDK's own).
func connectSDK(t *testing.T, ctx context.Context, p *serverProcess, sec *security, transport, ask string) *mcpsdk.ClientSession {
	t.Helper()
	hc := sec.client(p.base, sec.fullAccess)
	var tr mcpsdk.Transport
	if transport == "sse" {
		tr = &mcpsdk.SSEClientTransport{Endpoint: p.base + "/sse", HTTPClient: hc}
	} else {
		tr = &mcpsdk.StreamableClientTransport{Endpoint: p.base + "/mcp", HTTPClient: hc, MaxRetries: -1}
	}
	var opts *mcpsdk.ClientSessionOptions
	if ask != "" {
		opts = &mcpsdk.ClientSessionOptions{ProtocolVersion: ask}
	}
	sess, err := newSDKClient().Connect(ctx, tr, opts)
	if err != nil {
		t.Fatalf("connect over %s: %v", transport, err)
	}
	return sess
}

// checkHostile sends requests a browser on a hostile page could send.
func checkHostile(t *testing.T, bin string, sec *security, transport string) {
	p := startServer(t, bin, sec, "--transport", transport)
	cases := []struct {
		name   string
		method string
		path   string
		header map[string]string
		want   int
	}{
		{"foreign origin on /mcp", http.MethodPost, "/mcp", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"foreign origin on /", http.MethodGet, "/", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"rebinding host", http.MethodGet, "/health", map[string]string{"Host": "evil.example"}, http.StatusForbidden},
		{"own origin", http.MethodGet, "/", map[string]string{"Origin": p.base}, http.StatusOK},
	}
	for _, c := range cases {
		req, err := http.NewRequest(c.method, p.base+c.path, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		for k, v := range c.header {
			if k == "Host" {
				req.Host = v
			} else {
				req.Header.Set(k, v)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: status %d, want %d", c.name, resp.StatusCode, c.want)
		}
	}
}

// checkSIGTERM stops a server in the middle of an open session.
func checkSIGTERM(t *testing.T, bin string, sec *security, transport string) {
	p := startServer(t, bin, sec, "--transport", transport)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess, err := newSDKClient().Connect(ctx, &mcpsdk.StreamableClientTransport{Endpoint: p.base + "/mcp", HTTPClient: sec.client(p.base, sec.fullAccess), MaxRetries: -1}, &mcpsdk.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err == nil {
		defer sess.Close()
	}
	if err := p.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("exit after SIGTERM with an open session: %v, want 0\n%s", err, p.stderr.String())
	}
}
