package config

import (
	"fmt"
	"net/url"
	"strings"
)

// The placeholders `mcpforge new` writes for a jwt-local server generated
// without --issuer and --jwks-uri: visibly fake values on a host reserved
// for examples (RFC 2606), to be replaced with the owner's provider.
const (
	PlaceholderIssuer  = "https://auth.example.com/realms/demo"
	PlaceholderJWKSURI = "https://auth.example.com/realms/demo/protocol/openid-connect/certs"
)

// placeholderHost is the host of both placeholders. Any URL on it is still
// a placeholder: nobody's provider lives there.
const placeholderHost = "auth.example.com"

// Warnings returns what is valid but cannot work as intended, one sentence
// per problem naming its key, for --check and the start-up log to show.
// Unlike the problems of [Config.Validate] they do not stop the server: a
// server whose issuer is still the generated placeholder starts, serves
// /health and its unauthenticated documents, and refuses every token.
func (c Config) Warnings() []string {
	var out []string
	jwt := c.Middleware.JWT
	if jwt.Strategy == StrategyJWTLocal {
		for _, kv := range []struct{ key, value string }{
			{"issuer", jwt.Local.Issuer},
			{"jwks_uri", jwt.Local.JWKSURI},
		} {
			if isPlaceholder(kv.value) {
				out = append(out, fmt.Sprintf("%s.local.%s is still the placeholder %q that mcpforge new wrote, so every token will be refused; set your provider's (or, to call the server locally, run make dev: it starts a development issuer and trusts it)",
					AuthTable, kv.key, kv.value))
			}
		}
	}
	return out
}

// isPlaceholder reports whether raw is a URL on the placeholder host.
func isPlaceholder(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && strings.EqualFold(strings.TrimSuffix(u.Hostname(), "."), placeholderHost)
}
