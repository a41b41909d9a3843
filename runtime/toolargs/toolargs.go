// Package toolargs checks the arguments of a tool call against the tool's
// input schema before the tool runs, and says what is wrong in sentences a
// model can act on:
//
//	missing required argument "city"; "days" must be an integer
//
// A schema is compiled once (Compile, CompileJSON) into a Schema, whose
// Validate checks one call's arguments as mcp-go decoded them, without
// marshalling anything and, when they are valid, without allocating. Only
// a wrong call pays for its messages. AddTools puts that check in front of
// the handler of each tool it adds to a server, schemas compiled once
// there; Check compiles a list of tools at start-up, so that a schema
// AddTools cannot enforce stops the server before it serves.
//
// # Why not mcp-go's validation
//
// mcp-go's server.WithInputSchemaValidation reports Go values
// ("<root>: &{Missing:[city]}"), re-marshals and hashes the tool's schema on
// every call, and runs before every tool middleware, so a caller without the
// scope a tool needs would learn about its arguments before being refused.
// AddTools' check runs as part of the tool's handler instead: after the scope
// check and every other tool middleware, just before the tool.
//
// # What a schema may say
//
// The keywords the validator enforces are those the schemas of mcpforge's
// tools and mcp-go's helpers (mcp.WithString, mcp.WithNumber, mcp.Min,
// mcp.Items, mcp.WithInputSchema, ...) produce: type (one name or a list;
// "integer" is a whole number), enum, const, minimum, maximum,
// exclusiveMinimum, exclusiveMaximum (numbers, or draft 4 booleans),
// multipleOf, minLength, maxLength (in Unicode code points), pattern (RE2
// syntax, unanchored, as Go's regexp reads it), items, minItems, maxItems,
// uniqueItems, properties, required, additionalProperties,
// minProperties, maxProperties, propertyNames, $ref to a JSON pointer inside
// the same schema ("#/$defs/Name"), $defs and definitions, the boolean
// schemas true and false, and "not": {} (which jsonschema-go writes for
// false).
//
// Keywords that only describe (title, description, default, examples,
// deprecated, readOnly, writeOnly, format, contentEncoding,
// contentMediaType, contentSchema, $schema, $comment, $id at the top, and
// any "x-" extension) are ignored: they constrain nothing. "format" is an
// annotation by default in JSON Schema 2020-12 too.
//
// Any other keyword (anyOf, oneOf, allOf, if, patternProperties, a typo
// such as "minLenght", ...) makes Compile fail with an error naming it and
// where it is. Refusing is deliberate: ignoring a keyword would let through
// arguments that the tool's author, and the client reading the schema,
// believe the server rejects. Since main compiles every tool before it
// serves, the refusal happens at start-up (and in --check), never during a
// call; a tool wrapped without that check whose schema cannot be compiled
// is refused with a JSON-RPC internal error on each call, so that its
// handler never runs on unchecked arguments.
//
// # Messages
//
// The problems of a call are reported together, joined by "; ", in a
// stable order: for each object, missing required arguments in the order
// "required" lists them, then the problems of each given argument in name
// order, then the arguments the schema does not know, in name order. Nested
// values are named by their path ("address.city", "stops[2]"). At most 20
// problems are listed, then a count of the rest. A message quotes argument
// names and what the schema says (enum members, bounds, patterns), never a
// value the caller sent, and never formats a Go value.
package toolargs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
)

// Schema is a tool's input schema compiled for validation. The zero Schema
// and a nil *Schema accept any arguments. A Schema is immutable and safe for
// concurrent use.
type Schema struct {
	root *node
}

// Error is the error Validate returns for arguments that break the schema.
type Error struct {
	// Problems holds one sentence per problem, in the order the package
	// documentation describes.
	Problems []string
}

// Error joins the problems with "; ".
func (e *Error) Error() string { return strings.Join(e.Problems, "; ") }

// Compile compiles the input schema of tool: RawInputSchema when it is set
// (mcp-go publishes that one then), InputSchema otherwise. A tool without
// any input schema accepts any arguments, as with mcp-go. Errors name the
// tool.
func Compile(tool mcp.Tool) (*Schema, error) {
	raw := []byte(tool.RawInputSchema)
	if len(raw) == 0 {
		in := tool.InputSchema
		if in.Type == "" && len(in.Properties) == 0 && len(in.Required) == 0 && in.AdditionalProperties == nil && len(in.Defs) == 0 {
			return &Schema{}, nil
		}
		if in.Type == "" {
			// mcp-go publishes "type": "" for a schema built without
			// NewTool; its properties make it an object schema.
			in.Type = "object"
		}
		data, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("tool %q: input schema does not marshal to JSON: %w", tool.Name, err)
		}
		raw = data
	}
	s, err := CompileJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("tool %q: %w", tool.Name, err)
	}
	return s, nil
}

// CompileJSON compiles a JSON Schema document, as a tool publishes it in
// its inputSchema.
func CompileJSON(schema []byte) (*Schema, error) {
	doc, err := decodeJSON(schema)
	if err != nil {
		return nil, fmt.Errorf("input schema is not valid JSON: %w", err)
	}
	root, err := compile(doc)
	if err != nil {
		return nil, err
	}
	return &Schema{root: root}, nil
}

// Validate checks the arguments of one call, as mcp-go hands them to a tool
// (mcp.CallToolParams.Arguments): nil (no arguments, checked as an empty
// object), a map[string]any decoded from JSON, a json.RawMessage, or any Go
// value that marshals to JSON. It returns nil or an *Error.
func (s *Schema) Validate(args any) error {
	if s == nil || s.root == nil {
		return nil
	}
	switch a := args.(type) {
	case nil:
		args = noArguments
	case json.RawMessage:
		if len(bytes.TrimSpace(a)) == 0 {
			args = noArguments
			break
		}
		v, err := decodeJSON(a)
		if err != nil {
			return &Error{Problems: []string{"the arguments are not valid JSON"}}
		}
		args = v
	}
	var c checker
	c.check(s.root, args)
	return c.err()
}

// noArguments stands for absent arguments. It is only ever read.
var noArguments = map[string]any{}

// decodeJSON decodes one JSON value, numbers as json.Number so that bounds
// and integers keep their exact text.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}
