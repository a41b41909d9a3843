package typedtool

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

// FuzzDecode feeds arbitrary bytes as a call's arguments: decoding never
// panics, and fails only with a sentence (*Error), never with a message of
// encoding/json.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"city":"Paris","days":3}`, `{"days":3.0}`, `{"days":1e400}`, `{"tags":[1]}`, `{"filter":{"a":[]}}`, `[]`, `null`, `{`, `{"counts":[1e2,"x"]}`, `{"small":-129}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var req mcp.CallToolRequest
		req.Params.RawArguments = raw
		var a args
		err := decode(req, &a)
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("decode(%q) = %v (%T), want nil or an *Error", raw, err, err)
		}
		if err == nil && json.Valid(raw) {
			// What decoded encodes again: nothing half-filled is handed on.
			if _, err := json.Marshal(a); err != nil {
				t.Fatalf("decoded %q into %+v, which does not encode: %v", raw, a, err)
			}
		}
	})
}

// BenchmarkText is the cost typedtool adds to a call of a text tool with
// one argument, hello_world's shape.
func BenchmarkText(b *testing.B) {
	type helloArgs struct {
		Name string `json:"name"`
	}
	h := Text(func(_ context.Context, a helloArgs) (string, error) { return a.Name, nil })
	var req mcp.CallToolRequest
	if err := json.Unmarshal([]byte(`{"name":"hello_world","arguments":{"name":"Ada"}}`), &req.Params); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
