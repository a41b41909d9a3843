package auth

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpforge/mcpforge/runtime/config"
	"github.com/mcpforge/mcpforge/runtime/httpserver"
)

// newMCPServer is a real mcp-go server with the Authenticator's tool
// middleware and filter, and tools that report the identity they see.
func newMCPServer(a *Authenticator) *server.MCPServer {
	s := server.NewMCPServer("auth-test", "1.0.0",
		server.WithToolCapabilities(false),
		server.WithToolHandlerMiddleware(a.ToolMiddleware),
		server.WithToolFilter(a.ToolFilter),
	)
	s.AddTool(mcp.NewTool("hello_world", mcp.WithString("name")), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		id, ok := FromContext(ctx)
		if !ok {
			return mcp.NewToolResultError("no identity in the tool context"), nil
		}
		return mcp.NewToolResultText("hello " + id.Subject), nil
	})
	s.AddTool(mcp.NewTool("whoami"), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		id, _ := FromContext(ctx)
		return mcp.NewToolResultText(string(mustJSON(id.Claims))), nil
	})
	s.AddTool(mcp.NewTool("admin"), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("done"), nil
	})
	return s
}

// mcpFixture serves streamable HTTP at /mcp behind the Middleware.
type mcpFixture struct {
	*localFixture
	mcp *server.MCPServer
}

func newMCPFixture(t *testing.T, mutate func(*config.Auth)) *mcpFixture {
	t.Helper()
	f := newLocalFixture(t, mutate)
	s := newMCPServer(f.a)
	f.url = serveMCP(t, f.a, s) + "/mcp"
	return &mcpFixture{localFixture: f, mcp: s}
}

// The Authenticator is what httpserver's Guard slot takes.
var _ httpserver.Guard = (*Authenticator)(nil)

// serveMCP serves s over streamable HTTP and legacy SSE the way a generated
// server does: httpserver with the Authenticator wired in. It returns the
// base URL.
func serveMCP(t *testing.T, a *Authenticator, s *server.MCPServer) string {
	t.Helper()
	hs, err := httpserver.New(httpserver.Options{
		Config:     config.Defaults("auth-test", "1.0.0"),
		MCP:        s,
		Transports: []string{httpserver.TransportHTTP, httpserver.TransportSSE},
		Logger:     slog.New(slog.DiscardHandler),
		Guard:      a,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(hs.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// token signs a token for sub with the given scope claim.
func (f *mcpFixture) token(t *testing.T, sub, scope string) string {
	c := validClaims(f.clock.Now())
	c["sub"] = sub
	c["scope"] = scope
	return sign(t, rsaSigner(t), c, nil)
}

type rpcResponse struct {
	status  int
	header  http.Header
	body    string
	message struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
}

// rpc posts one JSON-RPC message (or batch) in the 2025-11-25 era and
// decodes the answer, whether JSON or an SSE stream.
func rpc(t *testing.T, url, tok, session string, body any, hdr ...string) rpcResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(mustJSON(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if session != "" {
		req.Header.Set("Mcp-Session-Id", session)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := rpcResponse{status: resp.StatusCode, header: resp.Header, body: string(raw)}
	data := raw
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		for _, line := range strings.Split(string(raw), "\n") {
			if d, ok := strings.CutPrefix(strings.TrimSpace(line), "data:"); ok && strings.Contains(d, `"id"`) {
				data = []byte(d)
			}
		}
	}
	if resp.StatusCode == 200 && len(bytes.TrimSpace(data)) > 0 {
		_ = json.Unmarshal(data, &out.message)
	}
	return out
}

func call(id int, method string, params any) map[string]any {
	m := map[string]any{"jsonrpc": "2.0", "id": id, "method": method}
	if params != nil {
		m["params"] = params
	}
	return m
}

func initialize(t *testing.T, url, tok string) string {
	t.Helper()
	r := rpc(t, url, tok, "", call(1, "initialize", map[string]any{
		"protocolVersion": "2025-11-25",
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": "auth-test", "version": "1"},
	}))
	if r.status != 200 {
		t.Fatalf("initialize: %d %s", r.status, r.body)
	}
	session := r.header.Get("Mcp-Session-Id")
	if session == "" {
		t.Fatal("initialize gave no Mcp-Session-Id")
	}
	n := rpc(t, url, tok, session, map[string]any{"jsonrpc": "2.0", "method": "notifications/initialized"})
	if n.status != 202 {
		t.Fatalf("notifications/initialized: %d %s", n.status, n.body)
	}
	return session
}

func toolNames(t *testing.T, r rpcResponse) []string {
	t.Helper()
	if r.status != 200 || r.message.Error != nil {
		t.Fatalf("tools/list: %d %s", r.status, r.body)
	}
	var res mcp.ListToolsResult
	if err := json.Unmarshal(r.message.Result, &res); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	return names
}

func toolText(t *testing.T, r rpcResponse) (string, bool) {
	t.Helper()
	if r.status != 200 || r.message.Error != nil {
		t.Fatalf("tools/call: %d %s", r.status, r.body)
	}
	var res struct {
		Content []struct {
			Text string `json:"text"`
		} `json:"content"`
		IsError bool `json:"isError"`
	}
	if err := json.Unmarshal(r.message.Result, &res); err != nil || len(res.Content) == 0 {
		t.Fatalf("tools/call result %s: %v", r.message.Result, err)
	}
	return res.Content[0].Text, res.IsError
}

func toolsCall(id int, name string) map[string]any {
	return call(id, "tools/call", map[string]any{"name": name, "arguments": map[string]any{"name": "x"}})
}

// Sessions are bound to the subject that opened them (the binding itself
// lives in httpserver's session registry; this proves the Authenticator
// feeds it): another subject gets 404 exactly like an unknown session.
func TestSessionBoundToSubject(t *testing.T) {
	f := newMCPFixture(t, nil)
	alice := f.token(t, "alice", "tool:user")
	bob := f.token(t, "bob", "tool:user")
	session := initialize(t, f.url, alice)

	unknown := rpc(t, f.url, bob, strings.Repeat("0", len(session)), call(2, "tools/list", nil))
	if unknown.status != 404 {
		t.Fatalf("an unknown session: %d %s, want 404", unknown.status, unknown.body)
	}
	if r := rpc(t, f.url, bob, session, call(2, "tools/list", nil)); r.status != 404 || r.body != unknown.body {
		t.Fatalf("bob on alice's session: %d %s, want the 404 of an unknown session", r.status, r.body)
	}
	if r := rpc(t, f.url, bob, session, toolsCall(3, "hello_world")); r.status != 404 {
		t.Fatalf("bob calling a tool on alice's session: %d, want 404", r.status)
	}
	if r := rpc(t, f.url, alice, session, toolsCall(4, "hello_world")); r.status != 200 {
		t.Fatalf("alice on her own session: %d %s", r.status, r.body)
	} else if text, _ := toolText(t, r); text != "hello alice" {
		t.Fatalf("tool saw %q", text)
	}
	// A new token of the same subject (refreshed token) keeps the session.
	f.clock.Advance(time.Minute)
	if r := rpc(t, f.url, f.token(t, "alice", "tool:user"), session, call(5, "tools/list", nil)); r.status != 200 {
		t.Fatalf("alice with a refreshed token: %d", r.status)
	}
	// Only the owner can terminate it, and then it is gone for everyone.
	del, _ := http.NewRequest(http.MethodDelete, f.url, nil)
	del.Header.Set("Authorization", "Bearer "+bob)
	del.Header.Set("Mcp-Session-Id", session)
	resp, err := http.DefaultClient.Do(del)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("bob deleting alice's session: %d, want 404", resp.StatusCode)
	}
	del.Header.Set("Authorization", "Bearer "+f.token(t, "alice", "tool:user"))
	if resp, err = http.DefaultClient.Do(del); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("alice deleting her session: %d, want 200", resp.StatusCode)
	}
	for _, tok := range []string{alice, bob} {
		if r := rpc(t, f.url, tok, session, call(6, "tools/list", nil)); r.status != 404 {
			t.Fatalf("the terminated session: %d, want 404", r.status)
		}
	}
}

// A session id the server did not issue is never served, and never bound
// to whoever uses it first.
func TestSessionUnknownIDRefused(t *testing.T) {
	f := newMCPFixture(t, nil)
	alice := f.token(t, "alice", "tool:user")
	for _, id := range []string{
		"mcp-session-6f1c1a52-7f06-4c0e-8a43-2b8f5f0e9d11", // mcp-go's format
		"6f1c1a527f064c0e8a432b8f5f0e9d11",                 // ours, never issued
		strings.Repeat("a", 100_000),
	} {
		for i := 0; i < 2; i++ {
			if r := rpc(t, f.url, alice, id, call(1, "tools/list", nil)); r.status != 404 {
				t.Fatalf("made-up session %.40q, use %d: %d %s, want 404", id, i+1, r.status, r.body)
			}
		}
	}
}

func TestInsufficientScope(t *testing.T) {
	f := newMCPFixture(t, nil)
	reader := f.token(t, "alice", "openid")
	session := initialize(t, f.url, reader)
	challenge := func(scope string) string {
		return `Bearer error="insufficient_scope", scope="` + scope + `", resource_metadata="` + testMetaURL + `"`
	}
	for _, tc := range []struct {
		name   string
		body   any
		hdr    []string
		status int
		scope  string
	}{
		{"tool needing tool:user", toolsCall(2, "hello_world"), nil, 403, "tool:user"},
		{"tool needing two scopes", toolsCall(3, "admin"), nil, 403, "tool:admin tool:write"},
		{"tool needing none", toolsCall(4, "whoami"), nil, 200, ""},
		{"batch with one forbidden call", []any{toolsCall(5, "whoami"), toolsCall(6, "hello_world")}, nil, 403, "tool:user"},
		{"Mcp-Name header (2026-07-28)", call(7, "ping", nil), []string{"Mcp-Method", "tools/call", "Mcp-Name", "hello_world"}, 403, "tool:user"},
		{"other methods", call(8, "tools/list", nil), nil, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rpc(t, f.url, reader, session, tc.body, tc.hdr...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			want := ""
			if tc.scope != "" {
				want = challenge(tc.scope)
				if !strings.Contains(r.body, `"insufficient_scope"`) || !strings.Contains(r.body, tc.scope) {
					t.Fatalf("403 body %s", r.body)
				}
			}
			if got := r.header.Get("WWW-Authenticate"); got != want {
				t.Fatalf("WWW-Authenticate\n got %q\nwant %q", got, want)
			}
		})
	}

	// With the scope, the call reaches the tool with the body intact and
	// the identity in its context.
	user := f.token(t, "alice", "tool:user")
	r := rpc(t, f.url, user, session, toolsCall(9, "hello_world"))
	if text, isErr := toolText(t, r); isErr || text != "hello alice" {
		t.Fatalf("hello_world with scope: %q (error %v)", text, isErr)
	}
	// whoami returns the exposed claims, never the token.
	r = rpc(t, f.url, user, session, toolsCall(10, "whoami"))
	text, _ := toolText(t, r)
	var claims map[string]any
	if err := json.Unmarshal([]byte(text), &claims); err != nil {
		t.Fatalf("whoami: %v %q", err, text)
	}
	if claims["sub"] != "alice" || claims["email"] != "alice@example.com" || claims["iss"] != nil {
		t.Fatalf("whoami claims %v", claims)
	}
	if strings.Contains(r.body, user) || strings.Contains(r.body, strings.Split(user, ".")[2]) {
		t.Fatal("whoami leaked the raw token")
	}
}

func TestToolsListFiltering(t *testing.T) {
	f := newMCPFixture(t, nil)
	for _, tc := range []struct {
		scope string
		want  []string
	}{
		{"openid", []string{"whoami"}},
		{"tool:user", []string{"hello_world", "whoami"}},
		{"tool:user tool:admin", []string{"hello_world", "whoami"}},
		{"tool:user tool:admin tool:write", []string{"admin", "hello_world", "whoami"}},
	} {
		tok := f.token(t, "alice", tc.scope)
		got := toolNames(t, rpc(t, f.url, tok, initialize(t, f.url, tok), call(2, "tools/list", nil)))
		if !slices.Equal(got, tc.want) {
			t.Errorf("scope %q: tools %v, want %v", tc.scope, got, tc.want)
		}
	}

	shown := newMCPFixture(t, func(c *config.Auth) { c.HideUnauthorizedTools = false })
	tok := shown.token(t, "alice", "openid")
	got := toolNames(t, rpc(t, shown.url, tok, initialize(t, shown.url, tok), call(2, "tools/list", nil)))
	if !slices.Equal(got, []string{"admin", "hello_world", "whoami"}) {
		t.Fatalf("hide_unauthorized_tools=false: %v", got)
	}
}

// Inside the MCP server, where no status can be sent, a call without the
// scope is a tool error naming it.
func TestToolMiddlewareError(t *testing.T) {
	cfg := localConfig("https://login.example.com/jwks")
	cfg.HideUnauthorizedTools = false
	a, _ := newTestAuth(t, cfg)
	s := newMCPServer(a)
	msg := mustJSON(toolsCall(1, "admin"))
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		wantErr bool
	}{
		{"no scopes", WithIdentity(context.Background(), Identity{Subject: "alice", Scopes: []string{"tool:admin"}}), true},
		{"all scopes", WithIdentity(context.Background(), Identity{Subject: "alice", Scopes: []string{"tool:admin", "tool:write"}}), false},
		{"no identity (wiring mistake) fails closed", context.Background(), true},
		{"unrestricted", WithIdentity(context.Background(), Identity{Unrestricted: true}), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := s.HandleMessage(tc.ctx, msg)
			resp, ok := out.(mcp.JSONRPCResponse)
			if !ok {
				t.Fatalf("response %#v", out)
			}
			res, ok := resp.Result.(*mcp.CallToolResult)
			if !ok {
				t.Fatalf("result %#v", resp.Result)
			}
			if res.IsError != tc.wantErr {
				t.Fatalf("IsError %v, want %v: %+v", res.IsError, tc.wantErr, res.Content)
			}
			if tc.wantErr {
				text := res.Content[0].(mcp.TextContent).Text
				if !strings.Contains(text, "tool:write") || !strings.Contains(text, `"admin"`) {
					t.Fatalf("error %q does not name the missing scope", text)
				}
			}
		})
	}
}

// The stdio transport: the identity reaches tools, scopes are not enforced
// by default and are when configured.
func TestStdioIdentity(t *testing.T) {
	for _, tc := range []struct {
		name     string
		stdio    config.StdioIdentity
		wantText string
		wantErr  bool
	}{
		{"anonymous, unrestricted by default", config.StdioIdentity{}, "hello ", false},
		{"configured subject", config.StdioIdentity{Subject: "dev"}, "hello dev", false},
		{"enforced scopes, missing", config.StdioIdentity{Subject: "dev", EnforceScopes: true}, "tool:user", true},
		{"enforced scopes, held", config.StdioIdentity{Subject: "dev", Scopes: []string{"tool:user"}, EnforceScopes: true}, "hello dev", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := localConfig("https://login.example.com/jwks")
			cfg.Stdio = tc.stdio
			cfg.HideUnauthorizedTools = false
			a, _ := newTestAuth(t, cfg)
			text, isErr := stdioCall(t, a, "hello_world")
			if isErr != tc.wantErr || !strings.Contains(text, tc.wantText) {
				t.Fatalf("got %q (error %v), want %q (error %v)", text, isErr, tc.wantText, tc.wantErr)
			}
		})
	}
}

// stdioCall runs a real mcp-go stdio server over pipes and calls a tool.
func stdioCall(t *testing.T, a *Authenticator, tool string) (string, bool) {
	t.Helper()
	s := server.NewStdioServer(newMCPServer(a))
	s.SetContextFunc(a.StdioContext)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Listen(ctx, inR, outW)
	}()
	defer func() {
		cancel()
		inW.Close()
		outR.Close()
		<-done
	}()
	lines := bufio.NewScanner(outR)
	send := func(m any) {
		if _, err := fmt.Fprintf(inW, "%s\n", mustJSON(m)); err != nil {
			t.Fatal(err)
		}
	}
	recv := func() map[string]any {
		if !lines.Scan() {
			t.Fatalf("stdio server closed: %v", lines.Err())
		}
		var m map[string]any
		if err := json.Unmarshal(lines.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	send(call(1, "initialize", map[string]any{"protocolVersion": "2025-11-25", "capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "t", "version": "1"}}))
	recv()
	send(map[string]any{"jsonrpc": "2.0", "method": "notifications/initialized"})
	send(toolsCall(2, tool))
	m := recv()
	res, _ := m["result"].(map[string]any)
	if res == nil {
		t.Fatalf("tools/call over stdio: %v", m)
	}
	content := res["content"].([]any)[0].(map[string]any)
	isErr, _ := res["isError"].(bool)
	return content["text"].(string), isErr
}

// Legacy SSE: the session announced in the endpoint event is bound to the
// subject that opened the stream.
func TestSSESessionBinding(t *testing.T) {
	f := newLocalFixture(t, nil)
	base := serveMCP(t, f.a, newMCPServer(f.a))

	c := validClaims(f.clock.Now())
	alice := sign(t, rsaSigner(t), c, nil)
	c["sub"] = "bob"
	bob := sign(t, rsaSigner(t), c, nil)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/sse", nil)
	req.Header.Set("Authorization", "Bearer "+alice)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /sse: %d", resp.StatusCode)
	}
	var endpoint string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			endpoint = strings.TrimSpace(d)
			break
		}
	}
	if !strings.Contains(endpoint, "sessionId=") {
		t.Fatalf("endpoint event %q", endpoint)
	}
	if !strings.HasPrefix(endpoint, "http") {
		endpoint = base + endpoint
	}
	post := func(tok string, msg any) int {
		r, _ := do(t, endpoint, func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+tok)
			r.Header.Set("Content-Type", "application/json")
			r.Body = io.NopCloser(bytes.NewReader(mustJSON(msg)))
		})
		return r.StatusCode
	}
	if got := post(bob, call(1, "ping", nil)); got != 404 {
		t.Fatalf("bob posting to alice's SSE session: %d, want 404", got)
	}
	if got := post(alice, call(2, "initialize", map[string]any{"protocolVersion": "2025-11-25", "capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "t", "version": "1"}})); got != http.StatusAccepted {
		t.Fatalf("alice posting to her SSE session: %d, want 202", got)
	}
	// The identity reaches the tool over SSE too; the answer comes on the
	// stream.
	if got := post(alice, toolsCall(3, "hello_world")); got != http.StatusAccepted {
		t.Fatalf("tools/call over SSE: %d", got)
	}
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"id":3`) {
			if !strings.Contains(sc.Text(), "hello alice") {
				t.Fatalf("tool answer over SSE: %s", sc.Text())
			}
			return
		}
	}
	t.Fatal("no tools/call answer on the SSE stream")
}

// The "none" strategy lets everyone in as an unrestricted anonymous caller.
func TestStrategyNone(t *testing.T) {
	a, err := New(Options{Config: config.DefaultAuth()})
	if err != nil {
		t.Fatal(err)
	}
	url := serveMCP(t, a, newMCPServer(a)) + "/mcp"
	r := rpc(t, url, "", initialize(t, url, ""), toolsCall(2, "hello_world"))
	if text, isErr := toolText(t, r); isErr || text != "hello " {
		t.Fatalf("hello_world without auth: %q %v", text, isErr)
	}
	if err := a.Ready(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// mcp-go's own client, in both protocol eras (2026-07-28 stateless with
// Mcp-Method/Mcp-Name headers, and the 2025-11-25 handshake), through the
// Middleware.
func TestMCPGoClientBothEras(t *testing.T) {
	f := newMCPFixture(t, nil)
	for _, era := range []string{"modern", "legacy"} {
		t.Run(era, func(t *testing.T) {
			connect := func(tok string) *client.Client {
				tr, err := transport.NewStreamableHTTP(f.url, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + tok}))
				if err != nil {
					t.Fatal(err)
				}
				var opts []client.ClientOption
				if era == "legacy" {
					//lint:ignore SA1019 clients of the handshake era are still served, so the test speaks it on purpose
					opts = append(opts, client.WithLegacyProtocolOnly())
				}
				c := client.NewClient(tr, opts...)
				t.Cleanup(func() { c.Close() })
				ctx := t.Context()
				if err := c.Start(ctx); err != nil {
					t.Fatal(err)
				}
				init := mcp.InitializeRequest{}
				init.Params.ClientInfo = mcp.Implementation{Name: "auth-test", Version: "1"}
				res, err := c.Initialize(ctx, init)
				if err != nil {
					t.Fatalf("initialize: %v", err)
				}
				if modern := res.ProtocolVersion > "2025-11-25"; modern != (era == "modern") {
					t.Fatalf("negotiated %s in the %s era", res.ProtocolVersion, era)
				}
				return c
			}
			names := func(c *client.Client) []string {
				res, err := c.ListTools(t.Context(), mcp.ListToolsRequest{})
				if err != nil {
					t.Fatalf("tools/list: %v", err)
				}
				var out []string
				for _, tool := range res.Tools {
					out = append(out, tool.Name)
				}
				slices.Sort(out)
				return out
			}
			callHello := func(c *client.Client) (*mcp.CallToolResult, error) {
				req := mcp.CallToolRequest{}
				req.Params.Name = "hello_world"
				req.Params.Arguments = map[string]any{"name": "x"}
				return c.CallTool(t.Context(), req)
			}

			user := connect(f.token(t, "alice", "tool:user"))
			if got := names(user); !slices.Equal(got, []string{"hello_world", "whoami"}) {
				t.Fatalf("tools %v", got)
			}
			res, err := callHello(user)
			if err != nil || res.IsError || res.Content[0].(mcp.TextContent).Text != "hello alice" {
				t.Fatalf("hello_world: %+v, %v", res, err)
			}

			reader := connect(f.token(t, "bob", "openid"))
			if got := names(reader); !slices.Equal(got, []string{"whoami"}) {
				t.Fatalf("tools without tool:user %v", got)
			}
			if res, err := callHello(reader); err == nil && !res.IsError {
				t.Fatalf("hello_world without tool:user succeeded: %+v", res)
			}
		})
	}
}
