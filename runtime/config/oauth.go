package config

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// OAuthTable is the dotted name of the table that holds [OAuth] in the
// configuration file. [OAuth.Validate] names keys under it.
const OAuthTable = "oauth"

// OAuth is the table configuring what the server publishes so that MCP
// clients can find out how to obtain a token (RFC 9728 protected-resource
// metadata, relayed RFC 8414 authorization-server metadata), and the
// optional browser login (GET /login, GET /callback) that lets a person
// obtain a token from the authorization server. The authorization server is
// the issuer configured for JWT validation (middleware.jwt.local.issuer).
// The zero value is not usable; start from [DefaultOAuth].
type OAuth struct {
	// Enabled serves the discovery documents and, when ClientID is set, the
	// login endpoints.
	Enabled bool `toml:"enabled"`
	// AuthorizationServers are the issuer URLs announced in the
	// protected-resource metadata. Empty means the configured issuer.
	AuthorizationServers []string `toml:"authorization_servers"`
	// ResourceName is a human-readable name of the server
	// (resource_name), shown by some clients on consent screens.
	ResourceName string `toml:"resource_name"`
	// ResourceDocumentation is the URL of documentation for developers
	// (resource_documentation).
	ResourceDocumentation string `toml:"resource_documentation"`
	// ResourcePolicyURI is the URL of the privacy policy
	// (resource_policy_uri).
	ResourcePolicyURI string `toml:"resource_policy_uri"`
	// ResourceTOSURI is the URL of the terms of service (resource_tos_uri).
	ResourceTOSURI string `toml:"resource_tos_uri"`
	// ResourceSigningAlgs lists the JWS algorithms the server accepts for
	// signed requests (resource_signing_alg_values_supported); empty leaves
	// the field out.
	ResourceSigningAlgs []string `toml:"resource_signing_algs"`
	// ScopesSupported are the scopes announced in the protected-resource
	// metadata. Empty means the scopes the tools need (the 401 challenge
	// scopes of middleware.jwt): announcing fewer scopes keeps clients from
	// asking for more privilege than they need.
	ScopesSupported []string `toml:"scopes_supported"`
	// MetadataCacheTTL is how long the authorization server's metadata is
	// kept before it is fetched again.
	MetadataCacheTTL Duration `toml:"metadata_cache_ttl"`
	// MetadataFailureBackoff is how long a failed fetch of that metadata is
	// remembered: until it ends, the relay answers 502 without asking the
	// authorization server again, so a failing provider is not hammered by
	// every client that retries.
	MetadataFailureBackoff Duration `toml:"metadata_failure_backoff"`
	// FetchTimeout bounds every outbound request to the authorization
	// server (metadata discovery, token exchange, keys).
	FetchTimeout Duration `toml:"fetch_timeout"`
	// MaxMetadataBytes caps the size of every response read from the
	// authorization server.
	MaxMetadataBytes int64 `toml:"max_metadata_bytes"`
	// AllowedHosts lists the host names the server may send requests to
	// (metadata, token endpoint, keys), redirects included: SSRF
	// protection. Empty means the host of the issuer only.
	AllowedHosts []string `toml:"allowed_hosts"`
	// Strict makes a failed start-up check of the authorization server an
	// error that stops the server, rather than a warning.
	Strict bool `toml:"strict"`
	// ClientID is this server's client id at the authorization server, for
	// GET /login. Empty turns the login endpoints off.
	ClientID string `toml:"client_id"`
	// ClientSecret is the client secret of ClientID; empty for a public
	// client (PKCE only). Set it through the environment rather than in the
	// file. It is never logged.
	ClientSecret string `toml:"client_secret"`
	// RedirectURI is the absolute URL of this server's GET /callback as
	// registered at the authorization server. It is never derived from the
	// Host header of a request.
	RedirectURI string `toml:"redirect_uri"`
	// LoginScopes are the scopes requested by GET /login. Empty means
	// "openid" plus the scopes of ScopesSupported.
	LoginScopes []string `toml:"login_scopes"`
	// ShowToken shows the access token on the page GET /callback ends on,
	// for pasting into clients that cannot do OAuth themselves. Off, the
	// page only reports success.
	ShowToken bool `toml:"show_token"`
	// StateTTL is how long a login may take between GET /login and GET
	// /callback; it is the lifetime of the login cookie and of the
	// server's memory of used state values.
	StateTTL Duration `toml:"state_ttl"`
}

// DefaultOAuth returns the defaults of [OAuth]. It is disabled: a generated
// server with OAuth turns it on in the defaults it passes to [Load].
func DefaultOAuth() OAuth {
	return OAuth{
		AuthorizationServers:   []string{},
		ResourceSigningAlgs:    []string{},
		ScopesSupported:        []string{},
		MetadataCacheTTL:       Duration{5 * time.Minute},
		MetadataFailureBackoff: Duration{5 * time.Second},
		FetchTimeout:           Duration{10 * time.Second},
		MaxMetadataBytes:       1 << 20,
		AllowedHosts:           []string{},
		LoginScopes:            []string{},
		StateTTL:               Duration{10 * time.Minute},
	}
}

// Validate checks the table on its own and reports all problems at once,
// each naming its key under [OAuthTable]. A disabled table is not checked.
// Checks that need other tables (an issuer to relay, the public URL) are
// made when the oauth handler is built.
func (o OAuth) Validate() error {
	if !o.Enabled {
		return nil
	}
	var p oauthProblems
	for i, s := range o.AuthorizationServers {
		if err := checkIssuerURL(s); err != nil {
			p.add(fmt.Sprintf("authorization_servers[%d]", i), "%v", err)
		}
	}
	if o.ResourceName != "" && strings.TrimSpace(o.ResourceName) == "" {
		p.add("resource_name", "is blank; write a name or remove the key")
	}
	for _, kv := range [][2]string{
		{"resource_documentation", o.ResourceDocumentation},
		{"resource_policy_uri", o.ResourcePolicyURI},
		{"resource_tos_uri", o.ResourceTOSURI},
	} {
		key, v := kv[0], kv[1]
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			p.add(key, "%q is not an absolute http(s) URL; use such as \"https://example.com/docs\"", v)
		}
	}
	for i, alg := range o.ResourceSigningAlgs {
		if !slices.Contains(SupportedJWTAlgorithms, alg) {
			p.add(fmt.Sprintf("resource_signing_algs[%d]", i), "%q is not supported; use %s", alg, strings.Join(SupportedJWTAlgorithms, ", "))
		}
	}
	for i, s := range o.ScopesSupported {
		if !authValidScope(s) {
			p.add(fmt.Sprintf("scopes_supported[%d]", i), "%q is not a scope; use printable characters without spaces, quotes or backslashes", s)
		}
	}
	for i, s := range o.LoginScopes {
		if !authValidScope(s) {
			p.add(fmt.Sprintf("login_scopes[%d]", i), "%q is not a scope; use printable characters without spaces, quotes or backslashes", s)
		}
	}
	if o.MetadataCacheTTL.Duration <= 0 {
		p.add("metadata_cache_ttl", "%s must be positive, such as \"5m\"", o.MetadataCacheTTL)
	}
	if o.MetadataFailureBackoff.Duration < time.Second || o.MetadataFailureBackoff.Duration > 10*time.Minute {
		p.add("metadata_failure_backoff", "%s must be between 1s and 10m, such as \"5s\"", o.MetadataFailureBackoff)
	}
	if o.FetchTimeout.Duration <= 0 || o.FetchTimeout.Duration > 2*time.Minute {
		p.add("fetch_timeout", "%s must be between 0s (exclusive) and 2m, such as \"10s\"", o.FetchTimeout)
	}
	if o.MaxMetadataBytes <= 0 || o.MaxMetadataBytes > 16<<20 {
		p.add("max_metadata_bytes", "%d must be between 1 and 16777216; the default is 1048576 (1 MiB)", o.MaxMetadataBytes)
	}
	for i, h := range o.AllowedHosts {
		if h == "" || strings.ContainsAny(h, "/:@ ") {
			p.add(fmt.Sprintf("allowed_hosts[%d]", i), "%q is not a host name; write it without scheme, port or path, such as \"login.example.com\"", h)
		}
	}
	if o.StateTTL.Duration < 30*time.Second || o.StateTTL.Duration > time.Hour {
		p.add("state_ttl", "%s must be between 30s and 1h, such as \"10m\"", o.StateTTL)
	}

	switch {
	case o.ClientID == "":
		if o.RedirectURI != "" {
			p.add("client_id", "is empty while oauth.redirect_uri is set; set the client id registered at your authorization server, or remove redirect_uri to turn /login off")
		}
		if o.ClientSecret != "" {
			p.add("client_id", "is empty while oauth.client_secret is set; set the client id registered at your authorization server")
		}
	case strings.TrimSpace(o.ClientID) != o.ClientID:
		p.add("client_id", "%q has surrounding spaces; remove them", o.ClientID)
	case o.RedirectURI == "":
		p.add("redirect_uri", "is empty while oauth.client_id is set; set the URL of this server's /callback as registered at your authorization server, such as \"https://mcp.example.com/callback\"")
	default:
		if err := checkRedirectURI(o.RedirectURI); err != nil {
			p.add("redirect_uri", "%v", err)
		}
	}
	return errors.Join(p.errs...)
}

// checkIssuerURL reports whether raw can name an authorization server: an
// absolute https URL (http only for loopback) without credentials, query or
// fragment (RFC 8414 section 2).
func checkIssuerURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL; use the issuer URL of your authorization server, such as \"https://login.example.com/realms/main\"", raw)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && IsLoopbackHost(u.Hostname()):
	case u.Scheme == "http":
		return fmt.Errorf("%q uses http; authorization servers must use https (http is allowed for loopback addresses only)", raw)
	default:
		return fmt.Errorf("%q must be an https URL", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(raw, "?") || strings.HasSuffix(raw, "#") {
		return fmt.Errorf("%q must not contain credentials, a query or a fragment", raw)
	}
	return nil
}

// checkRedirectURI reports whether raw can be the redirect URI of the
// login flow: absolute, https (http for loopback only, RFC 8252), with a
// path and no fragment (RFC 6749 section 3.1.2).
func checkRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL; use the URL of this server's /callback, such as \"https://mcp.example.com/callback\"", raw)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && IsLoopbackHost(u.Hostname()):
	case u.Scheme == "http":
		return fmt.Errorf("%q uses http; the code would travel in clear text (http is allowed for loopback addresses only)", raw)
	default:
		return fmt.Errorf("%q must be an https URL", raw)
	}
	if u.User != nil || u.Fragment != "" || strings.Contains(raw, "#") {
		return fmt.Errorf("%q must not contain credentials or a fragment", raw)
	}
	if u.Path == "" || u.Path == "/" {
		return fmt.Errorf("%q has no path; use the URL of this server's /callback, such as \"https://mcp.example.com/callback\"", raw)
	}
	return nil
}

// oauthProblems collects every problem of [OAuth] under [OAuthTable].
type oauthProblems struct {
	errs []error
}

func (p *oauthProblems) add(key, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s.%s: "+format, append([]any{OAuthTable, key}, args...)...))
}
