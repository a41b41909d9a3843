package typedtool

import (
	"encoding"
	"encoding/json"
	"math"
	"reflect"
	"strings"
)

// plan fills a tool's argument struct straight from the arguments mcp-go
// has already decoded, when every field is a string, a boolean, a number or
// a pointer to one: the shape of most tools. encoding/json then need not go
// over the bytes again (about a microsecond and several allocations a
// call). It takes only what it reads exactly as encoding/json would; for
// anything else it declines, and decode takes the JSON way. (A key named
// twice is read as mcp-go's decoding and the validator read it: the last
// value wins.)
type plan struct {
	fields []planField
	ok     bool // the struct is flat
}

// planField is one field of a flat struct.
type planField struct {
	name  string // JSON name, matched exactly
	index int
	kind  reflect.Kind // of the value (behind the pointer, if any)
	elem  reflect.Type // the pointed-to type of a pointer field, else nil
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// decodesItself reports whether encoding/json would hand a value of type t
// to a method of the type's own.
func decodesItself(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t.Implements(jsonUnmarshaler) || p.Implements(jsonUnmarshaler) ||
		t.Implements(textUnmarshaler) || p.Implements(textUnmarshaler)
}

// planFor returns the plan of struct type t; it is not ok when t is not a
// flat struct of exported, plainly tagged fields.
func planFor(t reflect.Type) *plan {
	p := &plan{}
	if t.Kind() != reflect.Struct || decodesItself(t) {
		return p
	}
	seen := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			return p // embedded fields follow rules of their own
		}
		tag := f.Tag.Get("json")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		for o := range strings.SplitSeq(opts, ",") {
			if o != "" && o != "omitempty" && o != "omitzero" {
				return p // ",string" and the like
			}
		}
		if name == "" {
			name = f.Name
		}
		if !plainName(name) || seen[strings.ToLower(name)] {
			// encoding/json matches names case-insensitively too: two
			// fields one key could fill are left to it.
			return p
		}
		seen[strings.ToLower(name)] = true
		pf := planField{name: name, index: i}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			pf.elem = ft.Elem()
			ft = ft.Elem()
		}
		if decodesItself(ft) {
			return p
		}
		switch ft.Kind() {
		case reflect.String, reflect.Bool, reflect.Float64,
			reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		default:
			return p // float32, slices, maps, structs, RawMessage, any
		}
		pf.kind = ft.Kind()
		p.fields = append(p.fields, pf)
	}
	p.ok = true
	return p
}

// plainName reports whether name is letters, digits, '_' and '-' only: a
// tag name encoding/json surely takes as it is.
func plainName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return name != ""
}

// fill sets the zero struct dst from args, the arguments as encoding/json
// decodes them into an interface. It reports false, leaving dst partly
// set, when encoding/json must decide: a key no field has by its exact
// name, a value of another type, a number an integer field cannot take
// exactly (or one beyond 2^53, whose digits the decoded float64 lost).
func (p *plan) fill(args map[string]any, dst reflect.Value) bool {
	if !p.ok || len(args) > len(p.fields) {
		return false
	}
	matched := 0
	for i := range p.fields {
		f := &p.fields[i]
		v, ok := args[f.name]
		if !ok {
			continue
		}
		matched++
		if v == nil {
			continue // null leaves a value zero and a pointer nil
		}
		fv := dst.Field(f.index)
		if f.elem != nil {
			ptr := reflect.New(f.elem)
			if !setValue(ptr.Elem(), f.kind, v) {
				return false
			}
			fv.Set(ptr)
		} else if !setValue(fv, f.kind, v) {
			return false
		}
	}
	return matched == len(args)
}

// setValue sets v, of kind k, to x, a value encoding/json decoded.
func setValue(v reflect.Value, k reflect.Kind, x any) bool {
	switch k {
	case reflect.String:
		s, ok := x.(string)
		if ok {
			v.SetString(s)
		}
		return ok
	case reflect.Bool:
		b, ok := x.(bool)
		if ok {
			v.SetBool(b)
		}
		return ok
	case reflect.Float64:
		f, ok := x.(float64)
		if ok {
			v.SetFloat(f)
		}
		return ok
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		f, ok := x.(float64)
		if !ok || f != math.Trunc(f) || math.Abs(f) >= 1<<53 || v.OverflowInt(int64(f)) {
			return false
		}
		v.SetInt(int64(f))
		return true
	default: // the unsigned kinds
		f, ok := x.(float64)
		// -0 too: encoding/json refuses it for an unsigned integer.
		if !ok || f != math.Trunc(f) || math.Signbit(f) || f >= 1<<53 || v.OverflowUint(uint64(f)) {
			return false
		}
		v.SetUint(uint64(f))
		return true
	}
}
