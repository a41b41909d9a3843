package toolargs

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzValidate compiles arbitrary schemas and checks arbitrary arguments
// against them: no input may panic, and no message may show a Go value.
func FuzzValidate(f *testing.F) {
	f.Add(rawTool, `{"note":3,"ratio":1,"point":{"x":"1"},"filters":{"Bad":1},"pair":[1],"legacy":1}`)
	f.Add(`{"type":"object","properties":{"city":{"type":"string","minLength":1}},"required":["city"],"additionalProperties":false}`, `{"citty":null}`)
	f.Add(`{"type":"array","items":{"type":"integer","enum":[1,2,[3],{"a":null}]},"uniqueItems":true,"maxItems":2}`, `[1.0,1,[3],{"a":null},true]`)
	f.Add(`{"properties":{"a":{"$ref":"#"}},"additionalProperties":{"type":"number","multipleOf":0.1}}`, `{"a":{"a":{"b":0.3}},"c":1e400}`)
	f.Add(`{"type":["string","null"],"pattern":"^a+$","maxLength":2}`, `"aaa"`)
	f.Add(`{"$defs":{"p":{"propertyNames":{"maxLength":1}}},"$ref":"#/$defs/p"}`, `{"ab":1}`)
	f.Fuzz(func(t *testing.T, schema, args string) {
		s, err := CompileJSON([]byte(schema))
		if err != nil {
			checkMessage(t, err.Error())
			return
		}
		for _, a := range []any{json.RawMessage(args), decodeOrNil(args)} {
			if err := s.Validate(a); err != nil {
				checkMessage(t, err.Error())
			}
		}
	})
}

func decodeOrNil(s string) any {
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return nil
	}
	return v
}

func checkMessage(t *testing.T, msg string) {
	t.Helper()
	for _, bad := range []string{"&{", "map[", "%!", "<nil>", "0x"} {
		if strings.Contains(msg, bad) {
			t.Fatalf("message shows a Go value (%q): %s", bad, msg)
		}
	}
}
