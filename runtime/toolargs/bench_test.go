package toolargs

import (
	"context"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// BenchmarkValidate is the check of a hello_world call, as the server makes
// it on every tools/call: arguments decoded by mcp-go, schema compiled.
func BenchmarkValidate(b *testing.B) {
	s := mustCompile(b, helloTool())
	args := map[string]any{"name": "Ada"}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Validate(args); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateInvalid is a call with two problems: what a wrong call
// costs, messages included.
func BenchmarkValidateInvalid(b *testing.B) {
	s := mustCompile(b, forecastTool())
	args := map[string]any{"days": "3"}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Validate(args); err == nil {
			b.Fatal("valid")
		}
	}
}

// BenchmarkMiddleware is the whole per-call cost of the Validator: finding
// the tool's compiled schema and checking the arguments.
func BenchmarkMiddleware(b *testing.B) {
	s := server.NewMCPServer("bench", "1.0.0")
	next := func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) { return nil, nil }
	s.AddTool(helloTool(), next)
	h := New(s).Middleware(next)
	var req mcp.CallToolRequest
	req.Params.Name = "hello_world"
	req.Params.Arguments = map[string]any{"name": "Ada"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
