package generator

import (
	"bytes"
	"cmp"
	"errors"
	"go/format"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	mcpruntime "github.com/mcpforge/mcpforge/runtime"
	"github.com/mcpforge/mcpforge/templates"
)

// fakeTemplates is a small template tree exercising every rule of Render.
func fakeTemplates() fstest.MapFS {
	return fstest.MapFS{
		"go.mod.tmpl": {Data: []byte("module {{.Module}}\n\ngo {{.GoVersion}}\n")},
		"README.md.tmpl": {Data: []byte("# {{.Name}}\n\n{{.Description}}\n\nTransports: {{join .Transports \", \"}} ({{upper .EnvPrefix}})\n" +
			"{{if has \"sse\" .Transports}}SSE{{end}}{{if .HasDeploy \"docker\"}}docker{{end}}\n")},
		"cmd/__name__/main.go.tmpl": {Data: []byte(`// Command {{.Name}} serves MCP.
package main

import (
	"fmt"
	"{{.Module}}/internal/config"
)

func main() {   fmt.Println({{quote .Description}}, config.Name) }
`)},
		"chart/__name__/templates/svc.yaml": {Data: []byte("name: {{ .Release.Name }}\n")},
		"Dockerfile.tmpl":                   {Data: []byte("FROM golang:{{.GoVersion}}\n")},
		".github/workflows/ci.yml":          {Data: []byte("on: push\n")},
		"config.toml.tmpl":                  {Data: []byte("transports = {{toml .Transports}}\nname = {{toml .Name}}\n")},
	}
}

// fakeRuntime is a runtime tree: config is always copied, httpserver with a
// network transport, and httpserver imports config.
func fakeRuntime() fstest.MapFS {
	return fstest.MapFS{
		"config/config.go": {Data: []byte(`// Package config loads the configuration.
package config

// Name is a name.
const Name = "x"
`)},
		"config/config_test.go": {Data: []byte("package config\n\nimport \"testing\"\n\nfunc TestName(t *testing.T) {}\n")},
		"httpserver/server.go": {Data: []byte(`//go:build !never

// Package httpserver serves HTTP.
package httpserver

import (
	"net/http"

	cfg "github.com/mcpforge/mcpforge/runtime/config"
	"github.com/mcpforge/mcpforge/runtime/config"
)

var _ = cfg.Name + config.Name

// Handler is a handler.
var Handler http.Handler
`)},
		"auth/auth.go":             {Data: []byte("// Package auth checks tokens.\npackage auth\n")},
		"oauth/oauth.go":           {Data: []byte("// Package oauth serves OAuth metadata.\npackage oauth\n")},
		"toolargs/toolargs.go":     {Data: []byte("// Package toolargs checks tool arguments.\npackage toolargs\n")},
		"envelope/envelope.go":     {Data: []byte("// Package envelope parses JSON-RPC envelopes.\npackage envelope\n")},
		"promptargs/promptargs.go": {Data: []byte("// Package promptargs checks prompt arguments.\npackage promptargs\n")},
		"heapfloor/heapfloor.go":   {Data: []byte("// Package heapfloor keeps a heap floor.\npackage heapfloor\n")},
		"typedtool/typedtool.go":   {Data: []byte("// Package typedtool turns typed functions into tool handlers.\npackage typedtool\n")},
		"typo/typo.go":             {Data: []byte("// Package typo measures edit distances.\npackage typo\n")},
		"telemetry/telemetry.go":   {Data: []byte("// Package telemetry observes the server.\npackage telemetry\n")},
		// What go test -cpuprofile leaves in a package's directory, which
		// go:embed would take along: never copied.
		"telemetry/telemetry.test": {Data: []byte("\x7fELF")},
		"telemetry/cpu.prof":       {Data: []byte("profile")},
	}
}

func renderFake(t *testing.T, a Answers, tmpl, rt fs.FS) *FileSet {
	t.Helper()
	set, err := renderFS(a, tmpl, rt)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return set
}

func content(t *testing.T, set *FileSet, p string) string {
	t.Helper()
	f, ok := set.Get(p)
	if !ok {
		t.Fatalf("%s not generated; have %v", p, set.Paths())
	}
	return string(f.Data)
}

func TestRenderFake(t *testing.T) {
	a := Answers{Name: "my-weather", Module: "example.com/acme/weather", Description: `Says "hi"`, Transports: []string{"sse", "stdio"}}
	set := renderFake(t, a, fakeTemplates(), fakeRuntime())

	want := []string{
		".github/workflows/ci.yml", RecordFile, "Dockerfile", "README.md",
		"chart/my-weather/templates/svc.yaml", "cmd/my-weather/main.go", "config.toml", "go.mod",
		"internal/config/config.go", "internal/config/config_test.go", "internal/envelope/envelope.go",
		"internal/heapfloor/heapfloor.go", "internal/httpserver/server.go", "internal/promptargs/promptargs.go",
		"internal/telemetry/telemetry.go", "internal/toolargs/toolargs.go", "internal/typedtool/typedtool.go", "internal/typo/typo.go",
	}
	if got := set.Paths(); !slices.Equal(got, want) {
		t.Errorf("paths = %v\nwant    %v", got, want)
	}
	if got := content(t, set, "README.md"); got != "# my-weather\n\nSays \"hi\"\n\nTransports: stdio, sse (MY_WEATHER)\nSSEdocker\n" {
		t.Errorf("README.md = %q", got)
	}
	// Files that are not .tmpl are copied verbatim, "{{" and all.
	if got := content(t, set, "chart/my-weather/templates/svc.yaml"); got != "name: {{ .Release.Name }}\n" {
		t.Errorf("verbatim file changed: %q", got)
	}
	if got := content(t, set, "config.toml"); got != "transports = [\"stdio\", \"sse\"]\nname = \"my-weather\"\n" {
		t.Errorf("config.toml = %q", got)
	}
	// Go templates come out gofmt'ed.
	main := content(t, set, "cmd/my-weather/main.go")
	if !strings.Contains(main, "func main() { fmt.Println(\"Says \\\"hi\\\"\", config.Name) }") {
		t.Errorf("main.go not formatted or quoted:\n%s", main)
	}
	for _, f := range set.Files() {
		if strings.HasSuffix(f.Path, ".go") {
			if formatted, err := format.Source(f.Data); err != nil || !bytes.Equal(formatted, f.Data) {
				t.Errorf("%s is not gofmt'ed (err %v)", f.Path, err)
			}
		}
		if f.Mode != 0o644 {
			t.Errorf("%s has mode %v", f.Path, f.Mode)
		}
	}
}

func TestRenderRuntimeCopy(t *testing.T) {
	a := Answers{Name: "w", Module: "example.com/w", Transports: []string{"http"}}
	set := renderFake(t, a, fakeTemplates(), fakeRuntime())

	src := content(t, set, "internal/httpserver/server.go")
	const header = "// This file was generated by mcpforge from runtime/httpserver; you own it now.\n\n"
	if !strings.HasPrefix(src, header) {
		t.Errorf("no ownership header:\n%s", src)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "server.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var imports []string
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		name := ""
		if imp.Name != nil {
			name = imp.Name.Name + " "
		}
		imports = append(imports, name+p)
	}
	if want := []string{"net/http", "example.com/w/internal/config", "cfg example.com/w/internal/config"}; !slices.Equal(imports, want) {
		t.Errorf("imports = %v, want %v", imports, want)
	}
	// The package doc stays the package doc, without the header in it.
	if f.Doc == nil || f.Doc.Text() != "Package httpserver serves HTTP.\n" {
		t.Errorf("package doc = %q", f.Doc.Text())
	}
	// The build constraint still applies: it must precede the package clause
	// separated by a blank line, which gofmt keeps.
	if !strings.Contains(src, "//go:build !never\n\n// Package httpserver") {
		t.Errorf("build constraint lost:\n%s", src)
	}
	if strings.Contains(src, "mcpforge/mcpforge") {
		t.Errorf("an mcpforge import survived:\n%s", src)
	}
	// auth is only for auth variants, httpserver only for network ones.
	if _, ok := set.Get("internal/auth/auth.go"); ok {
		t.Error("auth copied into a variant without auth")
	}
	stdio := renderFake(t, Answers{Name: "w", Transports: []string{"stdio"}}, fakeTemplates(), fakeRuntime())
	if _, ok := stdio.Get("internal/httpserver/server.go"); ok {
		t.Error("httpserver copied into a stdio-only variant")
	}
	if _, ok := stdio.Get("internal/config/config_test.go"); !ok {
		t.Error("runtime tests are not copied")
	}
}

func TestRenderInclusionRules(t *testing.T) {
	a := Answers{Name: "w", Deploy: []string{"ci"}}
	set := renderFake(t, a, fakeTemplates(), fakeRuntime())
	paths := set.Paths()
	for _, p := range []string{"Dockerfile", "chart/w/templates/svc.yaml"} {
		if slices.Contains(paths, p) {
			t.Errorf("%s included without its deploy kind", p)
		}
	}
	if !slices.Contains(paths, ".github/workflows/ci.yml") {
		t.Error(".github missing with deploy ci")
	}
	none := renderFake(t, Answers{Name: "w", Deploy: []string{}}, fakeTemplates(), fakeRuntime())
	if slices.Contains(none.Paths(), ".github/workflows/ci.yml") {
		t.Error(".github included with deploy = []")
	}
	// LICENSE is left out exactly for license none.
	if includeTemplate("LICENSE", Data{License: LicenseNone}) || !includeTemplate("LICENSE", Data{License: LicenseMIT}) {
		t.Error("LICENSE is not included exactly when a license is chosen")
	}
	// Segment-wise matching: "chart" must not swallow "charts.md".
	if !includeTemplate("charts.md", Data{}) || includeTemplate("chart/x", Data{}) {
		t.Error("includeTemplate matches prefixes across segment boundaries")
	}
}

func TestRenderDeterministic(t *testing.T) {
	a := Answers{Name: "w", Transports: []string{"stdio", "http", "sse"}}
	one := renderFake(t, a, fakeTemplates(), fakeRuntime())
	two := renderFake(t, a, fakeTemplates(), fakeRuntime())
	if !slices.EqualFunc(one.Files(), two.Files(), func(x, y File) bool { return x.Path == y.Path && bytes.Equal(x.Data, y.Data) }) {
		t.Error("two renders of the same answers differ")
	}
}

func TestRenderRecord(t *testing.T) {
	a := Answers{Name: "w", Auth: "jwt-external", TrustedProxies: []string{"10.0.0.0/8"}}
	set, err := renderFS(a, fakeTemplates(), fakeRuntime(), WithVersion("v1.2.3"))
	if err != nil {
		t.Fatal(err)
	}
	p := writeTemp(t, RecordFile, content(t, set, RecordFile))
	rec, err := ReadRecord(p)
	if err != nil {
		t.Fatal(err)
	}
	if rec.MCPForgeVersion != "v1.2.3" {
		t.Errorf("version = %q", rec.MCPForgeVersion)
	}
	if len(rec.Files) != set.Len()-1 {
		t.Errorf("record lists %d files, set has %d besides the record", len(rec.Files), set.Len()-1)
	}
	for _, f := range set.Files() {
		if f.Path == RecordFile {
			continue
		}
		if rec.Files[f.Path] != hashOf(f.Data) {
			t.Errorf("record hash of %s = %q, want %q", f.Path, rec.Files[f.Path], hashOf(f.Data))
		}
	}
	if _, ok := rec.Files[RecordFile]; ok {
		t.Error("the record hashes itself")
	}
	// The record is a complete answers file: loading it gives the same
	// answers, with nothing missing, and rendering them gives the same files.
	again, err := LoadAnswers(p)
	if err != nil {
		t.Fatal(err)
	}
	if m := again.Missing(); len(m) != 0 {
		t.Errorf("record leaves answers missing: %v", m)
	}
	set2, err := renderFS(again, fakeTemplates(), fakeRuntime(), WithVersion("v1.2.3"))
	if err != nil {
		t.Fatal(err)
	}
	if content(t, set2, RecordFile) != content(t, set, RecordFile) {
		t.Errorf("re-rendering from the record differs:\n%s\n----\n%s", content(t, set2, RecordFile), content(t, set, RecordFile))
	}
	rec2 := content(t, set, RecordFile)
	for _, want := range []string{`auth = "jwt-external"`, `proxy_header = "x-jwt-payload"`, `trusted_proxies = ["10.0.0.0/8"]`} {
		if !strings.Contains(rec2, want+"\n") {
			t.Errorf("record lacks %s:\n%s", want, rec2)
		}
	}
	if strings.Contains(rec2, "issuer") || strings.Contains(rec2, "oauth") {
		t.Errorf("record holds jwt-local answers for jwt-external:\n%s", rec2)
	}
}

func TestRenderErrors(t *testing.T) {
	base := Answers{Name: "w"}
	cases := []struct {
		name   string
		a      Answers
		modify func(tm, rt fstest.MapFS)
		want   string
	}{
		{"invalid answers", Answers{Name: "Bad"}, nil, "name: must start with a lower-case letter"},
		{"whitespace only", base, func(tm, _ fstest.MapFS) {
			tm["empty.txt.tmpl"] = &fstest.MapFile{Data: []byte("{{if .HasSSE}}x{{end}}\n  \n")}
		}, "template empty.txt.tmpl renders to nothing but white space"},
		{"symlink in templates", base, func(tm, _ fstest.MapFS) {
			tm["link"] = &fstest.MapFile{Data: []byte("/etc/passwd"), Mode: fs.ModeSymlink}
		}, "template link is not a regular file"},
		{"invalid go", base, func(tm, _ fstest.MapFS) {
			tm["internal/x/x.go.tmpl"] = &fstest.MapFile{Data: []byte("package x\n\nfunc {{.Name}}( {\n")}
		}, "internal/x/x.go is not valid Go"},
		{"missing field", base, func(tm, _ fstest.MapFS) {
			tm["x.txt.tmpl"] = &fstest.MapFile{Data: []byte("{{.Nope}}")}
		}, "can't evaluate field Nope"},
		{"parse error", base, func(tm, _ fstest.MapFS) {
			tm["x.txt.tmpl"] = &fstest.MapFile{Data: []byte("{{if}}")}
		}, "x.txt.tmpl"},
		{"record in templates", base, func(tm, _ fstest.MapFS) {
			tm[".mcpforge.toml.tmpl"] = &fstest.MapFile{Data: []byte("x")}
		}, "must not contain .mcpforge.toml"},
		{"duplicate output", base, func(tm, _ fstest.MapFS) {
			tm["internal/config/config.go"] = &fstest.MapFile{Data: []byte("package config\n")}
		}, "internal/config/config.go is generated twice"},
		{"runtime package absent", Answers{Name: "w", Auth: "jwt-local"}, func(_, rt fstest.MapFS) {
			delete(rt, "auth/auth.go")
		}, "runtime package auth is needed by this variant (see runtimePackages in generator/files.go) but package runtime does not embed it"},
		{"runtime imports mcpforge", base, func(_, rt fstest.MapFS) {
			rt["config/bad.go"] = &fstest.MapFile{Data: []byte("package config\n\nimport _ \"github.com/mcpforge/mcpforge/generator\"\n")}
		}, "config/bad.go imports github.com/mcpforge/mcpforge/generator"},
		{"runtime imports excluded runtime package", Answers{Name: "w", Transports: []string{"stdio"}}, func(_, rt fstest.MapFS) {
			rt["config/bad.go"] = &fstest.MapFile{Data: []byte("package config\n\nimport _ \"github.com/mcpforge/mcpforge/runtime/httpserver\"\n")}
		}, "internal/config/bad.go imports example.com/w/internal/httpserver, a runtime package this variant does not include"},
		{"import of a non-direct module", base, func(tm, _ fstest.MapFS) {
			tm["x.go"] = &fstest.MapFile{Data: []byte("package x\n\nimport _ \"github.com/spf13/cobra\"\n")}
		}, "x.go imports github.com/spf13/cobra, from module github.com/spf13/cobra, which is not a direct dependency"},
		{"import of an unknown module", base, func(tm, _ fstest.MapFS) {
			tm["x.go"] = &fstest.MapFile{Data: []byte("package x\n\nimport _ \"example.org/elsewhere\"\n")}
		}, "which no module in mcpforge's go.mod provides"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tm, rt := fakeTemplates(), fakeRuntime()
			if c.modify != nil {
				c.modify(tm, rt)
			}
			_, err := renderFS(c.a, tm, rt)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("render = %v, want an error containing %q", err, c.want)
			}
		})
	}
	// Direct imports of the variant's modules are fine.
	tm := fakeTemplates()
	tm["x.go"] = &fstest.MapFile{Data: []byte("package x\n\nimport _ \"github.com/mark3labs/mcp-go/server\"\n")}
	if _, err := renderFS(base, tm, fakeRuntime()); err != nil {
		t.Errorf("import of mcp-go refused: %v", err)
	}
}

func TestRenderRequires(t *testing.T) {
	renderFake(t, Answers{Name: "w", Auth: "jwt-local"}, fakeTemplates(), fakeRuntime())
	d, err := newData(Answers{Name: "w", Auth: "jwt-local"}.WithDefaults(), DevelVersion)
	if err != nil {
		t.Fatal(err)
	}
	direct := map[string]bool{}
	for _, r := range d.Requires {
		if !r.Indirect {
			direct[r.Path] = true
		}
	}
	for _, m := range []string{modMCPGo, modTOML, modJWX, modCEL} {
		if !direct[m] {
			t.Errorf("%s is not a direct requirement of a jwt-local server", m)
		}
	}
	if len(d.Requires) != len(goModRequires) {
		t.Errorf("Requires has %d modules, mcpforge's go.mod %d", len(d.Requires), len(goModRequires))
	}
	plainAnswers := Defaults("w")
	plainAnswers.Observability = boolPtr(false)
	plain, _ := newData(plainAnswers, DevelVersion)
	for _, r := range plain.Requires {
		if !r.Indirect && r.Path != modMCPGo && r.Path != modTOML {
			t.Errorf("%s is direct in a server without auth or observability", r.Path)
		}
	}
	observed, _ := newData(Defaults("w"), DevelVersion)
	for _, r := range observed.Requires {
		if !r.Indirect && r.Path != modMCPGo && r.Path != modTOML && !slices.Contains(telemetryModules, r.Path) {
			t.Errorf("%s is direct in a server with observability but without auth", r.Path)
		}
		if r.Indirect && slices.Contains(telemetryModules, r.Path) {
			t.Errorf("%s is indirect in a server with observability", r.Path)
		}
	}
	if _, err := requiresFor([]string{"example.org/not-in-go-mod"}); err == nil || !strings.Contains(err.Error(), "-update") {
		t.Errorf("requiresFor of an unknown module = %v", err)
	}
}

func TestTemplateFuncs(t *testing.T) {
	quoteCases := map[string]string{
		"plain":         `"plain"`,
		`a "q" \ b`:     `"a \"q\" \\ b"`,
		"nl\ntab\tcr\r": `"nl\ntab\tcr\r"`,
		"bell\a\x00":    `"bell\u0007\u0000"`,
		"bom\uFEFF":     `"bom\uFEFF"`,
		"bad\xffutf8":   `"bad\uFFFDutf8"`,
		"ünï 😀":         `"ünï 😀"`,
		"\U000E0001":    `"\U000E0001"`,
	}
	for in, want := range quoteCases {
		got := quote(in)
		if got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
		// Valid Go with the same meaning (invalid UTF-8 aside).
		if back, err := strconv.Unquote(got); err != nil || (back != in && !strings.Contains(in, "\xff")) {
			t.Errorf("quote(%q) = %s does not unquote in Go: %q %v", in, got, back, err)
		}
	}
	if s, _ := join([]string{"a", "b"}, "|"); s != "a|b" {
		t.Errorf("join(list, sep) = %q", s)
	}
	if s, _ := join(", ", []string{"a", "b"}); s != "a, b" {
		t.Errorf("join(sep, list) = %q", s)
	}
	if _, err := join(1, 2); err == nil {
		t.Error("join(1, 2) did not fail")
	}
	for _, c := range []struct {
		in   any
		want string
	}{{"x", `"x"`}, {[]string{"a", "b"}, `["a", "b"]`}, {[]string{}, `[]`}, {true, "true"}, {8080, "8080"}, {uint16(3), "3"}} {
		if got, err := tomlValue(c.in); err != nil || got != c.want {
			t.Errorf("toml(%#v) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if _, err := tomlValue(1.5); err == nil {
		t.Error("toml(1.5) did not fail")
	}
}

// TestRenderReal renders every variant answers file under testdata/variants
// and a few extra answer sets with the real templates and runtime packages.
func TestRenderReal(t *testing.T) {
	if entries, err := fs.ReadDir(templates.Repo(), "."); err != nil || len(entries) == 0 {
		t.Skip("templates/repo is empty")
	}
	var sets []Answers
	variants, _ := fs.Glob(os.DirFS("../testdata/variants"), "*.toml")
	for _, v := range variants {
		a, err := LoadAnswers(path.Join("../testdata/variants", v))
		if err != nil {
			t.Fatal(err)
		}
		sets = append(sets, a)
	}
	sets = append(sets, Defaults("demo"), Answers{Name: "all", Transports: KnownTransports(), Deploy: []string{}})
	// Auth variants need their runtime packages; include them once those exist.
	for _, a := range []Answers{
		{Name: "ext", Transports: []string{"http"}, Auth: AuthJWTExternal},
		{Name: "local", Transports: []string{"http"}, Auth: AuthJWTLocal},
	} {
		d, _ := newData(a.WithDefaults(), DevelVersion)
		if !slices.ContainsFunc(d.Runtime, func(pkg string) bool { _, err := fs.Stat(mcpruntime.FS, pkg); return err != nil }) {
			sets = append(sets, a)
		}
	}
	for _, a := range sets {
		t.Run(a.Name, func(t *testing.T) {
			one, err := Render(a)
			if err != nil {
				var ve *ValidationError
				if errors.As(err, &ve) {
					t.Fatal(err)
				}
				t.Fatalf("render: %v", err)
			}
			two, err := Render(a)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(one.Files(), two.Files(), func(x, y File) bool { return x.Path == y.Path && bytes.Equal(x.Data, y.Data) }) {
				t.Error("two renders differ")
			}
			rec := writeTemp(t, RecordFile, content(t, one, RecordFile))
			r, err := ReadRecord(rec)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range one.Files() {
				if strings.HasSuffix(f.Path, ".go") {
					if formatted, err := format.Source(f.Data); err != nil || !bytes.Equal(formatted, f.Data) {
						t.Errorf("%s is not gofmt'ed; if it comes from runtime/, gofmt its source there", f.Path)
					}
					if strings.Contains(string(f.Data), "github.com/mcpforge/mcpforge") {
						t.Errorf("%s still refers to mcpforge's module", f.Path)
					}
				}
				if f.Path != RecordFile && r.Files[f.Path] != hashOf(f.Data) {
					t.Errorf("record hash of %s is wrong", f.Path)
				}
			}
			for _, p := range []string{"go.mod", "cmd/" + a.Name + "/main.go", "internal/config"} {
				if !slices.ContainsFunc(one.Paths(), func(q string) bool { return q == p || strings.HasPrefix(q, p+"/") }) {
					t.Errorf("%s is missing", p)
				}
			}
		})
	}
}

// TestRenderLicense renders the real templates with each license: the
// LICENSE file carries the chosen text with the server named as the
// copyright holder and no year (renders stay reproducible), the README
// points at it, the release archives ship it, and license none leaves all
// of that out. The record reproduces the choice.
func TestRenderLicense(t *testing.T) {
	firstLine := func(s string) string {
		for _, l := range strings.Split(s, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				return l
			}
		}
		return ""
	}
	for _, c := range []struct {
		license   string // as given, before canonicalisation
		first     string // first non-blank line of LICENSE; "" for no file
		copyright string
		readme    string
	}{
		{"apache-2.0", "Apache License", "   Copyright The lic Authors\n", "## License\n\nApache-2.0; see [LICENSE](LICENSE).\n"},
		{"MIT", "MIT License", "\nCopyright (c) The lic Authors\n", "## License\n\nMIT; see [LICENSE](LICENSE).\n"},
		{"none", "", "", ""},
		{"", "", "", ""}, // the default
	} {
		t.Run(cmp.Or(c.license, "default"), func(t *testing.T) {
			a := Answers{Name: "lic", Transports: []string{TransportHTTP}, License: c.license}
			set, err := Render(a)
			if err != nil {
				t.Fatal(err)
			}
			lic, has := set.Get("LICENSE")
			readme := content(t, set, "README.md")
			release := content(t, set, "goreleaser.yaml")
			if c.first == "" {
				if has {
					t.Errorf("LICENSE written for license %q:\n%s", c.license, lic.Data)
				}
				if strings.Contains(readme, "## License") || strings.Contains(readme, "LICENSE") {
					t.Errorf("README mentions a license for license %q", c.license)
				}
				if strings.Contains(release, "LICENSE") {
					t.Error("goreleaser.yaml ships a LICENSE that does not exist")
				}
			} else {
				if !has {
					t.Fatalf("no LICENSE for license %q", c.license)
				}
				text := string(lic.Data)
				if got := firstLine(text); got != c.first {
					t.Errorf("LICENSE starts with %q, want %q", got, c.first)
				}
				if !strings.Contains(text, c.copyright) {
					t.Errorf("LICENSE lacks the copyright line %q", c.copyright)
				}
				if strings.Contains(text, "{{") || strings.Contains(text, "[yyyy]") || strings.Contains(text, "mcpforge") || strings.Contains(text, "Copyright 20") || strings.Contains(text, "(c) 20") {
					t.Errorf("LICENSE holds a placeholder, a year or mcpforge's own name:\n%s", text)
				}
				if !strings.HasSuffix(text, ".\n") || strings.HasSuffix(text, "\n\n") {
					t.Errorf("LICENSE does not end with exactly one newline: %q", text[max(0, len(text)-40):])
				}
				if !strings.HasSuffix(readme, "\n\n"+c.readme) {
					t.Errorf("README does not end with the license line %q:\n%s", c.readme, readme[max(0, len(readme)-200):])
				}
				if !strings.Contains(release, "      - LICENSE\n") {
					t.Error("goreleaser.yaml does not ship LICENSE in the archives")
				}
			}
			want := cmp.Or(strings.ToLower(c.license), DefaultLicense)
			rec := content(t, set, RecordFile)
			if !strings.Contains(rec, "\nlicense = "+strconv.Quote(want)+"\n") {
				t.Errorf("record lacks license = %q:\n%s", want, rec)
			}
			again, err := LoadAnswers(writeTemp(t, RecordFile, rec))
			if err != nil {
				t.Fatal(err)
			}
			set2, err := Render(again)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(set.Files(), set2.Files(), func(x, y File) bool { return x.Path == y.Path && bytes.Equal(x.Data, y.Data) }) {
				t.Error("rendering from the record gives other files")
			}
		})
	}
	// The Apache text is the one mcpforge itself is under, byte for byte,
	// but for the copyright line.
	own, err := os.ReadFile("../LICENSE")
	if err != nil {
		t.Fatal(err)
	}
	set, err := Render(Answers{Name: "lic", License: LicenseApache})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(own), "\n")
	i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(strings.TrimSpace(l), "Copyright 2") })
	if i < 0 {
		t.Fatal("mcpforge's LICENSE has no copyright line")
	}
	lines[i] = "   Copyright The lic Authors"
	if got := content(t, set, "LICENSE"); got != strings.Join(lines, "\n") {
		t.Errorf("the Apache-2.0 LICENSE differs from mcpforge's own beyond the copyright line")
	}
}

// TestRewriteShortcut checks that the fast path of rewriteRuntimeGo (import
// path literals replaced in place) gives exactly what printing the rewritten
// syntax tree gives, for every real runtime file and for the fakes.
func TestRewriteShortcut(t *testing.T) {
	rename := func(p string) (string, bool) {
		rest, ok := strings.CutPrefix(p, runtimeImportPrefix+"/")
		return "example.com/acme/weather/internal/" + rest, ok
	}
	check := func(rt fs.FS) int {
		n := 0
		fs.WalkDir(rt, ".", func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() || !strings.HasSuffix(p, ".go") {
				return err
			}
			data, _ := fs.ReadFile(rt, p)
			if formatted, err := format.Source(data); err != nil || !bytes.Equal(formatted, data) {
				t.Logf("skipping %s: not gofmt'ed", p)
				return nil
			}
			got, err := rewriteRuntimeGo(p, data, "example.com/acme/weather")
			if err != nil {
				t.Error(err)
				return nil
			}
			header := "// This file was generated by mcpforge from runtime/" + path.Dir(p) + "; you own it now.\n\n"
			want, err := printRewritten(p, data, header, rename)
			if err != nil {
				t.Error(err)
				return nil
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s: the in-place rewrite differs from the printed one:\n%s\n----\n%s", p, got, want)
			}
			n++
			return nil
		})
		return n
	}
	if n := check(fakeRuntime()); n < 3 {
		t.Errorf("checked only %d fake files", n)
	}
	check(mcpruntime.FS)

	// A runtime import in its own group keeps the file as it was, but for
	// the path and the header; one that changes the sort order is reprinted.
	own := []byte("package x\n\nimport (\n\t\"github.com/zz/y\"\n\n\t\"github.com/mcpforge/mcpforge/runtime/config\"\n)\n\nvar _ = config.X\n")
	got, _ := rewriteRuntimeGo("x/x.go", own, "example.com/w")
	if want := "// This file was generated by mcpforge from runtime/x; you own it now.\n\n" + strings.Replace(string(own), "github.com/mcpforge/mcpforge/runtime/config", "example.com/w/internal/config", 1); string(got) != want {
		t.Errorf("own group:\n%s\nwant\n%s", got, want)
	}
	mixed := []byte("package x\n\nimport (\n\t\"github.com/mcpforge/mcpforge/runtime/config\"\n\t\"github.com/zz/y\"\n)\n\nvar _ = config.X + y.Y\n")
	got, _ = rewriteRuntimeGo("x/x.go", mixed, "zzz.example/w")
	if !strings.Contains(string(got), "\t\"github.com/zz/y\"\n\t\"zzz.example/w/internal/config\"\n") {
		t.Errorf("mixed group not re-sorted:\n%s", got)
	}
}

// BenchmarkRender renders the largest variant the real templates and runtime
// support (target: under 20 ms per render). It also reports the render time
// as a ratio to a baseline measured in the same run: reading every template
// and runtime file from the embedded file systems, the floor of any render.
func BenchmarkRender(b *testing.B) {
	var a Answers
	for _, auth := range []string{AuthJWTLocal, AuthJWTExternal, AuthNone} {
		a = Answers{Name: "bench", Transports: KnownTransports(), Auth: auth}
		if _, err := Render(a); err == nil {
			break
		}
	}
	readAll := func() int {
		n := 0
		for _, fsys := range []fs.FS{templates.FS, mcpruntime.FS} {
			_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					data, _ := fs.ReadFile(fsys, p)
					n += len(data)
				}
				return nil
			})
		}
		return n
	}
	b.ReportAllocs()
	var render, baseline time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := Render(a); err != nil {
			b.Fatal(err)
		}
		render += time.Since(start)
		start = time.Now()
		readAll()
		baseline += time.Since(start)
	}
	b.ReportMetric(float64(render)/1e6/float64(b.N), "ms/render")
	b.ReportMetric(float64(render)/float64(baseline), "x-read-baseline")
}
