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
	srv := httptest.NewServer(guarded(a, echoIdentity))
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
	hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256"}`))
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
		{hdr + "." + base64.RawURLEncoding.EncodeToString([]byte(obj)) + ".y", "jwt", true},
		{hdr + "." + base64.RawURLEncoding.EncodeToString([]byte(obj)), "jwt", false},
		{"x." + base64.RawURLEncoding.EncodeToString([]byte(obj)) + ".y", "jwt", false}, // header not JSON
		{base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","alg":"none"}`)) + "." + base64.RawURLEncoding.EncodeToString([]byte(obj)) + ".y", "jwt", false},
		{base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"bob","sub":"admin"}`)), "istio-payload", false},
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

// Forwarded claims get the checks of jwt-local that a proxy may skip: a
// non-empty string subject, time claims that are valid NumericDates, and no
// member named twice (a proxy keeping the first of two "sub" members would
// have checked a different caller than the last-one-wins decoder sees).
func TestExternalHostileClaims(t *testing.T) {
	url := externalServer(t, externalConfig(func(c *config.Auth) {
		c.TrustedProxies = []string{"127.0.0.1/32"}
	}))
	jwtURL := externalServer(t, externalConfig(func(c *config.Auth) {
		c.TrustedProxies = []string{"127.0.0.1/32"}
		c.External.HeaderFormat = config.HeaderFormatJWT
	}))
	now := time.Now()
	with := func(mod func(c map[string]any)) string {
		c := validClaims(now)
		mod(c)
		return string(mustJSON(c))
	}
	// raw appends members to the valid claims as raw JSON, dropping drop first.
	raw := func(drop, tail string) string {
		c := validClaims(now)
		delete(c, drop)
		b := mustJSON(c)
		return string(b[:len(b)-1]) + tail + "}"
	}
	enc := base64.RawURLEncoding.EncodeToString
	for _, tc := range []struct {
		name   string
		claims string // JSON
		want   tokenError
	}{
		{"no sub", with(func(c map[string]any) { delete(c, "sub") }), errNoSubject},
		{"empty sub", with(func(c map[string]any) { c["sub"] = "" }), errNoSubject},
		{"numeric sub", with(func(c map[string]any) { c["sub"] = 7 }), errNoSubject},
		{"null sub", raw("sub", `,"sub":null`), errNoSubject},
		{"duplicate sub", raw("", `,"sub":"admin"`), errDuplicateClaims},
		{"duplicate sub spelled with an escape", raw("", `,"\u0073ub":"admin"`), errDuplicateClaims},
		{"duplicate key in a nested claim", raw("tenant", `,"tenant":{"id":"acme","id":"evil"}`), errDuplicateClaims},
		{"exp 1e30", with(func(c map[string]any) { c["exp"] = 1e30 }), errBadExp},
		{"exp 1e400", raw("exp", `,"exp":1e400`), errBadExp},
		{"exp beyond the year 9999", with(func(c map[string]any) { c["exp"] = int64(253402300800) }), errBadExp},
		{"negative exp", with(func(c map[string]any) { c["exp"] = -1 }), errBadExp},
		{"string exp", with(func(c map[string]any) { c["exp"] = "NaN" }), errBadExp},
		{"negative nbf", with(func(c map[string]any) { c["nbf"] = -1 }), errBadNbf},
		{"string nbf", with(func(c map[string]any) { c["nbf"] = "Infinity" }), errBadNbf},
		{"iat beyond the year 9999", with(func(c map[string]any) { c["iat"] = 1e30 }), errBadIat},
		{"negative iat", with(func(c map[string]any) { c["iat"] = -5 }), errBadIat},
		{"expired", with(func(c map[string]any) { c["exp"] = now.Add(-time.Hour).Unix() }), errExpired},
		{"valid", with(func(map[string]any) {}), ""},
		{"valid without exp", with(func(c map[string]any) { delete(c, "exp") }), ""},
		{"same name in different objects", raw("", `,"x":{"sub":"a","y":{"sub":"b"}}`), ""},
	} {
		for _, form := range []struct{ url, header string }{
			{url, enc([]byte(tc.claims))},
			{jwtURL, enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(tc.claims)) + ".c2ln"},
		} {
			resp, body := do(t, form.url, func(r *http.Request) { r.Header.Set("X-Jwt-Payload", form.header) })
			if tc.want == "" {
				if resp.StatusCode != 200 {
					t.Errorf("%s (%s): status %d, want 200: %s", tc.name, form.url, resp.StatusCode, body)
				}
				continue
			}
			if resp.StatusCode != 401 || !strings.Contains(body, string(tc.want)) {
				t.Errorf("%s (%s): status %d, body %s; want 401 with %q", tc.name, form.url, resp.StatusCode, body, tc.want)
			}
		}
	}
	// A forwarded JWT whose header names a member twice is refused too:
	// the proxy verified one reading of that header.
	dupHeader := enc([]byte(`{"alg":"none","alg":"RS256"}`)) + "." + enc(mustJSON(validClaims(now))) + ".c2ln"
	resp, body := do(t, jwtURL, func(r *http.Request) { r.Header.Set("X-Jwt-Payload", dupHeader) })
	if resp.StatusCode != 401 || !strings.Contains(body, string(errDuplicateClaims)) {
		t.Errorf("duplicate key in a forwarded JWT header: status %d, body %s", resp.StatusCode, body)
	}
}
