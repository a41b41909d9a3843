package generator

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"unicode"
	"unicode/utf8"
)

// Require is one requirement line of the generated go.mod.
type Require struct {
	// Path is the module path.
	Path string
	// Version is the version mcpforge's own go.mod pins.
	Version string
	// Indirect marks a module the generated code does not import itself;
	// the go.mod template writes it with "// indirect".
	Indirect bool
}

// Data is what every template sees. Its fields are derived from valid,
// defaulted [Answers] by Render; templates must not need anything else.
type Data struct {
	// Name is the server name, e.g. "weather".
	Name string
	// Module is the Go module path, e.g. "example.com/weather".
	Module string
	// Description is a one-line description, never empty.
	Description string
	// Transports is a non-empty subset of stdio, http, sse in that order.
	Transports []string
	// HasStdio, HasHTTP and HasSSE report each transport; HasNetwork is
	// HasHTTP || HasSSE.
	HasStdio, HasHTTP, HasSSE, HasNetwork bool
	// DefaultTransport is the first of Transports.
	DefaultTransport string
	// EnvPrefix prefixes the server's environment variables: the name
	// upper-cased with dashes as underscores, e.g. "WEATHER".
	EnvPrefix string
	// GoVersion is the go line of mcpforge's own go.mod, e.g. "1.26.8".
	GoVersion string
	// MCPForgeVersion is the version of the mcpforge that renders.
	MCPForgeVersion string
	// MCPForgeCommand is the package of the mcpforge command, for `go
	// install MCPForgeCommand@VERSION`.
	MCPForgeCommand string
	// Requires lists every module of mcpforge's go.mod at mcpforge's version:
	// the ones the variant imports with Indirect false, the rest with Indirect
	// true, so that `go mod tidy` in the new repository selects exactly the
	// versions mcpforge was tested with and works from the module cache.
	Requires []Require
	// GoSum is mcpforge's own go.sum: written as the new repository's go.sum,
	// it lets `go mod tidy` check every module against known hashes instead
	// of asking the checksum database, so tidy works offline; tidy then
	// drops the lines the server does not need.
	GoSum string

	// Auth is the strategy: "none", "jwt-local" or "jwt-external"; HasAuth
	// is Auth != "none".
	Auth    string
	HasAuth bool
	// Issuer, Audience and JWKSURI are the jwt-local answers ("" otherwise;
	// Audience may be "" with jwt-local, meaning the server's public URL).
	Issuer, Audience, JWKSURI string
	// ProxyHeader and TrustedProxies are the jwt-external answers (empty
	// otherwise).
	ProxyHeader    string
	TrustedProxies []string
	// OAuth reports whether the OAuth discovery documents and /login are on.
	OAuth bool
	// Observability reports whether the server has metrics and tracing
	// (internal/telemetry); without it nothing of them is generated.
	Observability bool
	// UpdateWorkflow reports whether .github/workflows/mcpforge-update.yml,
	// the weekly mcpforge update pull request, is generated.
	UpdateWorkflow bool
	// Deploy is the subset of docker, helm, ci, release, in that order; see
	// also the method HasDeploy.
	Deploy []string
	// License is the license answer: "apache-2.0", "mit" or "none" (no
	// LICENSE file); LicenseSPDX is its SPDX identifier ("Apache-2.0",
	// "MIT"), "" for none.
	License, LicenseSPDX string
	// Runtime lists the runtime packages the variant includes, each copied to
	// internal/<pkg>, e.g. ["config", "httpserver"].
	Runtime []string
}

// HasDeploy reports whether the deployment artifact kind is included:
// {{if .HasDeploy "docker"}}.
func (d Data) HasDeploy(kind string) bool { return slices.Contains(d.Deploy, kind) }

// HasRuntime reports whether the runtime package is included:
// {{if .HasRuntime "auth"}}.
func (d Data) HasRuntime(pkg string) bool { return slices.Contains(d.Runtime, pkg) }

// newData derives the template data from valid, defaulted answers.
func newData(a Answers, version string) (Data, error) {
	d := Data{
		Name:             a.Name,
		Module:           a.Module,
		Description:      a.Description,
		Transports:       slices.Clone(a.Transports),
		HasStdio:         slices.Contains(a.Transports, TransportStdio),
		HasHTTP:          slices.Contains(a.Transports, TransportHTTP),
		HasSSE:           slices.Contains(a.Transports, TransportSSE),
		DefaultTransport: a.Transports[0],
		EnvPrefix:        EnvPrefix(a.Name),
		GoVersion:        goModGoVersion,
		MCPForgeVersion:  version,
		MCPForgeCommand:  mcpforgeCommand,
		Auth:             a.Auth,
		HasAuth:          a.Auth != AuthNone,
		OAuth:            a.OAuthEnabled(),
		Observability:    a.ObservabilityEnabled(),
		UpdateWorkflow:   a.UpdateWorkflowEnabled(),
		Deploy:           slices.Clone(a.Deploy),
		License:          a.License,
		LicenseSPDX:      licenseSPDX[a.License],
	}
	d.HasNetwork = d.HasHTTP || d.HasSSE
	switch a.Auth {
	case AuthJWTLocal:
		d.Issuer, d.Audience, d.JWKSURI = a.Issuer, a.Audience, a.JWKSURI
	case AuthJWTExternal:
		d.ProxyHeader = a.ProxyHeader
		d.TrustedProxies = slices.Clone(a.TrustedProxies)
		if d.TrustedProxies == nil {
			d.TrustedProxies = []string{}
		}
	}
	if d.Deploy == nil {
		d.Deploy = []string{}
	}
	for _, p := range runtimePackages {
		if p.when(d) {
			d.Runtime = append(d.Runtime, p.pkg)
		}
	}
	reqs, err := requiresFor(directModules(d))
	if err != nil {
		return Data{}, err
	}
	d.Requires = reqs
	d.GoSum = goSum
	return d, nil
}

// licenseSPDX maps the license answers to their SPDX identifiers.
var licenseSPDX = map[string]string{
	LicenseApache: "Apache-2.0",
	LicenseMIT:    "MIT",
}

// EnvPrefix returns the environment variable prefix of a server name:
// upper-cased, dashes as underscores ("my-server" -> "MY_SERVER").
func EnvPrefix(name string) string {
	return strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// requiresFor marks the modules in direct as direct requirements and every
// other module of mcpforge's go.mod as indirect.
func requiresFor(direct []string) ([]Require, error) {
	out := make([]Require, len(goModRequires))
	for i, r := range goModRequires {
		out[i] = Require{Path: r.Path, Version: r.Version, Indirect: !slices.Contains(direct, r.Path)}
	}
	for _, m := range direct {
		if !slices.ContainsFunc(out, func(r Require) bool { return r.Path == m }) {
			return nil, fmt.Errorf("module %s is a dependency of generated servers but not in mcpforge's go.mod; run go get %s in mcpforge, then go test ./generator -update", m, m)
		}
	}
	return out, nil
}

// templateFuncs are the functions every template can call, in addition to
// text/template's built-ins.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"has":   has,
		"join":  join,
		"upper": strings.ToUpper,
		"lower": strings.ToLower,
		"quote": quote,
		"toml":  tomlValue,
		// For the Go source of tools, prompts and resources.
		"goquote":  strconv.Quote,
		"comment":  comment,
		"exported": exported,
		"plural":   plural,
		"them":     them,
		"pick":     pick,
		"percent":  escapePercent,
	}
}

// comment returns text as a // comment wrapped at about 76 columns, each
// line starting with indent, without a final newline.
func comment(indent, text string) string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > 76 {
			lines = append(lines, indent+"// "+line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, indent+"// "+line)
	}
	return strings.Join(lines, "\n")
}

// pick returns a when cond is true (or a non-empty string), else b:
// {{pick .ResultType ", its result" ""}}.
func pick(cond any, a, b string) string {
	switch c := cond.(type) {
	case bool:
		if c {
			return a
		}
	case string:
		if c != "" {
			return a
		}
	}
	return b
}

// has reports whether list contains item: {{if has "sse" .Transports}}.
func has(item string, list []string) bool { return slices.Contains(list, item) }

// join joins a list with a separator. Both argument orders work,
// {{join .Transports ", "}} and {{.Transports | join ", "}}, because template
// authors reach for either.
func join(a, b any) (string, error) {
	if list, ok := a.([]string); ok {
		if sep, ok := b.(string); ok {
			return strings.Join(list, sep), nil
		}
	}
	if sep, ok := a.(string); ok {
		if list, ok := b.([]string); ok {
			return strings.Join(list, sep), nil
		}
	}
	return "", fmt.Errorf("join wants a []string and a separator string, got %T and %T", a, b)
}

// quote returns s as a double-quoted string literal that is valid, with the
// same meaning, in Go, TOML, JSON and YAML: it escapes quotes, backslashes,
// \n, \t, \r, and every other non-printable rune as \uXXXX or \UXXXXXXXX
// (escapes all four languages share); invalid UTF-8 becomes U+FFFD.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\uFFFD`)
		case r == '\uFEFF' || (r != ' ' && !unicode.IsPrint(r)):
			// U+FEFF is printable but Go refuses a byte-order mark inside a file.
			if r > 0xFFFF {
				fmt.Fprintf(&b, `\U%08X`, r)
			} else {
				fmt.Fprintf(&b, `\u%04X`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// tomlValue renders a value as TOML: strings quoted with quote, string lists
// as arrays (["a", "b"]), booleans and integers as themselves.
func tomlValue(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return quote(v), nil
	case []string:
		parts := make([]string, len(v))
		for i, s := range v {
			parts[i] = quote(s)
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	case bool:
		return strconv.FormatBool(v), nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(rv.Uint(), 10), nil
	}
	return "", fmt.Errorf("toml cannot render a %T", v)
}
