package generator

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// This file turns a tool specification into what the shared templates
// templates/items/tool.go.tmpl and tool_test.go.tmpl see. `mcpforge add
// tool` renders them for a new tool; `mcpforge new` renders hello_world and
// whoami through them too (Data.Tool), so the shape of a tool is written
// once. Every name that reaches the templates was validated (item and
// argument names are ASCII letters, digits, '_', '-' and '.'), and every
// free text is quoted there with quote.

// toolView is a tool as the tool templates see it.
type toolView struct {
	// Name is the MCP tool name.
	Name string
	// Base is the handler's identifier; Builder, ArgsType and ResultType
	// are derived from it (ResultType is "" for a tool without outputs).
	Base, Builder, ArgsType, ResultType string
	// Description is what clients see; DescriptionTODO marks one derived
	// from the name, for which the file asks for a real one.
	Description     string
	DescriptionTODO bool
	// Title is the name in words.
	Title    string
	ReadOnly bool
	// Args and Outputs are the fields of the arguments and result structs.
	Args, Outputs []fieldView
	// OptionalArgs and OptionalOutputs report whether an argument or an
	// output is optional.
	OptionalArgs, OptionalOutputs bool
	// Required lists the names of the required arguments, in order.
	Required []string
	// OutputRequired lists the names of the required outputs, in order.
	OutputRequired []string
	// Scopes are the OAuth scopes the tool declares.
	Scopes []string
	// Auth reports whether the tool reads the caller's identity from the
	// repository's auth package.
	Auth bool
	// Imports are the import groups of the tool file: standard library,
	// modules, the repository's own packages; TestImports those of its
	// test.
	Imports, TestImports [][]string
}

// fieldView is one argument or output: a property of a schema and a field
// of a struct.
type fieldView struct {
	// Name is the property name; Field the Go field name.
	Name, Field string
	// GoType is the field's type: a pointer for an optional scalar, so that
	// a value left out is told apart from its zero value.
	GoType string
	// Tag is the field's struct tag.
	Tag string
	// Description describes the property, possibly "".
	Description string
	Required    bool
	// Option is the mcp-go option declaring the property, e.g.
	// mcp.WithString("city", mcp.Required(), mcp.Description("The city")).
	Option string
	// Sample is a Go expression of a valid value of the field's type, for
	// tests; Wire is that value as a client's JSON decodes to, for calls
	// through a client; Placeholder is the value a new tool's result
	// starts with ("" for an optional field, left out).
	Sample, Wire, Placeholder string
}

// Go types of the JSON types of arguments and outputs. An object is kept
// as the JSON the caller sent (a struct of its own is the owner's to
// write), never as a map.
var goTypes = map[string]string{
	ArgString: "string", ArgNumber: "float64", ArgInteger: "int", ArgBoolean: "bool", ArgObject: "json.RawMessage",
}

// schemaFuncs are the mcp-go options declaring a property of each type.
var schemaFuncs = map[string]string{
	ArgString: "WithString", ArgNumber: "WithNumber", ArgInteger: "WithInteger",
	ArgBoolean: "WithBoolean", ArgArray: "WithArray", ArgObject: "WithObject",
}

// itemOptions give the type of the items of an array property, so that
// clients and models see what to put in it.
var itemOptions = map[string]string{
	ArgString: "mcp.WithStringItems()", ArgNumber: "mcp.WithNumberItems()",
	ArgInteger: "mcp.WithIntegerItems()", ArgBoolean: "mcp.WithBooleanItems()",
	ArgObject: `mcp.Items(map[string]any{"type": "object"})`,
}

// samples are Go literals of valid values of each type, for tests.
var samples = map[string]string{
	ArgString: `"example"`, ArgNumber: "1.5", ArgInteger: "3", ArgBoolean: "true", ArgObject: `json.RawMessage(` + "`" + `{"key": "value"}` + "`" + `)`,
}

// newToolView derives the view of a tool; base is its handler's
// identifier and module the repository's module path.
func newToolView(spec ToolSpec, base, module string) toolView {
	v := toolView{
		Name:            spec.Name,
		Base:            base,
		Builder:         base + "Tool",
		ArgsType:        base + "Args",
		Description:     itemDescription(spec.Description, spec.Name),
		DescriptionTODO: spec.Description == "",
		Title:           cmp.Or(spec.title, title(spec.Name)),
		ReadOnly:        spec.ReadOnly,
		Args:            fieldViews(spec.Args),
		Outputs:         fieldViews(spec.Outputs),
		Scopes:          spec.Scopes,
		Auth:            spec.auth,
	}
	if len(spec.Outputs) > 0 {
		v.ResultType = base + "Result"
	}
	for _, a := range spec.Args {
		if a.Required {
			v.Required = append(v.Required, a.Name)
		} else {
			v.OptionalArgs = true
		}
	}
	for _, o := range spec.Outputs {
		if o.Required {
			v.OutputRequired = append(v.OutputRequired, o.Name)
		} else {
			v.OptionalOutputs = true
		}
	}
	// The placeholder of a text tool echoes its arguments as JSON; a tool
	// of new has statements of its own.
	usesJSON := spec.hasObject() || spec.imports == nil && v.ResultType == "" && len(spec.Args) > 0
	std := []string{"context"}
	if usesJSON {
		std = append(std, "encoding/json")
	}
	std = append(std, spec.imports...)
	slices.Sort(std)
	v.Imports = [][]string{slices.Compact(std), {mcpImport}, {module + "/internal/typedtool"}}
	if spec.auth {
		v.Imports[2] = append(v.Imports[2], module+"/internal/auth")
		slices.Sort(v.Imports[2])
	}
	testImports := []string{"context", "testing"}
	if slices.ContainsFunc(spec.Args, func(a ToolArg) bool { return a.Type == ArgObject || a.Items == ArgObject }) {
		testImports = append(testImports, "encoding/json")
	}
	if len(spec.Scopes) > 0 {
		testImports = append(testImports, "slices")
	}
	if spec.testImports != nil {
		testImports = spec.testImports
	}
	var testStd, testOwn []string
	for _, p := range testImports {
		if strings.HasPrefix(p, "internal/") {
			testOwn = append(testOwn, module+"/"+p)
		} else {
			testStd = append(testStd, p)
		}
	}
	slices.Sort(testStd)
	v.TestImports = [][]string{testStd}
	if len(testOwn) > 0 {
		v.TestImports = append(v.TestImports, testOwn)
	}
	return v
}

// hasObject reports whether an argument or output is an object or an
// array of them, whose Go type is json.RawMessage.
func (s ToolSpec) hasObject() bool {
	isObject := func(a ToolArg) bool { return a.Type == ArgObject || a.Items == ArgObject }
	return slices.ContainsFunc(s.Args, isObject) || slices.ContainsFunc(s.Outputs, isObject)
}

// fieldViews derives the struct fields of arguments or outputs, giving
// each an exported Go name of its own.
func fieldViews(args []ToolArg) []fieldView {
	out := make([]fieldView, len(args))
	used := map[string]bool{}
	for i, a := range args {
		field := exported(camel(a.Name, "field"))
		name := field
		for n := 2; used[name]; n++ {
			name = field + strconv.Itoa(n)
		}
		used[name] = true
		out[i] = fieldView{
			Name:        a.Name,
			Field:       name,
			Description: a.Description,
			Required:    a.Required,
			Option:      schemaOption(a),
		}
		f := &out[i]
		typ := goTypes[a.Type]
		if a.Type == ArgArray {
			typ = "[]" + goTypes[a.Items]
		}
		f.GoType, f.Tag, f.Sample, f.Placeholder = typ, fmt.Sprintf("`json:%q`", a.Name), samples[a.Type], "0"
		f.Wire = wireSample(a)
		switch {
		case a.Type == ArgArray:
			f.Sample = typ + "{" + samples[a.Items] + "}"
			f.Placeholder = typ + "{}"
		case a.Type == ArgObject:
			f.Placeholder = "json.RawMessage(`{}`)"
		case a.Type == ArgString:
			f.Placeholder = `""`
		case a.Type == ArgBoolean:
			f.Placeholder = "false"
		}
		if !a.Required {
			f.Tag = fmt.Sprintf("`json:%q`", a.Name+",omitempty")
			f.Placeholder = ""
			if a.Type != ArgArray && a.Type != ArgObject {
				// nil slices and RawMessages already say "left out".
				f.GoType = "*" + typ
				// new(3) is an *int, new(1.5) a *float64 (Go 1.26).
				f.Sample = "new(" + f.Sample + ")"
			}
		}
	}
	return out
}

// wireSample is a Go literal of a valid value of an argument as a client's
// JSON decodes to (numbers in arrays are float64), for calls through a
// client in the generated tests.
func wireSample(a ToolArg) string {
	if a.Type == ArgArray {
		return map[string]string{
			ArgString: `[]any{"a", "b"}`, ArgNumber: "[]any{1.5, 2.5}", ArgInteger: "[]any{1.0, 2.0}",
			ArgBoolean: "[]any{true, false}", ArgObject: `[]any{map[string]any{"key": "value"}}`,
		}[a.Items]
	}
	if a.Type == ArgObject {
		return `map[string]any{"key": "value"}`
	}
	return samples[a.Type]
}

// schemaOption is the mcp-go option declaring a property.
func schemaOption(a ToolArg) string {
	var opts []string
	if a.Type == ArgArray {
		opts = append(opts, itemOptions[a.Items])
	}
	if a.Required {
		opts = append(opts, "mcp.Required()")
	}
	if a.Description != "" {
		opts = append(opts, "mcp.Description("+strconv.Quote(a.Description)+")")
	}
	if a.schemaOptions != "" {
		opts = append(opts, strings.Split(a.schemaOptions, ", ")...)
	}
	call := "mcp." + schemaFuncs[a.Type] + "(" + strconv.Quote(a.Name)
	if len(opts) == 0 {
		return call + ")"
	}
	return call + ",\n" + strings.Join(opts, ",\n") + ",\n)"
}
