package generator

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Answer keys: the names used in answers files, in the record file
// .mcpforge.toml and in validation problems.
const (
	KeyName           = "name"
	KeyModule         = "module"
	KeyDescription    = "description"
	KeyTransports     = "transports"
	KeyAuth           = "auth"
	KeyIssuer         = "issuer"
	KeyAudience       = "audience"
	KeyJWKSURI        = "jwks_uri"
	KeyProxyHeader    = "proxy_header"
	KeyTrustedProxies = "trusted_proxies"
	KeyOAuth          = "oauth"
	KeyObservability  = "observability"
	KeyUpdateWorkflow = "update_workflow"
	KeyDeploy         = "deploy"
	KeyLicense        = "license"
)

// Transports a generated server can serve.
const (
	TransportStdio = "stdio" // MCP over stdin/stdout, for local clients
	TransportHTTP  = "http"  // streamable HTTP at /mcp
	TransportSSE   = "sse"   // the legacy HTTP+SSE transport at /sse and /message
)

// Authorization strategies of a generated server.
const (
	AuthNone        = "none"         // no authorization
	AuthJWTLocal    = "jwt-local"    // validate JWTs locally against a JWKS
	AuthJWTExternal = "jwt-external" // trust claims forwarded by a proxy that validated the token
)

// Deployment artifacts a generated repository can include.
const (
	DeployDocker  = "docker"  // Dockerfile and .dockerignore
	DeployHelm    = "helm"    // chart/<name>
	DeployCI      = "ci"      // .github/workflows
	DeployRelease = "release" // goreleaser.yaml
)

// Licenses a generated repository can carry in its LICENSE file.
const (
	LicenseApache = "apache-2.0" // the Apache License 2.0
	LicenseMIT    = "mit"        // the MIT License
	LicenseNone   = "none"       // no LICENSE file: the owner decides later
)

// DefaultLicense is the license when none is chosen: no license at all,
// because licensing someone's code is a decision only its owner can make.
// (Records written before the license answer existed read as none whatever
// this default: see the absent value in the table of answers.)
const DefaultLicense = LicenseNone

// Placeholders used as defaults for jwt-local: visible, obviously fake values
// that the owner must replace, because no default issuer can be right.
const (
	PlaceholderIssuer  = "https://auth.example.com/realms/demo"
	PlaceholderJWKSURI = "https://auth.example.com/realms/demo/protocol/openid-connect/certs"
)

// Default values of the jwt-external answers.
const (
	DefaultProxyHeader = "x-jwt-payload"
)

// The options of the choice answers, in canonical order, with the words the
// wizard shows for them.
var (
	transportOptions = []Choice{
		{TransportStdio, "stdio: local clients such as Claude Desktop and IDEs"},
		{TransportHTTP, "http: streamable HTTP at /mcp"},
		{TransportSSE, "sse: legacy HTTP+SSE at /sse and /message"},
	}
	authOptions = []Choice{
		{AuthNone, "none: no authorization"},
		{AuthJWTLocal, "jwt-local: validate JWTs against the issuer's JWKS"},
		{AuthJWTExternal, "jwt-external: trust claims a proxy (Istio, Envoy) forwards"},
	}
	deployOptions = []Choice{
		{DeployDocker, "docker: Dockerfile and .dockerignore"},
		{DeployHelm, "helm: Helm chart"},
		{DeployCI, "ci: GitHub Actions workflow"},
		{DeployRelease, "release: goreleaser configuration"},
	}
	licenseOptions = []Choice{
		{LicenseApache, "apache-2.0: Apache License 2.0, with a patent grant"},
		{LicenseMIT, "mit: MIT License, short and permissive"},
		{LicenseNone, "none: no LICENSE file; choose one later"},
	}

	knownTransports = optionValues(transportOptions)
	knownAuth       = optionValues(authOptions)
	knownDeploy     = optionValues(deployOptions)
	knownLicenses   = optionValues(licenseOptions)

	defaultTransports     = []string{TransportStdio, TransportHTTP}
	defaultTrustedProxies = []string{"127.0.0.1/32", "::1/128"}
)

// KnownTransports returns every transport in canonical order.
func KnownTransports() []string { return slices.Clone(knownTransports) }

// KnownAuth returns every authorization strategy, "none" first.
func KnownAuth() []string { return slices.Clone(knownAuth) }

// KnownDeploy returns every deployment artifact kind in canonical order.
func KnownDeploy() []string { return slices.Clone(knownDeploy) }

// KnownLicenses returns every license answer, "none" last.
func KnownLicenses() []string { return slices.Clone(knownLicenses) }

// Answers are the options of one generated repository. Every input path (flags,
// answers file, wizard) fills the same type, and [Answers.Validate] checks it
// with the same validators. Each exported field is one entry of fieldDefs,
// which says everything else about it.
//
// A field counts as given when it holds a non-zero value or was marked with
// [Answers.MarkGiven]; marking matters only where an explicit empty value
// means something (deploy = [] is "no deployment artifacts", audience = "" is
// "the server's own URL").
type Answers struct {
	// Name of the server: binary, command directory, chart and env prefix.
	Name string `toml:"name"`
	// Module is the Go module path of the generated repository.
	Module string `toml:"module"`
	// Description is a one-line description of the server.
	Description string `toml:"description"`
	// Transports is a subset of stdio, http, sse.
	Transports []string `toml:"transports"`
	// Auth is the authorization strategy: none, jwt-local or jwt-external.
	Auth string `toml:"auth"`
	// Issuer is the expected "iss" of tokens (jwt-local).
	Issuer string `toml:"issuer"`
	// Audience is the expected "aud" of tokens (jwt-local); empty means the
	// server's public URL of /mcp, decided at run time.
	Audience string `toml:"audience"`
	// JWKSURI is where the signing keys are fetched from (jwt-local).
	JWKSURI string `toml:"jwks_uri"`
	// ProxyHeader is the header carrying the forwarded claims (jwt-external).
	ProxyHeader string `toml:"proxy_header"`
	// TrustedProxies are the CIDRs whose forwarded claims are believed
	// (jwt-external).
	TrustedProxies []string `toml:"trusted_proxies"`
	// OAuth serves the OAuth discovery documents and /login (jwt-local only);
	// nil means the default: on with jwt-local, off otherwise.
	OAuth *bool `toml:"oauth"`
	// Observability adds Prometheus metrics and OpenTelemetry traces
	// (internal/telemetry, the chart's metrics port and dashboard); nil
	// means the default, on.
	Observability *bool `toml:"observability"`
	// UpdateWorkflow adds .github/workflows/mcpforge-update.yml, which runs
	// mcpforge update every week and opens a pull request; nil means the
	// default, off.
	UpdateWorkflow *bool `toml:"update_workflow"`
	// Deploy is a subset of docker, helm, ci, release.
	Deploy []string `toml:"deploy"`
	// License is the license of the generated repository: apache-2.0, mit
	// or none (no LICENSE file).
	License string `toml:"license"`

	// given marks fields given explicitly, one bit per entry of fieldDefs.
	given uint64
}

// The wizard's pages of more than one question.
const (
	groupServer   = "New MCP server"
	groupJWT      = "JWT validation"
	groupExternal = "Trusted proxy"
)

// fieldDefs is the table of answers: one entry per answer, in the order the
// wizard asks them and the record file lists them. Flags, answers files, the
// wizard and its summary, the equivalent command line, defaults, validation
// and the record all derive from it (see fieldDef), so a new answer is a new
// field of Answers, a new entry here, and its templates and runtime.
//
// A new answer whose default changes what is generated needs an absent
// value too: what records written before it existed read as when they lack
// its key, the value that generates what they recorded (observability
// false). Its default is for new repositories only; without absent, mcpforge
// update would bring the default into every older repository.
var fieldDefs = []fieldDef{
	{
		Field: Field{
			Key: KeyName, Kind: KindText, Example: "weather",
			Help:  "server name, the first argument, e.g. weather",
			Title: "Server name", Group: groupServer,
		},
		value:     func(a *Answers) any { return &a.Name },
		canon:     strings.TrimSpace,
		checkText: ValidateName,
		prompt:    says("lower-case letters, digits and dashes, e.g. weather"),
	},
	{
		Field: Field{
			Key: KeyModule, Kind: KindText, Example: "github.com/acme/weather",
			Flag: "module", Usage: "Go module `path` (default example.com/NAME)",
			Help:  "module path, e.g. example.com/demo",
			Title: "Go module path", Group: groupServer,
		},
		value: func(a *Answers) any { return &a.Module },
		def: func(a Answers) any {
			if a.Name == "" {
				return ""
			}
			return "example.com/" + a.Name
		},
		checkText: ValidateModule,
		prompt:    func(a Answers) string { return "empty for example.com/" + nameOr(a, "NAME") },
	},
	{
		Field: Field{
			Key: KeyDescription, Kind: KindText, Example: "Forecasts for the next days",
			Flag: "description", Usage: "one-line `text` describing the server",
			Help:  "one-line description of the server",
			Title: "Description", Group: groupServer,
		},
		value:     func(a *Answers) any { return &a.Description },
		def:       func(a Answers) any { return defaultDescription(a.Name) },
		checkText: ValidateDescription,
		prompt:    func(a Answers) string { return "one line; empty for \"The " + nameOr(a, "NAME") + " MCP server\"" },
	},
	{
		Field: Field{
			Key: KeyTransports, Kind: KindMulti, Options: transportOptions,
			Flag: "transport", Usage: "transports to serve, a `list` of stdio, http, sse (default stdio,http)",
			Help:  "transports, any of stdio,http,sse",
			Title: "Transports",
		},
		value:     func(a *Answers) any { return &a.Transports },
		def:       func(Answers) any { return slices.Clone(defaultTransports) },
		checkList: ValidateTransports,
	},
	{
		Field: Field{
			Key: KeyAuth, Kind: KindChoice, Options: authOptions,
			Flag: "auth", Usage: "authorization `strategy`: none, jwt-local or jwt-external (default none)",
			Help:  "authorization: none, jwt-local or jwt-external",
			Title: "Authorization",
		},
		value:     func(a *Answers) any { return &a.Auth },
		def:       func(Answers) any { return AuthNone },
		checkText: ValidateAuth,
		cross: func(a Answers) error {
			if a.Auth != AuthNone && stdioOnly(a) {
				return fmt.Errorf("%s authenticates HTTP requests, but the transports are only stdio; add --transport http or choose auth none", a.Auth)
			}
			return nil
		},
	},
	{
		Field: Field{
			Key: KeyIssuer, Kind: KindText, Example: "https://id.example.com/realms/main",
			Flag: "issuer", Usage: "token issuer `URL` (jwt-local; default a placeholder to replace)",
			Help:  "token issuer URL, e.g. " + PlaceholderIssuer,
			Title: "Token issuer", Group: groupJWT,
		},
		value:     func(a *Answers) any { return &a.Issuer },
		only:      &requirement{KeyAuth, AuthJWTLocal},
		def:       func(Answers) any { return PlaceholderIssuer },
		checkText: ValidateIssuer,
		prompt:    says("iss of the tokens; empty for the placeholder " + PlaceholderIssuer),
	},
	{
		Field: Field{
			Key: KeyAudience, Kind: KindText, Example: "api://weather",
			Flag: "audience", Usage: "token `audience` (jwt-local; default the server's public URL of /mcp)",
			Help:  "token audience; empty means the server's public URL of /mcp",
			Title: "Token audience", Group: groupJWT,
		},
		value:     func(a *Answers) any { return &a.Audience },
		only:      &requirement{KeyAuth, AuthJWTLocal},
		checkText: ValidateAudience,
		prompt:    says("aud the tokens must carry; empty for the server's public URL of /mcp"),
		shown:     map[string]string{"": "(the server's public URL of /mcp)"},
	},
	{
		Field: Field{
			Key: KeyJWKSURI, Kind: KindText, Example: "https://id.example.com/realms/main/certs",
			Flag: "jwks-uri", Usage: "`URL` of the issuer's JWKS (jwt-local; default a placeholder to replace)",
			Help:  "JWKS URL of the issuer's signing keys",
			Title: "JWKS URI", Group: groupJWT,
		},
		value:     func(a *Answers) any { return &a.JWKSURI },
		only:      &requirement{KeyAuth, AuthJWTLocal},
		def:       func(Answers) any { return PlaceholderJWKSURI },
		checkText: ValidateURL,
		prompt:    says("where the issuer publishes its signing keys; empty for a placeholder"),
	},
	{
		Field: Field{
			Key: KeyProxyHeader, Kind: KindText, Example: "x-forwarded-claims",
			Flag: "proxy-header", Usage: "`header` carrying the proxy's claims (jwt-external; default " + DefaultProxyHeader + ")",
			Help:  "header carrying the proxy's claims, e.g. " + DefaultProxyHeader,
			Title: "Claims header", Group: groupExternal,
		},
		value: func(a *Answers) any { return &a.ProxyHeader },
		only:  &requirement{KeyAuth, AuthJWTExternal},
		def:   func(Answers) any { return DefaultProxyHeader },
		// Header names are case-insensitive; the record keeps one spelling.
		canon:     func(s string) string { return strings.ToLower(strings.TrimSpace(s)) },
		checkText: ValidateHeaderName,
		prompt:    says("the header the proxy forwards the claims in; empty for " + DefaultProxyHeader),
	},
	{
		Field: Field{
			Key: KeyTrustedProxies, Kind: KindList, Example: "10.0.0.0/8, fd00::/8",
			Flag: "trusted-proxy", Usage: "`CIDR`s of trusted proxies, repeatable (jwt-external; default 127.0.0.1/32,::1/128)",
			Help:  "CIDRs of the trusted proxies, e.g. 10.0.0.0/8",
			Title: "Trusted proxies", Group: groupExternal,
		},
		value:     func(a *Answers) any { return &a.TrustedProxies },
		only:      &requirement{KeyAuth, AuthJWTExternal},
		def:       func(Answers) any { return slices.Clone(defaultTrustedProxies) },
		canonList: CanonicalCIDRs,
		checkList: ValidateCIDRs,
		prompt:    says("CIDRs, comma-separated; only their forwarded claims are believed"),
	},
	{
		Field: Field{
			Key: KeyOAuth, Kind: KindBool,
			Flag: "oauth", Usage: "serve OAuth discovery and /login (jwt-local; on by default there)",
			NoFlag: "no-oauth", NoUsage: "do not serve OAuth discovery and /login",
			Help:  "serve OAuth discovery and /login (jwt-local only); --no-oauth turns it off",
			Title: "Serve OAuth discovery and /login?", Group: groupJWT,
		},
		value:  func(a *Answers) any { return &a.OAuth },
		only:   &requirement{KeyAuth, AuthJWTLocal},
		def:    func(Answers) any { return true },
		prompt: says("lets MCP clients find the authorization server"),
	},
	{
		Field: Field{
			Key: KeyObservability, Kind: KindBool,
			Flag: "observability", Usage: "Prometheus metrics and OpenTelemetry traces (on by default)",
			NoFlag: "no-observability", NoUsage: "no metrics, no tracing, no OpenTelemetry or Prometheus modules",
			Help:  "Prometheus metrics and OpenTelemetry traces; --no-observability leaves them out",
			Title: "Metrics and traces (Prometheus, OpenTelemetry)?",
		},
		value: func(a *Answers) any { return &a.Observability },
		def:   func(Answers) any { return true },
		// Repositories recorded before the answer existed have no telemetry.
		absent: false,
		prompt: says("per-tool latency and errors on a metrics port, traces over OTLP"),
	},
	{
		// Always asked, not only with deploy ci: the workflow keeps the
		// generated code current whatever runs the repository's checks, and
		// a GitHub repository can take it without mcpforge's CI workflow.
		Field: Field{
			Key: KeyUpdateWorkflow, Kind: KindBool,
			Flag: "update-workflow", Usage: "a weekly GitHub Actions workflow that runs mcpforge update and opens a pull request (off by default)",
			NoFlag: "no-update-workflow", NoUsage: "no .github/workflows/mcpforge-update.yml",
			Help:  "weekly workflow running mcpforge update and opening a pull request; --update-workflow adds it",
			Title: "Weekly mcpforge update pull requests (GitHub Actions)?",
		},
		value:  func(a *Answers) any { return &a.UpdateWorkflow },
		def:    func(Answers) any { return false },
		absent: false,
		prompt: says("opens a pull request when a newer mcpforge changes the generated files"),
	},
	{
		Field: Field{
			Key: KeyDeploy, Kind: KindMulti, Options: deployOptions, None: "none",
			Flag: "deploy", Usage: "deployment artifacts, a `list` of docker, helm, ci, release, or none (default all)",
			Help:  "deployment artifacts, any of docker,helm,ci,release (or none)",
			Title: "Deployment artifacts",
		},
		value: func(a *Answers) any { return &a.Deploy },
		def: func(a Answers) any {
			d := slices.Clone(knownDeploy)
			if !hasNetworkTransport(a.Transports) {
				// A chart deploys an HTTP service; a stdio-only server has none.
				d = slices.DeleteFunc(d, func(d string) bool { return d == DeployHelm })
			}
			return d
		},
		checkList: ValidateDeploy,
		cross: func(a Answers) error {
			if slices.Contains(a.Deploy, DeployHelm) && stdioOnly(a) {
				return fmt.Errorf("helm deploys an HTTP service, but the transports are only stdio; add --transport http or leave helm out")
			}
			return nil
		},
		prompt: says("none is fine"),
	},
	{
		Field: Field{
			Key: KeyLicense, Kind: KindChoice, Options: licenseOptions,
			Flag: "license", Usage: "license `name`: apache-2.0, mit or none (default " + DefaultLicense + ": no LICENSE file)",
			Help:  "license of the new repository: apache-2.0, mit or none",
			Title: "License",
		},
		value:     func(a *Answers) any { return &a.License },
		def:       func(Answers) any { return DefaultLicense },
		absent:    LicenseNone,
		checkText: ValidateLicense,
		prompt:    says("the LICENSE file of the new repository"),
		shown:     map[string]string{LicenseNone: "none (no LICENSE file)"},
	},
}

// says is a wizard help text that depends on no other answer.
func says(s string) func(Answers) string { return func(Answers) string { return s } }

// nameOr returns the trimmed name, or placeholder while there is none.
func nameOr(a Answers, placeholder string) string {
	if n := strings.TrimSpace(a.Name); n != "" {
		return n
	}
	return placeholder
}

func defaultDescription(name string) string {
	if name == "" {
		return "An MCP server"
	}
	return "The " + name + " MCP server"
}

// stdioOnly reports whether the transports, given, are only stdio.
func stdioOnly(a Answers) bool {
	return len(a.Transports) > 0 && !hasNetworkTransport(a.Transports)
}

// Fields returns every answer in the order the wizard asks them and the
// record file lists them.
func Fields() []Field {
	out := make([]Field, len(fieldDefs))
	for i, d := range fieldDefs {
		out[i] = d.Field
	}
	return out
}

// FieldFor returns the description of the answer with the given key.
func FieldFor(key string) (Field, bool) {
	if i := fieldIndex(key); i >= 0 {
		return fieldDefs[i].Field, true
	}
	return Field{}, false
}

func fieldIndex(key string) int {
	return slices.IndexFunc(fieldDefs, func(d fieldDef) bool { return d.Key == key })
}

// Set gives the answer key a value the way a flag or a form does — a
// string, a []string for a list answer, a bool for a yes/no answer — and
// marks it given. Text that could disguise code (see [CheckText]) is
// refused here, where its positions are still those of the value as given,
// and the answer is left unchanged; any other value is stored as is, for
// Validate to judge.
func (a *Answers) Set(key string, value any) error {
	i := fieldIndex(key)
	if i < 0 {
		return fmt.Errorf("unknown answer %q", key)
	}
	return a.setField(i, value)
}

// setField decodes v into the answer fieldDefs[i] and marks it given. It is
// the one way in for given values, flags (through Set) and answers and
// record files alike, so that all of them are checked with CheckText before
// WithDefaults trims or reorders anything. On error a is unchanged.
func (a *Answers) setField(i int, v any) error {
	d := fieldDefs[i]
	val, err := d.decode(v)
	if err != nil {
		return fmt.Errorf("%s %w", d.Key, err)
	}
	if err := d.refuseDisguised(val); err != nil {
		return fmt.Errorf("%s: %w", d.Key, err)
	}
	d.set(a, val)
	a.given |= 1 << i
	return nil
}

// Clear empties the answer key and forgets that it was given, as if it never
// was; the wizard clears the answers that do not apply to the strategy the
// user moved to.
func (a *Answers) Clear(key string) {
	if i := fieldIndex(key); i >= 0 {
		fieldDefs[i].set(a, nil)
		a.given &^= 1 << i
	}
}

// MarkGiven records that the answers with the given keys were given
// explicitly, even if their values are empty. It panics on a key that is not
// one of the Key constants, which is a programming error.
func (a *Answers) MarkGiven(keys ...string) {
	for _, k := range keys {
		i := fieldIndex(k)
		if i < 0 {
			panic(fmt.Sprintf("generator: MarkGiven of unknown answer key %q", k))
		}
		a.given |= 1 << i
	}
}

// Given reports whether the answer with the given key was given: marked with
// MarkGiven, or holding a non-zero value.
func (a Answers) Given(key string) bool {
	i := fieldIndex(key)
	if i < 0 {
		return false
	}
	return a.given&(1<<i) != 0 || !fieldDefs[i].isZero(&a)
}

// Merge layers answers: every answer given in over replaces the one in base.
// Flags are merged over an answers file, and an answers file over nothing.
func Merge(base, over Answers) Answers {
	out := base.clone()
	for i, d := range fieldDefs {
		if over.Given(d.Key) {
			d.copy(&out, &over)
			out.given |= 1 << i
		}
	}
	return out
}

// clone returns a deep copy, so that callers never share slices.
func (a Answers) clone() Answers {
	out := Answers{given: a.given}
	for _, d := range fieldDefs {
		d.copy(&out, &a)
	}
	return out
}

// Defaults returns the default answers for a server called name.
func Defaults(name string) Answers {
	return Answers{Name: name}.WithDefaults()
}

// WithDefaults returns the answers with every answer in canonical form and
// every answer that applies but was not given set to its default. Canonical
// form: choices trimmed and lower-cased, lists as [CanonicalTransports],
// [CanonicalDeploy] and [CanonicalCIDRs] put them, the name trimmed and the
// proxy header lower-cased. A text answer that is blank, given or not,
// takes its default too (an empty description becomes the default one);
// where empty means something of its own (audience) there is no default.
// A list given empty stays empty. The defaults of the auth details are set
// only with their strategy, and may depend on answers before them (module
// on name, deploy on transports). Values that are not valid are kept as
// they are, for Validate to report.
func (a Answers) WithDefaults() Answers {
	out := a.clone()
	for i, d := range fieldDefs {
		d.normalize(&out)
		if d.def != nil && out.wantsDefault(i) && out.applies(d.Key) {
			d.set(&out, d.def(out))
		}
	}
	return out
}

// OAuthEnabled reports whether the OAuth endpoints are on: the explicit
// answer if given, else on exactly with jwt-local.
func (a Answers) OAuthEnabled() bool {
	if a.OAuth != nil {
		return *a.OAuth
	}
	return a.Auth == AuthJWTLocal
}

// ObservabilityEnabled reports whether metrics and tracing are on: the
// explicit answer if given, else on.
func (a Answers) ObservabilityEnabled() bool {
	return a.Observability == nil || *a.Observability
}

// UpdateWorkflowEnabled reports whether the weekly update workflow is
// generated: the explicit answer if given, else its default in the table
// of answers, off.
func (a Answers) UpdateWorkflowEnabled() bool {
	on, _ := a.final(fieldIndex(KeyUpdateWorkflow)).(bool)
	return on
}

// Applies reports whether the answer with the given key means anything for
// these answers: the auth details only for their strategy (an empty strategy
// counts as none). The wizard skips the questions that do not apply, and the
// equivalent command line leaves their flags out.
func (a Answers) Applies(key string) bool {
	if a.Auth == "" {
		a.Auth = AuthNone
	}
	return a.applies(key)
}

// applies reports whether the answer with the given key means anything for
// these answers, taken as they are.
func (a Answers) applies(key string) bool {
	i := fieldIndex(key)
	return i >= 0 && fieldDefs[i].appliesTo(&a)
}

// Missing returns the answers that apply to these answers but were not given,
// in the order of [Fields]. A command line without a wizard lists them; the
// wizard asks them.
func (a Answers) Missing() []Field {
	var out []Field
	for _, d := range fieldDefs {
		if a.Applies(d.Key) && !a.Given(d.Key) {
			out = append(out, d.Field)
		}
	}
	return out
}

// Problem is one thing wrong with a set of answers.
type Problem struct {
	// Key is the answer at fault, one of the Key constants.
	Key string
	// Message says what is wrong and how to fix it.
	Message string
}

// ValidationError lists every problem of a set of answers.
type ValidationError struct {
	Problems []Problem
}

// Error joins the problems, each prefixed by its key.
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Key + ": " + p.Message
	}
	return "invalid answers: " + strings.Join(parts, "; ")
}

// Validate checks every answer and reports every problem at once as a
// *ValidationError, each problem naming its key, in the order of [Fields].
// Call it on answers completed by WithDefaults: an answer that is still
// empty where one is needed is a problem. Answers given for another auth
// strategy than the chosen one are problems too, so that a mistyped --auth
// does not silently drop them (a yes/no answer given as no is harmless).
//
// Text that could disguise code (see [CheckText]) is refused in every
// answer, whatever path it came by, since Render trusts what Validate
// passes; such an answer gets that one problem and no other.
func (a Answers) Validate() error {
	var problems []Problem
	for _, d := range fieldDefs {
		if err := d.validate(a); err != nil {
			problems = append(problems, Problem{Key: d.Key, Message: err.Error()})
		}
	}
	if len(problems) > 0 {
		return &ValidationError{Problems: problems}
	}
	return nil
}

// CanonicalTransports trims and lower-cases the names, drops empty and
// duplicate ones, and orders the known ones as stdio, http, sse; unknown names
// follow in their given order, for Validate to report. nil stays nil.
func CanonicalTransports(list []string) []string { return canonicalList(list, knownTransports) }

// CanonicalDeploy does for deployment artifacts what CanonicalTransports does
// for transports; the single value "none" means the empty list.
func CanonicalDeploy(list []string) []string {
	return fieldDefs[fieldIndex(KeyDeploy)].canonicalMulti(list)
}

func canonicalList(list, known []string) []string {
	if list == nil {
		return nil
	}
	seen := map[string]bool{}
	var unknown []string
	for _, v := range list {
		v = strings.ToLower(strings.TrimSpace(v))
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		if !slices.Contains(known, v) {
			unknown = append(unknown, v)
		}
	}
	out := []string{}
	for _, k := range known {
		if seen[k] {
			out = append(out, k)
		}
	}
	return append(out, unknown...)
}

// CanonicalCIDRs trims the entries, turns a bare address into its one-address
// prefix (10.1.2.3 -> 10.1.2.3/32), drops duplicates and sorts the prefixes
// (IPv4 first). Entries that do not parse are kept at the end as given, for
// Validate to report. nil stays nil.
func CanonicalCIDRs(list []string) []string {
	if list == nil {
		return nil
	}
	var prefixes []netip.Prefix
	var bad []string
	for _, v := range list {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		p, err := parseCIDR(v)
		if err != nil {
			if !slices.Contains(bad, v) {
				bad = append(bad, v)
			}
			continue
		}
		if !slices.Contains(prefixes, p) {
			prefixes = append(prefixes, p)
		}
	}
	slices.SortFunc(prefixes, func(x, y netip.Prefix) int { return x.Compare(y) })
	out := make([]string, 0, len(prefixes)+len(bad))
	for _, p := range prefixes {
		out = append(out, p.String())
	}
	return append(out, bad...)
}

// hasNetworkTransport reports whether transports include an HTTP-based one.
func hasNetworkTransport(transports []string) bool {
	return slices.ContainsFunc(transports, func(t string) bool { return t != TransportStdio })
}
