package auth

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/mcpforge/mcpforge/runtime/config"
)

const (
	challengeNoToken = `Bearer resource_metadata="` + testMetaURL + `", scope="tool:admin tool:user tool:write"`
	challengeInvalid = `Bearer error="invalid_token", resource_metadata="` + testMetaURL + `", scope="tool:admin tool:user tool:write"`
)

// localFixture is a jwt-local Authenticator in front of echoIdentity, served
// on 127.0.0.1, with a JWKS holding an RSA, an EC P-256 and an Ed25519 key.
type localFixture struct {
	a     *Authenticator
	clock *fakeClock
	jwks  *jwksServer
	url   string
}

func newLocalFixture(t *testing.T, mutate func(*config.Auth)) *localFixture {
	t.Helper()
	jwks := newJWKSServer(t,
		publicJWK(t, rsaSigner(t), true),
		publicJWK(t, ecSigner(t), true),
		publicJWK(t, edSigner(t), false),
	)
	cfg := localConfig(jwks.URL + "/jwks")
	if mutate != nil {
		mutate(&cfg)
	}
	a, clock := newTestAuth(t, cfg)
	srv := httptest.NewServer(a.Middleware(echoIdentity))
	t.Cleanup(srv.Close)
	return &localFixture{a: a, clock: clock, jwks: jwks, url: srv.URL + "/mcp"}
}

func TestLocalTokens(t *testing.T) {
	f := newLocalFixture(t, nil)
	now := f.clock.Now()
	rs, ec, ed := rsaSigner(t), ecSigner(t), edSigner(t)
	with := func(mod func(c map[string]any)) map[string]any {
		c := validClaims(now)
		mod(c)
		return c
	}
	rsaPubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: must(x509.MarshalPKIXPublicKey(&rsaKey.PublicKey))})
	valid := sign(t, rs, validClaims(now), nil)
	parts := strings.Split(valid, ".")
	tamperedClaims := validClaims(now)
	tamperedClaims["sub"] = "mallory"
	tampered := parts[0] + "." + b64(mustJSON(tamperedClaims)) + "." + parts[2]
	sig := must(base64.RawURLEncoding.DecodeString(parts[2]))
	sig[10] ^= 1
	badSig := parts[0] + "." + parts[1] + "." + b64(sig)
	header := func(h map[string]any) []byte { return mustJSON(h) }
	claimsJSON := mustJSON(validClaims(now))
	hs256, err := jws.Sign(claimsJSON, jws.WithKey(jwa.HS256(), rsaPubPEM, jws.WithProtectedHeaders(headers(t, map[string]any{"kid": "rsa-1"}))))
	if err != nil {
		t.Fatal(err)
	}
	noneTok := b64(header(map[string]any{"alg": "none", "kid": "rsa-1"})) + "." + b64(claimsJSON) + "."
	// A payload whose standard base64 holds '+' or '/', so the only defect
	// of the std-encoded token below is its alphabet.
	stdClaims := validClaims(now)
	stdClaims["note"] = "\xfb\xff\xfe>>>???"
	stdPayload := mustJSON(stdClaims)
	if !strings.ContainsAny(base64.RawStdEncoding.EncodeToString(stdPayload), "+/") {
		t.Fatal("std payload has no +/ characters; adjust the note claim")
	}
	rsHeader := header(map[string]any{"alg": "RS256", "kid": "rsa-1"})

	cases := []struct {
		name      string
		auth      string // Authorization header value; "" sends none
		query     string
		status    int
		challenge string
	}{
		{"valid RS256", "Bearer " + valid, "", 200, ""},
		{"valid ES256", "Bearer " + sign(t, ec, validClaims(now), nil), "", 200, ""},
		{"valid EdDSA", "Bearer " + sign(t, ed, validClaims(now), nil), "", 200, ""},
		{"lower-case bearer scheme", "bearer " + valid, "", 200, ""},
		{"upper-case bearer scheme", "BEARER " + valid, "", 200, ""},
		{"aud list containing the resource", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["aud"] = []string{"other", testAudience} }), nil), "", 200, ""},
		{"expired within leeway", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["exp"] = now.Add(-10 * time.Second).Unix() }), nil), "", 200, ""},
		{"fractional exp", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["exp"] = float64(now.Add(time.Hour).Unix()) + 0.5 }), nil), "", 200, ""},

		{"no token", "", "", 401, challengeNoToken},
		{"token in query string", "", "access_token=" + valid, 401, challengeNoToken},
		{"basic scheme", "Basic YWxpY2U6c2VjcmV0", "", 401, challengeNoToken},
		{"bearer without token", "Bearer ", "", 401, challengeInvalid},
		{"alg none", "Bearer " + noneTok, "", 401, challengeInvalid},
		{"alg none with a signature", "Bearer " + noneTok + parts[2], "", 401, challengeInvalid},
		{"HS256 signed with the RSA public key", "Bearer " + string(hs256), "", 401, challengeInvalid},
		{"expired", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["exp"] = now.Add(-time.Minute).Unix() }), nil), "", 401, challengeInvalid},
		{"nbf in the future", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["nbf"] = now.Add(time.Minute).Unix() }), nil), "", 401, challengeInvalid},
		{"iat in the future", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["iat"] = now.Add(time.Minute).Unix() }), nil), "", 401, challengeInvalid},
		{"no exp", "Bearer " + sign(t, rs, with(func(c map[string]any) { delete(c, "exp") }), nil), "", 401, challengeInvalid},
		{"string exp", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["exp"] = "9999999999" }), nil), "", 401, challengeInvalid},
		{"string nbf", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["nbf"] = "0" }), nil), "", 401, challengeInvalid},
		{"wrong iss", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["iss"] = "https://evil.test/" }), nil), "", 401, challengeInvalid},
		{"no iss", "Bearer " + sign(t, rs, with(func(c map[string]any) { delete(c, "iss") }), nil), "", 401, challengeInvalid},
		{"wrong aud", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["aud"] = "https://other.test/mcp" }), nil), "", 401, challengeInvalid},
		{"no aud", "Bearer " + sign(t, rs, with(func(c map[string]any) { delete(c, "aud") }), nil), "", 401, challengeInvalid},
		{"aud list with a non-string", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["aud"] = []any{testAudience, 1} }), nil), "", 401, challengeInvalid},
		{"unknown kid", "Bearer " + sign(t, signer{"nobody", "RS256", rsaKey2}, validClaims(now), nil), "", 401, challengeInvalid},
		{"kid of another key", "Bearer " + sign(t, signer{"rsa-1", "RS256", rsaKey2}, validClaims(now), nil), "", 401, challengeInvalid},
		{"tampered payload", "Bearer " + tampered, "", 401, challengeInvalid},
		{"bad signature", "Bearer " + badSig, "", 401, challengeInvalid},
		{"malformed: two parts", "Bearer " + parts[0] + "." + parts[1], "", 401, challengeInvalid},
		{"malformed: garbage", "Bearer not-a-token", "", 401, challengeInvalid},
		{"malformed: header not JSON", "Bearer " + b64([]byte("nope")) + "." + parts[1] + "." + parts[2], "", 401, challengeInvalid},
		{"over 8 KiB", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["pad"] = strings.Repeat("x", 8<<10) }), nil), "", 401, challengeInvalid},
		{"padded base64", "Bearer " + signRS256Raw(t, rsaKey, rsHeader, claimsJSON, base64.URLEncoding), "", 401, challengeInvalid},
		{"standard-alphabet base64", "Bearer " + signRS256Raw(t, rsaKey, rsHeader, stdPayload, base64.RawStdEncoding), "", 401, challengeInvalid},
		{"unknown crit header", "Bearer " + signRS256Raw(t, rsaKey, header(map[string]any{"alg": "RS256", "kid": "rsa-1", "crit": []string{"exp-ext"}, "exp-ext": 1}), claimsJSON, base64.RawURLEncoding), "", 401, challengeInvalid},
		{"alg outside the allow-list", "Bearer " + sign(t, signer{"rsa-1", "RS384", rsaKey}, validClaims(now), nil), "", 401, challengeInvalid},
		{"ES256 token naming the RSA key", "Bearer " + sign(t, signer{"rsa-1", "ES256", ecKey}, validClaims(now), nil), "", 401, challengeInvalid},
		{"upper-case ALG member ignored", "Bearer " + signRS256Raw(t, rsaKey, header(map[string]any{"ALG": "RS256", "kid": "rsa-1"}), claimsJSON, base64.RawURLEncoding), "", 401, challengeInvalid},
		{"payload not an object", "Bearer " + signRS256Raw(t, rsaKey, rsHeader, []byte(`["iss"]`), base64.RawURLEncoding), "", 401, challengeInvalid},
		{"trailing data after payload", "Bearer " + signRS256Raw(t, rsaKey, rsHeader, append(append([]byte{}, claimsJSON...), []byte(` {}`)...), base64.RawURLEncoding), "", 401, challengeInvalid},
		{"two tokens", "Bearer " + valid + " " + valid, "", 401, challengeInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, f.url+queryPrefix(tc.query), func(r *http.Request) {
				if tc.auth != "" {
					r.Header["Authorization"] = []string{tc.auth}
				}
			})
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tc.status, body)
			}
			if got := resp.Header.Get("WWW-Authenticate"); got != tc.challenge {
				t.Fatalf("WWW-Authenticate\n got %q\nwant %q", got, tc.challenge)
			}
			if tc.status == 401 {
				if want := wantReason[tc.name]; !strings.Contains(body, string(want)) {
					t.Fatalf("body %s does not give the reason %q", body, want)
				}
				var e struct {
					Error       string `json:"error"`
					Description string `json:"error_description"`
				}
				if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" || e.Description == "" {
					t.Fatalf("401 body is not a short JSON reason: %q", body)
				}
				if strings.Contains(tc.challenge, "invalid_token") != (e.Error == "invalid_token") {
					t.Fatalf("body error %q does not match the challenge", e.Error)
				}
			}
		})
	}
}

// wantReason is the error_description each refused token must get, so a
// case cannot pass by failing for another reason than the one it tests.
var wantReason = map[string]tokenError{
	"no token":                             errMissingToken,
	"token in query string":                errQueryToken,
	"basic scheme":                         errMissingToken,
	"bearer without token":                 errMalformed,
	"alg none":                             errMalformed,
	"alg none with a signature":            errAlgorithm,
	"HS256 signed with the RSA public key": errAlgorithm,
	"expired":                              errExpired,
	"nbf in the future":                    errNotYetValid,
	"iat in the future":                    errIssuedInFuture,
	"no exp":                               errNoExp,
	"string exp":                           errNumericDate,
	"string nbf":                           errNumericDate,
	"wrong iss":                            errIssuer,
	"no iss":                               errIssuer,
	"wrong aud":                            errAudience,
	"no aud":                               errAudience,
	"aud list with a non-string":           errAudience,
	"unknown kid":                          errUnknownKey,
	"kid of another key":                   errSignature,
	"tampered payload":                     errSignature,
	"bad signature":                        errSignature,
	"malformed: two parts":                 errMalformed,
	"malformed: garbage":                   errMalformed,
	"malformed: header not JSON":           errMalformed,
	"over 8 KiB":                           errTooLarge,
	"padded base64":                        errMalformed,
	"standard-alphabet base64":             errMalformed,
	"unknown crit header":                  errCrit,
	"alg outside the allow-list":           errAlgorithm,
	"ES256 token naming the RSA key":       errUnknownKey,
	"upper-case ALG member ignored":        errMalformed,
	"payload not an object":                errMalformed,
	"trailing data after payload":          errMalformed,
	"two tokens":                           errMalformed,
}

func queryPrefix(q string) string {
	if q == "" {
		return ""
	}
	return "?" + q
}

func TestLocalIdentityReachesHandler(t *testing.T) {
	f := newLocalFixture(t, nil)
	tok := sign(t, rsaSigner(t), validClaims(f.clock.Now()), nil)
	resp, body := do(t, f.url, bearer(tok))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var id Identity
	if err := json.Unmarshal([]byte(body), &id); err != nil {
		t.Fatal(err)
	}
	if id.Subject != "alice" || !id.HasScope("tool:user") || !id.HasScope("openid") || id.Anonymous || id.Unrestricted {
		t.Fatalf("identity %+v", id)
	}
	// email is listed in exposed_claims; tenant is not; sub, scope and roles
	// always are; the token itself never is.
	for _, k := range []string{"sub", "scope", "roles", "email"} {
		if _, ok := id.Claims[k]; !ok {
			t.Errorf("claim %q missing from %v", k, id.Claims)
		}
	}
	for _, k := range []string{"tenant", "iss", "exp"} {
		if _, ok := id.Claims[k]; ok {
			t.Errorf("claim %q exposed although not listed", k)
		}
	}
	if strings.Contains(body, tok) || strings.Contains(body, strings.Split(tok, ".")[2]) {
		t.Fatal("the raw token reached the handler's identity")
	}
}

func TestLocalRequireTyp(t *testing.T) {
	f := newLocalFixture(t, func(c *config.Auth) { c.Local.RequireTypAtJWT = true })
	now := f.clock.Now()
	for _, tc := range []struct {
		typ    any
		status int
	}{
		{"at+jwt", 200},
		{"application/at+JWT", 200},
		{"JWT", 401},
		{nil, 401},
	} {
		h := map[string]any{}
		if tc.typ != nil {
			h["typ"] = tc.typ
		}
		resp, body := do(t, f.url, bearer(sign(t, rsaSigner(t), validClaims(now), h)))
		if resp.StatusCode != tc.status {
			t.Errorf("typ %v: status %d, want %d (%s)", tc.typ, resp.StatusCode, tc.status, body)
		}
	}
}

func TestLocalConfiguredAudienceAndAlgorithms(t *testing.T) {
	f := newLocalFixture(t, func(c *config.Auth) {
		c.Local.Audience = "api://weather"
		c.Local.Algorithms = []string{"RS256", "PS256"}
	})
	now := f.clock.Now()
	claims := validClaims(now)
	claims["aud"] = "api://weather"
	if resp, body := do(t, f.url, bearer(sign(t, rsaSigner(t), claims, nil))); resp.StatusCode != 200 {
		t.Fatalf("configured audience refused: %d %s", resp.StatusCode, body)
	}
	if resp, _ := do(t, f.url, bearer(sign(t, rsaSigner(t), validClaims(now), nil))); resp.StatusCode != 401 {
		t.Fatalf("public URL audience accepted although another audience is configured: %d", resp.StatusCode)
	}
	// The JWK of rsa-1 says alg RS256: the same key must not verify PS256,
	// even though PS256 is allowed.
	if resp, _ := do(t, f.url, bearer(sign(t, signer{"rsa-1", "PS256", rsaKey}, claims, nil))); resp.StatusCode != 401 {
		t.Fatalf("key pinned to RS256 verified a PS256 token: %d", resp.StatusCode)
	}
}

func TestLocalPSSWithUnpinnedKey(t *testing.T) {
	testKeys(t)
	s := signer{"pss", "PS256", rsaKey2}
	jwks := newJWKSServer(t, publicJWK(t, s, false))
	cfg := localConfig(jwks.URL)
	cfg.Local.Algorithms = []string{"PS256"}
	a, clock := newTestAuth(t, cfg)
	if _, err := a.validateToken(t.Context(), sign(t, s, validClaims(clock.Now()), nil)); err != nil {
		t.Fatalf("PS256: %v", err)
	}
	if _, err := a.validateToken(t.Context(), sign(t, signer{"pss", "RS256", rsaKey2}, validClaims(clock.Now()), nil)); err != errAlgorithm {
		t.Fatalf("RS256 outside allow-list: %v", err)
	}
}

// An attacker's token pointing at its own keys through jku, x5u or an
// embedded jwk must be refused, and the server must not fetch anything.
func TestLocalNeverFollowsKeyHeaders(t *testing.T) {
	f := newLocalFixture(t, nil)
	testKeys(t)
	attacker := signer{"ec-1", "ES256", ecKeyAttacker}
	evil := newJWKSServer(t, publicJWK(t, attacker, true))
	attackerJWK, err := jwk.Import(ecKeyAttacker.Public())
	if err != nil {
		t.Fatal(err)
	}
	for name, h := range map[string]map[string]any{
		"jku": {"jku": evil.URL},
		"x5u": {"x5u": evil.URL},
		"jwk": {"jwk": attackerJWK},
	} {
		tok := sign(t, attacker, validClaims(f.clock.Now()), h)
		resp, _ := do(t, f.url, bearer(tok))
		if resp.StatusCode != 401 {
			t.Errorf("%s: status %d, want 401", name, resp.StatusCode)
		}
	}
	if n := evil.fetches.Load(); n != 0 {
		t.Fatalf("the attacker's key URL was fetched %d times", n)
	}
}

func TestStrictBase64Decoding(t *testing.T) {
	// The decoders of encoding/base64 skip newlines; parseCompact must not.
	testKeys(t)
	tok := signRS256Raw(t, rsaKey, []byte(`{"alg":"RS256"}`), []byte(`{"a":1}`), base64.RawURLEncoding)
	for _, bad := range []string{
		tok[:5] + "\r\n" + tok[5:],
		tok + "=",
		strings.Replace(tok, ".", "..", 1),
		tok + ".",
		" " + tok,
	} {
		if _, err := parseCompact(bad); err == nil {
			t.Errorf("parseCompact(%q) accepted", bad)
		}
	}
	if _, err := parseCompact(tok); err != nil {
		t.Fatalf("canonical token refused: %v", err)
	}
}

func TestNumericClaims(t *testing.T) {
	c, err := decodeClaims([]byte(`{"i": 42, "f": 1.5, "big": 1e400, "nested": {"n": 7}, "list": [1, 2.5]}`))
	if err != nil {
		t.Fatal(err)
	}
	if c["i"] != int64(42) || c["f"] != 1.5 || c["big"] != "1e400" {
		t.Fatalf("numbers: %#v", c)
	}
	if c["nested"].(map[string]any)["n"] != int64(7) || c["list"].([]any)[1] != 2.5 {
		t.Fatalf("nested numbers: %#v", c)
	}
	now := time.Unix(1_000_000, 0)
	if err := checkTimes(map[string]any{"exp": c["big"]}, now, 0); err != errNumericDate {
		t.Fatalf("out-of-range exp: %v", err)
	}
	if err := checkTimes(map[string]any{"exp": int64(1 << 62)}, now, 0); err != nil {
		t.Fatalf("far-future exp: %v", err)
	}
	if err := checkTimes(map[string]any{"exp": int64(1_000_000)}, now, 0); err != errExpired {
		t.Fatalf("exp == now must be expired: %v", err)
	}
	if err := checkTimes(map[string]any{"exp": true}, now, 0); err != errNumericDate {
		t.Fatalf("boolean exp: %v", err)
	}
}

func TestResourceURLs(t *testing.T) {
	for _, tc := range []struct{ public, meta, resource string }{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp", "http://127.0.0.1:8080/mcp"},
		{"https://mcp.example.com/", "https://mcp.example.com/.well-known/oauth-protected-resource/mcp", "https://mcp.example.com/mcp"},
		{"https://example.com/weather", "https://example.com/.well-known/oauth-protected-resource/weather/mcp", "https://example.com/weather/mcp"},
		{"HTTPS://MCP.Example.COM:443", "https://mcp.example.com/.well-known/oauth-protected-resource/mcp", "https://mcp.example.com/mcp"},
		{"http://Example.com:80/x/", "http://example.com/.well-known/oauth-protected-resource/x/mcp", "http://example.com/x/mcp"},
		{"https://example.com:8443", "https://example.com:8443/.well-known/oauth-protected-resource/mcp", "https://example.com:8443/mcp"},
	} {
		meta, err := ResourceMetadataURL(tc.public)
		if err != nil || meta != tc.meta {
			t.Errorf("ResourceMetadataURL(%q) = %q, %v; want %q", tc.public, meta, err, tc.meta)
		}
		res, err := ResourceURL(tc.public)
		if err != nil || res != tc.resource {
			t.Errorf("ResourceURL(%q) = %q, %v; want %q", tc.public, res, err, tc.resource)
		}
	}
	if _, err := ResourceMetadataURL("127.0.0.1:8080"); err == nil {
		t.Error("relative public URL accepted")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func mustJSON(v any) []byte { return must(json.Marshal(v)) }

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func headers(t testing.TB, h map[string]any) jws.Headers {
	t.Helper()
	hdr := jws.NewHeaders()
	for k, v := range h {
		if err := hdr.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	return hdr
}
