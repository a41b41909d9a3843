package main

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	mcpsdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpforge/mcpforge/generator"
)

func init() {
	registerHardening(hardeningCheck{
		name: "prompt-arguments",
		// The variant serving every transport (stdio, streamable HTTP,
		// legacy SSE): the check builds a server of its own, with a prompt,
		// which is too slow to repeat for every variant.
		applies: func(a variantAnswers) bool { return a.Name == "all-transports" },
		run:     checkPromptArguments,
	})
}

// checkPromptArguments adds a prompt with a required argument to a fresh
// repository of the variant, builds it, and asks for the prompt without the
// argument over every transport with the official Go SDK: the answer is
// JSON-RPC error -32602 with a sentence (issue 12), not mcp-go's -32603.
func checkPromptArguments(t *testing.T, _ string, sec *security, va variantAnswers, transport string) {
	a, err := generator.LoadAnswers(filepath.Join("..", "..", "testdata", "variants", va.Name+".toml"))
	if err != nil {
		t.Fatal(err)
	}
	a = a.WithDefaults()
	repo := writeRepo(t, a)
	if err := generator.Tidy(context.Background(), repo); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "add", "prompt", "summarize", "--arg", "topic:string:required:What to summarize", "--arg", "style", "--dir", repo); code != 0 {
		t.Fatalf("add prompt: exit %d: %s", code, stderr)
	}
	bin := filepath.Join(t.TempDir(), a.Name)
	goCmd(t, repo, "build", "-o", bin, "./cmd/"+a.Name)

	// Metrics on a free port, to see the refused requests counted.
	withMetrics := *sec
	withMetrics.env = append(slices.Clone(sec.env), sec.envPrefix+"_TELEMETRY_METRICS_ADDR=127.0.0.1:0")
	for _, tr := range va.Transports {
		t.Run(tr, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var ct mcpsdk.Transport
			var p *serverProcess
			switch tr {
			case "stdio":
				ct = &mcpsdk.CommandTransport{Command: exec.Command(bin, "--transport", "stdio")}
			case "sse":
				p = startServer(t, bin, &withMetrics, "--transport", transport)
				ct = &mcpsdk.SSEClientTransport{Endpoint: p.base + "/sse", HTTPClient: sec.client(p.base, sec.fullAccess)}
			default:
				p = startServer(t, bin, &withMetrics, "--transport", transport)
				ct = &mcpsdk.StreamableClientTransport{Endpoint: p.base + "/mcp", HTTPClient: sec.client(p.base, sec.fullAccess), MaxRetries: -1}
			}
			sess, err := newSDKClient().Connect(ctx, ct, nil)
			if err != nil {
				t.Fatalf("connect over %s: %v", tr, err)
			}
			defer sess.Close()
			_, err = sess.GetPrompt(ctx, &mcpsdk.GetPromptParams{Name: "summarize", Arguments: map[string]string{"style": "short"}})
			var rpcErr *jsonrpc.Error
			want := `missing required argument "topic" of prompt "summarize"`
			if !errors.As(err, &rpcErr) || rpcErr.Code != -32602 || rpcErr.Message != want {
				t.Errorf("prompts/get without topic: %v, want JSON-RPC error -32602 %q", err, want)
			}
			// The prompt itself still works.
			if _, err := sess.GetPrompt(ctx, &mcpsdk.GetPromptParams{Name: "summarize", Arguments: map[string]string{"topic": "rain"}}); err != nil {
				t.Errorf("prompts/get with topic: %v", err)
			}
			if p == nil || !observes(va) {
				return
			}
			// mcp-go never saw the refused request; the metrics count it
			// all the same, under its prompt and error code.
			mfs := scrapeMetrics(t, waitMetricsURL(t, p))
			for errorType, want := range map[string]uint64{"-32602": 1, "": 1} {
				labels := map[string]string{"mcp_method_name": "prompts/get", "gen_ai_prompt_name": "summarize", "error_type": errorType}
				if m := findSeries(mfs, "mcp_server_operation_duration_seconds", labels); m.GetHistogram().GetSampleCount() != want {
					t.Errorf("%v: %d requests recorded, want %d; have:\n%s", labels, m.GetHistogram().GetSampleCount(), want, familyText(mfs["mcp_server_operation_duration_seconds"]))
				}
			}
		})
	}
}
