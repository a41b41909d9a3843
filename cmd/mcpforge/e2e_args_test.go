package main

import (
	"context"
	"testing"
	"time"

	mcpsdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

func init() {
	registerHardening(hardeningCheck{name: "argument-errors", run: checkArgumentErrors})
}

// checkArgumentErrors calls hello_world of a built server with the official
// Go SDK, over each HTTP-based transport of the variant, with arguments its
// schema refuses: the answer is a tool error whose text is a sentence
// (issue 10 §4), never mcp-go's dump of Go values ("<root>:
// &{Missing:[name]}").
func checkArgumentErrors(t *testing.T, bin string, sec *security, a variantAnswers, transport string) {
	// Network transports are served side by side, whichever --transport names.
	p := startServer(t, bin, sec, "--transport", transport)
	for _, tr := range a.Transports {
		if tr == "stdio" {
			continue
		}
		t.Run(tr, func(t *testing.T) { callWithBadArguments(t, p, sec, tr) })
	}
}

func callWithBadArguments(t *testing.T, p *serverProcess, sec *security, transport string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess := connectSDK(t, ctx, p, sec, transport, "")
	defer sess.Close()
	for _, tc := range []struct {
		name string
		args map[string]any
		want string
	}{
		{"missing argument", map[string]any{}, `missing required argument "name"`},
		{"wrong type", map[string]any{"name": 42}, `"name" must be a string`},
		{"missing and unknown", map[string]any{"nmae": "Ada"}, `missing required argument "name"; unknown argument "nmae" (did you mean "name"?)`},
	} {
		// The SDK client sends the arguments as they are: it does not
		// check them against the schema itself.
		res, err := sess.CallTool(ctx, &mcpsdk.CallToolParams{Name: "hello_world", Arguments: tc.args})
		if err != nil {
			t.Errorf("%s: tools/call: %v, want a tool error result", tc.name, err)
			continue
		}
		text := ""
		if len(res.Content) == 1 {
			if c, ok := res.Content[0].(*mcpsdk.TextContent); ok {
				text = c.Text
			}
		}
		if !res.IsError || text != tc.want {
			t.Errorf("%s: isError %v, content %q; want isError and %q", tc.name, res.IsError, text, tc.want)
		}
	}
}
