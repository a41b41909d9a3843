package generator

import (
	"fmt"
	"html"
	"slices"
	"strconv"
	"strings"

	"github.com/yosida95/uritemplate/v3"
)

// This file writes the Go source of the files `mcpforge add` creates. The
// sources are built as text and gofmt'ed by the caller; every name that
// reaches them was validated (item and argument names are ASCII letters,
// digits, '_', '-' and '.') and every free text is quoted with strconv.Quote.

// goFile accumulates one Go source file.
type goFile struct {
	b strings.Builder
}

func (f *goFile) line(format string, args ...any) {
	fmt.Fprintf(&f.b, format, args...)
	f.b.WriteByte('\n')
}

func (f *goFile) bytes() []byte { return []byte(f.b.String()) }

// imports writes the import block in groups, as the generated code does
// elsewhere: standard library, other modules, the repository's own packages.
func (f *goFile) imports(groups ...[]string) {
	f.line("import (")
	first := true
	for _, g := range groups {
		if len(g) == 0 {
			continue
		}
		if !first {
			f.line("")
		}
		first = false
		for _, p := range g {
			f.line("\t%q", p)
		}
	}
	f.line(")")
	f.line("")
}

// comment writes text as a // comment wrapped at about 76 columns, with the
// given indentation.
func (f *goFile) comment(indent, text string) {
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > 76 {
			f.line("%s// %s", indent, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		f.line("%s// %s", indent, line)
	}
}

// title turns an item name into a human title: get_forecast -> Get forecast.
func title(name string) string {
	w := words(name)
	if len(w) == 0 {
		return name
	}
	s := strings.Join(w, " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

// localNames gives each argument a local variable name in the handler:
// its camel-case form, clear of keywords, predeclared names, imports, the
// handler's own names and the other arguments.
func localNames(args []string, taken ...string) []string {
	used := setOf(append([]string{"ctx", "req", "err", "ok", "v"}, taken...)...)
	out := make([]string, len(args))
	for i, a := range args {
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
// echoes the arguments: "city=%v, days=%v", "city, days".
func formatArgs(names, vars []string) (string, string) {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + "=%v"
	}
	return strings.Join(parts, ", "), strings.Join(vars, ", ")
}

// itemDescription is the description a client sees of an item added
// without one: its name in words (get_forecast: "Get forecast"), which is
// what a model would guess from the name anyway, rather than a TODO that
// reads as part of the tool's contract. The generated file carries the TODO
// in a comment instead.
func itemDescription(description, name string) string {
	if description != "" {
		return description
	}
	return title(name)
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

// promptCode writes the files of one new prompt.
type promptCode struct {
	spec  PromptSpec
	names itemNames
}

func (c promptCode) builder() string { return c.names.base + "Prompt" }

func (c promptCode) description() string {
	return itemDescription(c.spec.Description, c.spec.Name)
}

func (c promptCode) source() ([]byte, error) {
	s := c.spec
	f := &goFile{}
	f.line("package prompts")
	f.line("")
	std := []string{"context"}
	if len(s.Args) > 0 {
		std = append(std, "fmt")
	}
	f.imports(std, []string{mcpImport})
	f.line("func init() { register(%s(), %s) }", c.builder(), c.names.base)
	f.line("")
	f.comment("", fmt.Sprintf("%s describes the %s prompt to clients: what it is for and its arguments.", c.builder(), s.Name))
	f.line("func %s() mcp.Prompt {", c.builder())
	f.line("\treturn mcp.NewPrompt(%s,", strconv.Quote(s.Name))
	if s.Description == "" {
		f.comment("\t\t", fmt.Sprintf("TODO: say what the %s prompt is for; clients show the description to users choosing a prompt.", s.Name))
	}
	f.line("\t\tmcp.WithPromptDescription(%s),", strconv.Quote(c.description()))
	f.line("\t\tmcp.WithPromptTitle(%s),", strconv.Quote(title(s.Name)))
	for _, a := range s.Args {
		var opts []string
		if a.Required {
			opts = append(opts, "mcp.RequiredArgument()")
		}
		if a.Description != "" {
			opts = append(opts, "mcp.ArgumentDescription("+strconv.Quote(a.Description)+")")
		}
		if len(opts) == 0 {
			f.line("\t\tmcp.WithArgument(%s),", strconv.Quote(a.Name))
		} else {
			f.line("\t\tmcp.WithArgument(%s, %s),", strconv.Quote(a.Name), strings.Join(opts, ", "))
		}
	}
	f.line("\t)")
	f.line("}")
	f.line("")
	names := make([]string, len(s.Args))
	for i, a := range s.Args {
		names[i] = a.Name
	}
	vars := localNames(names, c.names.base, c.builder())
	f.comment("", fmt.Sprintf("%s returns the messages of the %s prompt.", c.names.base, s.Name))
	f.line("func %s(ctx context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {", c.names.base)
	for i, a := range s.Args {
		f.line("\t%s := req.Params.Arguments[%s]", vars[i], strconv.Quote(a.Name))
		if a.Required {
			f.line("\tif %s == \"\" {", vars[i])
			f.line("\t\treturn nil, fmt.Errorf(\"argument %%q is required\", %s)", strconv.Quote(a.Name))
			f.line("\t}")
		}
	}
	f.comment("\t", fmt.Sprintf("TODO: write the messages of the %s prompt.", s.Name))
	text := strconv.Quote("TODO: the text of the " + s.Name + " prompt")
	if len(s.Args) > 0 {
		format, list := formatArgs(names, vars)
		text = fmt.Sprintf("fmt.Sprintf(%s, %s)", strconv.Quote("TODO: the text of the "+s.Name+" prompt, with "+format), list)
	}
	f.line("\treturn mcp.NewGetPromptResult(%s, []mcp.PromptMessage{", strconv.Quote(c.description()))
	f.line("\t\tmcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(%s)),", text)
	f.line("\t}), nil")
	f.line("}")
	return f.bytes(), nil
}

func (c promptCode) test() ([]byte, error) {
	s := c.spec
	b := c.names.base
	f := &goFile{}
	f.line("package prompts")
	f.line("")
	f.imports([]string{"context", "testing"}, []string{mcpImport, "github.com/mark3labs/mcp-go/mcptest"})
	var required []string
	f.comment("", fmt.Sprintf("Test%s gets the %s prompt as a client would, with every argument.", exported(b), s.Name))
	f.line("func Test%s(t *testing.T) {", exported(b))
	f.line("\tvar req mcp.GetPromptRequest")
	f.line("\treq.Params.Name = %s", strconv.Quote(s.Name))
	f.line("\treq.Params.Arguments = map[string]string{")
	for _, a := range s.Args {
		f.line("\t\t%s: \"example\",", strconv.Quote(a.Name))
		if a.Required {
			required = append(required, a.Name)
		}
	}
	f.line("\t}")
	f.line("\tres, err := %s(context.Background(), req)", b)
	f.line("\tif err != nil {")
	f.line("\t\tt.Fatalf(\"%s: %%v\", err)", s.Name)
	f.line("\t}")
	f.line("\tif len(res.Messages) == 0 {")
	f.line("\t\tt.Fatal(\"the prompt has no messages\")")
	f.line("\t}")
	f.line("\t// TODO: check the messages once the prompt is written.")
	if len(required) > 0 {
		f.line("")
		f.line("\tvar empty mcp.GetPromptRequest")
		f.line("\tempty.Params.Name = %s", strconv.Quote(s.Name))
		f.line("\tif _, err := %s(context.Background(), empty); err == nil {", b)
		f.line("\t\tt.Error(\"getting the prompt without its required arguments succeeded\")")
		f.line("\t}")
	}
	f.line("}")
	f.line("")
	f.comment("", fmt.Sprintf("Test%sListed lists and gets the %s prompt through a real MCP client.", exported(b), s.Name))
	f.line("func Test%sListed(t *testing.T) {", exported(b))
	f.line("\tctx := context.Background()")
	f.line("\tsrv := mcptest.NewUnstartedServer(t)")
	f.line("\tsrv.AddPrompt(%s(), %s)", c.builder(), b)
	f.line("\tif err := srv.Start(ctx); err != nil {")
	f.line("\t\tt.Fatalf(\"start test server: %%v\", err)")
	f.line("\t}")
	f.line("\tt.Cleanup(srv.Close)")
	f.line("\tlist, err := srv.Client().ListPrompts(ctx, mcp.ListPromptsRequest{})")
	f.line("\tif err != nil {")
	f.line("\t\tt.Fatalf(\"prompts/list: %%v\", err)")
	f.line("\t}")
	f.line("\tif len(list.Prompts) != 1 || list.Prompts[0].Name != %s || len(list.Prompts[0].Arguments) != %d {", strconv.Quote(s.Name), len(s.Args))
	f.line("\t\tt.Fatalf(\"prompts/list = %%+v, want the %s prompt with %d argument%s\", list.Prompts)", s.Name, len(s.Args), plural(len(s.Args)))
	f.line("\t}")
	f.line("\tvar req mcp.GetPromptRequest")
	f.line("\treq.Params.Name = %s", strconv.Quote(s.Name))
	f.line("\treq.Params.Arguments = map[string]string{")
	for _, a := range s.Args {
		f.line("\t\t%s: \"example\",", strconv.Quote(a.Name))
	}
	f.line("\t}")
	f.line("\tres, err := srv.Client().GetPrompt(ctx, req)")
	f.line("\tif err != nil || len(res.Messages) == 0 {")
	f.line("\t\tt.Fatalf(\"prompts/get: %%v, %%+v\", err, res)")
	f.line("\t}")
	f.line("}")
	return f.bytes(), nil
}

// resourceCode writes the files of one new resource or resource template.
type resourceCode struct {
	spec     ResourceSpec
	names    itemNames
	template bool
}

func (c resourceCode) builder() string { return c.names.base + "Resource" }

func (c resourceCode) description() string {
	return itemDescription(c.spec.Description, c.spec.Name)
}

// descriptionTODO asks for a description where the resource has none.
func (c resourceCode) descriptionTODO(f *goFile) {
	if c.spec.Description == "" {
		f.comment("\t\t", fmt.Sprintf("TODO: say what %s holds; clients and models read the description to choose a resource.", c.spec.URI))
	}
}

// isTextMIME reports whether content of the type is text, served as
// TextResourceContents rather than base64 in BlobResourceContents.
func isTextMIME(mt string) bool {
	mt, _, _ = strings.Cut(strings.ToLower(mt), ";")
	mt = strings.TrimSpace(mt)
	return strings.HasPrefix(mt, "text/") || strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml") ||
		slices.Contains([]string{"application/json", "application/xml", "application/yaml", "application/toml", "application/javascript", "application/x-ndjson"}, mt)
}

// varnames returns the variables of the URI template, once each.
func (c resourceCode) varnames() []string {
	if !c.template {
		return nil
	}
	t, err := uritemplate.New(c.spec.URI)
	if err != nil {
		return nil // validated before
	}
	var out []string
	for _, v := range t.Varnames() {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// exampleURI expands the template with "example" for every variable, giving
// a URI the template matches.
func (c resourceCode) exampleURI() string {
	if !c.template {
		return c.spec.URI
	}
	t, err := uritemplate.New(c.spec.URI)
	if err != nil {
		return c.spec.URI
	}
	vals := uritemplate.Values{}
	for _, v := range t.Varnames() {
		vals.Set(v, uritemplate.String("example"))
	}
	out, err := t.Expand(vals)
	if err != nil {
		return c.spec.URI
	}
	return out
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

func (c resourceCode) source() ([]byte, error) {
	s := c.spec
	format := contentFormat(s.MIMEType)
	vars := c.varnames()
	taken := []string{c.names.base, c.builder()}
	if format == contentJSON || format == contentNDJSON {
		taken = append(taken, "data")
	}
	locals := localNames(vars, taken...)
	f := &goFile{}
	f.line("package resources")
	f.line("")
	std := []string{"context"}
	switch format {
	case contentBlob:
		std = append(std, "encoding/base64")
	case contentJSON, contentNDJSON:
		std = append(std, "encoding/json")
	case contentXML, contentHTML:
		std = append(std, "fmt", "html")
	}
	if len(vars) > 0 {
		std = append(std, "strings")
		if format == contentText || format == contentBlob {
			std = append(std, "fmt")
		}
	}
	slices.Sort(std)
	f.imports(std, []string{mcpImport})
	if c.template {
		f.line("func init() { registerTemplate(%s(), %s) }", c.builder(), c.names.base)
	} else {
		f.line("func init() { register(%s(), %s) }", c.builder(), c.names.base)
	}
	f.line("")
	kind := "resource"
	if c.template {
		kind = "resource template"
	}
	f.comment("", fmt.Sprintf("%s describes the %s %s to clients.", c.builder(), kind, s.URI))
	if c.template {
		f.line("func %s() mcp.ResourceTemplate {", c.builder())
		f.line("\treturn mcp.NewResourceTemplate(%s, %s,", strconv.Quote(s.URI), strconv.Quote(s.Name))
		c.descriptionTODO(f)
		f.line("\t\tmcp.WithTemplateDescription(%s),", strconv.Quote(c.description()))
		f.line("\t\tmcp.WithTemplateMIMEType(%s),", strconv.Quote(s.MIMEType))
	} else {
		f.line("func %s() mcp.Resource {", c.builder())
		f.line("\treturn mcp.NewResource(%s, %s,", strconv.Quote(s.URI), strconv.Quote(s.Name))
		c.descriptionTODO(f)
		f.line("\t\tmcp.WithResourceDescription(%s),", strconv.Quote(c.description()))
		f.line("\t\tmcp.WithMIMEType(%s),", strconv.Quote(s.MIMEType))
	}
	f.line("\t)")
	f.line("}")
	f.line("")
	f.comment("", fmt.Sprintf("%s returns the content of %s.", c.names.base, s.URI))
	f.line("func %s(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {", c.names.base)
	if len(vars) > 0 {
		f.comment("\t", "mcp-go passes the values of the template variables as lists of strings.")
		for i, v := range vars {
			f.line("\tvar %s string", locals[i])
			f.line("\tif v, ok := req.Params.Arguments[%s].([]string); ok {", strconv.Quote(v))
			f.line("\t\t%s = strings.Join(v, \",\")", locals[i])
			f.line("\t}")
		}
	}
	f.comment("\t", fmt.Sprintf("TODO: return the real content of %s.", s.URI))
	content := c.placeholder(f, format, vars, locals)
	f.line("\treturn []mcp.ResourceContents{")
	if format == contentBlob {
		f.line("\t\tmcp.BlobResourceContents{URI: req.Params.URI, MIMEType: %s, Blob: base64.StdEncoding.EncodeToString([]byte(%s))},", strconv.Quote(s.MIMEType), content)
	} else {
		f.line("\t\tmcp.TextResourceContents{URI: req.Params.URI, MIMEType: %s, Text: %s},", strconv.Quote(s.MIMEType), content)
	}
	f.line("\t}, nil")
	f.line("}")
	return f.bytes(), nil
}

// placeholder writes what the handler needs to build its placeholder content
// in the given format and returns the Go expression of that content (a
// string). Values of template variables come from the caller and are
// encoded at run time; the URI template is static and encoded here.
func (c resourceCode) placeholder(f *goFile, format string, vars, locals []string) string {
	uri := c.spec.URI
	todo := "TODO: the content of " + uri
	switch format {
	case contentJSON, contentNDJSON:
		f.line("\tdata, err := json.Marshal(map[string]any{")
		f.line("\t\t\"uri\": req.Params.URI,")
		if len(vars) > 0 {
			pairs := make([]string, len(vars))
			for i, v := range vars {
				pairs[i] = strconv.Quote(v) + ": " + locals[i]
			}
			f.line("\t\t\"variables\": map[string]string{%s},", strings.Join(pairs, ", "))
		}
		f.line("\t\t\"todo\": %s,", strconv.Quote("return the real content of "+uri))
		f.line("\t})")
		f.line("\tif err != nil {")
		f.line("\t\treturn nil, err")
		f.line("\t}")
		if format == contentNDJSON {
			return `string(data) + "\n"`
		}
		return "string(data)"
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

func (c resourceCode) test() ([]byte, error) {
	s := c.spec
	b := c.names.base
	uri := strconv.Quote(c.exampleURI())
	f := &goFile{}
	f.line("package resources")
	f.line("")
	format := contentFormat(s.MIMEType)
	isJSON := format == contentJSON || format == contentNDJSON
	std := []string{"context", "testing"}
	if isJSON {
		std = []string{"context", "encoding/json", "testing"}
	}
	f.imports(std, []string{mcpImport, "github.com/mark3labs/mcp-go/mcptest"})
	f.comment("", fmt.Sprintf("Test%s reads %s as a client would.", exported(b), s.URI))
	f.line("func Test%s(t *testing.T) {", exported(b))
	f.line("\tvar req mcp.ReadResourceRequest")
	f.line("\treq.Params.URI = %s", uri)
	if vars := c.varnames(); len(vars) > 0 {
		f.line("\treq.Params.Arguments = map[string]any{")
		for _, v := range vars {
			f.line("\t\t%s: []string{\"example\"},", strconv.Quote(v))
		}
		f.line("\t}")
	}
	f.line("\tcontents, err := %s(context.Background(), req)", b)
	f.line("\tif err != nil {")
	f.line("\t\tt.Fatalf(\"%%s: %%v\", req.Params.URI, err)")
	f.line("\t}")
	f.line("\tif len(contents) == 0 {")
	f.line("\t\tt.Fatal(\"no contents\")")
	f.line("\t}")
	if isJSON {
		f.comment("\t", fmt.Sprintf("Clients parse %s content as JSON.", s.MIMEType))
		f.line("\tif text, ok := contents[0].(mcp.TextResourceContents); !ok || !json.Valid([]byte(text.Text)) {")
		f.line("\t\tt.Errorf(\"the content is not JSON: %%+v\", contents[0])")
		f.line("\t}")
	}
	f.line("\t// TODO: check the content once the resource serves it.")
	f.line("}")
	f.line("")
	f.comment("", fmt.Sprintf("Test%sListed lists and reads %s through a real MCP client.", exported(b), s.URI))
	f.line("func Test%sListed(t *testing.T) {", exported(b))
	f.line("\tctx := context.Background()")
	f.line("\tsrv := mcptest.NewUnstartedServer(t)")
	if c.template {
		f.line("\tsrv.AddResourceTemplate(%s(), %s)", c.builder(), b)
	} else {
		f.line("\tsrv.AddResource(%s(), %s)", c.builder(), b)
	}
	f.line("\tif err := srv.Start(ctx); err != nil {")
	f.line("\t\tt.Fatalf(\"start test server: %%v\", err)")
	f.line("\t}")
	f.line("\tt.Cleanup(srv.Close)")
	if c.template {
		f.line("\tlist, err := srv.Client().ListResourceTemplates(ctx, mcp.ListResourceTemplatesRequest{})")
		f.line("\tif err != nil {")
		f.line("\t\tt.Fatalf(\"resources/templates/list: %%v\", err)")
		f.line("\t}")
		f.line("\tif len(list.ResourceTemplates) != 1 || list.ResourceTemplates[0].Name != %s {", strconv.Quote(s.Name))
		f.line("\t\tt.Fatalf(\"resources/templates/list = %%+v, want %s\", list.ResourceTemplates)", escapePercent(s.URI))
		f.line("\t}")
	} else {
		f.line("\tlist, err := srv.Client().ListResources(ctx, mcp.ListResourcesRequest{})")
		f.line("\tif err != nil {")
		f.line("\t\tt.Fatalf(\"resources/list: %%v\", err)")
		f.line("\t}")
		f.line("\tif len(list.Resources) != 1 || list.Resources[0].URI != %s {", strconv.Quote(s.URI))
		f.line("\t\tt.Fatalf(\"resources/list = %%+v, want %s\", list.Resources)", escapePercent(s.URI))
		f.line("\t}")
	}
	f.line("\tvar req mcp.ReadResourceRequest")
	f.line("\treq.Params.URI = %s", uri)
	f.line("\tres, err := srv.Client().ReadResource(ctx, req)")
	f.line("\tif err != nil || len(res.Contents) == 0 {")
	f.line("\t\tt.Fatalf(\"resources/read %%s: %%v, %%+v\", req.Params.URI, err, res)")
	f.line("\t}")
	f.line("}")
	return f.bytes(), nil
}
