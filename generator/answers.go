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
// because licensing someone's code is a decision only its owner can make,
// and because it keeps the repositories of records written before the
// license answer existed byte-for-byte reproducible.
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

var (
	knownTransports = []string{TransportStdio, TransportHTTP, TransportSSE}
	knownAuth       = []string{AuthNone, AuthJWTLocal, AuthJWTExternal}
	knownDeploy     = []string{DeployDocker, DeployHelm, DeployCI, DeployRelease}
	knownLicenses   = []string{LicenseApache, LicenseMIT, LicenseNone}

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
// with the same validators.
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
	// Deploy is a subset of docker, helm, ci, release.
	Deploy []string `toml:"deploy"`
	// License is the license of the generated repository: apache-2.0, mit
	// or none (no LICENSE file).
	License string `toml:"license"`

	// given marks fields given explicitly, one bit per entry of fieldDefs.
	given uint32
}

// Field describes one answer for the user interfaces: its answers-file key,
// the flag of `mcpforge new` that sets it, and a short help text.
type Field struct {
	// Key is the answers-file key, e.g. "transports".
	Key string
	// Flag is the flag name without dashes, e.g. "transport"; empty for the
	// name, which is the NAME argument.
	Flag string
	// Help says what the answer is, with an example.
	Help string
}

// fieldDef is a Field plus how to read, copy and decode it, so that the
// per-key logic lives in one table instead of one switch per operation.
type fieldDef struct {
	Field
	isZero func(a *Answers) bool
	copy   func(dst, src *Answers)
	decode func(a *Answers, v any) error
	// text checks the answer's text with CheckText (checkTextList for a
	// list); nil for an answer that holds no text (oauth).
	text func(a *Answers) error
}

var fieldDefs = []fieldDef{
	{
		Field:  Field{KeyName, "", "server name, the first argument, e.g. weather"},
		isZero: func(a *Answers) bool { return a.Name == "" },
		copy:   func(d, s *Answers) { d.Name = s.Name },
		decode: func(a *Answers, v any) error { return decodeString(&a.Name, v) },
		text:   func(a *Answers) error { return CheckText(a.Name) },
	},
	{
		Field:  Field{KeyModule, "module", "module path, e.g. example.com/demo"},
		isZero: func(a *Answers) bool { return a.Module == "" },
		copy:   func(d, s *Answers) { d.Module = s.Module },
		decode: func(a *Answers, v any) error { return decodeString(&a.Module, v) },
		text:   func(a *Answers) error { return CheckText(a.Module) },
	},
	{
		Field:  Field{KeyDescription, "description", "one-line description of the server"},
		isZero: func(a *Answers) bool { return a.Description == "" },
		copy:   func(d, s *Answers) { d.Description = s.Description },
		decode: func(a *Answers, v any) error { return decodeString(&a.Description, v) },
		text:   func(a *Answers) error { return CheckText(a.Description) },
	},
	{
		Field:  Field{KeyTransports, "transport", "transports, any of stdio,http,sse"},
		isZero: func(a *Answers) bool { return a.Transports == nil },
		copy:   func(d, s *Answers) { d.Transports = slices.Clone(s.Transports) },
		decode: func(a *Answers, v any) error { return decodeStrings(&a.Transports, v) },
		text:   func(a *Answers) error { return checkTextList(a.Transports) },
	},
	{
		Field:  Field{KeyAuth, "auth", "authorization: none, jwt-local or jwt-external"},
		isZero: func(a *Answers) bool { return a.Auth == "" },
		copy:   func(d, s *Answers) { d.Auth = s.Auth },
		decode: func(a *Answers, v any) error { return decodeString(&a.Auth, v) },
		text:   func(a *Answers) error { return CheckText(a.Auth) },
	},
	{
		Field:  Field{KeyIssuer, "issuer", "token issuer URL, e.g. " + PlaceholderIssuer},
		isZero: func(a *Answers) bool { return a.Issuer == "" },
		copy:   func(d, s *Answers) { d.Issuer = s.Issuer },
		decode: func(a *Answers, v any) error { return decodeString(&a.Issuer, v) },
		text:   func(a *Answers) error { return CheckText(a.Issuer) },
	},
	{
		Field:  Field{KeyAudience, "audience", "token audience; empty means the server's public URL of /mcp"},
		isZero: func(a *Answers) bool { return a.Audience == "" },
		copy:   func(d, s *Answers) { d.Audience = s.Audience },
		decode: func(a *Answers, v any) error { return decodeString(&a.Audience, v) },
		text:   func(a *Answers) error { return CheckText(a.Audience) },
	},
	{
		Field:  Field{KeyJWKSURI, "jwks-uri", "JWKS URL of the issuer's signing keys"},
		isZero: func(a *Answers) bool { return a.JWKSURI == "" },
		copy:   func(d, s *Answers) { d.JWKSURI = s.JWKSURI },
		decode: func(a *Answers, v any) error { return decodeString(&a.JWKSURI, v) },
		text:   func(a *Answers) error { return CheckText(a.JWKSURI) },
	},
	{
		Field:  Field{KeyProxyHeader, "proxy-header", "header carrying the proxy's claims, e.g. " + DefaultProxyHeader},
		isZero: func(a *Answers) bool { return a.ProxyHeader == "" },
		copy:   func(d, s *Answers) { d.ProxyHeader = s.ProxyHeader },
		decode: func(a *Answers, v any) error { return decodeString(&a.ProxyHeader, v) },
		text:   func(a *Answers) error { return CheckText(a.ProxyHeader) },
	},
	{
		Field:  Field{KeyTrustedProxies, "trusted-proxy", "CIDRs of the trusted proxies, e.g. 10.0.0.0/8"},
		isZero: func(a *Answers) bool { return a.TrustedProxies == nil },
		copy:   func(d, s *Answers) { d.TrustedProxies = slices.Clone(s.TrustedProxies) },
		decode: func(a *Answers, v any) error { return decodeStrings(&a.TrustedProxies, v) },
		text:   func(a *Answers) error { return checkTextList(a.TrustedProxies) },
	},
	{
		Field:  Field{KeyOAuth, "oauth", "serve OAuth discovery and /login (jwt-local only); --no-oauth turns it off"},
		isZero: func(a *Answers) bool { return a.OAuth == nil },
		copy: func(d, s *Answers) {
			d.OAuth = nil
			if s.OAuth != nil {
				v := *s.OAuth
				d.OAuth = &v
			}
		},
		decode: func(a *Answers, v any) error {
			b, ok := v.(bool)
			if !ok {
				return fmt.Errorf("must be true or false, not %s", tomlTypeName(v))
			}
			a.OAuth = &b
			return nil
		},
	},
	{
		Field:  Field{KeyDeploy, "deploy", "deployment artifacts, any of docker,helm,ci,release (or none)"},
		isZero: func(a *Answers) bool { return a.Deploy == nil },
		copy:   func(d, s *Answers) { d.Deploy = slices.Clone(s.Deploy) },
		decode: func(a *Answers, v any) error { return decodeStrings(&a.Deploy, v) },
		text:   func(a *Answers) error { return checkTextList(a.Deploy) },
	},
	{
		Field:  Field{KeyLicense, "license", "license of the new repository: apache-2.0, mit or none"},
		isZero: func(a *Answers) bool { return a.License == "" },
		copy:   func(d, s *Answers) { d.License = s.License },
		decode: func(a *Answers, v any) error { return decodeString(&a.License, v) },
		text:   func(a *Answers) error { return CheckText(a.License) },
	},
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
// string, a []string for a list answer, a bool for oauth — and marks it
// given. Text that could disguise code (see [CheckText]) is refused here,
// where its positions are still those of the value as given, and the answer
// is left unchanged; any other value is stored as is, for Validate to judge.
func (a *Answers) Set(key string, value any) error {
	i := fieldIndex(key)
	if i < 0 {
		return fmt.Errorf("unknown answer %q", key)
	}
	if list, ok := value.([]string); ok {
		items := make([]any, len(list))
		for j, s := range list {
			items[j] = s
		}
		value = items
	}
	return a.setField(i, value)
}

// setField decodes v into the answer fieldDefs[i] and marks it given. It is
// the one way in for given values, flags (through Set) and answers and
// record files alike, so that all of them are checked with CheckText before
// WithDefaults trims or reorders anything. On error a is unchanged.
func (a *Answers) setField(i int, v any) error {
	d := fieldDefs[i]
	var probe Answers
	if err := d.decode(&probe, v); err != nil {
		return fmt.Errorf("%s %w", d.Key, err)
	}
	if d.text != nil {
		if err := d.text(&probe); err != nil {
			return fmt.Errorf("%s: %w", d.Key, err)
		}
	}
	d.copy(a, &probe)
	a.given |= 1 << i
	return nil
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

// WithDefaults returns the answers with every answer that was not given set
// to its default, every list put in canonical form (see
// [CanonicalTransports], [CanonicalDeploy], [CanonicalCIDRs]) and the auth
// strategy, proxy header and license trimmed and lower-cased. The defaults
// of the auth answers depend on the chosen strategy: the jwt-local answers
// are defaulted only with jwt-local, the jwt-external ones only with
// jwt-external. A description that is empty, given or not, becomes the
// default description: every generated README and server needs one.
// Values that are not valid are kept as they are, for Validate to report.
func (a Answers) WithDefaults() Answers {
	out := a.clone()
	out.Name = strings.TrimSpace(out.Name)
	if out.Module == "" && out.Name != "" {
		out.Module = "example.com/" + out.Name
	}
	if strings.TrimSpace(out.Description) == "" {
		out.Description = defaultDescription(out.Name)
	}
	if !out.Given(KeyTransports) {
		out.Transports = slices.Clone(defaultTransports)
	}
	out.Transports = CanonicalTransports(out.Transports)
	if out.Auth == "" {
		out.Auth = AuthNone
	}
	out.Auth = strings.ToLower(strings.TrimSpace(out.Auth))
	switch out.Auth {
	case AuthJWTLocal:
		if out.Issuer == "" {
			out.Issuer = PlaceholderIssuer
		}
		if out.JWKSURI == "" {
			out.JWKSURI = PlaceholderJWKSURI
		}
		if out.OAuth == nil {
			on := true
			out.OAuth = &on
		}
	case AuthJWTExternal:
		if out.ProxyHeader == "" {
			out.ProxyHeader = DefaultProxyHeader
		}
		if !out.Given(KeyTrustedProxies) {
			out.TrustedProxies = slices.Clone(defaultTrustedProxies)
		}
	}
	out.ProxyHeader = strings.ToLower(strings.TrimSpace(out.ProxyHeader))
	if out.TrustedProxies != nil {
		out.TrustedProxies = CanonicalCIDRs(out.TrustedProxies)
	}
	if !out.Given(KeyDeploy) {
		out.Deploy = slices.Clone(knownDeploy)
		if !hasNetworkTransport(out.Transports) {
			// A chart deploys an HTTP service; a stdio-only server has none.
			out.Deploy = slices.DeleteFunc(out.Deploy, func(d string) bool { return d == DeployHelm })
		}
	}
	out.Deploy = CanonicalDeploy(out.Deploy)
	out.License = strings.ToLower(strings.TrimSpace(out.License))
	if out.License == "" {
		out.License = DefaultLicense
	}
	return out
}

func defaultDescription(name string) string {
	if name == "" {
		return "An MCP server"
	}
	return "The " + name + " MCP server"
}

// OAuthEnabled reports whether the OAuth endpoints are on: the explicit
// answer if given, else on exactly with jwt-local.
func (a Answers) OAuthEnabled() bool {
	if a.OAuth != nil {
		return *a.OAuth
	}
	return a.Auth == AuthJWTLocal
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
// these answers: the auth details only for their strategy.
func (a Answers) applies(key string) bool {
	switch key {
	case KeyIssuer, KeyAudience, KeyJWKSURI, KeyOAuth:
		return a.Auth == AuthJWTLocal
	case KeyProxyHeader, KeyTrustedProxies:
		return a.Auth == AuthJWTExternal
	}
	return true
}

// Missing returns the answers that apply to these answers but were not given,
// in the order of [Fields]. A command line without a wizard lists them; the
// wizard asks them.
func (a Answers) Missing() []Field {
	probe := a
	if probe.Auth == "" {
		probe.Auth = AuthNone
	}
	var out []Field
	for _, d := range fieldDefs {
		if probe.applies(d.Key) && !a.Given(d.Key) {
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
// *ValidationError, each problem naming its key. Call it on answers completed
// by WithDefaults: an answer that is still empty where one is needed is a
// problem. Answers given for another auth strategy than the chosen one are
// problems too, so that a mistyped --auth does not silently drop them.
//
// Text that could disguise code (see [CheckText]) is refused in every
// answer, whatever path it came by, since Render trusts what Validate
// passes; such an answer gets that one problem and no other.
func (a Answers) Validate() error {
	var problems []Problem
	disguised := map[string]bool{}
	for _, d := range fieldDefs {
		if d.text == nil {
			continue
		}
		if err := d.text(&a); err != nil {
			problems = append(problems, Problem{Key: d.Key, Message: err.Error()})
			disguised[d.Key] = true
		}
	}
	add := func(key string, err error) {
		if err != nil && !disguised[key] {
			problems = append(problems, Problem{Key: key, Message: err.Error()})
		}
	}
	add(KeyName, ValidateName(a.Name))
	add(KeyModule, ValidateModule(a.Module))
	add(KeyDescription, ValidateDescription(a.Description))
	add(KeyTransports, ValidateTransports(a.Transports))
	authErr := ValidateAuth(a.Auth)
	add(KeyAuth, authErr)
	if authErr == nil {
		for _, d := range fieldDefs {
			if !a.applies(d.Key) && !d.isZero(&a) && !(d.Key == KeyOAuth && !*a.OAuth) {
				add(d.Key, fmt.Errorf("is used only with auth %s; remove it or choose that auth", authFor(d.Key)))
			}
		}
	}
	switch a.Auth {
	case AuthJWTLocal:
		add(KeyIssuer, ValidateIssuer(a.Issuer))
		add(KeyAudience, ValidateAudience(a.Audience))
		add(KeyJWKSURI, ValidateURL(a.JWKSURI))
	case AuthJWTExternal:
		add(KeyProxyHeader, ValidateHeaderName(a.ProxyHeader))
		add(KeyTrustedProxies, ValidateCIDRs(a.TrustedProxies))
	}
	add(KeyDeploy, ValidateDeploy(a.Deploy))
	add(KeyLicense, ValidateLicense(a.License))
	if len(a.Transports) > 0 && !hasNetworkTransport(a.Transports) {
		if a.Auth != "" && a.Auth != AuthNone {
			add(KeyAuth, fmt.Errorf("%s authenticates HTTP requests, but the transports are only stdio; add --transport http or choose auth none", a.Auth))
		}
		if slices.Contains(a.Deploy, DeployHelm) {
			add(KeyDeploy, fmt.Errorf("helm deploys an HTTP service, but the transports are only stdio; add --transport http or leave helm out"))
		}
	}
	if len(problems) > 0 {
		return &ValidationError{Problems: problems}
	}
	return nil
}

// authFor names the strategy an auth-specific answer belongs to.
func authFor(key string) string {
	switch key {
	case KeyProxyHeader, KeyTrustedProxies:
		return AuthJWTExternal
	}
	return AuthJWTLocal
}

// CanonicalTransports trims and lower-cases the names, drops empty and
// duplicate ones, and orders the known ones as stdio, http, sse; unknown names
// follow in their given order, for Validate to report. nil stays nil.
func CanonicalTransports(list []string) []string { return canonicalList(list, knownTransports) }

// CanonicalDeploy does for deployment artifacts what CanonicalTransports does
// for transports; the single value "none" means the empty list.
func CanonicalDeploy(list []string) []string {
	if len(list) == 1 && strings.EqualFold(strings.TrimSpace(list[0]), "none") {
		return []string{}
	}
	return canonicalList(list, knownDeploy)
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
