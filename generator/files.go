package generator

import (
	"path"
	"strings"
)

// This file is the one place that decides what a variant contains: which
// template files, which runtime packages, which direct module requirements.
// A template not matched by any rule below is always included; a template
// matched by several rules is included only when all of them hold.

// fileRule includes the templates under prefix only when when holds.
type fileRule struct {
	// prefix is a template path with ".tmpl" dropped and __name__ kept, e.g.
	// "chart" (the directory and everything under it) or "Dockerfile". It
	// matches whole path segments: "chart" matches chart/x but not charts/x.
	prefix string
	when   func(Data) bool
}

var fileRules = []fileRule{
	{"Dockerfile", deploys(DeployDocker)},
	{".dockerignore", deploys(DeployDocker)},
	{"chart", deploys(DeployHelm)},
	{".github/workflows/ci.yml", deploys(DeployCI)},
	// The weekly update comes with or without mcpforge's CI workflow.
	{".github/workflows/mcpforge-update.yml", func(d Data) bool { return d.UpdateWorkflow }},
	{"goreleaser.yaml", deploys(DeployRelease)},
	{".goreleaser.yaml", deploys(DeployRelease)},
	{"LICENSE", func(d Data) bool { return d.License != LicenseNone }},
	// The development issuer and token minter signs tokens the way a
	// jwt-local server validates them; other strategies have no use for it.
	{"cmd/devtoken", func(d Data) bool { return d.Auth == AuthJWTLocal }},
	// The chart's Prometheus and Grafana parts scrape and show the metrics
	// that only observability serves.
	{"chart/__name__/templates/servicemonitor.yaml", observes},
	{"chart/__name__/templates/grafana-dashboard.yaml", observes},
	{"chart/__name__/dashboards", observes},
}

func observes(d Data) bool { return d.Observability }

func deploys(kind string) func(Data) bool {
	return func(d Data) bool { return d.HasDeploy(kind) }
}

// includeTemplate reports whether the template at rel (".tmpl" dropped) is
// part of the variant.
func includeTemplate(rel string, d Data) bool {
	for _, r := range fileRules {
		if (rel == r.prefix || strings.HasPrefix(rel, r.prefix+"/")) && !r.when(d) {
			return false
		}
	}
	return true
}

// runtimePackage is a directory of package runtime that a variant may get,
// copied to internal/<pkg>.
type runtimePackage struct {
	pkg  string
	when func(Data) bool
}

// runtimePackages lists every runtime package in the order they are copied.
// A runtime package that imports another must list it here with a condition
// at least as wide; Render refuses a copied file importing a runtime package
// the variant lacks.
var runtimePackages = []runtimePackage{
	// The edit distance behind the "did you mean" hints of config and
	// toolargs.
	{"typo", func(Data) bool { return true }},
	{"config", func(Data) bool { return true }},
	{"httpserver", func(d Data) bool { return d.HasNetwork }},
	// The JSON-RPC envelope, parsed once per HTTP request (httpserver and
	// auth) and per stdio message (promptargs).
	{"envelope", func(Data) bool { return true }},
	{"auth", func(d Data) bool { return d.HasAuth }},
	{"oauth", func(d Data) bool { return d.OAuth }},
	// Every server checks tool arguments itself (main.go installs it).
	{"toolargs", func(Data) bool { return true }},
	// Tools are functions of their decoded arguments (internal/tools).
	{"typedtool", func(Data) bool { return true }},
	// Every server refuses a prompts/get missing a required argument with
	// -32602 before mcp-go runs it (main.go installs it on each transport).
	{"promptargs", func(Data) bool { return true }},
	// Every server keeps its collector from running all the time while its
	// heap is small (main.go sets it).
	{"heapfloor", func(Data) bool { return true }},
	// Metrics and traces, only with observability: without it no
	// OpenTelemetry or Prometheus module is in go.mod.
	{"telemetry", observes},
}

// Module paths of the direct dependencies of generated servers.
const (
	modMCPGo = "github.com/mark3labs/mcp-go"
	modTOML  = "github.com/BurntSushi/toml"
	modJWX   = "github.com/lestrrat-go/jwx/v3"
	modCEL   = "github.com/google/cel-go"
)

// telemetryModules are the modules internal/telemetry imports, its tests
// included (the Prometheus text parser and its model, OTLP's protobuf
// types, which only tests import). Its OTLP exporter and its Prometheus
// registry are its own: OpenTelemetry's exporters link gRPC into every
// server, and the Prometheus client costs an idle server megabytes.
var telemetryModules = []string{
	"github.com/prometheus/client_model",
	"github.com/prometheus/common",
	"go.opentelemetry.io/otel",
	"go.opentelemetry.io/otel/sdk",
	"go.opentelemetry.io/otel/trace",
	"go.opentelemetry.io/proto/otlp",
	"google.golang.org/protobuf",
}

// directModules returns the modules a variant's code imports. Every other
// module of mcpforge's go.mod goes into the generated go.mod as indirect.
// Render checks the rendered imports against this list, so that a template or
// runtime package importing something new fails loudly here instead of
// surprising `go mod tidy`.
func directModules(d Data) []string {
	mods := []string{modMCPGo, modTOML}
	if d.HasAuth {
		mods = append(mods, modJWX, modCEL)
	}
	if d.Observability {
		mods = append(mods, telemetryModules...)
	}
	return mods
}

// moduleOf returns the module of reqs that provides the package importPath
// (the longest matching module path), or "".
func moduleOf(importPath string, reqs []Require) string {
	best := ""
	for _, r := range reqs {
		if (importPath == r.Path || strings.HasPrefix(importPath, r.Path+"/")) && len(r.Path) > len(best) {
			best = r.Path
		}
	}
	return best
}

// isStdlib reports whether importPath is a standard library package: its
// first element has no dot (the rule the go command uses).
func isStdlib(importPath string) bool {
	first, _, _ := strings.Cut(importPath, "/")
	return !strings.Contains(first, ".")
}

// substituteName replaces the placeholder __name__ in every segment of a
// template path by the server name.
func substituteName(rel, name string) string {
	segs := strings.Split(rel, "/")
	for i, s := range segs {
		segs[i] = strings.ReplaceAll(s, "__name__", name)
	}
	return path.Join(segs...)
}
