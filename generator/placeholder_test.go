package generator

import (
	"testing"

	"github.com/mcpforge/mcpforge/runtime/config"
)

// The generated server warns about the placeholders it recognises
// (config.Warnings); they must be the ones mcpforge new writes.
func TestPlaceholdersAreTheOnesTheServerRecognises(t *testing.T) {
	if PlaceholderIssuer != config.PlaceholderIssuer || PlaceholderJWKSURI != config.PlaceholderJWKSURI {
		t.Errorf("generator placeholders %q, %q differ from runtime/config's %q, %q; keep them equal",
			PlaceholderIssuer, PlaceholderJWKSURI, config.PlaceholderIssuer, config.PlaceholderJWKSURI)
	}
	for _, p := range []string{PlaceholderIssuer, PlaceholderJWKSURI} {
		c := config.Defaults("w", "1")
		c.Middleware.JWT.Strategy = config.StrategyJWTLocal
		c.Middleware.JWT.Local.Issuer, c.Middleware.JWT.Local.JWKSURI = p, p
		if len(c.Warnings()) != 2 {
			t.Errorf("the server does not warn about %q", p)
		}
	}
}
