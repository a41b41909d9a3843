package oauth

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mcpforge/mcpforge/runtime/auth"
)

func TestResourceMetadataServedAtBothPaths(t *testing.T) {
	ti := newTestIssuer(t, defaultIssuerPath, serveOIDCInserted)
	f := newFixture(t, ti, nil)

	for _, path := range []string{"/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"} {
		t.Run(path, func(t *testing.T) {
			resp, body := f.get(path)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200\n%s", resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("Access-Control-Allow-Origin %q, want *", got)
			}
			if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=300") {
				t.Errorf("Cache-Control %q, want max-age=300", cc)
			}
			doc := mustJSON(t, body)
			want := map[string]any{
				"resource":                 f.srv.URL + "/mcp",
				"authorization_servers":    []any{ti.issuer},
				"scopes_supported":         []any{"tool:user"},
				"bearer_methods_supported": []any{"header"},
			}
			if !reflect.DeepEqual(doc, want) {
				t.Errorf("document\n got %v\nwant %v", doc, want)
			}
		})
	}
}

// The 401 challenges of the auth package point at the metadata URL; it must
// be one of the paths served here, or clients following them get 404.
func TestResourceMetadataURLOfChallengesIsServed(t *testing.T) {
	ti := newTestIssuer(t, defaultIssuerPath, serveOIDCInserted)
	for _, public := range []string{"http://127.0.0.1:8080", "https://mcp.example.com", "https://example.com/tools/"} {
		t.Run(public, func(t *testing.T) {
			opts := testOptions(ti, public, io.Discard)
			opts.Config.ClientID, opts.Config.ClientSecret, opts.Config.RedirectURI = "", "", ""
			h, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			meta, err := auth.ResourceMetadataURL(public)
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(meta)
			if _, ok := h.Routes()[u.Path]; !ok {
				t.Errorf("challenge metadata path %s is not among the routes %v", u.Path, keys(h.Routes()))
			}
		})
	}
}

func keys(m map[string]http.Handler) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestResourceMetadataFields(t *testing.T) {
	ti := newTestIssuer(t, defaultIssuerPath, serveOIDCInserted)
	tests := []struct {
		name   string
		public string
		mutate func(o *Options)
		want   map[string]any
	}{
		{
			name:   "canonical resource: lower-case scheme and host, default port dropped, no trailing slash",
			public: "HTTPS://MCP.Example.COM:443/",
			want: map[string]any{
				"resource":                 "https://mcp.example.com/mcp",
				"authorization_servers":    []any{ti.issuer},
				"scopes_supported":         []any{"tool:user"},
				"bearer_methods_supported": []any{"header"},
			},
		},
		{
			name:   "path prefix kept",
			public: "https://example.com/Tools",
			want: map[string]any{
				"resource":                 "https://example.com/Tools/mcp",
				"authorization_servers":    []any{ti.issuer},
				"scopes_supported":         []any{"tool:user"},
				"bearer_methods_supported": []any{"header"},
			},
		},
		{
			name:   "optional fields when configured",
			public: "https://mcp.example.com",
			mutate: func(o *Options) {
				o.Config.AuthorizationServers = []string{"https://a.example.com", "https://b.example.com/realms/x"}
				o.Config.ResourceName = "Weather <tools>"
				o.Config.ResourceDocumentation = "https://docs.example.com/weather"
				o.Config.ResourcePolicyURI = "https://example.com/privacy"
				o.Config.ResourceTOSURI = "https://example.com/tos"
				o.Config.ResourceSigningAlgs = []string{"RS256", "ES256"}
				o.Config.ScopesSupported = []string{"weather:read"}
			},
			want: map[string]any{
				"resource":                              "https://mcp.example.com/mcp",
				"authorization_servers":                 []any{"https://a.example.com", "https://b.example.com/realms/x"},
				"scopes_supported":                      []any{"weather:read"},
				"bearer_methods_supported":              []any{"header"},
				"resource_name":                         "Weather <tools>",
				"resource_documentation":                "https://docs.example.com/weather",
				"resource_policy_uri":                   "https://example.com/privacy",
				"resource_tos_uri":                      "https://example.com/tos",
				"resource_signing_alg_values_supported": []any{"RS256", "ES256"},
			},
		},
		{
			name:   "scopes from the JWT table's default scopes",
			public: "https://mcp.example.com",
			mutate: func(o *Options) {
				o.Auth.DefaultScopes = []string{"mcp:use"}
			},
			want: map[string]any{
				"resource":                 "https://mcp.example.com/mcp",
				"authorization_servers":    []any{ti.issuer},
				"scopes_supported":         []any{"mcp:use"},
				"bearer_methods_supported": []any{"header"},
			},
		},
		{
			name:   "scopes announced by the authenticator (tools' code included)",
			public: "https://mcp.example.com",
			mutate: func(o *Options) {
				o.Scopes = []string{"code:read", "tool:user"}
			},
			want: map[string]any{
				"resource":                 "https://mcp.example.com/mcp",
				"authorization_servers":    []any{ti.issuer},
				"scopes_supported":         []any{"code:read", "tool:user"},
				"bearer_methods_supported": []any{"header"},
			},
		},
		{
			name:   "no tool needs a scope: scopes_supported left out",
			public: "https://mcp.example.com",
			mutate: func(o *Options) {
				o.Auth.ToolScopes = nil
			},
			want: map[string]any{
				"resource":                 "https://mcp.example.com/mcp",
				"authorization_servers":    []any{ti.issuer},
				"bearer_methods_supported": []any{"header"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions(ti, tt.public, io.Discard)
			opts.Config.ClientID, opts.Config.ClientSecret, opts.Config.RedirectURI = "", "", ""
			if tt.mutate != nil {
				tt.mutate(&opts)
			}
			h, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, path := range h.prmPaths {
				rec := httptest.NewRecorder()
				h.Routes()[path].ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
				if rec.Code != http.StatusOK {
					t.Fatalf("%s: status %d", path, rec.Code)
				}
				if doc := mustJSON(t, rec.Body.Bytes()); !reflect.DeepEqual(doc, tt.want) {
					t.Errorf("%s:\n got %v\nwant %v", path, doc, tt.want)
				}
			}
			if tt.public == "https://example.com/Tools" && !slices.Contains(h.prmPaths, "/.well-known/oauth-protected-resource/Tools/mcp") {
				t.Errorf("paths %v lack the path-inserted URL of the prefixed resource", h.prmPaths)
			}
		})
	}
}

func TestPublicDocumentMethods(t *testing.T) {
	ti := newTestIssuer(t, defaultIssuerPath, serveOIDCInserted)
	f := newFixture(t, ti, nil)
	for _, path := range []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-authorization-server"} {
		for _, tt := range []struct {
			method string
			hdr    []string
			status int
		}{
			{http.MethodGet, nil, http.StatusOK},
			{http.MethodHead, nil, http.StatusOK},
			{http.MethodPost, nil, http.StatusMethodNotAllowed},
			{http.MethodPut, nil, http.StatusMethodNotAllowed},
			{http.MethodDelete, nil, http.StatusMethodNotAllowed},
			{http.MethodOptions, []string{"Origin", "https://app.example", "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "mcp-protocol-version"}, http.StatusNoContent},
		} {
			t.Run(tt.method+" "+path, func(t *testing.T) {
				resp, body := f.do(tt.method, f.srv.URL+path, nil, tt.hdr...)
				if resp.StatusCode != tt.status {
					t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tt.status, body)
				}
				if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
					t.Errorf("Access-Control-Allow-Origin %q, want *", resp.Header.Get("Access-Control-Allow-Origin"))
				}
				switch tt.status {
				case http.StatusMethodNotAllowed:
					if resp.Header.Get("Allow") != "GET, HEAD, OPTIONS" {
						t.Errorf("Allow %q", resp.Header.Get("Allow"))
					}
					if mustJSON(t, body)["error"] != "method_not_allowed" {
						t.Errorf("body %s", body)
					}
				case http.StatusNoContent:
					if got := resp.Header.Get("Access-Control-Allow-Headers"); got != "mcp-protocol-version" {
						t.Errorf("Access-Control-Allow-Headers %q", got)
					}
				}
			})
		}
	}
}
