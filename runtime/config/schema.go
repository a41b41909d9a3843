package config

import (
	"encoding"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"
)

// kind is what a configuration key holds, as far as decoding is concerned.
type kind int

const (
	kindTable kind = iota
	kindString
	kindInt
	kindBool
	kindStrings
	kindDuration
)

// field is one key of the configuration: a table or a value. The schema is
// derived from the toml tags of Config by reflection, so the strict key
// check, the environment variables and the type checks can never drift apart
// from the struct.
type field struct {
	key   []string // TOML path, e.g. [server http port]
	index []int    // reflect field index path from Config
	kind  kind
}

func (f field) name() string { return strings.Join(f.key, ".") }

// what describes the expected value for error messages.
func (f field) what() string {
	switch f.kind {
	case kindTable:
		return "a table"
	case kindString:
		return "a string"
	case kindInt:
		return "an integer"
	case kindBool:
		return "true or false"
	case kindStrings:
		return "an array of strings"
	case kindDuration:
		return `a duration string such as "30s"`
	}
	return "a value"
}

// tomlType is the MetaData.Type name of the TOML type this key must have.
func (f field) tomlType() string {
	switch f.kind {
	case kindTable:
		return "Hash"
	case kindString, kindDuration:
		return "String"
	case kindInt:
		return "Integer"
	case kindBool:
		return "Bool"
	case kindStrings:
		return "Array"
	}
	return ""
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// schema returns every key of Config in declaration order, tables before
// their contents, and an index of them by dotted name.
var schema = sync.OnceValues(func() ([]field, map[string]field) {
	var fields []field
	walk(reflect.TypeFor[Config](), nil, nil, &fields)
	byName := make(map[string]field, len(fields))
	for _, f := range fields {
		byName[f.name()] = f
	}
	return fields, byName
})

func walk(t reflect.Type, key []string, index []int, out *[]field) {
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, _, _ := strings.Cut(sf.Tag.Get("toml"), ",")
		if !sf.IsExported() || tag == "-" {
			continue
		}
		if tag == "" {
			// Every key must be spelled out: an untagged field would decode
			// case-insensitively and get a guessed environment name.
			panic(fmt.Sprintf("config: field %s of %s has no toml tag", sf.Name, t))
		}
		f := field{
			key:   append(append([]string(nil), key...), tag),
			index: append(append([]int(nil), index...), i),
		}
		switch {
		case reflect.PointerTo(sf.Type).Implements(textUnmarshaler):
			if sf.Type != reflect.TypeFor[Duration]() {
				panic(fmt.Sprintf("config: unsupported text type %s for %s", sf.Type, f.name()))
			}
			f.kind = kindDuration
		case sf.Type == reflect.TypeFor[time.Duration]():
			// It would read as an integer of nanoseconds.
			panic(fmt.Sprintf("config: %s is a time.Duration; use config.Duration", f.name()))
		case sf.Type.Kind() == reflect.Struct:
			f.kind = kindTable
			*out = append(*out, f)
			walk(sf.Type, f.key, f.index, out)
			continue
		case sf.Type.Kind() == reflect.String:
			f.kind = kindString
		case sf.Type.Kind() == reflect.Bool:
			f.kind = kindBool
		case sf.Type.Kind() >= reflect.Int && sf.Type.Kind() <= reflect.Int64:
			f.kind = kindInt
		case sf.Type.Kind() == reflect.Slice && sf.Type.Elem().Kind() == reflect.String:
			f.kind = kindStrings
		default:
			panic(fmt.Sprintf("config: unsupported type %s for %s", sf.Type, f.name()))
		}
		*out = append(*out, f)
	}
}

// clone returns a deep copy of c, so that decoding into the copy never writes
// through to the backing arrays of the caller's slices.
func (c Config) clone() Config {
	cp := c
	v := reflect.ValueOf(&cp).Elem()
	fields, _ := schema()
	for _, f := range fields {
		if f.kind != kindStrings {
			continue
		}
		fv := v.FieldByIndex(f.index)
		if fv.IsNil() {
			continue
		}
		n := reflect.MakeSlice(fv.Type(), fv.Len(), fv.Len())
		reflect.Copy(n, fv)
		fv.Set(n)
	}
	return cp
}
