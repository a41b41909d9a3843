package toolargs

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

// forecastTool is built with mcp-go's helpers, as mcpforge's tools are.
func forecastTool() mcp.Tool {
	return mcp.NewTool("forecast",
		mcp.WithDescription("Forecast."),
		mcp.WithString("city", mcp.Required(), mcp.Description("City name."), mcp.MinLength(1), mcp.MaxLength(200)),
		mcp.WithInteger("days", mcp.Min(1), mcp.Max(16)),
		mcp.WithString("unit", mcp.Enum("celsius", "fahrenheit")),
		mcp.WithNumber("step", mcp.MultipleOf(0.5)),
		mcp.WithString("zip", mcp.Pattern(`^[0-9]{5}$`)),
		mcp.WithString("code", mcp.MinLength(3)),
		mcp.WithString("note", mcp.MinLength(1)),
		mcp.WithBoolean("verbose"),
		mcp.WithArray("tags", mcp.WithStringItems(mcp.MaxLength(10)), mcp.MinItems(1), mcp.MaxItems(3), mcp.UniqueItems(true)),
		mcp.WithArray("days_off", mcp.WithIntegerItems()),
		mcp.WithObject("address",
			mcp.Properties(map[string]any{
				"street": map[string]any{"type": "string"},
				"city":   map[string]any{"type": "string"},
			}),
			mcp.AdditionalProperties(false),
		),
		mcp.WithObject("labels", mcp.AdditionalProperties(map[string]any{"type": "integer"}), mcp.MaxProperties(2)),
		mcp.WithSchemaAdditionalProperties(false),
	)
}

// rawTool has a hand-written schema for what the helpers do not write.
const rawTool = `{
	"type": "object",
	"properties": {
		"note":     {"type": ["string", "null"], "description": "x", "x-mcp-header": "Note"},
		"ratio":    {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
		"level":    {"type": "integer", "minimum": 1},
		"limit":    {"type": "integer", "maximum": 10},
		"mode":     {"const": "fast"},
		"legacy":   false,
		"point":    {"$ref": "#/$defs/point"},
		"filters":  {"type": "object", "propertyNames": {"pattern": "^[a-z]+$"}, "minProperties": 1},
		"pair":     {"type": "array", "minItems": 2, "maxItems": 2},
		"when":     {"type": "string", "format": "date-time", "title": "When", "default": "now"}
	},
	"$defs": {"point": {"type": "object", "required": ["x", "y"], "properties": {"x": {"type": "number"}, "y": {"type": "number"}}}}
}`

func mustCompile(t testing.TB, tool mcp.Tool) *Schema {
	t.Helper()
	s, err := Compile(tool)
	if err != nil {
		t.Fatalf("compile %s: %v", tool.Name, err)
	}
	return s
}

func TestValidateSentences(t *testing.T) {
	forecast := mustCompile(t, forecastTool())
	raw := mustCompile(t, mcp.NewToolWithRawSchema("raw", "raw", json.RawMessage(rawTool)))
	tests := []struct {
		name   string
		schema *Schema
		args   any
		want   string // "" means valid
	}{
		{"valid", forecast, map[string]any{"city": "Oslo", "days": float64(3), "unit": "celsius", "tags": []any{"a", "b"}, "address": map[string]any{"city": "Oslo"}, "labels": map[string]any{"a": float64(1)}}, ""},
		{"valid raw", raw, map[string]any{"note": nil, "ratio": 0.5, "level": float64(1), "mode": "fast", "point": map[string]any{"x": float64(1), "y": 2.5}, "filters": map[string]any{"ab": true}, "pair": []any{1.0, "x"}, "when": "today"}, ""},
		{"missing", forecast, map[string]any{}, `missing required argument "city"`},
		{"no arguments at all", forecast, nil, `missing required argument "city"`},
		{"wrong type", forecast, map[string]any{"city": "Oslo", "days": "3"}, `"days" must be an integer`},
		{"fraction for an integer", forecast, map[string]any{"city": "Oslo", "days": 2.5}, `"days" must be an integer`},
		{"missing and wrong type", forecast, map[string]any{"days": "3"}, `missing required argument "city"; "days" must be an integer`},
		{"null", forecast, map[string]any{"city": nil}, `"city" must be a string, not null`},
		{"null allowed, number not", raw, map[string]any{"note": float64(3)}, `"note" must be a string or null`},
		{"unknown argument", forecast, map[string]any{"citty": "Oslo"}, `missing required argument "city"; unknown argument "citty" (did you mean "city"?)`},
		{"unknown argument far from any", forecast, map[string]any{"city": "Oslo", "weather": true}, `unknown argument "weather"`},
		{"below range", forecast, map[string]any{"city": "Oslo", "days": float64(0)}, `"days" must be between 1 and 16`},
		{"above range", forecast, map[string]any{"city": "Oslo", "days": float64(17)}, `"days" must be between 1 and 16`},
		{"minimum only", raw, map[string]any{"level": float64(0)}, `"level" must be at least 1`},
		{"maximum only", raw, map[string]any{"limit": float64(11)}, `"limit" must be at most 10`},
		{"exclusive bounds", raw, map[string]any{"ratio": float64(1)}, `"ratio" must be greater than 0 and less than 1`},
		{"multiple of", forecast, map[string]any{"city": "Oslo", "step": 0.7}, `"step" must be a multiple of 0.5`},
		{"empty", forecast, map[string]any{"city": "Oslo", "note": ""}, `"note" must not be empty`},
		{"too short", forecast, map[string]any{"city": "Oslo", "code": "ab"}, `"code" must be at least 3 characters long`},
		{"too long", forecast, map[string]any{"city": strings.Repeat("é", 201)}, `"city" must be between 1 and 200 characters long`},
		{"length in code points", forecast, map[string]any{"city": strings.Repeat("é", 200)}, ""},
		{"not in the enum", forecast, map[string]any{"city": "Oslo", "unit": "kelvin"}, `"unit" must be one of "celsius" or "fahrenheit"`},
		{"not the const", raw, map[string]any{"mode": "slow"}, `"mode" must be "fast"`},
		{"pattern", forecast, map[string]any{"city": "Oslo", "zip": "12a45"}, `"zip" must match the pattern ^[0-9]{5}$`},
		{"bad array item", forecast, map[string]any{"city": "Oslo", "tags": []any{"a", float64(1)}}, `"tags[1]" must be a string`},
		{"bad integer item", forecast, map[string]any{"city": "Oslo", "days_off": []any{1.5}}, `"days_off[0]" must be an integer`},
		{"long array item", forecast, map[string]any{"city": "Oslo", "tags": []any{"abcdefghijk"}}, `"tags[0]" must be at most 10 characters long`},
		{"too many items", forecast, map[string]any{"city": "Oslo", "tags": []any{"a", "b", "c", "d"}}, `"tags" must have between 1 and 3 items`},
		{"too few items", forecast, map[string]any{"city": "Oslo", "tags": []any{}}, `"tags" must have between 1 and 3 items`},
		{"exact count", raw, map[string]any{"pair": []any{1.0}}, `"pair" must have exactly 2 items`},
		{"duplicate items", forecast, map[string]any{"city": "Oslo", "tags": []any{"a", "b", "a"}}, `"tags" must have unique items, but items 0 and 2 are equal`},
		{"nested object", forecast, map[string]any{"city": "Oslo", "address": map[string]any{"street": float64(1), "zipcode": "x"}}, `"address.street" must be a string; unknown argument "address.zipcode"`},
		{"nested typo", forecast, map[string]any{"city": "Oslo", "address": map[string]any{"stret": "x"}}, `unknown argument "address.stret" (did you mean "address.street"?)`},
		{"additional properties schema", forecast, map[string]any{"city": "Oslo", "labels": map[string]any{"a": "x", "b": float64(2), "c": float64(3)}}, `"labels.a" must be an integer; "labels" must have at most 2 properties`},
		{"object expected", forecast, map[string]any{"city": "Oslo", "address": "Main St"}, `"address" must be an object`},
		{"array expected", forecast, map[string]any{"city": "Oslo", "tags": "a,b"}, `"tags" must be an array`},
		{"boolean expected", forecast, map[string]any{"city": "Oslo", "verbose": "yes"}, `"verbose" must be a boolean`},
		{"number expected", forecast, map[string]any{"city": "Oslo", "step": true}, `"step" must be a number`},
		{"false schema", raw, map[string]any{"legacy": true}, `"legacy" must not be given`},
		{"through $ref", raw, map[string]any{"point": map[string]any{"x": "1"}}, `missing required argument "point.y"; "point.x" must be a number`},
		{"property names", raw, map[string]any{"filters": map[string]any{"Bad": true, "ok": true}}, `property name "Bad" of "filters" must match the pattern ^[a-z]+$`},
		{"min properties", raw, map[string]any{"filters": map[string]any{}}, `"filters" must have at least 1 property`},
		{"arguments not an object", forecast, []any{"Oslo"}, `the arguments must be an object`},
		{"raw JSON", forecast, json.RawMessage(`{"city":"Oslo","days":"3"}`), `"days" must be an integer`},
		{"raw JSON, empty", forecast, json.RawMessage(``), `missing required argument "city"`},
		{"raw JSON, broken", forecast, json.RawMessage(`{"city":`), `the arguments are not valid JSON`},
		{"json.Number", forecast, map[string]any{"city": "Oslo", "days": json.Number("3.0")}, ""},
		{"json.Number out of range", forecast, map[string]any{"city": "Oslo", "days": json.Number("1e400")}, `"days" must be an integer`},
		{"Go int", forecast, map[string]any{"city": "Oslo", "days": 40}, `"days" must be between 1 and 16`},
		{"Go struct", forecast, struct {
			City string `json:"city"`
			Days int    `json:"days"`
		}{"Oslo", 3}, ""},
		{"Go slice of strings", forecast, map[string]any{"city": "Oslo", "tags": []string{"a", "a"}}, `"tags" must have unique items, but items 0 and 1 are equal`},
		{"not JSON", forecast, map[string]any{"city": "Oslo", "days": make(chan int)}, `"days" is not a JSON value`},
		{"NaN", forecast, map[string]any{"city": "Oslo", "step": nanValue()}, `"step" is not a JSON value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.schema.Validate(tt.args)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Validate:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}

func TestValidateCapsProblems(t *testing.T) {
	s := mustCompile(t, forecastTool())
	items := make([]any, 30)
	for i := range items {
		items[i] = float64(i)
	}
	err := s.Validate(map[string]any{"city": "Oslo", "days_off": []any{}, "tags": items})
	var e *Error
	if !asError(err, &e) {
		t.Fatalf("Validate = %v, want an *Error", err)
	}
	if len(e.Problems) != maxProblems+1 {
		t.Fatalf("%d problems, want %d and a count of the rest: %q", len(e.Problems), maxProblems+1, e.Problems)
	}
	if last := e.Problems[maxProblems]; last != "and 11 more problems" {
		t.Errorf("last problem %q, want %q (10 items and the item count)", last, "and 11 more problems")
	}
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error)
	*target = e
	return ok
}

func TestValidateDeepRecursion(t *testing.T) {
	s, err := CompileJSON([]byte(`{"type":"object","properties":{"tree":{"$ref":"#/$defs/node"}},"$defs":{"node":{"type":"object","properties":{"child":{"$ref":"#/$defs/node"}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	deep := map[string]any{}
	cur := deep
	for range 300 {
		next := map[string]any{}
		cur["child"] = next
		cur = next
	}
	err = s.Validate(map[string]any{"tree": deep})
	if err == nil || !strings.Contains(err.Error(), "is nested too deeply to check") {
		t.Errorf("Validate of 300 levels = %v, want a nesting problem", err)
	}
	// A cycle only an in-process caller can build ends the same way.
	cyclic := map[string]any{}
	cyclic["child"] = cyclic
	if err := s.Validate(map[string]any{"tree": cyclic}); err == nil {
		t.Error("Validate of a cyclic map passed")
	}
}

func TestNoSchemaAcceptsAnything(t *testing.T) {
	var nilSchema *Schema
	for _, s := range []*Schema{nilSchema, {}, mustCompile(t, mcp.Tool{Name: "bare"})} {
		if err := s.Validate(map[string]any{"anything": 1}); err != nil {
			t.Errorf("Validate = %v, want nil", err)
		}
	}
}

func TestCompileRefusesWhatItCannotEnforce(t *testing.T) {
	tests := []struct {
		name, schema string
		want         []string // substrings of the error
	}{
		{"anyOf", `{"type":"object","properties":{"x":{"anyOf":[{"type":"string"},{"type":"integer"}]}}}`, []string{`at /properties/x/anyOf`, `keyword "anyOf" is not supported`}},
		{"typo", `{"type":"object","properties":{"x":{"type":"string","minLenght":1}}}`, []string{`keyword "minLenght"`}},
		{"lookahead", `{"type":"string","pattern":"^(?!x)"}`, []string{`pattern "^(?!x)" is not a regular expression Go can run`}},
		{"type name", `{"type":"text"}`, []string{`"text" is not a JSON Schema type`}},
		{"required as a flag", `{"type":"object","properties":{"x":{"type":"string","required":true}}}`, []string{`at /properties/x/required: required must be an array`}},
		{"ref elsewhere", `{"$ref":"https://example.com/schema.json"}`, []string{`other documents are never fetched`}},
		{"ref to nothing", `{"$ref":"#/$defs/missing"}`, []string{`"#/$defs/missing" names nothing`}},
		{"ref cycle", `{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"properties":{"x":{"$ref":"#/$defs/a"}}}`, []string{`$ref leads back`}},
		{"not", `{"not":{"type":"string"}}`, []string{`"not" is only supported as {"not": {}}`}},
		{"tuple items", `{"type":"array","items":[{"type":"string"}]}`, []string{`tuple validation`}},
		{"negative length", `{"type":"string","maxLength":-1}`, []string{`maxLength must be a non-negative integer`}},
		{"not JSON", `{"type":`, []string{`input schema is not valid JSON`}},
		{"not an object", `[]`, []string{`input schema must be a JSON object`}},
		{"every problem", `{"oneOf":[],"allOf":[]}`, []string{`keyword "allOf"`, `keyword "oneOf"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CompileJSON([]byte(tt.schema))
			if err == nil {
				t.Fatal("compiled; want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestCompileNamesTheTool(t *testing.T) {
	tool := mcp.NewTool("bad", mcp.WithString("x", mcp.Pattern(`(?=x)`)))
	_, err := Compile(tool)
	if err == nil || !strings.HasPrefix(err.Error(), `tool "bad": input schema cannot be enforced: at /properties/x/pattern:`) {
		t.Errorf("Compile = %v", err)
	}
}

// TestCompileAcceptsWhatHelpersWrite compiles the schemas mcp-go writes for
// a struct (WithInputSchema), which the typed tools of mcpforge may use.
func TestCompileAcceptsWhatHelpersWrite(t *testing.T) {
	type args struct {
		City  string   `json:"city" jsonschema:"the city"`
		Days  *int     `json:"days,omitempty"`
		Tags  []string `json:"tags,omitempty"`
		Extra map[string]int
	}
	tool := mcp.NewTool("typed", mcp.WithInputSchema[args]())
	s := mustCompile(t, tool)
	if err := s.Validate(map[string]any{"city": "Oslo", "days": nil, "Extra": map[string]any{}}); err != nil {
		t.Errorf("valid arguments: %v", err)
	}
	err := s.Validate(map[string]any{"days": "3", "other": 1, "Extra": map[string]any{}})
	want := `missing required argument "city"; "days" must be null or an integer; unknown argument "other"`
	if err == nil || err.Error() != want {
		t.Errorf("Validate:\n got %v\nwant %s\nschema %s", err, want, tool.RawInputSchema)
	}
}
