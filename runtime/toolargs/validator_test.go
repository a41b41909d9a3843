package toolargs

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

func helloTool() mcp.Tool {
	return mcp.NewTool("hello_world",
		mcp.WithDescription("Greets a person by name."),
		mcp.WithString("name", mcp.Required(), mcp.MinLength(1), mcp.MaxLength(200)),
	)
}

// ran counts the calls that reached a tool handler.
type ran struct {
	mu sync.Mutex
	n  int
}

func (r *ran) handler(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	r.mu.Lock()
	r.n++
	r.mu.Unlock()
	return mcp.NewToolResultText("ran " + req.Params.Name), nil
}

func (r *ran) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// newServer returns a server as main builds it: strict schemas, the given
// middlewares from options, and the Validator innermost.
func newServer(t *testing.T, opts ...server.ServerOption) (*server.MCPServer, *ran) {
	t.Helper()
	r := &ran{}
	s := server.NewMCPServer("test", "1.0.0", append(opts, server.WithStrictInputSchemaDefault())...)
	s.AddTool(helloTool(), r.handler)
	s.Use(New(s).Middleware)
	return s, r
}

// callTool sends a tools/call through mcp-go's request handling and returns
// the tool result, or the JSON-RPC error message.
func callTool(t *testing.T, ctx context.Context, s *server.MCPServer, name, args string) (res *mcp.CallToolResult, rpcErr string) {
	t.Helper()
	msg := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + name + `","arguments":` + args + `}}`
	out, err := json.Marshal(s.HandleMessage(ctx, json.RawMessage(msg)))
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Error != nil {
		return nil, resp.Error.Message
	}
	res, err = mcp.ParseCallToolResult(&resp.Result)
	if err != nil {
		t.Fatalf("parse %s: %v", resp.Result, err)
	}
	return res, ""
}

func resultText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func TestMiddlewareAnswersWithSentences(t *testing.T) {
	s, r := newServer(t)
	ctx := context.Background()
	for _, tc := range []struct{ args, want string }{
		{`{}`, `missing required argument "name"`},
		{`{"name": 42}`, `"name" must be a string`},
		{`{"name": null}`, `"name" must be a string, not null`},
		{`{"nmae": "Ada"}`, `missing required argument "name"; unknown argument "nmae" (did you mean "name"?)`},
		{`null`, `missing required argument "name"`},
	} {
		res, rpcErr := callTool(t, ctx, s, "hello_world", tc.args)
		if rpcErr != "" || !res.IsError || resultText(res) != tc.want {
			t.Errorf("arguments %s: result %+v, JSON-RPC error %q; want an isError result %q", tc.args, res, rpcErr, tc.want)
		}
	}
	if r.count() != 0 {
		t.Errorf("the handler ran %d times on bad arguments", r.count())
	}
	res, rpcErr := callTool(t, ctx, s, "hello_world", `{"name":"Ada"}`)
	if rpcErr != "" || res.IsError || resultText(res) != "ran hello_world" {
		t.Errorf("valid call: %+v, %q", res, rpcErr)
	}
}

// TestMiddlewareFollowsRegistration covers tools added, replaced and broken
// after New.
func TestMiddlewareFollowsRegistration(t *testing.T) {
	s, r := newServer(t)
	ctx := context.Background()

	s.AddTool(mcp.NewTool("later", mcp.WithInteger("n", mcp.Required())), r.handler)
	if res, _ := callTool(t, ctx, s, "later", `{"n":"x"}`); res == nil || resultText(res) != `"n" must be an integer` {
		t.Errorf("a tool added after New: %+v", res)
	}

	// Registered again under the same name with another schema: the new
	// schema applies from the next call.
	s.AddTool(mcp.NewTool("later", mcp.WithString("n", mcp.Required())), r.handler)
	if res, _ := callTool(t, ctx, s, "later", `{"n":"x"}`); res == nil || res.IsError {
		t.Errorf("a tool registered again: %+v, want the new schema to pass", res)
	}
	s.SetTools(server.ServerTool{Tool: mcp.NewToolWithRawSchema("later", "", json.RawMessage(`{"type":"object","properties":{"n":{"type":"boolean"}}}`)), Handler: r.handler})
	if res, _ := callTool(t, ctx, s, "later", `{"n":"x"}`); res == nil || resultText(res) != `"n" must be a boolean` {
		t.Errorf("a tool replaced by SetTools with a raw schema: %+v", res)
	}

	before := r.count()
	s.AddTool(mcp.NewToolWithRawSchema("broken", "", json.RawMessage(`{"type":"object","anyOf":[]}`)), r.handler)
	res, rpcErr := callTool(t, ctx, s, "broken", `{}`)
	if res != nil || !strings.Contains(rpcErr, `keyword "anyOf" is not supported`) {
		t.Errorf("a tool whose schema cannot be enforced: result %+v, error %q; want a JSON-RPC error naming the keyword", res, rpcErr)
	}
	if r.count() != before {
		t.Error("the handler of a tool with an unenforceable schema ran")
	}
}

// TestMiddlewareRunsAfterScopeCheck: a middleware installed before the
// Validator (the scope check of internal/auth) answers first, so a caller it
// refuses learns nothing about the arguments.
func TestMiddlewareRunsAfterScopeCheck(t *testing.T) {
	refuse := func(next server.ToolHandlerFunc) server.ToolHandlerFunc {
		return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultError("insufficient scope"), nil
		}
	}
	s, _ := newServer(t, server.WithToolHandlerMiddleware(refuse))
	res, _ := callTool(t, context.Background(), s, "hello_world", `{"name": 42}`)
	if res == nil || resultText(res) != "insufficient scope" {
		t.Errorf("result %+v, want the scope error", res)
	}
}

// session is a client session with tools of its own.
type session struct {
	tools map[string]server.ServerTool
}

func (s *session) Initialize()       {}
func (s *session) Initialized() bool { return true }
func (s *session) NotificationChannel() chan<- mcp.JSONRPCNotification {
	return make(chan mcp.JSONRPCNotification, 1)
}
func (s *session) SessionID() string                                  { return "s1" }
func (s *session) GetSessionTools() map[string]server.ServerTool      { return s.tools }
func (s *session) SetSessionTools(tools map[string]server.ServerTool) { s.tools = tools }

func TestMiddlewareUsesSessionTools(t *testing.T) {
	s, r := newServer(t)
	own := mcp.NewTool("hello_world", mcp.WithInteger("name", mcp.Required()))
	ctx := s.WithContext(context.Background(), &session{tools: map[string]server.ServerTool{"hello_world": {Tool: own, Handler: r.handler}}})
	if res, _ := callTool(t, ctx, s, "hello_world", `{"name":"Ada"}`); res == nil || resultText(res) != `"name" must be an integer` {
		t.Errorf("the session's own hello_world: %+v, want its schema", res)
	}
	if res, _ := callTool(t, context.Background(), s, "hello_world", `{"name":"Ada"}`); res == nil || res.IsError {
		t.Errorf("the server's hello_world: %+v, want its schema", res)
	}
}

func TestCheck(t *testing.T) {
	good := server.ServerTool{Tool: helloTool()}
	bad := server.ServerTool{Tool: mcp.NewToolWithRawSchema("bad", "", json.RawMessage(`{"oneOf":[]}`))}
	if err := Check(good); err != nil {
		t.Errorf("Check(hello_world) = %v", err)
	}
	err := Check(good, bad)
	if err == nil || !strings.HasPrefix(err.Error(), `tool "bad": input schema cannot be enforced: at /oneOf: keyword "oneOf"`) {
		t.Errorf("Check = %v", err)
	}
}
