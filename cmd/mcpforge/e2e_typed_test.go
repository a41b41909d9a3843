package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	mcpsdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// typedTool is the command line of the typed tool addTypedTool adds: every
// kind of argument a model sends (required, optional, an array) and a
// result with a required and an optional field (issue 12).
var typedTool = []string{"add", "tool", "forecast", "--description", "Forecast for a city",
	"--arg", "city:string:required", "--arg", "days:integer:optional", "--arg", "tags:string[]:optional",
	"--output", "temperature:number", "--output", "summary:string:optional"}

// typedCalls are the calls checkTyped makes: good arguments, then bad ones
// with the sentence each must get back as a tool error.
var typedCalls = struct {
	good map[string]any
	bad  []struct {
		args map[string]any
		want string
	}
}{
	good: map[string]any{"city": "Paris", "days": 3, "tags": []any{"rain"}},
	bad: []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"days": 3}, `missing required argument "city"`},
		{map[string]any{"city": "Paris", "days": "three"}, `"days" must be an integer`},
		{map[string]any{"city": "Paris", "tags": []any{"a", 1}}, `"tags[1]" must be a string`},
	},
}

// checkTypedSchemas checks the schemas a client lists for the typed tool:
// inputs with their types (arrays with their items), the required one only
// required, no nullable optional; an output schema of type object.
func checkTypedSchemas(t *testing.T, input, output any) {
	t.Helper()
	var in, out struct {
		Type       string                    `json:"type"`
		Properties map[string]map[string]any `json:"properties"`
		Required   []string                  `json:"required"`
	}
	for _, s := range []struct {
		schema any
		into   any
	}{{input, &in}, {output, &out}} {
		data, err := json.Marshal(s.schema)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, s.into); err != nil {
			t.Fatalf("schema %s: %v", data, err)
		}
	}
	for name, typ := range map[string]string{"city": "string", "days": "integer", "tags": "array"} {
		if p := in.Properties[name]; p["type"] != typ {
			t.Errorf("input property %s = %v, want type %s (never nullable)", name, p, typ)
		}
	}
	if items, _ := in.Properties["tags"]["items"].(map[string]any); items["type"] != "string" {
		t.Errorf("input property tags = %v, want items of type string", in.Properties["tags"])
	}
	if !slices.Equal(in.Required, []string{"city"}) {
		t.Errorf("input required = %q, want [city]", in.Required)
	}
	if out.Type != "object" || out.Properties["temperature"]["type"] != "number" || out.Properties["summary"]["type"] != "string" || len(out.Properties) != 2 {
		t.Errorf("output schema = %+v, want an object of temperature and summary", out)
	}
	if !slices.Equal(out.Required, []string{"temperature"}) {
		t.Errorf("output required = %q, want [temperature]", out.Required)
	}
}

// checkTypedResult checks the structured content of a good call against
// what the skeleton returns, and that the text is the same JSON.
func checkTypedResult(t *testing.T, structured any, text string) {
	t.Helper()
	want := map[string]any{"temperature": float64(0)}
	got, _ := json.Marshal(structured)
	var decoded any
	if err := json.Unmarshal(got, &decoded); err != nil || !reflect.DeepEqual(decoded, want) {
		t.Errorf("structured content = %s, want %v", got, want)
	}
	var fromText any
	if err := json.Unmarshal([]byte(text), &fromText); err != nil || !reflect.DeepEqual(fromText, decoded) {
		t.Errorf("text %q is not the structured content %s", text, got)
	}
}

// checkTyped lists and calls the typed tool with the official Go SDK.
func checkTyped(t *testing.T, ctx context.Context, sess *mcpsdk.ClientSession) {
	t.Helper()
	tools, err := sess.ListTools(ctx, nil)
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	i := slices.IndexFunc(tools.Tools, func(tool *mcpsdk.Tool) bool { return tool.Name == "forecast" })
	if i < 0 {
		t.Fatalf("tools/list lacks forecast")
	}
	checkTypedSchemas(t, tools.Tools[i].InputSchema, tools.Tools[i].OutputSchema)
	res, err := sess.CallTool(ctx, &mcpsdk.CallToolParams{Name: "forecast", Arguments: typedCalls.good})
	if err != nil || res.IsError {
		t.Fatalf("tools/call forecast: %v, %+v", err, res)
	}
	checkTypedResult(t, res.StructuredContent, sdkText(res))
	for _, c := range typedCalls.bad {
		res, err := sess.CallTool(ctx, &mcpsdk.CallToolParams{Name: "forecast", Arguments: c.args})
		if err != nil || !res.IsError || sdkText(res) != c.want {
			t.Errorf("tools/call forecast %v: %v, isError %v, %q; want a tool error %q", c.args, err, res != nil && res.IsError, sdkText(res), c.want)
		}
	}
}

func sdkText(res *mcpsdk.CallToolResult) string {
	var b strings.Builder
	if res != nil {
		for _, c := range res.Content {
			if tc, ok := c.(*mcpsdk.TextContent); ok {
				b.WriteString(tc.Text)
			}
		}
	}
	return b.String()
}

// checkTypedTS lists and calls the typed tool with the TypeScript SDK over
// stdio. The SDK itself checks the structured content against the output
// schema, failing the call when it does not match.
func checkTypedTS(t *testing.T, bin string) {
	t.Helper()
	node := nodeHarness(t)
	args := []string{filepath.Join(node, "ts_typed.mjs"), "forecast", mustJSON(t, typedCalls.good)}
	for _, c := range typedCalls.bad {
		args = append(args, mustJSON(t, c.args))
	}
	cmd := exec.Command("node", append(args, "--", bin, "--transport", "stdio")...)
	cmd.Dir = node
	out, err := cmd.Output()
	var got struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
		Tool  struct {
			InputSchema  any `json:"inputSchema"`
			OutputSchema any `json:"outputSchema"`
		} `json:"tool"`
		Result struct {
			IsError           bool   `json:"isError"`
			StructuredContent any    `json:"structuredContent"`
			Text              string `json:"text"`
		} `json:"result"`
		Bad []struct {
			IsError bool   `json:"isError"`
			Text    string `json:"text"`
		} `json:"bad"`
	}
	if jerr := json.Unmarshal(out, &got); jerr != nil || !got.OK {
		t.Fatalf("ts_typed: %v, %s", err, out)
	}
	checkTypedSchemas(t, got.Tool.InputSchema, got.Tool.OutputSchema)
	if got.Result.IsError {
		t.Fatalf("forecast failed for the TypeScript SDK: %q", got.Result.Text)
	}
	checkTypedResult(t, got.Result.StructuredContent, got.Result.Text)
	if len(got.Bad) != len(typedCalls.bad) {
		t.Fatalf("ts_typed made %d bad calls, want %d", len(got.Bad), len(typedCalls.bad))
	}
	for i, c := range typedCalls.bad {
		if !got.Bad[i].IsError || got.Bad[i].Text != c.want {
			t.Errorf("TypeScript SDK call %v: isError %v, %q; want a tool error %q", c.args, got.Bad[i].IsError, got.Bad[i].Text, c.want)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
