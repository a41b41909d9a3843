package auth

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/mcpforge/mcpforge/runtime/config"
)

func TestDefaultAuthIsValid(t *testing.T) {
	if err := config.DefaultAuth().Validate(); err != nil {
		t.Fatal(err)
	}
	d := config.DefaultAuth()
	if !slicesEqual(d.Local.Algorithms, []string{"RS256", "ES256", "EdDSA"}) || d.Local.Leeway.Duration != 30*time.Second ||
		d.Local.MaxTokenLifetime.Duration != 24*time.Hour {
		t.Fatalf("defaults %+v", d.Local)
	}
	if !slicesEqual(d.ToolScopes, []string{"hello_world=tool:user"}) {
		t.Fatalf("tool scopes %v", d.ToolScopes)
	}
}

func TestAuthValidateNamesKeys(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(c *config.Auth)
		want   []string
	}{
		{"unknown strategy", func(c *config.Auth) { c.Strategy = "jwt" }, []string{`middleware.jwt.strategy: "jwt" is not one of none, jwt-local, jwt-external`}},
		{"local without issuer and JWKS", func(c *config.Auth) { c.Strategy = "jwt-local" }, []string{
			"middleware.jwt.local.issuer: is empty",
			"middleware.jwt.local.jwks_uri: is empty",
		}},
		{"HMAC and none refused", func(c *config.Auth) {
			c.Strategy = "jwt-local"
			c.Local.Issuer = "https://i/"
			c.Local.JWKSURI = "https://i/jwks"
			c.Local.Algorithms = []string{"RS256", "HS256", "none", "RS1"}
		}, []string{
			`middleware.jwt.local.algorithms[1]: "HS256" is never accepted`,
			`middleware.jwt.local.algorithms[2]: "none" is never accepted`,
			`middleware.jwt.local.algorithms[3]: "RS1" is not supported`,
		}},
		{"bounds", func(c *config.Auth) {
			c.Strategy = "jwt-local"
			c.Local.Issuer = "https://i/"
			c.Local.JWKSURI = "https://i/jwks"
			c.Local.Leeway.Duration = time.Hour
			c.Local.MaxTokenLifetime.Duration = -time.Minute
			c.Local.JWKSMaxCache.Duration = time.Second
			c.Local.JWKSMaxBytes = 0
			c.Local.AllowConditions = []string{" "}
		}, []string{
			"middleware.jwt.local.leeway: 1h0m0s must be between 0s and 5m",
			`middleware.jwt.local.max_token_lifetime: -1m0s is negative; use a duration such as "24h"`,
			"middleware.jwt.local.jwks_max_cache: 1s is shorter than local.jwks_min_cache",
			"middleware.jwt.local.jwks_max_bytes: 0 must be between",
			"middleware.jwt.local.allow_conditions[0]: is empty",
		}},
		{"external without proof", func(c *config.Auth) { c.Strategy = "jwt-external" }, []string{
			"middleware.jwt.external.shared_secret: nothing proves the claims header comes from your proxy",
		}},
		{"external weak secret", func(c *config.Auth) {
			c.Strategy = "jwt-external"
			c.External.SharedSecretHeader = "x-jwt-payload"
			c.External.SharedSecret = "short"
			c.External.HeaderFormat = "base64"
		}, []string{
			"middleware.jwt.external.shared_secret: is shorter than 16 characters",
			"middleware.jwt.external.shared_secret_header: is the same header as external.header",
			`middleware.jwt.external.header_format: "base64" is not one of istio-payload, jwt`,
		}},
		{"lists", func(c *config.Auth) {
			c.TrustedProxies = []string{"10.0.0.0/33", "nope"}
			c.ExposedClaims = []string{"all", "email"}
			c.ToolScopes = []string{"hello_world", "a=x", "a=y", "b=ok bad\"scope"}
			c.DefaultScopes = []string{"has space"}
			c.RateLimit.Burst = 0
		}, []string{
			`middleware.jwt.trusted_proxies[0]: "10.0.0.0/33" is not a CIDR range`,
			`middleware.jwt.trusted_proxies[1]: "nope" is not an IP address or CIDR range`,
			`middleware.jwt.exposed_claims[0]: "all" must be the only entry`,
			`middleware.jwt.tool_scopes: entry 0 "hello_world" must be written "tool=scope [scope ...]"`,
			`entry 2 names tool "a" again`,
			`entry 3: "bad\"scope" is not a scope`,
			`middleware.jwt.default_scopes[0]: "has space" is not a scope`,
			"middleware.jwt.rate_limit.burst: 0 must be at least 1",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := config.DefaultAuth()
			tc.mutate(&c)
			err := c.Validate()
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%s\ndoes not contain %q", err, w)
				}
			}
			// New refuses the same configuration.
			if _, nerr := New(Options{Config: c, PublicURL: testPublicURL}); nerr == nil {
				t.Error("New accepted an invalid configuration")
			}
		})
	}
}

func TestParseToolScopes(t *testing.T) {
	m, err := config.ParseToolScopes([]string{"hello_world=tool:user", " admin = tool:admin  tool:write "})
	if err != nil {
		t.Fatal(err)
	}
	if !slicesEqual(m["hello_world"], []string{"tool:user"}) || !slicesEqual(m["admin"], []string{"tool:admin", "tool:write"}) {
		t.Fatalf("%v", m)
	}
}

// The table decodes from TOML with the documented keys, and every field is
// of a kind the config loader supports (string, bool, int, []string,
// Duration, table), so hooking it into config.Config cannot break Load.
func TestAuthTOML(t *testing.T) {
	const doc = `
strategy = "jwt-local"
trusted_proxies = ["10.0.0.0/8"]
exposed_claims = ["email"]
tool_scopes = ["hello_world=tool:user"]
default_scopes = ["tool:user"]
hide_unauthorized_tools = false

[local]
issuer = "https://login.example.com/"
audience = "https://mcp.example.com/mcp"
jwks_uri = "https://login.example.com/jwks"
allowed_jwks_hosts = ["login.example.com"]
algorithms = ["RS256"]
leeway = "10s"
max_token_lifetime = "0s"
require_typ_at_jwt = true
jwks_min_cache = "1m"
jwks_max_cache = "1h"
jwks_refresh_interval = "30s"
jwks_fetch_timeout = "5s"
jwks_max_bytes = 65536
allow_conditions = ["'admin' in claims.roles && request.headers['x-tenant'] == '$TENANT'"]

[external]
header = "x-jwt-payload"
header_format = "istio-payload"
shared_secret_header = "x-proxy-secret"
shared_secret = "0123456789abcdef0123"

[stdio]
subject = "local-user"
scopes = ["tool:user"]
enforce_scopes = true

[rate_limit]
enabled = true
burst = 5
refill_interval = "3s"
max_clients = 500
`
	c := config.DefaultAuth()
	md, err := toml.Decode(doc, &c)
	if err != nil {
		t.Fatal(err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		t.Fatalf("keys not in the struct: %v", u)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Local.Leeway.Duration != 10*time.Second || c.Local.MaxTokenLifetime.Duration != 0 || c.RateLimit.RefillInterval.Duration != 3*time.Second ||
		c.Local.AllowConditions[0] != `'admin' in claims.roles && request.headers['x-tenant'] == '$TENANT'` ||
		!c.Stdio.EnforceScopes || c.HideUnauthorizedTools {
		t.Fatalf("decoded %+v", c)
	}

	var check func(tp reflect.Type, path string)
	check = func(tp reflect.Type, path string) {
		for i := range tp.NumField() {
			f := tp.Field(i)
			tag := f.Tag.Get("toml")
			if tag == "" || strings.ToLower(tag) != tag {
				t.Errorf("%s.%s: toml tag %q must be snake_case", path, f.Name, tag)
			}
			switch {
			case f.Type == reflect.TypeFor[config.Duration]():
			case f.Type.Kind() == reflect.Struct:
				check(f.Type, path+"."+tag)
			case f.Type.Kind() == reflect.String, f.Type.Kind() == reflect.Bool,
				f.Type.Kind() >= reflect.Int && f.Type.Kind() <= reflect.Int64:
			case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.String:
			default:
				t.Errorf("%s.%s: type %s is not supported by the config loader", path, tag, f.Type)
			}
		}
	}
	check(reflect.TypeFor[config.Auth](), config.AuthTable)
}

func slicesEqual(a, b []string) bool { return reflect.DeepEqual(a, b) }
