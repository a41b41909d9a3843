package auth

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math"
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
	srv := httptest.NewServer(guarded(a, echoIdentity))
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
	// rawClaims is the valid payload with members appended as raw JSON, the
	// only way to send duplicate names or numbers Go cannot marshal. drop
	// names a member to leave out first.
	rawClaims := func(drop, tail string) []byte {
		c := validClaims(now)
		delete(c, drop)
		b := mustJSON(c)
		return append(b[:len(b)-1:len(b)-1], tail+"}"...)
	}
	rawToken := func(hdr, payload []byte) string {
		return "Bearer " + signRS256Raw(t, rsaKey, hdr, payload, base64.RawURLEncoding)
	}
	nestedDup := strings.Replace(string(claimsJSON), `"tenant":{"id":"acme"}`, `"tenant":{"id":"acme","id":"evil"}`, 1)
	if nestedDup == string(claimsJSON) {
		t.Fatal("the tenant claim is not where the nested duplicate expects it")
	}

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

		// Time claims are finite numbers from 0 to the end of the year 9999,
		// never clamped into range.
		{"exp 1e30", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["exp"] = 1e30 }), nil), "", 401, challengeInvalid},
		{"exp 1e400", rawToken(rsHeader, rawClaims("exp", `,"exp":1e400`)), "", 401, challengeInvalid},
		{"exp beyond the year 9999", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["exp"] = int64(253402300800) }), nil), "", 401, challengeInvalid},
		{"exp beyond int64", rawToken(rsHeader, rawClaims("exp", `,"exp":92233720368547758070`)), "", 401, challengeInvalid},
		{"negative exp", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["exp"] = -1 }), nil), "", 401, challengeInvalid},
		{"exp NaN string", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["exp"] = "NaN" }), nil), "", 401, challengeInvalid},
		{"exp Infinity string", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["exp"] = "Infinity" }), nil), "", 401, challengeInvalid},
		{"exp null", rawToken(rsHeader, rawClaims("exp", `,"exp":null`)), "", 401, challengeInvalid},
		{"negative nbf", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["nbf"] = -1 }), nil), "", 401, challengeInvalid},
		{"nbf beyond the year 9999", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["nbf"] = 1e30 }), nil), "", 401, challengeInvalid},
		{"negative iat", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["iat"] = -1e30 }), nil), "", 401, challengeInvalid},
		{"iat beyond the year 9999", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["iat"] = int64(253402300800) }), nil), "", 401, challengeInvalid},
		{"string iat", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["iat"] = "1" }), nil), "", 401, challengeInvalid},

		// The maximum token lifetime (24h by default) plus leeway.
		{"lifetime at the maximum", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["exp"] = now.Add(24*time.Hour + 20*time.Second).Unix() }), nil), "", 200, ""},
		{"lifetime beyond the maximum", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["exp"] = now.Add(25 * time.Hour).Unix() }), nil), "", 401, challengeInvalid},
		{"exp at the end of the year 9999", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["exp"] = int64(253402300799) }), nil), "", 401, challengeInvalid},

		// Every caller has a subject of its own.
		{"no sub", "Bearer " + sign(t, rs, with(func(c map[string]any) { delete(c, "sub") }), nil), "", 401, challengeInvalid},
		{"empty sub", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["sub"] = "" }), nil), "", 401, challengeInvalid},
		{"numeric sub", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["sub"] = 42 }), nil), "", 401, challengeInvalid},
		{"null sub", rawToken(rsHeader, rawClaims("sub", `,"sub":null`)), "", 401, challengeInvalid},
		{"list sub", "Bearer " + sign(t, rs, with(func(c map[string]any) { c["sub"] = []string{"alice"} }), nil), "", 401, challengeInvalid},

		// A member named twice is refused, whichever copy a parser believes.
		{"duplicate sub", rawToken(rsHeader, rawClaims("", `,"sub":"admin"`)), "", 401, challengeInvalid},
		{"duplicate sub spelled with an escape", rawToken(rsHeader, rawClaims("", `,"\u0073ub":"admin"`)), "", 401, challengeInvalid},
		{"duplicate key in a nested claim", rawToken(rsHeader, []byte(nestedDup)), "", 401, challengeInvalid},
		{"duplicate key in a list element", rawToken(rsHeader, rawClaims("", `,"x":[{"a":1,"a":2}]`)), "", 401, challengeInvalid},
		{"duplicate alg in the header", rawToken([]byte(`{"alg":"HS256","alg":"RS256","kid":"rsa-1"}`), claimsJSON), "", 401, challengeInvalid},
		{"duplicate kid in the header", rawToken([]byte(`{"alg":"RS256","kid":"rsa-1","kid":"rsa-1"}`), claimsJSON), "", 401, challengeInvalid},
		{"same name in different objects", rawToken(rsHeader, rawClaims("", `,"x":{"sub":"a","y":{"sub":"b"}}`)), "", 200, ""},
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
	"string exp":                           errBadExp,
	"string nbf":                           errBadNbf,
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

	"exp 1e30":                             errBadExp,
	"exp 1e400":                            errBadExp,
	"exp beyond the year 9999":             errBadExp,
	"exp beyond int64":                     errBadExp,
	"negative exp":                         errBadExp,
	"exp NaN string":                       errBadExp,
	"exp Infinity string":                  errBadExp,
	"exp null":                             errBadExp,
	"negative nbf":                         errBadNbf,
	"nbf beyond the year 9999":             errBadNbf,
	"negative iat":                         errBadIat,
	"iat beyond the year 9999":             errBadIat,
	"string iat":                           errBadIat,
	"lifetime beyond the maximum":          errLifetime,
	"exp at the end of the year 9999":      errLifetime,
	"no sub":                               errNoSubject,
	"empty sub":                            errNoSubject,
	"numeric sub":                          errNoSubject,
	"null sub":                             errNoSubject,
	"list sub":                             errNoSubject,
	"duplicate sub":                        errDuplicateKey,
	"duplicate sub spelled with an escape": errDuplicateKey,
	"duplicate key in a nested claim":      errDuplicateKey,
	"duplicate key in a list element":      errDuplicateKey,
	"duplicate alg in the header":          errDuplicateKey,
	"duplicate kid in the header":          errDuplicateKey,
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
	if _, err := a.local.token(t.Context(), sign(t, s, validClaims(clock.Now()), nil)); err != nil {
		t.Fatalf("PS256: %v", err)
	}
	if _, err := a.local.token(t.Context(), sign(t, signer{"pss", "RS256", rsaKey2}, validClaims(clock.Now()), nil)); err != errAlgorithm {
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
	for _, tc := range []struct {
		name   string
		claims map[string]any
		max    time.Duration
		want   error
	}{
		{"exp beyond float64", map[string]any{"exp": c["big"]}, 0, errBadExp},
		{"exp 2^62", map[string]any{"exp": int64(1 << 62)}, 0, errBadExp},
		{"exp 1e30", map[string]any{"exp": 1e30}, 0, errBadExp},
		{"exp NaN", map[string]any{"exp": math.NaN()}, 0, errBadExp},
		{"exp +Inf", map[string]any{"exp": math.Inf(1)}, 0, errBadExp},
		{"exp -Inf", map[string]any{"exp": math.Inf(-1)}, 0, errBadExp},
		{"exp -0.5", map[string]any{"exp": -0.5}, 0, errBadExp},
		{"exp boolean", map[string]any{"exp": true}, 0, errBadExp},
		{"exp == now is expired", map[string]any{"exp": int64(1_000_000)}, 0, errExpired},
		{"exp at the last second of 9999", map[string]any{"exp": int64(maxNumericDate)}, 0, nil},
		{"exp just past it", map[string]any{"exp": maxNumericDate + 0.5}, 0, errBadExp},
		{"fractional exp at the limit", map[string]any{"exp": float64(maxNumericDate)}, 0, nil},
		// A malformed nbf or iat is refused even when exp alone would
		// already refuse the token, and whatever their values would say.
		{"bad nbf and expired", map[string]any{"exp": int64(1), "nbf": "x"}, 0, errBadNbf},
		{"iat NaN", map[string]any{"exp": int64(2_000_000), "iat": math.NaN()}, 0, errBadIat},
		{"nbf -1", map[string]any{"exp": int64(2_000_000), "nbf": int64(-1)}, 0, errBadNbf},
		{"nbf 0", map[string]any{"exp": int64(2_000_000), "nbf": int64(0), "iat": 0.0}, 0, nil},
		{"lifetime within the maximum", map[string]any{"exp": int64(1_000_000 + 3600)}, time.Hour, nil},
		{"lifetime beyond the maximum", map[string]any{"exp": int64(1_000_000 + 3601)}, time.Hour, errLifetime},
		{"no maximum", map[string]any{"exp": int64(maxNumericDate)}, 0, nil},
	} {
		if err := checkTimes(tc.claims, now, 0, tc.max); err != tc.want {
			t.Errorf("%s: checkTimes = %v, want %v", tc.name, err, tc.want)
		}
	}
	// Leeway widens the maximum lifetime as it widens the expiry.
	if err := checkTimes(map[string]any{"exp": int64(1_000_000 + 3630)}, now, 30*time.Second, time.Hour); err != nil {
		t.Errorf("lifetime within the maximum plus leeway: %v", err)
	}
	if err := checkTimes(map[string]any{"exp": int64(1_000_000 + 3631)}, now, 30*time.Second, time.Hour); err != errLifetime {
		t.Errorf("lifetime beyond the maximum plus leeway: %v", err)
	}
}

func TestDecodeClaimsDuplicates(t *testing.T) {
	for _, tc := range []struct {
		json string
		want error
	}{
		{`{"sub":"a","sub":"admin"}`, errDuplicateKey},
		{`{"sub":"a","\u0073ub":"admin"}`, errDuplicateKey},
		{`{"a":{"b":1,"c":{"d":[{"e":1,"e":1}]}}}`, errDuplicateKey},
		{`{"a":{"b":1,"b":null}}`, errDuplicateKey},
		{`{"a":[{"b":1},{"b":1}],"c":{"b":1}}`, nil},
		{`{"sub":"a","Sub":"b"}`, nil}, // names are case-sensitive
		{`{"":1,"":2}`, errDuplicateKey},
		{`{"a" : 1, "b":{"a" :2}, "a"` + "\n\t:3}", errDuplicateKey},
		{`{"k":"a\"b","a\"b":1,"x":"a\"b"}`, nil}, // escaped quotes do not end names
		{`{"a\"b":1,"a\"b":2}`, errDuplicateKey},
		{`{"é":1,"\u00e9":2}`, errDuplicateKey},
		{"{\"\xff\":1,\"\xfe\":2}", errDuplicateKey}, // both names decode to U+FFFD
		{`{"a":"b:","c":[":"]}`, nil},
		{`{"sub":"","\u0073ub"`, errMalformed}, // malformed first
		{`{"a":1,}`, errMalformed},
		{`{"a":[1,]}`, errMalformed},
		{`{"a" 1}`, errMalformed},
		{`{1:2}`, errMalformed},
		{`{"a":1}}`, errMalformed},
		{`{"a":1} {"a":2}`, errMalformed},
		{`{"a":1`, errMalformed},
		{`{"a":]}`, errMalformed},
		{`[{"a":1}]`, errMalformed},
		{` {"a":1} `, nil},
	} {
		_, err := decodeClaims([]byte(tc.json))
		if err != tc.want {
			t.Errorf("decodeClaims(%s) = %v, want %v", tc.json, err, tc.want)
		}
	}
	// encoding/json refuses nesting beyond 10000 levels.
	deep := strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001)
	if _, err := decodeClaims([]byte(deep)); err != errMalformed {
		t.Errorf("nesting beyond 10000 levels: %v", err)
	}
	deep = strings.Repeat(`{"a":[`, 4000) + "1" + strings.Repeat("]}", 4000)
	if _, err := decodeClaims([]byte(deep)); err != nil {
		t.Errorf("nesting of 8000 levels: %v", err)
	}
	deep = strings.Repeat(`{"a":{"b":1,"b":2},"c":[`, 3000) + "1" + strings.Repeat("]}", 3000)
	if _, err := decodeClaims([]byte(deep)); err != errDuplicateKey {
		t.Errorf("duplicates at every level of deep nesting: %v", err)
	}
}

func TestLocalMaxTokenLifetime(t *testing.T) {
	for _, tc := range []struct {
		name   string
		max    time.Duration
		exp    time.Duration // from now
		status int
	}{
		{"off: a token for a year", 0, 365 * 24 * time.Hour, 200},
		{"1h: within", time.Hour, time.Hour, 200},
		{"1h: beyond, leeway included", time.Hour, time.Hour + 31*time.Second, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newLocalFixture(t, func(c *config.Auth) { c.Local.MaxTokenLifetime.Duration = tc.max })
			claims := validClaims(f.clock.Now())
			claims["exp"] = f.clock.Now().Add(tc.exp).Unix()
			resp, body := do(t, f.url, bearer(sign(t, rsaSigner(t), claims, nil)))
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.status == 401 && !strings.Contains(body, string(errLifetime)) {
				t.Fatalf("body %s does not give the reason %q", body, errLifetime)
			}
		})
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

// checkTimes is parseTimes and check in one.
func checkTimes(claims map[string]any, now time.Time, leeway, maxLifetime time.Duration) error {
	tt, err := parseTimes(claims)
	if err != nil {
		return err
	}
	return tt.check(now, leeway, maxLifetime)
}
