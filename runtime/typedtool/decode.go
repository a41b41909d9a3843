package typedtool

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
)

// Error is a decoding failure, said as a sentence about the argument at
// fault.
type Error struct {
	// Problem is the sentence, e.g. `"days" must be an integer`.
	Problem string
}

// Error returns the sentence.
func (e *Error) Error() string { return e.Problem }

// decode decodes the arguments of a call into *args (a pointer to a
// struct): from the bytes the client sent when mcp-go kept them (integers
// beyond 2^53 stay exact), else from the decoded arguments. No arguments
// leave *args as it is. p, when not nil, is the plan of the struct: with
// it, flat arguments are taken from those mcp-go decoded (see plan).
func decode(req mcp.CallToolRequest, args any, p *plan) error {
	if m, ok := req.Params.Arguments.(map[string]any); ok && p != nil && p.ok {
		dst := reflect.ValueOf(args).Elem()
		if p.fill(m, dst) {
			return nil
		}
		dst.SetZero() // for encoding/json to decide from the start
	}
	raw := []byte(req.Params.RawArguments)
	if len(raw) == 0 {
		switch a := req.Params.Arguments.(type) {
		case nil:
			return nil
		case json.RawMessage:
			raw = a
		default:
			data, err := json.Marshal(a)
			if err != nil {
				return &Error{Problem: "the arguments are not JSON values"}
			}
			raw = data
		}
	}
	err := json.Unmarshal(raw, args)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && strings.HasPrefix(te.Value, "number") {
		// JSON Schema's integer is any whole number, 3.0 and 1e3
		// included, which encoding/json refuses for a Go integer.
		if whole, ok := wholeNumbers(raw); ok {
			if json.Unmarshal(whole, args) == nil {
				return nil
			}
		}
	}
	return sentence(err, reflect.TypeOf(args))
}

// wholeNumbers rewrites every whole number written with a fraction or an
// exponent (3.0, 1e3) as an integer (3, 1000), so that encoding/json puts
// it into a Go integer. It reports false when nothing changed.
func wholeNumbers(raw []byte) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil, false
	}
	changed := false
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case json.Number:
			s := string(x)
			if !strings.ContainsAny(s, ".eE") {
				return x
			}
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || f != math.Trunc(f) || math.Abs(f) >= 1<<63 {
				return x
			}
			changed = true
			return json.Number(strconv.FormatFloat(f, 'f', -1, 64))
		case map[string]any:
			for k, e := range x {
				x[k] = walk(e)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e)
			}
		}
		return v
	}
	v = walk(v)
	if !changed {
		return nil, false
	}
	out, err := json.Marshal(v)
	return out, err == nil
}

// sentence says what a decoding error of encoding/json means for the caller,
// naming the argument as the validator names it and what it must be, not
// the Go types involved. args is the type of the pointer decoded into.
func sentence(err error, args reflect.Type) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &Error{Problem: "the arguments are not valid JSON"}
	}
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		// An UnmarshalJSON method of the author's own: its words.
		return err
	}
	if te.Field == "" {
		return &Error{Problem: "the arguments must be an object"}
	}
	field := fieldType(args.Elem(), strings.Split(te.Field, "."))
	what := "must be " + kindOf(te.Type, te.Value)
	if field != nil && field.Kind() == reflect.Slice && field != te.Type {
		what = "must be an array of " + plural(kindOf(te.Type, te.Value))
	}
	return &Error{Problem: strconv.Quote(te.Field) + " " + what}
}

// fieldType returns the type of the struct field at the path of JSON names,
// or nil.
func fieldType(t reflect.Type, path []string) reflect.Type {
	for _, name := range path {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return nil
		}
		var found reflect.Type
		for i := range t.NumField() {
			f := t.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if tag == name || tag == "" && strings.EqualFold(f.Name, name) {
				found = f.Type
				break
			}
		}
		if found == nil {
			return nil
		}
		t = found
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// kindOf says what a value of the Go type t is in JSON terms, with the
// range of an integer type when the value was a number out of it.
func kindOf(t reflect.Type, value string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if strings.HasPrefix(value, "number") {
			bits := t.Bits()
			return "a whole number from " + strconv.FormatInt(-1<<(bits-1), 10) + " to " + strconv.FormatInt(1<<(bits-1)-1, 10)
		}
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if strings.HasPrefix(value, "number") {
			return "a whole number from 0 to " + strconv.FormatUint(1<<t.Bits()-1, 10)
		}
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// plural turns "an integer" into "integers".
func plural(kind string) string {
	kind = strings.TrimPrefix(strings.TrimPrefix(kind, "an "), "a ")
	if rest, ok := strings.CutPrefix(kind, "whole number"); ok {
		return "whole numbers" + rest
	}
	return kind + "s"
}
