package typedtool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
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
		err := decode(req, &a, nil)
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

// flat is an argument struct of the shape plan takes: strings, booleans,
// numbers and pointers to them.
type flat struct {
	S        string   `json:"s"`
	PS       *string  `json:"ps,omitempty"`
	I        int      `json:"i"`
	PI       *int     `json:"pi,omitempty"`
	I8       int8     `json:"i8"`
	U16      uint16   `json:"u16"`
	PU       *uint    `json:"pu,omitempty"`
	F        float64  `json:"f"`
	PF       *float64 `json:"pf,omitempty"`
	B        bool     `json:"b"`
	PB       *bool    `json:"pb,omitempty"`
	Untagged string
	skipped  string
}

// FuzzPlan: whatever arguments the plan takes from those mcp-go decoded, it
// fills the struct exactly as encoding/json fills it from the bytes. Keys
// that repeat are the exception: the plan, like mcp-go's decoding and the
// validator reading it, sees only the last value of each.
func FuzzPlan(f *testing.F) {
	for _, s := range []string{
		`{"s":"x","ps":"y","i":3,"pi":-4,"i8":-128,"u16":65535,"pu":7,"f":0.1,"pf":1e300,"b":true,"pb":false,"Untagged":"u"}`,
		`{"i":3.0}`, `{"i":1e3}`, `{"i":3.5}`, `{"i":9007199254740993}`, `{"i":-9007199254740993}`, `{"i":9007199254740991}`,
		`{"i8":128}`, `{"u16":-1}`, `{"pu":-0}`, `{"pu":-0.0}`, `{"i":-0}`, `{"s":null,"pi":null}`, `{"s":1}`, `{"i":"3"}`,
		`{"S":"case"}`, `{"untagged":"u"}`, `{"skipped":"x"}`, `{"s":"a","s":"b"}`, `{"s":"\ud800"}`, `{"f":-0}`, `{}`,
	} {
		f.Add([]byte(s))
	}
	p := planFor(reflect.TypeFor[flat]())
	if !p.ok {
		f.Fatal("no plan for a flat struct")
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var m map[string]any
		if json.Unmarshal(raw, &m) != nil || m == nil || repeatsKeys(raw) {
			return // not arguments mcp-go would hand on as an object
		}
		var fast flat
		if !p.fill(m, reflect.ValueOf(&fast).Elem()) {
			return
		}
		if fast.skipped != "" {
			t.Fatalf("%s: the plan filled an unexported field", raw)
		}
		var req mcp.CallToolRequest
		req.Params.RawArguments = raw
		var slow flat
		if err := decode(req, &slow, nil); err != nil {
			t.Fatalf("the plan took %s, which encoding/json refuses: %v", raw, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%s: the plan filled %+v, encoding/json %+v", raw, fast, slow)
		}
	})
}

// repeatsKeys reports whether the JSON object raw names a member twice.
func repeatsKeys(raw []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return false
	}
	seen := map[string]bool{}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return false
		}
		if seen[k.(string)] {
			return true
		}
		seen[k.(string)] = true
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return false
		}
	}
	return false
}

// Structs plan cannot fill exactly as encoding/json does are left to it.
func TestPlanDeclines(t *testing.T) {
	type embedded struct{ S string }
	type withEmbedded struct {
		embedded
		T string `json:"t"`
	}
	type quoted struct {
		N int `json:"n,string"`
	}
	type caseTwins struct {
		A string `json:"name"`
		B string `json:"Name"`
	}
	type textField struct {
		T textValue `json:"t"`
	}
	type float32Field struct {
		F float32 `json:"f"`
	}
	for _, typ := range []reflect.Type{
		reflect.TypeFor[args](), reflect.TypeFor[withEmbedded](), reflect.TypeFor[quoted](),
		reflect.TypeFor[caseTwins](), reflect.TypeFor[textField](), reflect.TypeFor[float32Field](),
		reflect.TypeFor[textValue](), reflect.TypeFor[string](),
	} {
		if planFor(typ).ok {
			t.Errorf("a plan for %v", typ)
		}
	}
	// And arguments it declines still decode, the JSON way.
	h := Text(func(_ context.Context, a flat) (string, error) { return a.S + "/" + a.Untagged, nil })
	for raw, want := range map[string]string{`{"S":"case","untagged":"u"}`: "case/u", `{"s":"x","i":9007199254740993}`: "x/"} {
		res, err := h(context.Background(), request(t, raw))
		if err != nil || res.IsError || res.Content[0].(mcp.TextContent).Text != want {
			t.Errorf("%s: %+v, %v; want %q", raw, res, err, want)
		}
	}
}

// textValue decodes itself from a JSON string.
type textValue string

func (v *textValue) UnmarshalText(b []byte) error { *v = textValue("t:" + string(b)); return nil }

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
