package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpforge/mcpforge/runtime/config"
	"github.com/mcpforge/mcpforge/runtime/envelope"
)

// scopeAuth is a jwt-local Authenticator whose tool_scopes are those of
// localConfig: hello_world needs tool:user, admin needs tool:admin and
// tool:write.
func scopeAuth(t *testing.T) *Authenticator {
	t.Helper()
	a, _ := newTestAuth(t, localConfig("https://login.example.com/jwks"))
	return a
}

// scopeRequest sends a POST with body through Scopes as caller, with the
// body's envelope in the context when withEnvelope is set, and returns the
// recorded response and whether the handler behind was reached.
func scopeRequest(t *testing.T, a *Authenticator, caller Identity, body string, withEnvelope bool, hdr ...string) (*httptest.ResponseRecorder, bool) {
	t.Helper()
	reached := false
	h := a.Scopes(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }))
	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	ctx := WithIdentity(r.Context(), caller)
	if withEnvelope {
		e := envelope.Parse([]byte(body))
		ctx = envelope.WithHolder(ctx, &e)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r.WithContext(ctx))
	return w, reached
}

var (
	noScopes   = Identity{Subject: "alice"}
	userScopes = Identity{Subject: "alice", Scopes: []string{"tool:user"}}
	allScopes  = Identity{Subject: "alice", Scopes: []string{"tool:user", "tool:admin", "tool:write"}}
)

// The tool name comes from the envelope, which reads escaped keys and
// values as mcp-go does: an escape cannot hide a tools/call.
func TestScopesSeesEscapedMethods(t *testing.T) {
	a := scopeAuth(t)
	for _, body := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hello_world"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools\/call","params":{"name":"hello_world"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"\u0074ools/call","params":{"name":"hello_world"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hello\u005fworld"}}`,
		`{"jsonrpc":"2.0","id":1,"\u006dethod":"tools/call","params":{"name":"hello_world"}}`,
		`[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"tools\u002fcall","params":{"name":"hello_world"}}]`,
	} {
		w, reached := scopeRequest(t, a, noScopes, body, true)
		if w.Code != http.StatusForbidden || reached || !strings.Contains(w.Body.String(), `tool \"hello_world\" needs scope tool:user`) {
			t.Errorf("%s: status %d, reached %v, body %s; want 403 naming hello_world", body, w.Code, reached, w.Body)
		}
	}
	if w, reached := scopeRequest(t, a, noScopes, `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, true); !reached {
		t.Errorf("tools/list: status %d, want it passed on", w.Code)
	}
}

// Every tools/call of a batch is checked, not only the first message.
func TestScopesBatch(t *testing.T) {
	a := scopeAuth(t)
	batch := `[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hello_world"}},` +
		`{"jsonrpc":"2.0","id":2,"method":"ping"},` +
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"admin"}}]`
	w, reached := scopeRequest(t, a, userScopes, batch, true)
	if w.Code != http.StatusForbidden || reached {
		t.Fatalf("batch calling admin without its scopes: status %d, reached %v", w.Code, reached)
	}
	if got := w.Header().Get("WWW-Authenticate"); !strings.Contains(got, `scope="tool:admin tool:write"`) {
		t.Errorf("challenge %q does not name the scopes of admin", got)
	}
	if _, reached := scopeRequest(t, a, allScopes, batch, true); !reached {
		t.Error("a caller holding every scope was refused the batch")
	}
	own := `[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hello_world"}},{"jsonrpc":"2.0","id":2,"method":"tools/list"}]`
	if w, reached := scopeRequest(t, a, userScopes, own, true); !reached {
		t.Errorf("batch calling only hello_world with tool:user: status %d", w.Code)
	}
}

// A 2026-07-28 request names its tool in the Mcp-Name header too; the
// header is checked whatever the body says.
func TestScopesMcpNameHeader(t *testing.T) {
	a := scopeAuth(t)
	list := `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
	w, reached := scopeRequest(t, a, userScopes, list, true, "Mcp-Method", "tools/call", "Mcp-Name", "admin")
	if w.Code != http.StatusForbidden || reached {
		t.Errorf("Mcp-Name admin: status %d, reached %v", w.Code, reached)
	}
	if _, reached := scopeRequest(t, a, userScopes, list, true, "Mcp-Method", "tools/list", "Mcp-Name", "admin"); !reached {
		t.Error("Mcp-Name of another method was taken for a tool")
	}
}

// Without the envelope, a body's tools are unknown: the request is
// refused unless the caller may call every tool anyway.
func TestScopesWithoutEnvelopeFailsClosed(t *testing.T) {
	a := scopeAuth(t)
	call := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hello_world"}}`
	if w, reached := scopeRequest(t, a, userScopes, call, false); w.Code != http.StatusInternalServerError || reached {
		t.Errorf("no envelope: status %d, reached %v; want 500", w.Code, reached)
	}
	if _, reached := scopeRequest(t, a, allScopes, call, false); !reached {
		t.Error("no envelope, caller holding every tool scope: refused")
	}
	reached := false
	h := a.Scopes(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }))
	r := httptest.NewRequest(http.MethodGet, "/mcp", nil)
	h.ServeHTTP(httptest.NewRecorder(), r.WithContext(WithIdentity(r.Context(), noScopes)))
	if !reached {
		t.Error("a GET without body was refused")
	}
}

func TestMergeToolScopes(t *testing.T) {
	for _, c := range []struct {
		name       string
		configured []string
		declared   map[string][]string
		want       []string
	}{
		{"nothing", nil, nil, nil},
		{"config only", []string{"hello_world=tool:user"}, nil, []string{"hello_world=tool:user"}},
		{"code appended in name order", []string{"hello_world=tool:user"},
			map[string][]string{"b": {"b:write"}, "a": {"a:read", "a:write"}},
			[]string{"hello_world=tool:user", "a=a:read a:write", "b=b:write"}},
		{"config wins", []string{" a = a:admin", "hello_world=tool:user"},
			map[string][]string{"a": {"a:read"}, "hello_world": {"other"}},
			[]string{" a = a:admin", "hello_world=tool:user"}},
		{"malformed config kept for Validate", []string{"broken"}, map[string][]string{"a": {"a:read"}, "none": {}},
			[]string{"broken", "a=a:read"}},
	} {
		if got := mergeToolScopes(c.configured, c.declared); !slices.Equal(got, c.want) {
			t.Errorf("%s: mergeToolScopes = %q, want %q", c.name, got, c.want)
		}
	}
}

// Scopes declared in code (Options.ToolScopes) are enforced like scopes of
// the config, a config entry for the same tool wins, and both are
// announced.
func TestCodeScopesEnforced(t *testing.T) {
	cfg := config.DefaultAuth() // tool_scopes = ["hello_world=tool:user"]
	cfg.Strategy = config.StrategyJWTLocal
	cfg.Local.Issuer = testIssuer
	cfg.Local.JWKSURI = "https://login.example.com/jwks"
	declared := map[string][]string{"code_tool": {"code:read", "code:write"}, "hello_world": {"code:other"}}
	authn, err := New(Options{Config: cfg, ToolScopes: declared, PublicURL: testPublicURL})
	if err != nil {
		t.Fatal(err)
	}
	for tool, want := range map[string]string{"code_tool": "code:read code:write", "hello_world": "tool:user"} {
		if got := strings.Join(authn.RequiredScopes(tool), " "); got != want {
			t.Errorf("%s needs %q, want %q", tool, got, want)
		}
	}
	if got := authn.AnnouncedScopes(); !slices.Equal(got, []string{"code:read", "code:write", "tool:user"}) {
		t.Errorf("announced scopes %q, want those of the config and the code", got)
	}

	ctx := context.Background()
	lacking := WithIdentity(ctx, Identity{Subject: "u", Scopes: []string{"code:read", "tool:user"}})
	holding := WithIdentity(ctx, Identity{Subject: "u", Scopes: []string{"code:read", "code:write"}})
	call := authn.ToolMiddleware(func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("ok"), nil
	})
	var req mcp.CallToolRequest
	req.Params.Name = "code_tool"
	if res, err := call(lacking, req); err != nil || !res.IsError {
		t.Errorf("code_tool without code:write: %v, %+v; want a tool error", err, res)
	}
	if res, err := call(holding, req); err != nil || res.IsError {
		t.Errorf("code_tool with its scopes: %v, %+v; want success", err, res)
	}
	listed := authn.ToolFilter(lacking, []mcp.Tool{mcp.NewTool("code_tool"), mcp.NewTool("hello_world")})
	if len(listed) != 1 || listed[0].Name != "hello_world" {
		t.Errorf("tools/list for a caller without code:write = %+v, want hello_world only", listed)
	}
	// The one tool mcp-go filters for a tools/call.
	for _, c := range []struct {
		ctx  context.Context
		tool string
		kept bool
	}{{lacking, "code_tool", false}, {holding, "code_tool", true}, {lacking, "hello_world", true}} {
		if got := authn.ToolFilter(c.ctx, []mcp.Tool{mcp.NewTool(c.tool)}); (len(got) == 1 && got[0].Name == c.tool) != c.kept {
			t.Errorf("tools/call %s filtered to %+v, want kept %v", c.tool, got, c.kept)
		}
	}
}

// A scope declared in code must be a valid scope, as one of the config.
func TestCodeScopesMalformed(t *testing.T) {
	cfg := localConfig("https://login.example.com/jwks")
	_, err := New(Options{Config: cfg, ToolScopes: map[string][]string{"bad": {`quo"te`}}, PublicURL: testPublicURL})
	if err == nil || !strings.Contains(err.Error(), "declare in code") || !strings.Contains(err.Error(), `quo\"te`) {
		t.Fatalf("malformed scope in code: %v", err)
	}
}
