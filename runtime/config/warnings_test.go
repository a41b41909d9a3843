package config

import (
	"strings"
	"testing"
)

func TestWarningsNamePlaceholders(t *testing.T) {
	local := func(issuer, jwks string) Config {
		c := Defaults("w", "1")
		c.Middleware.JWT.Strategy = StrategyJWTLocal
		c.Middleware.JWT.Local.Issuer = issuer
		c.Middleware.JWT.Local.JWKSURI = jwks
		return c
	}
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings, one per expected warning, in order
	}{
		{"both placeholders", local(PlaceholderIssuer, PlaceholderJWKSURI), []string{
			`middleware.jwt.local.issuer is still the placeholder "` + PlaceholderIssuer + `"`,
			`middleware.jwt.local.jwks_uri is still the placeholder "` + PlaceholderJWKSURI + `"`,
		}},
		{"issuer replaced", local("https://id.acme.test/realms/main", PlaceholderJWKSURI), []string{"middleware.jwt.local.jwks_uri"}},
		{"edited placeholder is still one", local("https://AUTH.example.com./realms/other", "https://id.acme.test/jwks"), []string{"middleware.jwt.local.issuer"}},
		{"real provider", local("https://id.acme.test/realms/main", "https://id.acme.test/jwks"), nil},
		{"development issuer", local("http://127.0.0.1:8788", "http://127.0.0.1:8788/jwks"), nil},
		{"other hosts of example.com are not the placeholder", local("https://login.example.com", "https://login.example.com/jwks"), nil},
		{"not jwt-local", func() Config {
			c := local(PlaceholderIssuer, PlaceholderJWKSURI)
			c.Middleware.JWT.Strategy = StrategyJWTExternal
			return c
		}(), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.cfg.Warnings()
			if len(got) != len(tc.want) {
				t.Fatalf("Warnings() = %q, want %d warnings", got, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) || !strings.Contains(got[i], "make dev") {
					t.Errorf("warning %d = %q, want it to contain %q and point at make dev", i, got[i], w)
				}
			}
		})
	}
}
