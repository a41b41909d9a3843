package promptargs

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpforge/mcpforge/runtime/envelope"
)

// newServer returns an MCP server with prompt "summarize", which requires
// "topic" and "style" and takes an optional "length".
func newServer() *server.MCPServer {
	s := server.NewMCPServer("test", "1.0.0")
	s.AddPrompt(mcp.NewPrompt("summarize",
		mcp.WithArgument("topic", mcp.RequiredArgument()),
		mcp.WithArgument("length"),
		mcp.WithArgument("style", mcp.RequiredArgument()),
	), func(_ context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		return mcp.NewGetPromptResult("summary", []mcp.PromptMessage{
			mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent("summarize "+req.Params.Arguments["topic"])),
		}), nil
	})
	return s
}

func TestMissing(t *testing.T) {
	c := New(newServer())
	for _, tc := range []struct {
		name, args, want string
	}{
		{"summarize", ``, "topic"},
		{"summarize", `null`, "topic"},
		{"summarize", `{}`, "topic"},
		{"summarize", `{"topic":null,"style":"x"}`, "topic"},
		{"summarize", `{"Topic":"x","style":"x"}`, "topic"}, // keys are exact, as in mcp-go's map
		{"summarize", `{"topic":"x"}`, "style"},
		{"summarize", `{"topic":"","style":""}`, ""}, // an empty string is given
		{"summarize", `{"topic":"a","topic":null,"style":"b"}`, "topic"},
		{"summarize", `{"topic":"a","style":"b","length":"3"}`, ""},
		{"summarize", `"topic"`, ""}, // not an object: mcp-go refuses it itself
		{"unknown", `{}`, ""},        // mcp-go answers "not found"
	} {
		var raw json.RawMessage
		if tc.args != "" {
			raw = json.RawMessage(tc.args)
		}
		if got := c.Missing(tc.name, raw); got != tc.want {
			t.Errorf("Missing(%q, %s) = %q, want %q", tc.name, tc.args, got, tc.want)
		}
	}
}

// TestLaterPrompt checks that a prompt added after New is checked.
func TestLaterPrompt(t *testing.T) {
	s := server.NewMCPServer("test", "1.0.0")
	c := New(s)
	if got := c.Missing("later", nil); got != "" {
		t.Fatalf("unknown prompt: Missing = %q, want none", got)
	}
	s.AddPrompt(mcp.NewPrompt("later", mcp.WithArgument("when", mcp.RequiredArgument())),
		func(context.Context, mcp.GetPromptRequest) (*mcp.GetPromptResult, error) { return nil, nil })
	if got := c.Missing("later", nil); got != "when" {
		t.Fatalf("prompt added later: Missing = %q, want \"when\"", got)
	}
}

func TestCheck(t *testing.T) {
	c := New(newServer())
	type refusal struct {
		prompt, protocol string
		code             int
	}
	var refused []refusal
	var last Refusal
	c.Refused = func(r Refusal) {
		if r.Start.IsZero() || time.Since(r.Start) < 0 {
			t.Errorf("a check started at %v", r.Start)
		}
		refused = append(refused, refusal{r.Prompt, r.Protocol, r.Code})
		last = r
	}
	for _, tc := range []struct {
		body, want string
	}{
		{`{"jsonrpc":"2.0","id":7,"method":"prompts/get","params":{"name":"summarize","arguments":{"style":"x"}}}`,
			`{"jsonrpc":"2.0","id":7,"error":{"code":-32602,"message":"missing required argument \"topic\" of prompt \"summarize\""}}`},
		{`{"jsonrpc":"2.0","id":"a\u0062","method":"prompts/get","params":{"name":"summarize"}}`,
			`{"jsonrpc":"2.0","id":"a\u0062","error":{"code":-32602,"message":"missing required argument \"topic\" of prompt \"summarize\""}}`},
		{`{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"summarize","arguments":{"topic":"go","style":"x"}}}`, ``},
		{`{"jsonrpc":"2.0","method":"prompts/get","params":{"name":"summarize"}}`, ``},           // a notification
		{`{"jsonrpc":"2.0","id":null,"method":"prompts/get","params":{"name":"summarize"}}`, ``}, // a notification too
		{`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"summarize"}}`, ``},
		{`[{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"summarize"}}]`, ``}, // mcp-go refuses batches
		{`{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"summarize"}`, ``},    // not JSON
	} {
		env := envelope.Parse([]byte(tc.body))
		refused = nil
		if got := string(c.Check(nil, []byte(tc.body), &env)); got != tc.want {
			t.Errorf("Check(%s)\n got %s\nwant %s", tc.body, got, tc.want)
		}
		// Refused hears of exactly the messages answered.
		if want := tc.want != ""; (len(refused) == 1) != want || want && refused[0] != (refusal{"summarize", "", -32602}) {
			t.Errorf("Check(%s): Refused told %v", tc.body, refused)
		}
	}
	// The protocol version a 2026-07-28 request declares is passed on, with
	// its id, _meta (its trace context), headers, session and message.
	body := []byte(`{"jsonrpc":"2.0","id":2,"method":"prompts/get","params":{"name":"summarize","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}}`)
	env := envelope.Parse(body)
	refused = nil
	h := http.Header{"Mcp-Session-Id": {"s-1"}, "Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}
	if c.Check(h, body, &env) == nil || len(refused) != 1 || refused[0].protocol != "2026-07-28" {
		t.Errorf("Refused told %v of a 2026-07-28 request", refused)
	}
	if last.ID != float64(2) || last.SessionID != "s-1" || last.Header.Get("Traceparent") == "" ||
		last.Meta == nil || last.Meta.AdditionalFields["traceparent"] != "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" ||
		last.Message != `missing required argument "topic" of prompt "summarize"` {
		t.Errorf("Refused told %+v", last)
	}
	// A _meta mcp-go cannot read is no trace context, and no reason not to
	// answer.
	body = []byte(`{"jsonrpc":"2.0","id":"x","method":"prompts/get","params":{"name":"summarize","_meta":"bad"}}`)
	env = envelope.Parse(body)
	if c.Check(nil, body, &env) == nil || last.Meta != nil || last.ID != "x" {
		t.Errorf("a request with a bad _meta: Refused told %+v", last)
	}
}

// TestStdio runs mcp-go's stdio transport behind Stdio: the refused
// prompts/get gets -32602 from the checker, the good one its result from
// mcp-go, and stdout holds JSON-RPC lines only.
func TestStdio(t *testing.T) {
	s := newServer()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	in, out := New(s).Stdio(inR, outW)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- server.NewStdioServer(s).Listen(ctx, in, out) }()

	lines := bufio.NewScanner(outR)
	send := func(msg string) map[string]json.RawMessage {
		t.Helper()
		if _, err := io.WriteString(inW, msg+"\n"); err != nil {
			t.Fatal(err)
		}
		if !lines.Scan() {
			t.Fatalf("no response to %s: %v", msg, lines.Err())
		}
		var resp map[string]json.RawMessage
		if err := json.Unmarshal(lines.Bytes(), &resp); err != nil {
			t.Fatalf("stdout line %q is not JSON-RPC: %v", lines.Text(), err)
		}
		return resp
	}
	send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	if _, err := io.WriteString(inW, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n"); err != nil {
		t.Fatal(err)
	}

	resp := send(`{"jsonrpc":"2.0","id":2,"method":"prompts/get","params":{"name":"summarize","arguments":{"topic":"go"}}}`)
	want := `{"code":-32602,"message":"missing required argument \"style\" of prompt \"summarize\""}`
	if string(resp["id"]) != "2" || string(resp["error"]) != want {
		t.Errorf("refused prompts/get: id %s error %s, want id 2 error %s", resp["id"], resp["error"], want)
	}
	resp = send(`{"jsonrpc":"2.0","id":3,"method":"prompts/get","params":{"name":"summarize","arguments":{"topic":"go","style":"short"}}}`)
	if string(resp["id"]) != "3" || resp["error"] != nil || !strings.Contains(string(resp["result"]), "summarize go") {
		t.Errorf("good prompts/get: got %v, want its result from mcp-go", resp)
	}

	inW.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Listen did not return after stdin closed")
	}
}
