package auth

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mcpforge/mcpforge/runtime/config"
)

const testSecret = "s3cret-shared-with-the-proxy"

func externalConfig(mutate func(c *config.Auth)) config.Auth {
	c := config.DefaultAuth()
	c.Strategy = config.StrategyJWTExternal
	c.ExposedClaims = []string{"email"}
	c.RateLimit.Enabled = false
	mutate(&c)
	return c
}

func externalServer(t *testing.T, cfg config.Auth) string {
	t.Helper()
	a, err := New(Options{Config: cfg, PublicURL: testPublicURL})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(a.Middleware(echoIdentity))
	t.Cleanup(srv.Close)
	return srv.URL + "/mcp"
}

func istioPayload(claims map[string]any) string {
	return base64.RawURLEncoding.EncodeToString(mustJSON(claims))
}

// The fault of the originals: any client could send the claims header. Here
// it is believed only from a trusted proxy and/or with the shared secret.
func TestExternalForgedHeaderRefused(t *testing.T) {
	claims := validClaims(time.Now())
	forged := istioPayload(claims)
	challengeNone := `Bearer resource_metadata="` + testMetaURL + `", scope="tool:user"`
	challengeBad := `Bearer error="invalid_token", resource_metadata="` + testMetaURL + `", scope="tool:user"`

	untrusted := externalServer(t, externalConfig(func(c *config.Auth) {
		c.TrustedProxies = []string{"10.0.0.0/8", "192.168.1.7"} // the test client is 127.0.0.1
	}))
	trusted := externalServer(t, externalConfig(func(c *config.Auth) {
		c.TrustedProxies = []string{"127.0.0.0/8"}
	}))
	secretOnly := externalServer(t, externalConfig(func(c *config.Auth) {
		c.External.SharedSecretHeader = "X-Proxy-Secret"
		c.External.SharedSecret = testSecret
	}))
	both := externalServer(t, externalConfig(func(c *config.Auth) {
		c.TrustedProxies = []string{"127.0.0.1"}
		c.External.SharedSecretHeader = "X-Proxy-Secret"
		c.External.SharedSecret = testSecret
	}))
	bothUntrusted := externalServer(t, externalConfig(func(c *config.Auth) {
		c.TrustedProxies = []string{"10.0.0.0/8"}
		c.External.SharedSecretHeader = "X-Proxy-Secret"
		c.External.SharedSecret = testSecret
	}))

	for _, tc := range []struct {
		name      string
		url       string
		headers   map[string]string
		status    int
		challenge string
	}{
		{"forged header from an untrusted peer", untrusted, map[string]string{"X-Jwt-Payload": forged}, 401, challengeBad},
		{"forged header with a spoofed X-Forwarded-For", untrusted, map[string]string{"X-Jwt-Payload": forged, "X-Forwarded-For": "10.1.2.3", "X-Real-Ip": "10.1.2.3"}, 401, challengeBad},
		{"no header from an untrusted peer", untrusted, nil, 401, challengeNone},
		{"trusted peer", trusted, map[string]string{"X-Jwt-Payload": forged}, 200, ""},
		{"trusted peer without the header", trusted, nil, 401, challengeNone},
		{"trusted peer, malformed header", trusted, map[string]string{"X-Jwt-Payload": "!!not base64!!"}, 401, challengeBad},
		{"trusted peer, header not a JSON object", trusted, map[string]string{"X-Jwt-Payload": base64.RawURLEncoding.EncodeToString([]byte(`"alice"`))}, 401, challengeBad},
		{"trusted peer, padded standard base64", trusted, map[string]string{"X-Jwt-Payload": base64.StdEncoding.EncodeToString(mustJSON(claims))}, 200, ""},
		{"shared secret", secretOnly, map[string]string{"X-Jwt-Payload": forged, "X-Proxy-Secret": testSecret}, 200, ""},
		{"wrong shared secret", secretOnly, map[string]string{"X-Jwt-Payload": forged, "X-Proxy-Secret": testSecret + "x"}, 401, challengeBad},
		{"missing shared secret", secretOnly, map[string]string{"X-Jwt-Payload": forged}, 401, challengeBad},
		{"trusted peer and secret", both, map[string]string{"X-Jwt-Payload": forged, "X-Proxy-Secret": testSecret}, 200, ""},
		{"trusted peer, wrong secret", both, map[string]string{"X-Jwt-Payload": forged, "X-Proxy-Secret": "nope"}, 401, challengeBad},
		{"right secret, untrusted peer", bothUntrusted, map[string]string{"X-Jwt-Payload": forged, "X-Proxy-Secret": testSecret}, 401, challengeBad},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, tc.url, func(r *http.Request) {
				for k, v := range tc.headers {
					r.Header.Set(k, v)
				}
			})
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tc.status, body)
			}
			if got := resp.Header.Get("WWW-Authenticate"); got != tc.challenge {
				t.Fatalf("WWW-Authenticate\n got %q\nwant %q", got, tc.challenge)
			}
			if tc.status == 200 {
				var id Identity
				if err := json.Unmarshal([]byte(body), &id); err != nil {
					t.Fatal(err)
				}
				if id.Subject != "alice" || !id.HasScope("tool:user") || id.Claims["email"] != "alice@example.com" {
					t.Fatalf("identity %+v", id)
				}
				if _, ok := id.Claims["tenant"]; ok {
					t.Fatal("unlisted claim exposed")
				}
			}
		})
	}
}

func TestExternalForwardedJWT(t *testing.T) {
	url := externalServer(t, externalConfig(func(c *config.Auth) {
		c.TrustedProxies = []string{"127.0.0.1/32"}
		c.External.Header = "X-Forwarded-Access-Token"
		c.External.HeaderFormat = config.HeaderFormatJWT
		c.ExposedClaims = []string{"all"}
	}))
	claims := validClaims(time.Now())
	tok := sign(t, ecSigner(t), claims, nil)
	for _, v := range []string{tok, "Bearer " + tok, "bearer " + tok} {
		resp, body := do(t, url, func(r *http.Request) { r.Header.Set("X-Forwarded-Access-Token", v) })
		if resp.StatusCode != 200 {
			t.Fatalf("%.20q: status %d %s", v, resp.StatusCode, body)
		}
		var id Identity
		_ = json.Unmarshal([]byte(body), &id)
		if id.Subject != "alice" || id.Claims["tenant"] == nil {
			t.Fatalf("identity with all claims exposed: %+v", id)
		}
	}
	expired := validClaims(time.Now())
	expired["exp"] = time.Now().Add(-time.Hour).Unix()
	resp, _ := do(t, url, func(r *http.Request) { r.Header.Set("X-Forwarded-Access-Token", sign(t, ecSigner(t), expired, nil)) })
	if resp.StatusCode != 401 {
		t.Fatalf("expired forwarded token: status %d", resp.StatusCode)
	}
	resp, _ = do(t, url, func(r *http.Request) { r.Header.Set("X-Forwarded-Access-Token", "a.b") })
	if resp.StatusCode != 401 {
		t.Fatalf("malformed forwarded token: status %d", resp.StatusCode)
	}
}

func TestExternalConfigNeedsProof(t *testing.T) {
	cfg := externalConfig(func(c *config.Auth) {})
	_, err := New(Options{Config: cfg, PublicURL: testPublicURL})
	if err == nil || !strings.Contains(err.Error(), "middleware.jwt.trusted_proxies") {
		t.Fatalf("external strategy without trusted proxies or secret: %v", err)
	}
}

func TestDecodeExternal(t *testing.T) {
	obj := `{"sub":"bob","n":3}`
	for _, tc := range []struct {
		value, format string
		ok            bool
	}{
		{base64.RawURLEncoding.EncodeToString([]byte(obj)), "istio-payload", true},
		{base64.URLEncoding.EncodeToString([]byte(obj)), "istio-payload", true},
		{base64.StdEncoding.EncodeToString([]byte(obj)), "istio-payload", true},
		{obj, "istio-payload", false},
		{"", "istio-payload", false},
		{base64.RawURLEncoding.EncodeToString([]byte(`[1]`)), "istio-payload", false},
		{"x." + base64.RawURLEncoding.EncodeToString([]byte(obj)) + ".y", "jwt", true},
		{"x." + base64.RawURLEncoding.EncodeToString([]byte(obj)), "jwt", false},
		{strings.Repeat("A", maxExternalBytes+4), "istio-payload", false},
		{"eyJzdWIiOiJib2IifQ\n", "istio-payload", true}, // surrounding whitespace is trimmed
		{"eyJzdWIi\nOiJib2IifQ", "istio-payload", false},
	} {
		c, err := decodeExternal(tc.value, tc.format)
		if (err == nil) != tc.ok {
			t.Errorf("decodeExternal(%.30q, %s) = %v, %v; want ok=%v", tc.value, tc.format, c, err, tc.ok)
		}
	}
}
