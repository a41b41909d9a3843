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
// middlewares from options, and hello_world added by AddTools.
func newServer(t *testing.T, opts ...server.ServerOption) (*server.MCPServer, *ran) {
	t.Helper()
	r := &ran{}
	s := server.NewMCPServer("test", "1.0.0", append(opts, server.WithStrictInputSchemaDefault())...)
	AddTools(s, server.ServerTool{Tool: helloTool(), Handler: r.handler})
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

func TestAddToolsAnswersWithSentences(t *testing.T) {
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

// TestAddToolsRegistrationWindow: a call that arrives while AddTools is
// between its two registrations is refused, and runs nothing unchecked.
func TestAddToolsRegistrationWindow(t *testing.T) {
	r := &ran{}
	s := server.NewMCPServer("test", "1.0.0", server.WithStrictInputSchemaDefault())
	tools := []server.ServerTool{{Tool: helloTool(), Handler: r.handler}}
	ctx := context.Background()

	s.AddTools(placeholders(tools)...)
	for _, args := range []string{`{"name":"Ada"}`, `{}`} {
		res, rpcErr := callTool(t, ctx, s, "hello_world", args)
		got := rpcErr
		if res != nil {
			got += resultText(res)
		}
		if !strings.Contains(got, "the tool is being registered; call it again") {
			t.Errorf("a call with %s during registration: result %+v, JSON-RPC error %q; want it refused", args, res, rpcErr)
		}
	}
	if r.count() != 0 {
		t.Errorf("the handler ran %d times before its check was in place", r.count())
	}

	s.AddTools(checked(s, tools)...)
	if res, _ := callTool(t, ctx, s, "hello_world", `{}`); res == nil || resultText(res) != `missing required argument "name"` {
		t.Errorf("after registration, a call missing its argument: %+v", res)
	}
	if res, _ := callTool(t, ctx, s, "hello_world", `{"name":"Ada"}`); res == nil || res.IsError || r.count() != 1 {
		t.Errorf("after registration, a valid call: %+v (handler ran %d times)", res, r.count())
	}
}

// TestAddToolsEachTool covers several tools, the server's strict default, a
// raw schema and one that cannot be enforced.
func TestAddToolsEachTool(t *testing.T) {
	s, r := newServer(t)
	ctx := context.Background()

	AddTools(s,
		server.ServerTool{Tool: mcp.NewTool("count", mcp.WithInteger("n", mcp.Required())), Handler: r.handler},
		server.ServerTool{Tool: mcp.NewToolWithRawSchema("flag", "", json.RawMessage(`{"type":"object","properties":{"n":{"type":"boolean"}}}`)), Handler: r.handler},
		server.ServerTool{Tool: mcp.NewToolWithRawSchema("broken", "", json.RawMessage(`{"type":"object","anyOf":[]}`)), Handler: r.handler},
	)
	if n := len(s.ListTools()); n != 4 {
		t.Fatalf("the server holds %d tools, want 4", n)
	}
	// The strict default of the server applies to the schema checked, as to
	// the one published.
	if res, _ := callTool(t, ctx, s, "count", `{"n":1,"m":2}`); res == nil || resultText(res) != `unknown argument "m"` {
		t.Errorf("count with an unknown argument: %+v", res)
	}
	if res, _ := callTool(t, ctx, s, "count", `{"n":1}`); res == nil || res.IsError {
		t.Errorf("a valid call of count: %+v", res)
	}
	if res, _ := callTool(t, ctx, s, "count", `{"n":"x"}`); res == nil || resultText(res) != `"n" must be an integer` {
		t.Errorf("count: %+v", res)
	}
	if res, _ := callTool(t, ctx, s, "flag", `{"n":"x"}`); res == nil || resultText(res) != `"n" must be a boolean` {
		t.Errorf("a raw schema: %+v", res)
	}
	if res, _ := callTool(t, ctx, s, "flag", `{"n":true,"m":2}`); res == nil || res.IsError || resultText(res) != "ran flag" {
		t.Errorf("a valid call of flag (a raw schema is published as given, unknown arguments allowed): %+v", res)
	}
	if r.count() != 2 {
		t.Errorf("handlers ran %d times, want twice", r.count())
	}

	res, rpcErr := callTool(t, ctx, s, "broken", `{}`)
	if res != nil || !strings.Contains(rpcErr, `keyword "anyOf" is not supported`) {
		t.Errorf("a tool whose schema cannot be enforced: result %+v, error %q; want a JSON-RPC error naming the keyword", res, rpcErr)
	}
	if r.count() != 2 {
		t.Error("the handler of a tool with an unenforceable schema ran")
	}
}

// TestAddToolsRunsAfterScopeCheck: a tool middleware (the scope check of
// internal/auth) answers before the check AddTools adds, so a caller it refuses
// learns nothing about the arguments.
func TestAddToolsRunsAfterScopeCheck(t *testing.T) {
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

// TestWrap: the tool's schema as it holds it (no server option applies),
// and a tool without a handler left as it is.
func TestWrap(t *testing.T) {
	r := &ran{}
	w := Wrap(server.ServerTool{Tool: helloTool(), Handler: r.handler})
	s := server.NewMCPServer("test", "1.0.0") // not strict: unknown arguments pass
	s.AddTools(w)
	ctx := context.Background()
	if res, _ := callTool(t, ctx, s, "hello_world", `{"name":42}`); res == nil || resultText(res) != `"name" must be a string` {
		t.Errorf("a wrong call: %+v", res)
	}
	if res, _ := callTool(t, ctx, s, "hello_world", `{"name":"Ada","extra":1}`); res == nil || res.IsError || resultText(res) != "ran hello_world" {
		t.Errorf("a call with an argument the schema does not forbid: %+v", res)
	}
	if r.count() != 1 {
		t.Errorf("the handler ran %d times, want once", r.count())
	}
	if got := Wrap(server.ServerTool{Tool: helloTool()}); got.Handler != nil {
		t.Error("Wrap gave a handler-less tool a handler")
	}
}
