package typedtool

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

type args struct {
	City   string          `json:"city"`
	Days   *int            `json:"days,omitempty"`
	Tags   []string        `json:"tags,omitempty"`
	Counts []int           `json:"counts,omitempty"`
	Filter json.RawMessage `json:"filter,omitempty"`
	Small  *int8           `json:"small,omitempty"`
}

type result struct {
	Temperature float64 `json:"temperature"`
	Summary     *string `json:"summary,omitempty"`
}

// request is a call as mcp-go hands it to a handler: the raw bytes the
// client sent and their decoding.
func request(t *testing.T, raw string) mcp.CallToolRequest {
	t.Helper()
	var req mcp.CallToolRequest
	req.Params.Name = "forecast"
	if raw != "" {
		if err := json.Unmarshal([]byte(`{"name":"forecast","arguments":`+raw+`}`), &req.Params); err != nil {
			t.Fatal(err)
		}
	}
	return req
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func TestTextDecodes(t *testing.T) {
	var got args
	h := Text(func(_ context.Context, a args) (string, error) {
		got = a
		return "done", nil
	})
	res, err := h(context.Background(), request(t, `{"city":"Paris","days":3.0,"tags":["a"],"counts":[1e2],"filter":{"k":[1]}}`))
	if err != nil || res.IsError || text(res) != "done" {
		t.Fatalf("handler: %v, %+v", err, res)
	}
	if got.City != "Paris" || got.Days == nil || *got.Days != 3 || len(got.Tags) != 1 || got.Counts[0] != 100 || string(got.Filter) != `{"k":[1]}` {
		t.Errorf("decoded %+v", got)
	}

	// An optional argument left out is distinguishable from its zero value.
	if _, err := h(context.Background(), request(t, `{"city":"Paris","days":0}`)); err != nil || got.Days == nil || *got.Days != 0 {
		t.Errorf("days 0 decoded as %v", got.Days)
	}
	if _, err := h(context.Background(), request(t, `{"city":"Paris"}`)); err != nil || got.Days != nil || got.Tags != nil || got.Filter != nil {
		t.Errorf("absent arguments decoded as %+v", got)
	}
	// Arguments built in Go, as a test of the tool might pass them.
	var req mcp.CallToolRequest
	req.Params.Arguments = map[string]any{"city": "Rome", "days": 2}
	if _, err := h(context.Background(), req); err != nil || got.City != "Rome" || *got.Days != 2 {
		t.Errorf("map arguments decoded as %+v", got)
	}
	got = args{City: "left over"}
	if _, err := h(context.Background(), mcp.CallToolRequest{}); err != nil || got.City != "" || got.Days != nil {
		t.Errorf("no arguments decoded as %+v", got)
	}
}

func TestDecodeErrorsAreSentences(t *testing.T) {
	h := Text(func(context.Context, args) (string, error) {
		t.Error("the handler ran on arguments that do not decode")
		return "", nil
	})
	for raw, want := range map[string]string{
		`{"city":3}`:           `"city" must be a string`,
		`{"days":"three"}`:     `"days" must be an integer`,
		`{"days":1e30}`:        `"days" must be a whole number from -9223372036854775808 to 9223372036854775807`,
		`{"days":2.5}`:         `"days" must be a whole number from -9223372036854775808 to 9223372036854775807`,
		`{"small":300}`:        `"small" must be a whole number from -128 to 127`,
		`{"tags":["a",1]}`:     `"tags" must be an array of strings`,
		`{"counts":[1,"x"]}`:   `"counts" must be an array of integers`,
		`{"tags":"a"}`:         `"tags" must be an array`,
		`[1,2]`:                `the arguments must be an object`,
		`{"city":"a","days":[`: `the arguments are not valid JSON`,
	} {
		var req mcp.CallToolRequest
		req.Params.Name = "forecast"
		req.Params.RawArguments = json.RawMessage(raw)
		res, err := h(context.Background(), req)
		if err != nil || !res.IsError || text(res) != want {
			t.Errorf("%s: %v, isError %v, %q; want %q", raw, err, res != nil && res.IsError, text(res), want)
		}
		if strings.Contains(text(res), "Go") || strings.Contains(text(res), "unmarshal") {
			t.Errorf("%s: the message speaks of Go: %q", raw, text(res))
		}
	}
}

func TestHandlerErrorIsToolError(t *testing.T) {
	h := Text(func(context.Context, args) (string, error) {
		return "", errors.New(`no forecast for "Atlantis"; try a city that exists`)
	})
	res, err := h(context.Background(), request(t, `{"city":"Atlantis"}`))
	if err != nil || !res.IsError || text(res) != `no forecast for "Atlantis"; try a city that exists` {
		t.Errorf("%v, %+v", err, res)
	}
	s := Structured(func(context.Context, args) (result, error) {
		return result{}, errors.New("the weather service is down")
	})
	res, err = s(context.Background(), request(t, `{"city":"Paris"}`))
	if err != nil || !res.IsError || text(res) != "the weather service is down" || res.StructuredContent != nil {
		t.Errorf("%v, %+v", err, res)
	}
}

func TestStructured(t *testing.T) {
	summary := "sunny"
	s := Structured(func(_ context.Context, a args) (result, error) {
		return result{Temperature: 21.5, Summary: &summary}, nil
	})
	res, err := s(context.Background(), request(t, `{"city":"Paris"}`))
	if err != nil || res.IsError {
		t.Fatalf("%v, %+v", err, res)
	}
	const want = `{"temperature":21.5,"summary":"sunny"}`
	if text(res) != want || string(res.RawStructuredContent) != want {
		t.Errorf("text %q, structured %s; want both %s", text(res), res.RawStructuredContent, want)
	}
	if got, ok := res.StructuredContent.(result); !ok || got.Temperature != 21.5 {
		t.Errorf("structured content %#v", res.StructuredContent)
	}
	// On the wire, structuredContent is the same JSON as the text.
	wire, err := json.Marshal(res)
	if err != nil || !strings.Contains(string(wire), `"structuredContent":`+want) {
		t.Errorf("wire form %s: %v", wire, err)
	}
	if _, err := s(context.Background(), request(t, `{"city":4}`)); err != nil {
		t.Errorf("a decoding failure is a tool error, not %v", err)
	}

	notObject := Structured(func(context.Context, args) ([]int, error) { return []int{1}, nil })
	if _, err := notObject(context.Background(), request(t, `{}`)); err == nil || !strings.Contains(err.Error(), "not to a JSON object") {
		t.Errorf("a result that is no object: %v", err)
	}
	nilResult := Structured(func(context.Context, args) (*result, error) { return nil, nil })
	if _, err := nilResult(context.Background(), request(t, `{}`)); err == nil {
		t.Error("a nil result was sent as structured content")
	}
}

func TestOutput(t *testing.T) {
	tool := mcp.NewTool("forecast",
		mcp.WithString("city", mcp.Required()),
		Output(
			mcp.WithNumber("temperature", mcp.Required(), mcp.Description("Degrees Celsius")),
			mcp.WithString("summary"),
			mcp.WithArray("tags", mcp.WithStringItems()),
		),
	)
	data, err := json.Marshal(tool)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		InputSchema  map[string]any `json:"inputSchema"`
		OutputSchema map[string]any `json:"outputSchema"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(got.OutputSchema)
	const want = `{"properties":{"summary":{"type":"string"},"tags":{"items":{"type":"string"},"type":"array"},"temperature":{"description":"Degrees Celsius","type":"number"}},"required":["temperature"],"type":"object"}`
	if string(out) != want {
		t.Errorf("output schema\n%s\nwant\n%s", out, want)
	}
	// The output properties stay out of the input schema.
	if props, _ := got.InputSchema["properties"].(map[string]any); len(props) != 1 {
		t.Errorf("input schema %v", got.InputSchema)
	}
}
