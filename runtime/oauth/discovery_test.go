package oauth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpforge/mcpforge/runtime/config"
)

func TestDiscoveryURLs(t *testing.T) {
	tests := []struct {
		issuer string
		want   []string
	}{
		{"https://login.example.com", []string{
			"https://login.example.com/.well-known/oauth-authorization-server",
			"https://login.example.com/.well-known/openid-configuration",
		}},
		{"https://login.example.com/", []string{
			"https://login.example.com/.well-known/oauth-authorization-server",
			"https://login.example.com/.well-known/openid-configuration",
		}},
		{"https://login.example.com/realms/main", []string{
			"https://login.example.com/.well-known/oauth-authorization-server/realms/main",
			"https://login.example.com/.well-known/openid-configuration/realms/main",
			"https://login.example.com/realms/main/.well-known/openid-configuration",
		}},
	}
	for _, tt := range tests {
		got, err := discoveryURLs(tt.issuer)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("discoveryURLs(%q)\n got %v\nwant %v", tt.issuer, got, tt.want)
		}
	}
}

// The relay discovers the metadata in the MCP specification's order and
// stops at the first usable document.
func TestRelayDiscoveryOrder(t *testing.T) {
	tests := []struct {
		name      string
		path      string
		serve     []string
		wantOrder []string
	}{
		{"no path, only RFC 8414", defaultIssuerPath, []string{serve8414},
			[]string{"/.well-known/oauth-authorization-server"}},
		{"no path, only OpenID configuration", defaultIssuerPath, []string{serveOIDCInserted},
			[]string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"}},
		{"no path, both: RFC 8414 wins", defaultIssuerPath, []string{serve8414, serveOIDCInserted},
			[]string{"/.well-known/oauth-authorization-server"}},
		{"path, only RFC 8414 path-inserted", tenantedIssuerPath, []string{serve8414},
			[]string{"/.well-known/oauth-authorization-server/realms/test"}},
		{"path, only OpenID path-inserted", tenantedIssuerPath, []string{serveOIDCInserted},
			[]string{"/.well-known/oauth-authorization-server/realms/test", "/.well-known/openid-configuration/realms/test"}},
		{"path, only OpenID appended (Keycloak)", tenantedIssuerPath, []string{serveOIDCAppended},
			[]string{"/.well-known/oauth-authorization-server/realms/test", "/.well-known/openid-configuration/realms/test", "/realms/test/.well-known/openid-configuration"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ti := newTestIssuer(t, tt.path, tt.serve...)
			f := newFixture(t, ti, nil)
			resp, body := f.get("/.well-known/oauth-authorization-server")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200\n%s", resp.StatusCode, body)
			}
			doc := mustJSON(t, body)
			if doc["issuer"] != ti.issuer || doc["token_endpoint"] != ti.issuer+"/token" {
				t.Errorf("relayed document %v is not the issuer's", doc)
			}
			if got := ti.discoveryOrder(); !reflect.DeepEqual(got, tt.wantOrder) {
				t.Errorf("discovery requests\n got %v\nwant %v", got, tt.wantOrder)
			}
		})
	}
}

func TestRelayCachesAndSharesOneFetch(t *testing.T) {
	ti := newTestIssuer(t, defaultIssuerPath, serve8414)
	ti.set(func(ti *testIssuer) { ti.metaDelay = 100 * time.Millisecond })
	f := newFixture(t, ti, func(o *Options) { o.Config.MetadataCacheTTL = config.Duration{Duration: time.Minute} })
	const path = "/.well-known/oauth-authorization-server"

	// Concurrent misses share one fetch.
	var wg sync.WaitGroup
	statuses := make([]int, 40)
	for i := range statuses {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			f.h.serveAuthServerMetadata(rec, httptest.NewRequest(http.MethodGet, path, nil))
			statuses[i] = rec.Code
		})
	}
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusOK {
			t.Fatalf("request %d: status %d", i, s)
		}
	}
	if n := ti.hitCount(path); n != 1 {
		t.Fatalf("upstream fetched %d times for 40 concurrent requests, want 1", n)
	}

	// Hits within the TTL are served from the cache, with a shrinking max-age.
	f.clock.Advance(30 * time.Second)
	for range 5 {
		resp, _ := f.get(path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=30" {
			t.Errorf("Cache-Control %q, want public, max-age=30", cc)
		}
	}
	if n := ti.hitCount(path); n != 1 {
		t.Fatalf("upstream fetched %d times within the TTL, want 1", n)
	}

	// Past the TTL the document is fetched again.
	f.clock.Advance(31 * time.Second)
	if resp, _ := f.get(path); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if n := ti.hitCount(path); n != 2 {
		t.Fatalf("upstream fetched %d times after the TTL, want 2", n)
	}
}

// A client hanging up does not fail the shared fetch for the others.
func TestRelayFetchSurvivesCancelledCaller(t *testing.T) {
	ti := newTestIssuer(t, defaultIssuerPath, serve8414)
	ti.set(func(ti *testIssuer) { ti.metaDelay = 200 * time.Millisecond })
	f := newFixture(t, ti, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := f.h.meta.get(ctx); err == nil {
		t.Fatal("get with an expiring context succeeded before the upstream answered")
	}
	if _, err := f.h.meta.get(context.Background()); err != nil {
		t.Fatalf("second get: %v", err)
	}
	if n := ti.hitCount("/.well-known/oauth-authorization-server"); n != 1 {
		t.Errorf("upstream fetched %d times, want 1", n)
	}
}

func TestRelayUpstreamFailuresAre502(t *testing.T) {
	tests := []struct {
		name  string
		setup func(ti *testIssuer)
		opts  func(o *Options)
		want  string // in the message
	}{
		{"404 everywhere", func(ti *testIssuer) { ti.serve = map[string]bool{} }, nil, "status 404"},
		{"500", func(ti *testIssuer) { ti.metaStatus = http.StatusInternalServerError }, nil, "status 500"},
		{"503", func(ti *testIssuer) { ti.metaStatus = http.StatusServiceUnavailable }, nil, "status 503"},
		{"timeout", func(ti *testIssuer) { ti.metaDelay = 3 * time.Second },
			func(o *Options) { o.Config.FetchTimeout = config.Duration{Duration: 200 * time.Millisecond} }, "fetch_timeout"},
		{"oversize", func(ti *testIssuer) { ti.metaExtra = map[string]any{"padding": strings.Repeat("x", 4096)} },
			func(o *Options) { o.Config.MaxMetadataBytes = 2048 }, "max_metadata_bytes"},
		{"wrong issuer", func(ti *testIssuer) { ti.metaIssuer = "https://evil.example.com" }, nil, "not the configured"},
		{"issuer differs by a trailing slash", func(ti *testIssuer) { ti.metaIssuer = ti.issuer + "/" }, nil, "not the configured"},
		{"no issuer", func(ti *testIssuer) { ti.metaDrop = []string{"issuer"} }, nil, "no issuer"},
		{"not JSON", func(ti *testIssuer) { ti.metaBodyRaw = []byte("<html>login</html>") }, nil, "not a JSON object"},
		{"JSON array", func(ti *testIssuer) { ti.metaBodyRaw = []byte(`[{"issuer":"x"}]`) }, nil, "not a JSON object"},
		{"trailing data", func(ti *testIssuer) { ti.metaBodyRaw = []byte(`{"issuer":"x"} {}`) }, nil, "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ti := newTestIssuer(t, defaultIssuerPath, serve8414, serveOIDCInserted)
			ti.set(tt.setup)
			f := newFixture(t, ti, tt.opts)
			start := time.Now()
			resp, body := f.get("/.well-known/oauth-authorization-server")
			if resp.StatusCode != http.StatusBadGateway {
				t.Fatalf("status %d, want 502\n%s", resp.StatusCode, body)
			}
			if time.Since(start) > 2*time.Second {
				t.Errorf("the 502 took %s; the fetch timeout does not bound the discovery", time.Since(start))
			}
			if resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("headers %v", resp.Header)
			}
			doc := mustJSON(t, body)
			if doc["error"] != "bad_gateway" {
				t.Errorf("error %v, want bad_gateway", doc["error"])
			}
			if msg, _ := doc["message"].(string); msg != genericRelayError {
				t.Errorf("message %q, want the generic %q", msg, genericRelayError)
			}
			// The reason is the operator's: in the log, not in the body.
			if strings.Contains(string(body), ti.srv.URL) || strings.Contains(string(body), tt.want) {
				t.Errorf("the 502 body reveals the upstream failure: %s", body)
			}
			if logs := f.logs.String(); !strings.Contains(logs, tt.want) || !strings.Contains(logs, ti.srv.URL) {
				t.Errorf("the log does not say %q and name the upstream URL:\n%s", tt.want, logs)
			}
			if _, ok := doc["issuer"]; ok {
				t.Error("a 502 carries metadata")
			}
		})
	}
}

// genericRelayError is the message of every 502 of the relay.
const genericRelayError = "the authorization server metadata is unavailable; try again later"

// A failing provider is asked once per backoff, however many clients ask:
// concurrent requests share one fetch, later ones get the remembered
// failure (with Retry-After) until the backoff ends, and the first request
// after it fetches again.
func TestRelayFailureBackoff(t *testing.T) {
	ti := newTestIssuer(t, defaultIssuerPath, serve8414, serveOIDCInserted)
	ti.set(func(ti *testIssuer) {
		ti.metaStatus = http.StatusInternalServerError
		ti.metaDelay = 50 * time.Millisecond // long enough for the requests to overlap
	})
	f := newFixture(t, ti, func(o *Options) { o.Config.MetadataFailureBackoff = config.Duration{Duration: 10 * time.Second} })
	const path = "/.well-known/oauth-authorization-server"
	// A discovery of an issuer without a path tries two URLs.
	hits := func() int { return ti.hitCount(path) + ti.hitCount("/.well-known/openid-configuration") }

	var wg sync.WaitGroup
	statuses := make([]int, 50)
	for i := range statuses {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			f.h.serveAuthServerMetadata(rec, httptest.NewRequest(http.MethodGet, path, nil))
			statuses[i] = rec.Code
		})
	}
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusBadGateway {
			t.Fatalf("request %d: status %d, want 502", i, s)
		}
	}
	if n := hits(); n != 2 {
		t.Fatalf("50 concurrent requests made %d upstream requests, want 2 (one discovery)", n)
	}

	f.clock.Advance(4 * time.Second)
	for range 20 {
		resp, body := f.get(path)
		if resp.StatusCode != http.StatusBadGateway {
			t.Fatalf("within the backoff: status %d, want 502\n%s", resp.StatusCode, body)
		}
		if ra := resp.Header.Get("Retry-After"); ra != "6" {
			t.Errorf("Retry-After %q, want 6 (the backoff left)", ra)
		}
	}
	if n := hits(); n != 2 {
		t.Fatalf("requests within the backoff made %d upstream requests in all, want still 2", n)
	}
	if n := strings.Count(f.logs.String(), "authorization server metadata unavailable"); n != 1 {
		t.Errorf("the failure was logged %d times, want once per failed fetch\n%s", n, f.logs.String())
	}

	// The backoff over and the provider healthy again, the next request
	// fetches and succeeds.
	ti.set(func(ti *testIssuer) { ti.metaStatus = 0 })
	f.clock.Advance(6 * time.Second)
	if resp, body := f.get(path); resp.StatusCode != http.StatusOK {
		t.Fatalf("after the backoff: status %d, want 200\n%s", resp.StatusCode, body)
	}
	if n := ti.hitCount(path); n != 2 {
		t.Errorf("after the backoff: %d requests to %s in all, want 2", n, path)
	}
}

// The start-up check shares the relay's memory of a failure: a provider
// found failing at start-up is not asked again for each early client.
func TestCheckFailureIsRemembered(t *testing.T) {
	ti := newTestIssuer(t, defaultIssuerPath, serve8414)
	ti.set(func(ti *testIssuer) { ti.metaStatus = http.StatusServiceUnavailable })
	f := newFixture(t, ti, nil)
	if err := f.h.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "status 503") {
		t.Fatalf("Check: %v, want the upstream status", err)
	}
	before := ti.hitCount("/.well-known/oauth-authorization-server")
	if resp, _ := f.get("/.well-known/oauth-authorization-server"); resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("status %d, want 502", resp.StatusCode)
	}
	if n := ti.hitCount("/.well-known/oauth-authorization-server"); n != before {
		t.Errorf("the relay asked the provider again right after the failed check (%d requests, want %d)", n, before)
	}
}

// Once cached metadata expires and the issuer is gone, the relay answers
// 502: nothing stale, never a 200 with an error.
func TestRelay502AfterExpiryWhenIssuerStops(t *testing.T) {
	ti := newTestIssuer(t, defaultIssuerPath, serve8414)
	f := newFixture(t, ti, nil)
	const path = "/.well-known/oauth-authorization-server"
	if resp, _ := f.get(path); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	ti.srv.Close()
	if resp, _ := f.get(path); resp.StatusCode != http.StatusOK {
		t.Fatalf("cached: status %d, want 200", resp.StatusCode)
	}
	f.clock.Advance(5*time.Minute + time.Second)
	if resp, body := f.get(path); resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("expired with the issuer stopped: status %d, want 502\n%s", resp.StatusCode, body)
	}
}

func TestRelayStripsSecrets(t *testing.T) {
	ti := newTestIssuer(t, defaultIssuerPath, serve8414)
	ti.set(func(ti *testIssuer) {
		ti.metaExtra = map[string]any{
			"client_secret":                 "leaked-1",
			"Client_Secret_Expires_At":      0,
			"admin_password":                "leaked-2",
			"x_vendor_debug":                "the client secret is leaked-3",
			"x_signing_keys":                []any{map[string]any{"kty": "oct", "k": "bGVha2VkLTQ"}},
			"x_nested":                      map[string]any{"deep": map[string]any{"api_key": "leaked-5"}},
			"x_private_jwk":                 map[string]any{"kty": "RSA", "n": "AQAB", "e": "AQAB", "d": "bGVha2VkLTY"},
			"x_feature_flag":                true,
			"x_public_jwk":                  map[string]any{"kty": "RSA", "n": "AQAB", "e": "AQAB"},
			"end_session_endpoint":          ti.issuer + "/logout",
			"registration_endpoint":         ti.issuer + "/register",
			"service_documentation":         "https://docs.example.com/secret-santa", // registered: kept
			"mtls_endpoint_aliases":         map[string]any{"token_endpoint": ti.issuer + "/mtls/token"},
			"require_signed_request_object": false,
		}
	})
	f := newFixture(t, ti, nil)
	resp, body := f.get("/.well-known/oauth-authorization-server")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d\n%s", resp.StatusCode, body)
	}
	if strings.Contains(string(body), "leaked") {
		t.Errorf("relayed document carries a secret:\n%s", body)
	}
	doc := mustJSON(t, body)
	for _, gone := range []string{"client_secret", "Client_Secret_Expires_At", "admin_password", "x_vendor_debug", "x_signing_keys", "x_nested", "x_private_jwk"} {
		if _, ok := doc[gone]; ok {
			t.Errorf("%s relayed", gone)
		}
	}
	for _, kept := range []string{"issuer", "token_endpoint", "x_feature_flag", "x_public_jwk", "end_session_endpoint", "registration_endpoint", "service_documentation", "mtls_endpoint_aliases", "require_signed_request_object"} {
		if _, ok := doc[kept]; !ok {
			t.Errorf("%s not relayed", kept)
		}
	}
	if got := doc["token_endpoint_auth_methods_supported"]; !reflect.DeepEqual(got, []any{"client_secret_basic", "client_secret_post"}) {
		t.Errorf("token_endpoint_auth_methods_supported = %v; registered fields must be relayed even when they mention secrets", got)
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name  string
		setup func(ti *testIssuer)
		want  []string // substrings of the error; nil = no error
	}{
		{"healthy", func(*testIssuer) {}, nil},
		{"no S256", func(ti *testIssuer) {
			ti.metaOverride = map[string]any{"code_challenge_methods_supported": []string{"plain"}}
		}, []string{"S256"}},
		{"no PKCE at all", func(ti *testIssuer) { ti.metaDrop = []string{"code_challenge_methods_supported"} }, []string{"S256"}},
		{"issuer differs", func(ti *testIssuer) { ti.metaIssuer = "https://other.example.com" }, []string{"not the configured"}},
		{"unreachable", func(ti *testIssuer) { ti.metaStatus = http.StatusBadGateway }, []string{"status 502"}},
		{"token endpoint on a foreign host", func(ti *testIssuer) {
			ti.metaOverride = map[string]any{"token_endpoint": "http://169.254.169.254/latest/meta-data"}
		}, []string{"token_endpoint", "169.254.169.254"}},
		{"authorization endpoint over http", func(ti *testIssuer) {
			ti.metaOverride = map[string]any{"authorization_endpoint": "http://login.example.com/authorize"}
		}, []string{"authorization_endpoint", "https"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ti := newTestIssuer(t, defaultIssuerPath, serveOIDCInserted)
			ti.set(tt.setup)
			f := newFixture(t, ti, nil)
			err := f.h.Check(context.Background())
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Check succeeded")
			}
			if e := containsAll(err.Error(), tt.want...); e != nil {
				t.Error(e)
			}
		})
	}
}

// SSRF: the server requests nothing outside the allowed hosts, not even
// when the issuer's own discovery redirects there.
func TestSSRFRefusesHostsNotAllowed(t *testing.T) {
	t.Run("issuer host not allowed", func(t *testing.T) {
		ti := newTestIssuer(t, defaultIssuerPath, serve8414)
		opts := testOptions(ti, "http://127.0.0.1:9", &syncBuffer{})
		opts.Config.AllowedHosts = []string{"login.example.com"}
		_, err := New(opts)
		if err == nil || !strings.Contains(err.Error(), "oauth.allowed_hosts") {
			t.Fatalf("New: %v, want an error naming oauth.allowed_hosts", err)
		}
		if n := ti.hitCount("/.well-known/oauth-authorization-server"); n != 0 {
			t.Errorf("the issuer was contacted %d times", n)
		}
	})
	t.Run("http issuer off loopback", func(t *testing.T) {
		ti := newTestIssuer(t, defaultIssuerPath, serve8414)
		opts := testOptions(ti, "http://127.0.0.1:9", &syncBuffer{})
		opts.Auth.Local.Issuer = "http://login.example.com"
		if _, err := New(opts); err == nil || !strings.Contains(err.Error(), "https") {
			t.Fatalf("New: %v, want an error about https", err)
		}
	})
	t.Run("redirect to another host", func(t *testing.T) {
		internal := newTestIssuer(t, defaultIssuerPath, serve8414, serveOIDCInserted)
		ti := newTestIssuer(t, defaultIssuerPath)
		// The issuer's discovery redirects to "localhost", a name not in
		// the allow-list (only 127.0.0.1, the issuer's host, is).
		target := strings.Replace(internal.srv.URL, "127.0.0.1", "localhost", 1) + "/.well-known/openid-configuration"
		ti.set(func(ti *testIssuer) { ti.redirectTo = target })
		f := newFixture(t, ti, nil)
		resp, body := f.get("/.well-known/oauth-authorization-server")
		if resp.StatusCode != http.StatusBadGateway {
			t.Fatalf("status %d, want 502\n%s", resp.StatusCode, body)
		}
		if strings.Contains(string(body), "not allowed") || strings.Contains(string(body), "localhost") {
			t.Errorf("the 502 body reveals why the fetch failed: %s", body)
		}
		if !strings.Contains(f.logs.String(), "not allowed") {
			t.Errorf("the log does not say the host is not allowed:\n%s", f.logs.String())
		}
		if n := internal.hitCount("/.well-known/openid-configuration"); n != 0 {
			t.Errorf("the disallowed host was requested %d times", n)
		}
	})
	t.Run("token endpoint on another host", func(t *testing.T) {
		internal := newTestIssuer(t, defaultIssuerPath)
		ti := newTestIssuer(t, defaultIssuerPath, serve8414)
		foreign := strings.Replace(internal.srv.URL, "127.0.0.1", "localhost", 1) + "/token"
		ti.set(func(ti *testIssuer) { ti.metaOverride = map[string]any{"token_endpoint": foreign} })
		f := newFixture(t, ti, nil)
		cookie, authURL := f.startLogin()
		resp, page := f.callback(f.authorize(authURL), cookie)
		if resp.StatusCode != http.StatusBadGateway {
			t.Fatalf("callback: status %d, want 502\n%s", resp.StatusCode, page)
		}
		if n := internal.hitCount("/token"); n != 0 {
			t.Errorf("the disallowed token endpoint was requested %d times", n)
		}
		if !strings.Contains(f.logs.String(), "not allowed") {
			t.Errorf("the log does not say why:\n%s", f.logs.String())
		}
	})
}
