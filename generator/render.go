package generator

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/template"

	"golang.org/x/tools/go/ast/astutil"

	mcpruntime "github.com/mcpforge/mcpforge/runtime"
	"github.com/mcpforge/mcpforge/templates"
)

// runtimeImportPrefix is the import path of package runtime; its subpackages
// are rewritten to <module>/internal/<pkg> when copied.
const runtimeImportPrefix = "github.com/mcpforge/mcpforge/runtime"

// mcpforgeModule is mcpforge's own module path; generated code must not
// import anything from it except through the rewritten runtime packages.
const mcpforgeModule = "github.com/mcpforge/mcpforge"

// DevelVersion is the mcpforge version recorded when none is given with
// WithVersion, e.g. in tests and golden files.
const DevelVersion = "devel"

// fileMode is the mode of every generated file.
const fileMode fs.FileMode = 0o644

// Option adjusts a Render call.
type Option func(*renderConfig)

type renderConfig struct {
	version string
}

// WithVersion sets the mcpforge version written into .mcpforge.toml and
// offered to templates as .MCPForgeVersion (default DevelVersion).
func WithVersion(v string) Option {
	return func(c *renderConfig) {
		if v != "" {
			c.version = v
		}
	}
}

// Render returns the whole repository for the answers, in memory. It applies
// the defaults (Answers.WithDefaults), validates (returning a
// *ValidationError), renders every template of package templates that the
// variant includes (gofmt'ing every Go file they produce), copies the runtime
// packages it includes to internal/ with their imports rewritten (their
// sources are gofmt'ed, and stay so through the rewrite), and adds the record
// file .mcpforge.toml. The result depends only on the answers and the
// version: two calls give byte-identical file sets.
func Render(a Answers, opts ...Option) (*FileSet, error) {
	return renderFS(a, templates.Repo(), mcpruntime.FS, opts...)
}

// renderFS is Render with the template and runtime trees injected, so tests
// can render small fake trees in isolation.
func renderFS(a Answers, tmplFS, runtimeFS fs.FS, opts ...Option) (*FileSet, error) {
	cfg := renderConfig{version: DevelVersion}
	for _, o := range opts {
		o(&cfg)
	}
	a = a.WithDefaults()
	if err := a.Validate(); err != nil {
		return nil, err
	}
	d, err := newData(a, cfg.version)
	if err != nil {
		return nil, err
	}
	set := &FileSet{}
	if err := renderTemplates(set, tmplFS, d); err != nil {
		return nil, err
	}
	if err := copyRuntime(set, runtimeFS, d.Runtime, d); err != nil {
		return nil, err
	}
	if err := checkImports(set, d); err != nil {
		return nil, err
	}
	if _, ok := set.Get(RecordFile); ok {
		return nil, fmt.Errorf("the templates must not contain %s: Render writes it", RecordFile)
	}
	rec := Record{Answers: a, MCPForgeVersion: cfg.version, Files: map[string]string{}}
	for _, f := range set.files {
		rec.Files[f.Path] = hashOf(f.Data)
	}
	if err := set.Add(RecordFile, rec.Encode(), fileMode); err != nil {
		return nil, err
	}
	return set, nil
}

// renderTemplates adds every included file of the template tree.
func renderTemplates(set *FileSet, tmplFS fs.FS, d Data) error {
	return fs.WalkDir(tmplFS, ".", func(src string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			return nil
		}
		if !e.Type().IsRegular() {
			return fmt.Errorf("template %s is not a regular file", src)
		}
		isTmpl := strings.HasSuffix(src, ".tmpl")
		rel := strings.TrimSuffix(src, ".tmpl")
		if !includeTemplate(rel, d) {
			return nil
		}
		out := substituteName(rel, d.Name)
		raw, err := fs.ReadFile(tmplFS, src)
		if err != nil {
			return err
		}
		data := raw
		if isTmpl {
			data, err = execTemplate(src, raw, d)
			if err != nil {
				return err
			}
		}
		if strings.HasSuffix(out, ".go") {
			data, err = formatGo(out, data)
			if err != nil {
				return fmt.Errorf("template %s: %w", src, err)
			}
		}
		if err := set.Add(out, data, fileMode); err != nil {
			return fmt.Errorf("template %s: %w", src, err)
		}
		return nil
	})
}

// itemTemplates parses the templates of package templates' items/ (the
// files of one tool, prompt or resource), each named by its file name
// without ".tmpl", once; execTemplate gives every template a copy.
var itemTemplates = sync.OnceValues(func() (*template.Template, error) {
	return parseItems(templates.Items())
})

func parseItems(fsys fs.FS) (*template.Template, error) {
	set := template.New("").Option("missingkey=error").Funcs(templateFuncs())
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		src, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, err
		}
		if _, err := set.New(strings.TrimSuffix(e.Name(), ".tmpl")).Parse(string(src)); err != nil {
			return nil, fmt.Errorf("parse template items/%s: %w", e.Name(), err)
		}
	}
	return set, nil
}

// renderItem renders the item template name (tool.go, tool_test.go, ...)
// for view through execTemplate, as new renders its templates.
func renderItem(name string, view any) ([]byte, error) {
	return execTemplate(name+".tmpl", []byte(`{{template "`+name+`" .}}`), view)
}

// execTemplate runs one template, with the item templates available to it
// by name. A template that renders to nothing but white space is an error:
// files are left out through the table in files.go, never by rendering them
// empty, so an empty file is always a mistake.
func execTemplate(name string, src []byte, data any) ([]byte, error) {
	items, err := itemTemplates()
	if err != nil {
		return nil, err
	}
	set, err := items.Clone()
	if err != nil {
		return nil, err
	}
	t, err := set.New(name).Parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("execute template: %w", err)
	}
	if len(bytes.TrimSpace(b.Bytes())) == 0 {
		return nil, fmt.Errorf("template %s renders to nothing but white space for this variant; leave it out through generator/files.go instead", name)
	}
	return b.Bytes(), nil
}

// formatGo gofmt's a Go file, or says where it is not valid Go.
func formatGo(name string, src []byte) ([]byte, error) {
	out, err := format.Source(src)
	if err != nil {
		return nil, fmt.Errorf("%s is not valid Go: %v", name, err)
	}
	return out, nil
}

// copyRuntime copies the runtime packages (their Go files, tests included)
// to internal/<pkg>, with their imports of other runtime packages rewritten
// to the new module and a header saying where they came from. Other files
// are left behind: go:embed takes whatever a package's directory holds,
// such as the test binary and profile go test -cpuprofile writes there.
func copyRuntime(set *FileSet, runtimeFS fs.FS, pkgs []string, d Data) error {
	for _, pkg := range pkgs {
		if _, err := fs.Stat(runtimeFS, pkg); err != nil {
			return fmt.Errorf("runtime package %s is needed by this variant (see runtimePackages in generator/files.go) but package runtime does not embed it: %w", pkg, err)
		}
		err := fs.WalkDir(runtimeFS, pkg, func(src string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() || !strings.HasSuffix(src, ".go") {
				return err
			}
			data, err := fs.ReadFile(runtimeFS, src)
			if err != nil {
				return err
			}
			if data, err = rewriteRuntimeGo(src, data, d.Module); err != nil {
				return err
			}
			return set.Add(path.Join("internal", src), data, fileMode)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// rewriteRuntimeGo rewrites the imports of one runtime Go file through go/ast
// (github.com/mcpforge/mcpforge/runtime/X -> <module>/internal/X) and puts the
// ownership header before everything else, separated by a blank line so that
// it does not become part of the package doc.
//
// Runtime sources are gofmt'ed (mcpforge's own tests check every rendered
// file), which allows two shortcuts that keep Render fast: a file without
// runtime imports is copied as it is behind the header, and a file whose
// rewritten imports keep gofmt's order gets just the import path literals
// replaced, at the positions the syntax tree gives them. Only a file whose
// import order changes (say "example.com/..." now sorts before
// "github.com/...") is printed again from its rewritten tree, the way gofmt
// prints it.
func rewriteRuntimeGo(src string, data []byte, module string) ([]byte, error) {
	header := fmt.Sprintf("// This file was generated by mcpforge from runtime/%s; you own it now.\n\n", path.Dir(src))
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, src, data, parser.ImportsOnly|parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("runtime file %s does not parse: %w", src, err)
	}
	newPath := func(p string) (string, bool) {
		rest, ok := strings.CutPrefix(p, runtimeImportPrefix+"/")
		return module + "/internal/" + rest, ok
	}
	type edit struct {
		start, end int
		text       string
	}
	var edits []edit
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			return nil, fmt.Errorf("runtime file %s: bad import %s", src, imp.Path.Value)
		}
		if np, ok := newPath(p); ok {
			edits = append(edits, edit{fset.Position(imp.Path.Pos()).Offset, fset.Position(imp.Path.End()).Offset, strconv.Quote(np)})
		} else if p == mcpforgeModule || strings.HasPrefix(p, mcpforgeModule+"/") {
			return nil, fmt.Errorf("runtime file %s imports %s: runtime packages may import only other runtime packages, the standard library and the dependencies of generated servers", src, p)
		}
	}
	if len(edits) == 0 {
		return append([]byte(header), data...), nil
	}
	if importsStaySorted(fset, f, newPath) {
		var b bytes.Buffer
		b.Grow(len(header) + len(data) + 64*len(edits))
		b.WriteString(header)
		last := 0
		for _, e := range edits {
			b.Write(data[last:e.start])
			b.WriteString(e.text)
			last = e.end
		}
		b.Write(data[last:])
		return b.Bytes(), nil
	}
	return printRewritten(src, data, header, newPath)
}

// printRewritten parses the whole file, rewrites its runtime imports with
// astutil.RewriteImport, sorts the imports and prints it as gofmt does.
func printRewritten(src string, data []byte, header string, newPath func(string) (string, bool)) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, src, data, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("runtime file %s does not parse: %w", src, err)
	}
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if np, ok := newPath(p); ok {
			astutil.RewriteImport(fset, f, p, np)
		}
	}
	ast.SortImports(fset, f)
	var b bytes.Buffer
	b.WriteString(header)
	if err := gofmtPrinter.Fprint(&b, fset, f); err != nil {
		return nil, fmt.Errorf("runtime file %s: %w", src, err)
	}
	return b.Bytes(), nil
}

// importsStaySorted reports whether replacing import paths with rename leaves
// the file as gofmt would print it: within each run of import lines (as
// ast.SortImports groups them: no blank line between) the specs stay in
// (path, name) order without duplicates, and no import carries a trailing
// comment whose alignment a longer path would shift.
func importsStaySorted(fset *token.FileSet, f *ast.File, rename func(string) (string, bool)) bool {
	for _, decl := range f.Decls {
		g, ok := decl.(*ast.GenDecl)
		if !ok || g.Tok != token.IMPORT {
			continue
		}
		var prevPath, prevName string
		prevEnd := -1
		for _, spec := range g.Specs {
			imp := spec.(*ast.ImportSpec)
			if imp.Comment != nil {
				return false
			}
			p, _ := strconv.Unquote(imp.Path.Value)
			if np, ok := rename(p); ok {
				p = np
			}
			name := ""
			if imp.Name != nil {
				name = imp.Name.Name
			}
			newRun := prevEnd < 0 || fset.Position(imp.Pos()).Line > prevEnd+1
			if !newRun && (p < prevPath || p == prevPath && name <= prevName) {
				return false
			}
			prevPath, prevName, prevEnd = p, name, fset.Position(imp.End()).Line
		}
	}
	return true
}

// gofmtPrinter prints a syntax tree with gofmt's settings.
var gofmtPrinter = printer.Config{Mode: printer.UseSpaces | printer.TabIndent, Tabwidth: 8}

// checkImports makes sure every import of every generated Go file resolves:
// the standard library, the generated module itself, or a module that the
// variant requires directly. Anything else would leave go.mod wrong or
// `go mod tidy` reaching for the network.
func checkImports(set *FileSet, d Data) error {
	var problems []string
	for _, f := range set.files {
		if !strings.HasSuffix(f.Path, ".go") {
			continue
		}
		pf, err := parser.ParseFile(token.NewFileSet(), f.Path, f.Data, parser.ImportsOnly)
		if err != nil {
			return fmt.Errorf("%s is not valid Go: %w", f.Path, err)
		}
		for _, imp := range pf.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if msg := importProblem(p, d); msg != "" {
				problems = append(problems, fmt.Sprintf("%s imports %s, %s", f.Path, p, msg))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("generated code has imports the generated go.mod cannot satisfy (fix the template or runtime package, or directModules in generator/files.go):\n\t%s", strings.Join(problems, "\n\t"))
	}
	return nil
}

func importProblem(p string, d Data) string {
	if isStdlib(p) || p == d.Module || strings.HasPrefix(p, d.Module+"/") {
		if strings.HasPrefix(p, d.Module+"/internal/") {
			pkg, _, _ := strings.Cut(strings.TrimPrefix(p, d.Module+"/internal/"), "/")
			if slices.Contains(runtimeNames(), pkg) && !d.HasRuntime(pkg) {
				return "a runtime package this variant does not include"
			}
		}
		return ""
	}
	if p == mcpforgeModule || strings.HasPrefix(p, mcpforgeModule+"/") {
		return "which is part of mcpforge, not of the generated module"
	}
	m := moduleOf(p, d.Requires)
	switch {
	case m == "":
		return "which no module in mcpforge's go.mod provides"
	case slices.ContainsFunc(d.Requires, func(r Require) bool { return r.Path == m && r.Indirect }):
		return "from module " + m + ", which is not a direct dependency of this variant"
	}
	return ""
}

func runtimeNames() []string {
	out := make([]string, len(runtimePackages))
	for i, p := range runtimePackages {
		out[i] = p.pkg
	}
	return out
}
