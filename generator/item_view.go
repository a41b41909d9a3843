package generator

import (
	"fmt"
	"html"
	"slices"
	"strconv"
	"strings"

	"github.com/yosida95/uritemplate/v3"
)

// This file turns prompt and resource specifications into what their
// templates (templates/items/prompt*.go.tmpl, resource*.go.tmpl) see, as
// tool_view.go does for tools. Names reaching the templates were validated;
// free text is quoted there with goquote.

// title turns an item name into a human title: get_forecast -> Get forecast.
func title(name string) string {
	w := words(name)
	if len(w) == 0 {
		return name
	}
	s := strings.Join(w, " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

// itemDescription is the description a client sees of an item added
// without one: its name in words (get_forecast: "Get forecast"), which is
// what a model would guess from the name anyway, rather than a TODO that
// reads as part of the item's contract. The generated file carries the TODO
// in a comment instead.
func itemDescription(description, name string) string {
	if description != "" {
		return description
	}
	return title(name)
}

// localNames gives each name a local variable name in a handler: its
// camel-case form, clear of keywords, predeclared names, imports, the
// handler's own names and the others.
func localNames(names []string, taken ...string) []string {
	used := setOf(append([]string{"ctx", "req", "err", "ok", "v"}, taken...)...)
	out := make([]string, len(names))
	for i, a := range names {
		stem := camel(a, "arg")
		if reservedIdent(stem) || used[stem] {
			stem += "Arg"
		}
		name := stem
		for n := 2; reservedIdent(name) || used[name]; n++ {
			name = stem + strconv.Itoa(n)
		}
		used[name] = true
		out[i] = name
	}
	return out
}

// formatArgs returns the format string and argument list of a Sprintf that
// echoes values: "city=%v, days=%v", "city, days".
func formatArgs(names, vars []string) (string, string) {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + "=%v"
	}
	return strings.Join(parts, ", "), strings.Join(vars, ", ")
}

// plural returns "s" unless n is 1.
func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// them returns "it" for one thing, "them" for more.
func them(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// promptView is a prompt as its templates see it.
type promptView struct {
	Name, Base, Builder string
	// Description is what clients see; DescriptionTODO marks one derived
	// from the name.
	Description     string
	DescriptionTODO bool
	Title           string
	Args            []promptArgView
	// Required reports whether an argument is required.
	Required bool
	// Text is the Go expression of the placeholder message's text.
	Text string
}

// promptArgView is one argument of a prompt and its local variable.
type promptArgView struct {
	Name, Local, Description string
	Required                 bool
}

func newPromptView(spec PromptSpec, base string) promptView {
	v := promptView{
		Name:            spec.Name,
		Base:            base,
		Builder:         base + "Prompt",
		Description:     itemDescription(spec.Description, spec.Name),
		DescriptionTODO: spec.Description == "",
		Title:           title(spec.Name),
	}
	names := make([]string, len(spec.Args))
	for i, a := range spec.Args {
		names[i] = a.Name
	}
	locals := localNames(names, base, v.Builder)
	for i, a := range spec.Args {
		v.Args = append(v.Args, promptArgView{Name: a.Name, Local: locals[i], Description: a.Description, Required: a.Required})
		v.Required = v.Required || a.Required
	}
	v.Text = strconv.Quote("TODO: the text of the " + spec.Name + " prompt")
	if len(spec.Args) > 0 {
		format, list := formatArgs(names, locals)
		v.Text = fmt.Sprintf("fmt.Sprintf(%s, %s)", strconv.Quote("TODO: the text of the "+spec.Name+" prompt, with "+format), list)
	}
	return v
}

// resourceView is a resource or resource template as its templates see it.
type resourceView struct {
	URI, Name, Base, Builder string
	// Template reports a resource template (the URI has {expressions});
	// Kind says "resource" or "resource template".
	Template bool
	Kind     string
	// Description is what clients see; DescriptionTODO marks one derived
	// from the name.
	Description     string
	DescriptionTODO bool
	MIMEType        string
	// Format is the placeholder content's format (contentText, ...).
	Format string
	// Vars are the variables of the URI template, once each, with their
	// locals.
	Vars []resourceVarView
	// Imports are the standard library imports of the resource file;
	// TestImports those of its test.
	Imports, TestImports []string
	// Content is the Go expression of the placeholder content (a string).
	Content string
	// Todo is what the JSON placeholder asks for.
	Todo string
	// ExampleURI is a URI the resource (template) matches, for tests.
	ExampleURI string
}

// resourceVarView is one variable of a URI template and its local.
type resourceVarView struct {
	Name, Local string
}

func newResourceView(spec ResourceSpec, base string) resourceView {
	v := resourceView{
		URI:             spec.URI,
		Name:            spec.Name,
		Base:            base,
		Builder:         base + "Resource",
		Template:        IsURITemplate(spec.URI),
		Kind:            "resource",
		Description:     itemDescription(spec.Description, spec.Name),
		DescriptionTODO: spec.Description == "",
		MIMEType:        spec.MIMEType,
		Format:          contentFormat(spec.MIMEType),
		Todo:            "return the real content of " + spec.URI,
		ExampleURI:      spec.URI,
	}
	if v.Template {
		v.Kind = "resource template"
	}
	var names []string
	if t, err := uritemplate.New(spec.URI); err == nil && v.Template {
		for _, n := range t.Varnames() {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		vals := uritemplate.Values{}
		for _, n := range t.Varnames() {
			vals.Set(n, uritemplate.String("example"))
		}
		if out, err := t.Expand(vals); err == nil {
			v.ExampleURI = out
		}
	}
	isJSON := v.Format == contentJSON || v.Format == contentNDJSON
	taken := []string{base, v.Builder}
	if isJSON {
		taken = append(taken, "data")
	}
	locals := localNames(names, taken...)
	for i, n := range names {
		v.Vars = append(v.Vars, resourceVarView{Name: n, Local: locals[i]})
	}
	std := []string{"context"}
	switch v.Format {
	case contentBlob:
		std = append(std, "encoding/base64")
	case contentJSON, contentNDJSON:
		std = append(std, "encoding/json")
	case contentXML, contentHTML:
		std = append(std, "fmt", "html")
	}
	if len(names) > 0 {
		std = append(std, "strings")
		if v.Format == contentText || v.Format == contentBlob {
			std = append(std, "fmt")
		}
	}
	slices.Sort(std)
	v.Imports = std
	v.TestImports = []string{"context", "testing"}
	if isJSON {
		v.TestImports = []string{"context", "encoding/json", "testing"}
	}
	v.Content = placeholderContent(spec.URI, v.Format, names, locals)
	return v
}

// placeholderContent returns the Go expression of a new resource's
// placeholder content in the given format (a string), the JSON formats
// excepted: their template marshals it into data. Values of template
// variables come from the caller and are encoded at run time; the URI
// template is static and encoded here.
func placeholderContent(uri, format string, vars, locals []string) string {
	todo := "TODO: the content of " + uri
	switch format {
	case contentJSON:
		return "string(data)"
	case contentNDJSON:
		return `string(data) + "\n"`
	case contentXML, contentHTML:
		var b strings.Builder
		args := []string{"html.EscapeString(req.Params.URI)"}
		if format == contentXML {
			b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<resource uri="%s">` + "\n")
			b.WriteString("  <todo>" + escapePercent(html.EscapeString(todo)) + "</todo>\n")
			for i, v := range vars {
				b.WriteString(`  <variable name="` + escapePercent(html.EscapeString(v)) + `">%s</variable>` + "\n")
				args = append(args, "html.EscapeString("+locals[i]+")")
			}
			b.WriteString("</resource>\n")
		} else {
			b.WriteString("<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>%s</title></head>\n<body>\n")
			b.WriteString("<p>" + escapePercent(html.EscapeString(todo)) + "</p>\n")
			for i, v := range vars {
				b.WriteString("<p>" + escapePercent(html.EscapeString(v)) + ": %s</p>\n")
				args = append(args, "html.EscapeString("+locals[i]+")")
			}
			b.WriteString("</body>\n</html>\n")
		}
		return fmt.Sprintf("fmt.Sprintf(%s, %s)", strconv.Quote(b.String()), strings.Join(args, ", "))
	}
	if len(vars) == 0 {
		return strconv.Quote(todo)
	}
	pattern, list := formatArgs(vars, locals)
	return fmt.Sprintf("fmt.Sprintf(%s, %s)", strconv.Quote(escapePercent(todo)+" for "+pattern), list)
}

// isTextMIME reports whether content of the type is text, served as
// TextResourceContents rather than base64 in BlobResourceContents.
func isTextMIME(mt string) bool {
	mt, _, _ = strings.Cut(strings.ToLower(mt), ";")
	mt = strings.TrimSpace(mt)
	return strings.HasPrefix(mt, "text/") || strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml") ||
		slices.Contains([]string{"application/json", "application/xml", "application/yaml", "application/toml", "application/javascript", "application/x-ndjson"}, mt)
}

// Formats of the placeholder content of a new resource, by MIME type.
const (
	contentText   = "text"   // a line of plain text
	contentBlob   = "blob"   // that line, base64 in a blob
	contentJSON   = "json"   // a JSON object
	contentNDJSON = "ndjson" // a JSON object on one line
	contentXML    = "xml"    // an XML document
	contentHTML   = "html"   // an HTML document
)

// contentFormat chooses the placeholder content of a resource of the given
// MIME type, so that it parses as what the type promises: a client reading
// application/json gets JSON. YAML gets JSON too, which YAML 1.2 reads.
func contentFormat(mimeType string) string {
	mt, _, _ := strings.Cut(strings.ToLower(mimeType), ";")
	mt = strings.TrimSpace(mt)
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json") ||
		slices.Contains([]string{"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"}, mt):
		return contentJSON
	case slices.Contains([]string{"application/x-ndjson", "application/jsonl", "application/jsonlines"}, mt):
		return contentNDJSON
	case mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml"):
		return contentXML
	case mt == "text/html":
		return contentHTML
	case isTextMIME(mt):
		return contentText
	}
	return contentBlob
}

// escapePercent makes text safe inside a Sprintf format: a URI may hold
// percent-encoded characters.
func escapePercent(s string) string { return strings.ReplaceAll(s, "%", "%%") }
