package oauth

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mcpforge/mcpforge/runtime/config"
)

func validOAuth() config.OAuth {
	c := config.DefaultOAuth()
	c.Enabled = true
	c.ClientID = "client"
	c.ClientSecret = "xyzzy-9f8e7d"
	c.RedirectURI = "https://mcp.example.com/callback"
	return c
}

func TestOAuthValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *config.OAuth)
		want   []string // substrings of the error, nil = valid
	}{
		{"defaults disabled", func(c *config.OAuth) { *c = config.DefaultOAuth() }, nil},
		{"disabled table is not checked", func(c *config.OAuth) { c.Enabled = false; c.FetchTimeout = config.Duration{} }, nil},
		{"valid with login", func(*config.OAuth) {}, nil},
		{"valid without login", func(c *config.OAuth) { c.ClientID, c.ClientSecret, c.RedirectURI = "", "", "" }, nil},
		{"public client", func(c *config.OAuth) { c.ClientSecret = "" }, nil},
		{"loopback http redirect", func(c *config.OAuth) { c.RedirectURI = "http://127.0.0.1:8080/callback" }, nil},
		{"authorization server over http", func(c *config.OAuth) { c.AuthorizationServers = []string{"http://login.example.com"} },
			[]string{"oauth.authorization_servers[0]", "https"}},
		{"authorization server with query", func(c *config.OAuth) { c.AuthorizationServers = []string{"https://login.example.com?x=1"} },
			[]string{"oauth.authorization_servers[0]", "query"}},
		{"relative documentation", func(c *config.OAuth) { c.ResourceDocumentation = "/docs" },
			[]string{"oauth.resource_documentation"}},
		{"bad policy URI", func(c *config.OAuth) { c.ResourcePolicyURI = "ftp://x" }, []string{"oauth.resource_policy_uri"}},
		{"HMAC signing alg", func(c *config.OAuth) { c.ResourceSigningAlgs = []string{"HS256"} }, []string{"oauth.resource_signing_algs[0]"}},
		{"scope with space", func(c *config.OAuth) { c.ScopesSupported = []string{"a b"} }, []string{"oauth.scopes_supported[0]"}},
		{"login scope with quote", func(c *config.OAuth) { c.LoginScopes = []string{`a"`} }, []string{"oauth.login_scopes[0]"}},
		{"zero cache TTL", func(c *config.OAuth) { c.MetadataCacheTTL = config.Duration{} }, []string{"oauth.metadata_cache_ttl"}},
		{"zero failure backoff", func(c *config.OAuth) { c.MetadataFailureBackoff = config.Duration{} }, []string{"oauth.metadata_failure_backoff"}},
		{"failure backoff below a second", func(c *config.OAuth) { c.MetadataFailureBackoff = config.Duration{Duration: 500 * time.Millisecond} },
			[]string{"oauth.metadata_failure_backoff", "between 1s and 10m"}},
		{"failure backoff over ten minutes", func(c *config.OAuth) { c.MetadataFailureBackoff = config.Duration{Duration: time.Hour} },
			[]string{"oauth.metadata_failure_backoff"}},
		{"zero fetch timeout", func(c *config.OAuth) { c.FetchTimeout = config.Duration{} }, []string{"oauth.fetch_timeout"}},
		{"huge size cap", func(c *config.OAuth) { c.MaxMetadataBytes = 1 << 30 }, []string{"oauth.max_metadata_bytes"}},
		{"host with scheme", func(c *config.OAuth) { c.AllowedHosts = []string{"https://login.example.com"} }, []string{"oauth.allowed_hosts[0]"}},
		{"state TTL too short", func(c *config.OAuth) { c.StateTTL = config.Duration{Duration: time.Second} }, []string{"oauth.state_ttl"}},
		{"client id without redirect", func(c *config.OAuth) { c.RedirectURI = "" }, []string{"oauth.redirect_uri", "is empty"}},
		{"redirect without client id", func(c *config.OAuth) { c.ClientID, c.ClientSecret = "", "" }, []string{"oauth.client_id"}},
		{"secret without client id", func(c *config.OAuth) { c.ClientID, c.RedirectURI = "", "" }, []string{"oauth.client_id"}},
		{"http redirect off loopback", func(c *config.OAuth) { c.RedirectURI = "http://mcp.example.com/callback" }, []string{"oauth.redirect_uri", "http"}},
		{"redirect with fragment", func(c *config.OAuth) { c.RedirectURI = "https://mcp.example.com/callback#x" }, []string{"oauth.redirect_uri", "fragment"}},
		{"redirect without path", func(c *config.OAuth) { c.RedirectURI = "https://mcp.example.com" }, []string{"oauth.redirect_uri", "no path"}},
		{"several problems at once", func(c *config.OAuth) {
			c.FetchTimeout = config.Duration{}
			c.MetadataCacheTTL = config.Duration{}
		}, []string{"oauth.fetch_timeout", "oauth.metadata_cache_ttl"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validOAuth()
			tt.mutate(&c)
			err := c.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate accepted it")
			}
			if e := containsAll(err.Error(), tt.want...); e != nil {
				t.Error(e)
			}
			if strings.Contains(err.Error(), c.ClientSecret) && c.ClientSecret != "" {
				t.Errorf("the error reveals the client secret: %v", err)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	ti := newTestIssuer(t, defaultIssuerPath, serve8414)
	tests := []struct {
		name   string
		mutate func(o *Options)
		want   []string
	}{
		{"disabled", func(o *Options) { o.Config.Enabled = false }, []string{"oauth.enabled"}},
		{"invalid table", func(o *Options) { o.Config.FetchTimeout = config.Duration{} }, []string{"oauth.fetch_timeout"}},
		{"no issuer", func(o *Options) { o.Auth.Local.Issuer = "" }, []string{"middleware.jwt.local.issuer", "is empty"}},
		{"issuer with query", func(o *Options) { o.Auth.Local.Issuer = ti.issuer + "?a=b" }, []string{"middleware.jwt.local.issuer", "query"}},
		{"bad public URL", func(o *Options) { o.PublicURL = "mcp.example.com" }, []string{"server.http.public_url"}},
		{"public URL with query", func(o *Options) { o.PublicURL = "https://mcp.example.com/?x=1" }, []string{"server.http.public_url"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions(ti, "http://127.0.0.1:8080", io.Discard)
			tt.mutate(&opts)
			_, err := New(opts)
			if err == nil {
				t.Fatal("New succeeded")
			}
			if e := containsAll(err.Error(), tt.want...); e != nil {
				t.Error(e)
			}
		})
	}
}

// The cookie key comes from the client secret, so replicas sharing the
// secret read each other's login cookies; without a secret it is random.
func TestCookieKey(t *testing.T) {
	a, _ := cookieKey("shared")
	b, _ := cookieKey("shared")
	c, _ := cookieKey("other")
	r1, _ := cookieKey("")
	r2, _ := cookieKey("")
	if string(a) != string(b) || string(a) == string(c) || string(r1) == string(r2) || len(a) != 32 || len(r1) != 32 {
		t.Error("cookie keys are not derived as documented")
	}
	if strings.Contains(string(a), "shared") {
		t.Error("the key is the secret")
	}
}
