package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
)

// AuthTable is the dotted name of the table that holds [Auth] in the
// configuration file. [Auth.Validate] names keys under it, so its messages
// point at the line a user has to change.
const AuthTable = "middleware.jwt"

// Authorization strategies accepted in [Auth.Strategy].
const (
	// StrategyNone serves every request without authentication.
	StrategyNone = "none"
	// StrategyJWTLocal validates bearer tokens itself against a JWKS.
	StrategyJWTLocal = "jwt-local"
	// StrategyJWTExternal believes the claims an upstream proxy (Istio,
	// Envoy, an API gateway) forwards after validating the token there.
	StrategyJWTExternal = "jwt-external"
)

// Header formats accepted in [JWTExternal.HeaderFormat].
const (
	// HeaderFormatIstioPayload is Istio's outputPayloadToHeader form: the
	// base64url-encoded JSON payload of the validated token.
	HeaderFormatIstioPayload = "istio-payload"
	// HeaderFormatJWT is the whole validated token (optionally prefixed by
	// "Bearer "), whose payload is decoded without verifying it again.
	HeaderFormatJWT = "jwt"
)

// Auth is the table configuring who may call the server over HTTP and which
// tools they may use. The zero value is not usable; start from
// [DefaultAuth].
type Auth struct {
	// Strategy is how callers are authenticated: "none", "jwt-local" (this
	// server validates bearer tokens against a JWKS) or "jwt-external" (an
	// upstream proxy validated the token and forwards its claims).
	Strategy string `toml:"strategy"`
	// Local configures the jwt-local strategy.
	Local JWTLocal `toml:"local"`
	// External configures the jwt-external strategy.
	External JWTExternal `toml:"external"`
	// TrustedProxies lists the CIDR ranges (or single addresses) of the
	// proxies in front of the server, matched against the TCP peer address.
	// Only requests from them have their X-Forwarded-For believed (for the
	// rate limiter) and, with jwt-external, their claims header believed.
	TrustedProxies []string `toml:"trusted_proxies"`
	// ExposedClaims lists the token claims that reach tool code (and the
	// whoami tool) besides sub, scope, scp and roles, which always do; ["all"]
	// exposes every claim. The raw token never reaches tools.
	ExposedClaims []string `toml:"exposed_claims"`
	// ToolScopes maps tools to the scopes a caller needs to use them, one
	// entry per tool written "tool=scope [scope ...]", for example
	// "hello_world=tool:user". Every listed scope is required.
	ToolScopes []string `toml:"tool_scopes"`
	// DefaultScopes are announced in the scope parameter of 401 challenges,
	// telling clients what to ask the authorization server for. Empty means
	// every scope named in ToolScopes.
	DefaultScopes []string `toml:"default_scopes"`
	// HideUnauthorizedTools leaves the tools a caller lacks the scopes for
	// out of tools/list (and makes calling them answer "not found").
	HideUnauthorizedTools bool `toml:"hide_unauthorized_tools"`
	// Stdio is the identity of the local process on the stdio transport,
	// where no token exists.
	Stdio StdioIdentity `toml:"stdio"`
	// RateLimit limits failed authentication attempts per client address.
	RateLimit RateLimit `toml:"rate_limit"`
}

// JWTLocal configures validation of bearer tokens by the server itself.
type JWTLocal struct {
	// Issuer must equal the iss claim of every token.
	Issuer string `toml:"issuer"`
	// Audience must be contained in the aud claim of every token. Empty
	// means the server's public URL of /mcp (the RFC 8707 resource).
	Audience string `toml:"audience"`
	// JWKSURI is where the signing keys are fetched: https, or http on a
	// loopback address only.
	JWKSURI string `toml:"jwks_uri"`
	// AllowedJWKSHosts lists the host names the JWKS may be fetched from,
	// redirects included (SSRF protection). Empty means the host of
	// JWKSURI only.
	AllowedJWKSHosts []string `toml:"allowed_jwks_hosts"`
	// Algorithms lists the accepted signature algorithms. "none" and the
	// HMAC algorithms are never accepted.
	Algorithms []string `toml:"algorithms"`
	// Leeway is the clock skew tolerated on exp, nbf and iat.
	Leeway Duration `toml:"leeway"`
	// MaxTokenLifetime refuses tokens whose exp lies further ahead than
	// this (plus Leeway), like Envoy jwt_authn's max_lifetime: a token
	// minted by mistake, or by a stolen signing key, to last for years
	// stops working within it. 0 turns the check off.
	MaxTokenLifetime Duration `toml:"max_token_lifetime"`
	// RequireTypAtJWT demands the RFC 9068 header typ "at+jwt", so ID
	// tokens and other JWTs of the issuer cannot be used as access tokens.
	RequireTypAtJWT bool `toml:"require_typ_at_jwt"`
	// JWKSMinCache is the shortest time fetched keys are kept before they
	// are refreshed, whatever the JWKS response's Cache-Control says; it is
	// also used when the response has no usable max-age.
	JWKSMinCache Duration `toml:"jwks_min_cache"`
	// JWKSMaxCache is the longest time fetched keys are kept before they
	// are refreshed, whatever the JWKS response's Cache-Control says.
	JWKSMaxCache Duration `toml:"jwks_max_cache"`
	// JWKSRefreshInterval is the shortest time between two fetches caused
	// by tokens naming an unknown key id (key rotation), and between retries
	// while the JWKS is unreachable.
	JWKSRefreshInterval Duration `toml:"jwks_refresh_interval"`
	// JWKSFetchTimeout bounds one JWKS fetch.
	JWKSFetchTimeout Duration `toml:"jwks_fetch_timeout"`
	// JWKSMaxBytes caps the size of a JWKS response.
	JWKSMaxBytes int64 `toml:"jwks_max_bytes"`
	// AllowConditions are CEL expressions that must all be true for a
	// request to be allowed (else 403). They see claims (the token's
	// claims) and request (method, path, headers with lower-case names).
	AllowConditions []string `toml:"allow_conditions"`
}

// JWTExternal configures trust in claims forwarded by an upstream proxy.
// At least one of the trusted proxies ([Auth.TrustedProxies]) and the shared
// secret must be configured; when both are, both must match.
type JWTExternal struct {
	// Header is the request header carrying the claims, such as
	// "x-jwt-payload" (Istio outputPayloadToHeader).
	Header string `toml:"header"`
	// HeaderFormat is "istio-payload" (base64url JSON payload) or "jwt" (a
	// forwarded token, decoded without verification).
	HeaderFormat string `toml:"header_format"`
	// SharedSecretHeader names the header by which the proxy proves itself
	// when its address cannot be pinned down.
	SharedSecretHeader string `toml:"shared_secret_header"`
	// SharedSecret is the value SharedSecretHeader must carry, compared in
	// constant time. Prefer setting it through the environment.
	SharedSecret string `toml:"shared_secret"`
}

// StdioIdentity is the caller identity given to requests on the stdio
// transport, which has no tokens: the process was started by its user.
type StdioIdentity struct {
	// Subject is the subject reported to tools; empty means anonymous.
	Subject string `toml:"subject"`
	// Scopes are the scopes the local user holds when EnforceScopes is on.
	Scopes []string `toml:"scopes"`
	// EnforceScopes applies the per-tool scope checks to the stdio user
	// too; off by default, because whoever starts the process already has
	// its privileges.
	EnforceScopes bool `toml:"enforce_scopes"`
}

// RateLimit is a token bucket per client address, spent by failed
// authentication: each failure takes one token, one token comes back every
// RefillInterval up to Burst, and a client with an empty bucket gets 429
// until it refills.
type RateLimit struct {
	// Enabled turns the limiter on.
	Enabled bool `toml:"enabled"`
	// Burst is how many failures a client may make in a row.
	Burst int `toml:"burst"`
	// RefillInterval is how long it takes to earn back one failure.
	RefillInterval Duration `toml:"refill_interval"`
	// MaxClients bounds the memory of the limiter: beyond it, the clients
	// seen longest ago are forgotten.
	MaxClients int `toml:"max_clients"`
}

// DefaultAuth returns the defaults of [Auth]. The strategy is "none": a
// generated server with JWT authorization sets its strategy on the defaults
// it passes to [Load], so a missing file never turns authentication off.
func DefaultAuth() Auth {
	return Auth{
		Strategy: StrategyNone,
		Local: JWTLocal{
			AllowedJWKSHosts:    []string{},
			Algorithms:          []string{"RS256", "ES256", "EdDSA"},
			Leeway:              Duration{30 * time.Second},
			MaxTokenLifetime:    Duration{24 * time.Hour},
			JWKSMinCache:        Duration{5 * time.Minute},
			JWKSMaxCache:        Duration{24 * time.Hour},
			JWKSRefreshInterval: Duration{time.Minute},
			JWKSFetchTimeout:    Duration{10 * time.Second},
			JWKSMaxBytes:        1 << 20,
			AllowConditions:     []string{},
		},
		External: JWTExternal{
			Header:       "x-jwt-payload",
			HeaderFormat: HeaderFormatIstioPayload,
		},
		TrustedProxies:        []string{},
		ExposedClaims:         []string{},
		ToolScopes:            []string{"hello_world=tool:user"},
		DefaultScopes:         []string{},
		HideUnauthorizedTools: true,
		Stdio:                 StdioIdentity{Scopes: []string{}},
		RateLimit: RateLimit{
			Enabled:        true,
			Burst:          10,
			RefillInterval: Duration{2 * time.Second},
			MaxClients:     10000,
		},
	}
}

// AnnouncedScopes are the scopes clients are told to ask for, in the scope
// parameter of 401 challenges and in the OAuth metadata: DefaultScopes when
// set, else every scope some tool requires, sorted. Unparsable tool_scopes
// entries are skipped here; Validate reports them.
func (a Auth) AnnouncedScopes() []string {
	if len(a.DefaultScopes) > 0 {
		return slices.Clone(a.DefaultScopes)
	}
	tools, _ := ParseToolScopes(a.ToolScopes)
	var all []string
	for _, scopes := range tools {
		for _, s := range scopes {
			if !slices.Contains(all, s) {
				all = append(all, s)
			}
		}
	}
	slices.Sort(all)
	return all
}

// SupportedJWTAlgorithms are the values [JWTLocal.Algorithms] may hold:
// asymmetric signatures only.
var SupportedJWTAlgorithms = []string{
	"RS256", "RS384", "RS512",
	"PS256", "PS384", "PS512",
	"ES256", "ES384", "ES512",
	"EdDSA",
}

// Validate checks the table and reports all problems at once, each naming
// its key under [AuthTable].
func (a Auth) Validate() error {
	var p authProblems
	p.oneOf("strategy", a.Strategy, StrategyNone, StrategyJWTLocal, StrategyJWTExternal)

	trusted := 0
	for i, c := range a.TrustedProxies {
		if _, err := ParseTrustedProxy(c); err != nil {
			p.add(fmt.Sprintf("trusted_proxies[%d]", i), "%v", err)
			continue
		}
		trusted++
	}
	if len(a.ExposedClaims) > 1 {
		for i, c := range a.ExposedClaims {
			if c == "all" {
				p.add(fmt.Sprintf("exposed_claims[%d]", i), `"all" must be the only entry; remove the other claim names`)
			}
		}
	}
	for i, c := range a.ExposedClaims {
		if strings.TrimSpace(c) == "" {
			p.add(fmt.Sprintf("exposed_claims[%d]", i), "is empty; name a claim or remove the entry")
		}
	}
	if _, err := ParseToolScopes(a.ToolScopes); err != nil {
		p.add("tool_scopes", "%v", err)
	}
	for i, s := range a.DefaultScopes {
		if !authValidScope(s) {
			p.add(fmt.Sprintf("default_scopes[%d]", i), "%q is not a scope; use printable characters without spaces, quotes or backslashes", s)
		}
	}
	for i, s := range a.Stdio.Scopes {
		if !authValidScope(s) {
			p.add(fmt.Sprintf("stdio.scopes[%d]", i), "%q is not a scope; use printable characters without spaces, quotes or backslashes", s)
		}
	}

	if a.RateLimit.Enabled {
		if a.RateLimit.Burst < 1 {
			p.add("rate_limit.burst", "%d must be at least 1", a.RateLimit.Burst)
		}
		if a.RateLimit.RefillInterval.Duration <= 0 {
			p.add("rate_limit.refill_interval", "%s must be positive, such as \"2s\"", a.RateLimit.RefillInterval)
		}
		if a.RateLimit.MaxClients < 1 {
			p.add("rate_limit.max_clients", "%d must be at least 1; the default is 10000", a.RateLimit.MaxClients)
		}
	}

	switch a.Strategy {
	case StrategyJWTLocal:
		a.Local.validate(&p)
	case StrategyJWTExternal:
		a.External.validate(&p, trusted > 0)
	}
	return errors.Join(p.errs...)
}

func (l JWTLocal) validate(p *authProblems) {
	if strings.TrimSpace(l.Issuer) == "" {
		p.add("local.issuer", "is empty; set the iss value of your authorization server's tokens")
	}
	if l.Audience != "" && strings.TrimSpace(l.Audience) != l.Audience {
		p.add("local.audience", "%q has surrounding spaces; remove them", l.Audience)
	}
	for i, h := range l.AllowedJWKSHosts {
		if h == "" || strings.ContainsAny(h, "/:@ ") {
			p.add(fmt.Sprintf("local.allowed_jwks_hosts[%d]", i), "%q is not a host name; write it without scheme, port or path, such as \"login.example.com\"", h)
		}
	}
	if l.JWKSURI == "" {
		p.add("local.jwks_uri", "is empty; set the JWKS URL of your authorization server, such as \"https://login.example.com/.well-known/jwks.json\"")
	} else if err := CheckJWKSURL(l.JWKSURI, l.AllowedJWKSHosts); err != nil {
		p.add("local.jwks_uri", "%v", err)
	}
	if len(l.Algorithms) == 0 {
		p.add("local.algorithms", `is empty; list the algorithms your authorization server signs with, such as ["RS256"]`)
	}
	for i, alg := range l.Algorithms {
		key := fmt.Sprintf("local.algorithms[%d]", i)
		switch {
		case strings.EqualFold(alg, "none") || strings.HasPrefix(strings.ToUpper(alg), "HS"):
			p.add(key, "%q is never accepted: unsigned and HMAC-signed tokens can be forged by anyone who knows the public key; use %s", alg, strings.Join(SupportedJWTAlgorithms, ", "))
		case !slices.Contains(SupportedJWTAlgorithms, alg):
			p.add(key, "%q is not supported; use %s", alg, strings.Join(SupportedJWTAlgorithms, ", "))
		}
	}
	if l.Leeway.Duration < 0 || l.Leeway.Duration > 5*time.Minute {
		p.add("local.leeway", "%s must be between 0s and 5m", l.Leeway)
	}
	if l.MaxTokenLifetime.Duration < 0 {
		p.add("local.max_token_lifetime", "%s is negative; use a duration such as \"24h\", or \"0s\" to allow any lifetime", l.MaxTokenLifetime)
	}
	if l.JWKSMinCache.Duration <= 0 {
		p.add("local.jwks_min_cache", "%s must be positive, such as \"5m\"", l.JWKSMinCache)
	}
	if l.JWKSMaxCache.Duration < l.JWKSMinCache.Duration {
		p.add("local.jwks_max_cache", "%s is shorter than local.jwks_min_cache (%s)", l.JWKSMaxCache, l.JWKSMinCache)
	}
	if l.JWKSRefreshInterval.Duration <= 0 {
		p.add("local.jwks_refresh_interval", "%s must be positive, such as \"1m\"", l.JWKSRefreshInterval)
	}
	if l.JWKSFetchTimeout.Duration <= 0 {
		p.add("local.jwks_fetch_timeout", "%s must be positive, such as \"10s\"", l.JWKSFetchTimeout)
	}
	if l.JWKSMaxBytes <= 0 || l.JWKSMaxBytes > 64<<20 {
		p.add("local.jwks_max_bytes", "%d must be between 1 and 67108864; the default is 1048576 (1 MiB)", l.JWKSMaxBytes)
	}
	for i, c := range l.AllowConditions {
		if strings.TrimSpace(c) == "" {
			p.add(fmt.Sprintf("local.allow_conditions[%d]", i), "is empty; write a CEL expression such as \"'admin' in claims.roles\" or remove the entry")
		}
	}
}

func (e JWTExternal) validate(p *authProblems, haveTrustedProxies bool) {
	if !authValidHeaderName(e.Header) {
		p.add("external.header", "%q is not a header name; set the header your proxy forwards the claims in, such as \"x-jwt-payload\"", e.Header)
	}
	p.oneOf("external.header_format", e.HeaderFormat, HeaderFormatIstioPayload, HeaderFormatJWT)
	secret := e.SharedSecretHeader != "" || e.SharedSecret != ""
	if secret {
		if !authValidHeaderName(e.SharedSecretHeader) {
			p.add("external.shared_secret_header", "%q is not a header name; name the header your proxy sends the shared secret in", e.SharedSecretHeader)
		}
		if len(e.SharedSecret) < 16 {
			p.add("external.shared_secret", "is shorter than 16 characters; use a long random value, set through the environment")
		}
		if strings.EqualFold(e.SharedSecretHeader, e.Header) {
			p.add("external.shared_secret_header", "is the same header as external.header; use a separate header")
		}
	}
	if !haveTrustedProxies && !secret {
		p.add("external.shared_secret", "nothing proves the claims header comes from your proxy: list the proxy addresses in %s.trusted_proxies and/or set external.shared_secret_header and external.shared_secret", AuthTable)
	}
}

// ParseTrustedProxy parses one trusted-proxy entry: a CIDR range such as
// "10.0.0.0/8" or a single address such as "127.0.0.1".
func ParseTrustedProxy(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR range; write it such as \"10.0.0.0/8\"", s)
		}
		return pfx.Masked(), nil
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR range; write it such as \"10.0.0.0/8\"", s)
	}
	addr = addr.Unmap()
	return netip.PrefixFrom(addr, addr.BitLen()), nil
}

// ParseToolScopes parses [Auth.ToolScopes] entries ("tool=scope [scope
// ...]") into a map from tool name to its required scopes.
func ParseToolScopes(entries []string) (map[string][]string, error) {
	out := make(map[string][]string, len(entries))
	var errs []error
	for i, e := range entries {
		name, scopes, ok := strings.Cut(e, "=")
		name = strings.TrimSpace(name)
		fields := strings.Fields(scopes)
		switch {
		case !ok || name == "" || len(fields) == 0:
			errs = append(errs, fmt.Errorf("entry %d %q must be written \"tool=scope [scope ...]\", such as \"hello_world=tool:user\"", i, e))
			continue
		case out[name] != nil:
			errs = append(errs, fmt.Errorf("entry %d names tool %q again; put all its scopes in one entry", i, name))
			continue
		}
		for _, s := range fields {
			if !authValidScope(s) {
				errs = append(errs, fmt.Errorf("entry %d: %q is not a scope; use printable characters without quotes or backslashes", i, s))
			}
		}
		out[name] = fields
	}
	return out, errors.Join(errs...)
}

// CheckJWKSURL reports whether raw may be used to fetch signing keys: an
// absolute https URL (or http to a loopback address) without credentials,
// whose host is in allowedHosts (or, when allowedHosts is empty, any host:
// the caller then pins the host of the configured URL).
func CheckJWKSURL(raw string, allowedHosts []string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || !u.IsAbs() {
		return fmt.Errorf("%q is not an absolute URL; use such as \"https://login.example.com/.well-known/jwks.json\"", raw)
	}
	host := u.Hostname()
	switch u.Scheme {
	case "https":
	case "http":
		if !IsLoopbackHost(host) {
			return fmt.Errorf("%q uses http; keys must be fetched over https (http is allowed for loopback addresses only)", raw)
		}
	default:
		return fmt.Errorf("%q must be an https URL", raw)
	}
	if u.User != nil {
		return fmt.Errorf("%q contains credentials; remove them from the URL", raw)
	}
	if len(allowedHosts) > 0 && !authHostAllowed(host, allowedHosts) {
		return fmt.Errorf("host %q is not in %s.local.allowed_jwks_hosts; add it there or fix the URL", host, AuthTable)
	}
	return nil
}

// IsLoopbackHost reports whether host (without port) names the local
// machine: "localhost" or a loopback IP address.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

func authHostAllowed(host string, allowed []string) bool {
	for _, a := range allowed {
		if strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(host, ".")) {
			return true
		}
	}
	return false
}

// authValidScope reports whether s is a scope token as RFC 6749 section 3.3
// defines it, which also makes it safe inside a quoted header parameter.
func authValidScope(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// authValidHeaderName reports whether s is an HTTP field name (RFC 9110 token).
func authValidHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// authProblems collects every problem of [Auth] under [AuthTable].
type authProblems struct {
	errs []error
}

func (p *authProblems) add(key, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s.%s: "+format, append([]any{AuthTable, key}, args...)...))
}

func (p *authProblems) oneOf(key, val string, allowed ...string) {
	if !slices.Contains(allowed, val) {
		p.add(key, "%q is not one of %s", val, strings.Join(allowed, ", "))
	}
}
