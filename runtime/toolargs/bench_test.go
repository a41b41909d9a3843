package toolargs

import (
	"context"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
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

// BenchmarkWrap is the whole per-call cost of the check: a wrapped
// handler checking the arguments of a valid call.
func BenchmarkWrap(b *testing.B) {
	next := func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) { return nil, nil }
	h := wrap(helloTool(), next)
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
