package main

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/mcpforge/mcpforge/generator"
)

// claims are the token claims a test caller presents.
type claims map[string]any

// security knows how a variant authenticates callers: the environment the
// server needs and the credentials a client presents for given claims.
type security struct {
	auth       string   // none, jwt-local, jwt-external
	envPrefix  string   // e.g. HTTP_JWT_LOCAL
	env        []string // extra server environment
	issuer     *jwksIssuer
	audience   string // the configured audience; "" means base + "/mcp"
	fullAccess claims // a caller allowed to use every tool
}

func newSecurity(t *testing.T, a variantAnswers) *security {
	t.Helper()
	s := &security{auth: a.Auth, envPrefix: generator.EnvPrefix(a.Name), audience: a.Audience}
	if s.auth == "" {
		s.auth = "none"
	}
	s.fullAccess = claims{"sub": "e2e-user", "scope": "tool:user", "email": "e2e@example.com"}
	switch s.auth {
	case "jwt-local":
		s.issuer = newJWKSIssuer(t)
		s.issuer.audience = s.audience
		s.env = append(s.env,
			s.envPrefix+"_MIDDLEWARE_JWT_LOCAL_ISSUER="+s.issuer.url,
			s.envPrefix+"_MIDDLEWARE_JWT_LOCAL_JWKS_URI="+s.issuer.url+"/jwks",
		)
	case "jwt-external":
		s.env = append(s.env, s.envPrefix+"_MIDDLEWARE_JWT_TRUSTED_PROXIES=127.0.0.1/32")
	}
	return s
}

// credentials returns the header a caller with claims c presents to the
// server at base; c == nil means no credentials.
func (s *security) credentials(t testing.TB, base string, c claims) (name, value string) {
	if c == nil {
		return "", ""
	}
	switch s.auth {
	case "jwt-local":
		return "Authorization", "Bearer " + s.issuer.mint(t, base, c, nil)
	case "jwt-external":
		payload, _ := json.Marshal(c)
		return "X-Jwt-Payload", base64.RawURLEncoding.EncodeToString(payload)
	}
	return "", ""
}

// client returns an HTTP client presenting credentials for c on every request.
func (s *security) client(base string, c claims) *http.Client {
	if s.auth == "none" || c == nil {
		return &http.Client{}
	}
	return &http.Client{Transport: credentialed{s: s, base: base, claims: c}}
}

type credentialed struct {
	s      *security
	base   string
	claims claims
}

func (c credentialed) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	name, value := c.s.credentials(nil, c.base, c.claims)
	req.Header.Set(name, value)
	return http.DefaultTransport.RoundTrip(req)
}

// jwksIssuer is a real JWKS endpoint on 127.0.0.1 and the key behind it.
type jwksIssuer struct {
	url      string
	key      *rsa.PrivateKey
	audience string // fixed audience of minted tokens; "" means base + "/mcp"
	fetches  atomic.Int32
}

const e2eKeyID = "e2e-key-1"

func newJWKSIssuer(t testing.TB) *jwksIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := jwk.Import(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	_ = pub.Set(jwk.KeyIDKey, e2eKeyID)
	_ = pub.Set(jwk.AlgorithmKey, jwa.RS256())
	_ = pub.Set(jwk.KeyUsageKey, "sig")
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	body, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	iss := &jwksIssuer{key: key}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/jwks" {
			http.NotFound(w, r)
			return
		}
		iss.fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "max-age=300")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	iss.url = srv.URL
	return iss
}

// mint signs a token for the MCP server at base: iss, aud (base + "/mcp"),
// iat and exp are filled in unless c sets them. signer overrides the key.
func (i *jwksIssuer) mint(t testing.TB, base string, c claims, signer *rsa.PrivateKey) string {
	return i.mintWith(base, c, jwa.RS256(), signer, e2eKeyID)
}

// mintWith signs with any algorithm and key (an RSA key, or HMAC key bytes)
// under kid. A nil claim value removes that claim.
func (i *jwksIssuer) mintWith(base string, c claims, alg jwa.SignatureAlgorithm, key any, kid string) string {
	payload, err := json.Marshal(i.fullClaims(base, c))
	if err != nil {
		panic(err)
	}
	if key == (*rsa.PrivateKey)(nil) || key == nil {
		key = i.key
	}
	hdr := jws.NewHeaders()
	_ = hdr.Set(jws.KeyIDKey, kid)
	_ = hdr.Set(jws.TypeKey, "JWT")
	tok, err := jws.Sign(payload, jws.WithKey(alg, key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		panic(err)
	}
	return string(tok)
}

// fullClaims are the claims mint signs: iss, aud, iat and exp filled in
// unless c sets them; a nil value in c removes that claim.
func (i *jwksIssuer) fullClaims(base string, c claims) claims {
	full := claims{
		"iss": i.url,
		"aud": base + "/mcp",
		"iat": time.Now().Unix(),
		"exp": time.Now().Add(5 * time.Minute).Unix(),
	}
	if i.audience != "" {
		full["aud"] = i.audience
	}
	for k, v := range c {
		if v == nil {
			delete(full, k)
		} else {
			full[k] = v
		}
	}
	return full
}

// mintRaw signs header and payload exactly as given (RS256 with the
// issuer's key): the only way to put a member twice into a token, or a
// number Go cannot marshal, since jwx and encoding/json write each member
// once.
func (i *jwksIssuer) mintRaw(header, payload []byte) string {
	input := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	digest := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, i.key, crypto.SHA256, digest[:])
	if err != nil {
		panic(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// withRawMembers is the JSON of c with tail (raw JSON members, each
// starting with a comma) appended inside the object.
func withRawMembers(c claims, tail string) []byte {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	return append(b[:len(b)-1:len(b)-1], tail+"}"...)
}

// Reasons of 401s the hostile-claims rows assert, so a row cannot pass by
// failing for another reason than the one it tests.
const (
	reasonBadExp    = "token exp is not a valid NumericDate"
	reasonBadNbf    = "token nbf is not a valid NumericDate"
	reasonBadIat    = "token iat is not a valid NumericDate"
	reasonLifetime  = "maximum token lifetime"
	reasonNoSubject = "token has no subject"
	reasonDuplicate = "names the same member twice"
)

// waitReady polls /ready until it answers 200 (keys loaded) or 15 s pass.
func waitReady(base string) (*http.Response, error) {
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(base + "/ready")
		if err == nil && (resp.StatusCode == http.StatusOK || time.Now().After(deadline)) {
			return resp, nil
		}
		if err == nil {
			resp.Body.Close()
		}
		if time.Now().After(deadline) {
			return nil, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}`

// rawMCP posts one JSON-RPC message to /mcp in the 2025-11-25 era.
func rawMCP(t testing.TB, base, headerName, headerValue, sessionID, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	if headerName != "" {
		req.Header.Set(headerName, headerValue)
	}
	if sessionID != "" {
		req.Header.Set("Mcp-Session-Id", sessionID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /mcp: %v", err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(data)
}

// openSession initializes a 2025-11-25 session with the given credentials.
func openSession(t testing.TB, base, name, value string) string {
	t.Helper()
	resp, body := rawMCP(t, base, name, value, "", initializeBody)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("initialize: %d %s", resp.StatusCode, body)
	}
	id := resp.Header.Get("Mcp-Session-Id")
	if id == "" {
		t.Fatalf("initialize returned no session id")
	}
	resp, body = rawMCP(t, base, name, value, id, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusOK {
		t.Fatalf("notifications/initialized: %d %s", resp.StatusCode, body)
	}
	return id
}

// checkAuth proves the authorization of a generated server over real HTTP.
func checkAuth(t *testing.T, bin string, sec *security, transport string) {
	// The hostile tables fail on purpose many times: a large burst keeps the
	// rate limiter out of their way; it is tested on a server of its own.
	roomy := *sec
	roomy.env = append(append([]string{}, sec.env...), sec.envPrefix+"_MIDDLEWARE_JWT_RATE_LIMIT_BURST=1000")
	p := startServer(t, bin, &roomy, "--transport", transport)
	metadata := p.base + "/.well-known/oauth-protected-resource/mcp"

	t.Run("no credentials", func(t *testing.T) {
		resp, body := rawMCP(t, p.base, "", "", "", initializeBody)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401: %s", resp.StatusCode, body)
		}
		want := `Bearer resource_metadata="` + metadata + `", scope="tool:user"`
		if got := resp.Header.Get("WWW-Authenticate"); got != want {
			t.Errorf("WWW-Authenticate = %q, want %q", got, want)
		}
	})

	t.Run("insufficient scope", func(t *testing.T) {
		name, value := sec.credentials(t, p.base, claims{"sub": "no-scope-user", "scope": "openid"})
		id := openSession(t, p.base, name, value)
		_, list := rawMCP(t, p.base, name, value, id, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
		if strings.Contains(list, "hello_world") || !strings.Contains(list, "whoami") {
			t.Errorf("tools/list for a caller without tool:user should hide hello_world only: %s", list)
		}
		resp, body := rawMCP(t, p.base, name, value, id, `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"hello_world","arguments":{"name":"Ada"}}}`)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("tools/call without scope: status %d, want 403: %s", resp.StatusCode, body)
		}
		want := `Bearer error="insufficient_scope", scope="tool:user", resource_metadata="` + metadata + `"`
		if got := resp.Header.Get("WWW-Authenticate"); got != want {
			t.Errorf("WWW-Authenticate = %q, want %q", got, want)
		}
	})

	t.Run("whoami never returns the raw credentials", func(t *testing.T) {
		name, value := sec.credentials(t, p.base, sec.fullAccess)
		id := openSession(t, p.base, name, value)
		resp, body := rawMCP(t, p.base, name, value, id, `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "e2e-user") {
			t.Fatalf("whoami: %d %s", resp.StatusCode, body)
		}
		raw := strings.TrimPrefix(value, "Bearer ")
		if strings.Contains(body, raw) {
			t.Errorf("whoami leaked the raw credentials: %s", body)
		}
		if strings.Contains(body, "e2e@example.com") {
			t.Errorf("whoami exposed the email claim, which exposed_claims does not list: %s", body)
		}
		// The access log has one JSON line for the call, naming the subject,
		// the MCP method, the tool and the request id it echoed.
		reqID := resp.Header.Get("X-Request-Id")
		found := false
		// The line is written once the handler returns, just after the response.
		for deadline := time.Now().Add(3 * time.Second); !strings.Contains(p.stderr.String(), reqID) && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		for _, line := range strings.Split(p.stderr.String(), "\n") {
			var entry map[string]any
			if json.Unmarshal([]byte(line), &entry) != nil || entry["msg"] != "http request" || entry["request_id"] != reqID {
				continue
			}
			found = true
			if entry["subject"] != "e2e-user" || entry["mcp_method"] != "tools/call" || entry["tool"] != "whoami" || entry["status"] != float64(200) {
				t.Errorf("access log entry = %v", entry)
			}
		}
		if reqID == "" || !found {
			t.Errorf("no JSON access log line for request id %q", reqID)
		}
		if strings.Contains(p.stderr.String(), raw) {
			t.Errorf("the raw credentials appear in the server log")
		}
	})

	t.Run("session bound to its subject", func(t *testing.T) {
		aName, aValue := sec.credentials(t, p.base, sec.fullAccess)
		id := openSession(t, p.base, aName, aValue)
		bName, bValue := sec.credentials(t, p.base, claims{"sub": "mallory", "scope": "tool:user"})
		resp, body := rawMCP(t, p.base, bName, bValue, id, `{"jsonrpc":"2.0","id":5,"method":"tools/list"}`)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("another subject on the session: status %d, want 404: %s", resp.StatusCode, body)
		}
	})

	switch sec.auth {
	case "jwt-local":
		checkLocalTokens(t, p, sec)
		checkMaxTokenLifetime(t, bin, sec, transport)
	case "jwt-external":
		checkExternalTrust(t, bin, sec, transport)
		checkExternalClaims(t, bin, p, &roomy, transport)
	}

	t.Run("failed attempts are rate limited", func(t *testing.T) {
		p := startServer(t, bin, sec, "--transport", transport)
		var last *http.Response
		for i := 0; i < 30; i++ {
			resp, _ := rawMCP(t, p.base, "Authorization", "Bearer not.a.token", "", initializeBody)
			last = resp
			if resp.StatusCode == http.StatusTooManyRequests {
				break
			}
		}
		if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
			t.Errorf("after 30 failures: status %d, Retry-After %q; want 429 with Retry-After", last.StatusCode, last.Header.Get("Retry-After"))
		}
	})
}

func checkLocalTokens(t *testing.T, p *serverProcess, sec *security) {
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&sec.issuer.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	iss := sec.issuer
	user := func(extra claims) claims {
		c := claims{"sub": "e2e-user", "scope": "tool:user"}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	valid := iss.mint(t, p.base, user(nil), nil)
	parts := strings.Split(valid, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin","scope":"tool:user tool:admin","iss":"`+iss.url+`","aud":"`+p.base+`/mcp","exp":9999999999}`)) + "." + parts[2]

	rsHeader := []byte(`{"alg":"RS256","kid":"` + e2eKeyID + `","typ":"JWT"}`)
	// raw is the token of user(nil) with members appended as raw JSON
	// after drop is removed.
	raw := func(drop, tail string) string {
		c := iss.fullClaims(p.base, user(nil))
		delete(c, drop)
		return "Bearer " + iss.mintRaw(rsHeader, withRawMembers(c, tail))
	}
	hostile := []struct {
		name   string
		header string
		reason string
	}{
		{"exp 1e30", "Bearer " + iss.mint(t, p.base, user(claims{"exp": 1e30}), nil), reasonBadExp},
		{"exp 1e400", raw("exp", `,"exp":1e400`), reasonBadExp},
		{"exp beyond the year 9999", "Bearer " + iss.mint(t, p.base, user(claims{"exp": int64(253402300800)}), nil), reasonBadExp},
		{"negative exp", "Bearer " + iss.mint(t, p.base, user(claims{"exp": -1}), nil), reasonBadExp},
		{"non-numeric exp", "Bearer " + iss.mint(t, p.base, user(claims{"exp": "9999999999"}), nil), reasonBadExp},
		{"exp NaN string", "Bearer " + iss.mint(t, p.base, user(claims{"exp": "NaN"}), nil), reasonBadExp},
		{"exp Infinity string", "Bearer " + iss.mint(t, p.base, user(claims{"exp": "Infinity"}), nil), reasonBadExp},
		{"negative nbf", "Bearer " + iss.mint(t, p.base, user(claims{"nbf": -1}), nil), reasonBadNbf},
		{"nbf beyond the year 9999", "Bearer " + iss.mint(t, p.base, user(claims{"nbf": 1e30}), nil), reasonBadNbf},
		{"non-numeric nbf", "Bearer " + iss.mint(t, p.base, user(claims{"nbf": "0"}), nil), reasonBadNbf},
		{"nbf -Infinity string", "Bearer " + iss.mint(t, p.base, user(claims{"nbf": "-Infinity"}), nil), reasonBadNbf},
		{"negative iat", "Bearer " + iss.mint(t, p.base, user(claims{"iat": -1e30}), nil), reasonBadIat},
		{"iat beyond the year 9999", "Bearer " + iss.mint(t, p.base, user(claims{"iat": int64(253402300800)}), nil), reasonBadIat},
		{"non-numeric iat", "Bearer " + iss.mint(t, p.base, user(claims{"iat": "now"}), nil), reasonBadIat},
		{"iat NaN string", "Bearer " + iss.mint(t, p.base, user(claims{"iat": "NaN"}), nil), reasonBadIat},
		{"lifetime beyond the 24h maximum", "Bearer " + iss.mint(t, p.base, user(claims{"exp": time.Now().Add(25 * time.Hour).Unix()}), nil), reasonLifetime},
		{"exp at the end of the year 9999", "Bearer " + iss.mint(t, p.base, user(claims{"exp": int64(253402300799)}), nil), reasonLifetime},
		{"missing sub", "Bearer " + iss.mint(t, p.base, user(claims{"sub": nil}), nil), reasonNoSubject},
		{"empty sub", "Bearer " + iss.mint(t, p.base, user(claims{"sub": ""}), nil), reasonNoSubject},
		{"numeric sub", "Bearer " + iss.mint(t, p.base, user(claims{"sub": 42}), nil), reasonNoSubject},
		{"null sub", raw("sub", `,"sub":null`), reasonNoSubject},
		{"duplicate sub in the payload", raw("", `,"sub":"admin"`), reasonDuplicate},
		{"duplicate sub spelled with an escape", raw("", `,"\u0073ub":"admin"`), reasonDuplicate},
		{"duplicate key nested in an object claim", raw("", `,"org":{"id":"acme","id":"evil"}`), reasonDuplicate},
		{"duplicate key in an object in a list claim", raw("", `,"orgs":[{"id":"acme","id":"evil"}]`), reasonDuplicate},
		{"duplicate alg in the JWT header", "Bearer " + iss.mintRaw([]byte(`{"alg":"none","alg":"RS256","kid":"`+e2eKeyID+`"}`), withRawMembers(iss.fullClaims(p.base, user(nil)), "")), reasonDuplicate},
		{"duplicate kid in the JWT header", "Bearer " + iss.mintRaw([]byte(`{"alg":"RS256","kid":"`+e2eKeyID+`","kid":"`+e2eKeyID+`"}`), withRawMembers(iss.fullClaims(p.base, user(nil)), "")), reasonDuplicate},
	}
	for _, c := range hostile {
		t.Run(c.name, func(t *testing.T) {
			resp, body := rawMCP(t, p.base, "Authorization", c.header, "", initializeBody)
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, c.reason) {
				t.Fatalf("status %d, body %s; want 401 naming %q", resp.StatusCode, body, c.reason)
			}
			if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), `Bearer error="invalid_token", `) {
				t.Errorf("WWW-Authenticate = %q, want an invalid_token challenge", resp.Header.Get("WWW-Authenticate"))
			}
			if strings.Contains(body, strings.TrimPrefix(c.header, "Bearer ")) {
				t.Errorf("the response echoes the token: %s", body)
			}
		})
	}
	// The controls of the rows above: the same server takes a token for
	// just under the maximum lifetime, a raw-signed token, and the same
	// member name in different objects.
	for name, header := range map[string]string{
		"lifetime within the 24h maximum":    "Bearer " + iss.mint(t, p.base, user(claims{"exp": time.Now().Add(23 * time.Hour).Unix()}), nil),
		"raw-signed token":                   raw("", ""),
		"same member name in nested objects": raw("", `,"org":{"sub":"x","unit":{"sub":"y"}}`),
	} {
		t.Run(name, func(t *testing.T) {
			if resp, body := rawMCP(t, p.base, "Authorization", header, "", initializeBody); resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200: %s", resp.StatusCode, body)
			}
		})
	}

	cases := []struct {
		name   string
		header string // full Authorization value; "" = none
		query  string // appended to /mcp
		want   int
	}{
		{"no token", "", "", http.StatusUnauthorized},
		{"alg none", "Bearer " + base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"`+e2eKeyID+`"}`)) + "." +
			base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"e2e-user","scope":"tool:user","iss":"`+iss.url+`","aud":"`+p.base+`/mcp","exp":9999999999}`)) + ".", "", http.StatusUnauthorized},
		{"HS256 signed with the RSA public key", "Bearer " + iss.mintWith(p.base, user(nil), jwa.HS256(), pubPEM, e2eKeyID), "", http.StatusUnauthorized},
		{"expired", "Bearer " + iss.mint(t, p.base, user(claims{"exp": time.Now().Add(-time.Hour).Unix()}), nil), "", http.StatusUnauthorized},
		{"nbf in the future", "Bearer " + iss.mint(t, p.base, user(claims{"nbf": time.Now().Add(time.Hour).Unix()}), nil), "", http.StatusUnauthorized},
		{"no exp", "Bearer " + iss.mint(t, p.base, user(claims{"exp": nil}), nil), "", http.StatusUnauthorized},
		{"wrong iss", "Bearer " + iss.mint(t, p.base, user(claims{"iss": "https://evil.example"}), nil), "", http.StatusUnauthorized},
		{"wrong aud", "Bearer " + iss.mint(t, p.base, user(claims{"aud": "http://127.0.0.1:1/mcp"}), nil), "", http.StatusUnauthorized},
		{"unknown kid", "Bearer " + iss.mintWith(p.base, user(nil), jwa.RS256(), iss.key, "no-such-key"), "", http.StatusUnauthorized},
		{"tampered payload", "Bearer " + tampered, "", http.StatusUnauthorized},
		{"bad signature", "Bearer " + iss.mint(t, p.base, user(nil), otherKey), "", http.StatusUnauthorized},
		{"malformed", "Bearer not.a.token", "", http.StatusUnauthorized},
		{"over 8 KiB", "Bearer " + iss.mint(t, p.base, user(claims{"pad": strings.Repeat("x", 9000)}), nil), "", http.StatusUnauthorized},
		{"lower-case bearer", "bearer " + valid, "", http.StatusOK},
		{"token in the query string", "", "?access_token=" + valid, http.StatusUnauthorized},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, p.base+"/mcp"+c.query, strings.NewReader(initializeBody))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			if c.header != "" {
				req.Header.Set("Authorization", c.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.want, body)
			}
			challenge := resp.Header.Get("WWW-Authenticate")
			switch {
			case c.want != http.StatusUnauthorized:
			case c.header == "":
				if strings.Contains(challenge, "error=") {
					t.Errorf("no token was presented, yet the challenge names an error: %q", challenge)
				}
			default:
				if !strings.HasPrefix(challenge, `Bearer error="invalid_token", resource_metadata="`) {
					t.Errorf("WWW-Authenticate = %q, want an invalid_token challenge", challenge)
				}
			}
			if token := strings.TrimPrefix(strings.TrimPrefix(c.header, "Bearer "), "bearer "); token != "" && strings.Contains(string(body), token) {
				t.Errorf("the response echoes the token: %s", body)
			}
		})
	}
	if n := sec.issuer.fetches.Load(); n < 1 {
		t.Errorf("the server never fetched the JWKS (fetches = %d)", n)
	}
}

// checkExternalTrust proves that forwarded claims are believed only from a
// trusted proxy (and, when configured, with the shared secret): the same
// header from an untrusted peer or with a wrong secret gets 401.
func checkExternalTrust(t *testing.T, bin string, sec *security, transport string) {
	t.Run("forged claims header from an untrusted peer", func(t *testing.T) {
		untrusted := &security{auth: sec.auth, envPrefix: sec.envPrefix, fullAccess: sec.fullAccess,
			env: []string{sec.envPrefix + "_MIDDLEWARE_JWT_TRUSTED_PROXIES=10.255.0.0/16"}}
		p := startServer(t, bin, untrusted, "--transport", transport)
		name, value := untrusted.credentials(t, p.base, claims{"sub": "admin", "scope": "tool:user"})
		resp, body := rawMCP(t, p.base, name, value, "", initializeBody)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("forged header accepted: status %d: %s", resp.StatusCode, body)
		}
	})
	t.Run("shared secret", func(t *testing.T) {
		withSecret := &security{auth: sec.auth, envPrefix: sec.envPrefix, fullAccess: sec.fullAccess, env: append(append([]string{}, sec.env...),
			sec.envPrefix+"_MIDDLEWARE_JWT_EXTERNAL_SHARED_SECRET_HEADER=X-Proxy-Secret",
			sec.envPrefix+"_MIDDLEWARE_JWT_EXTERNAL_SHARED_SECRET=correct-horse-battery-staple")}
		p := startServer(t, bin, withSecret, "--transport", transport)
		name, value := withSecret.credentials(t, p.base, sec.fullAccess)
		for _, c := range []struct {
			secret string
			want   int
		}{{"", http.StatusUnauthorized}, {"wrong", http.StatusUnauthorized}, {"correct-horse-battery-staple", http.StatusOK}} {
			req, _ := http.NewRequest(http.MethodPost, p.base+"/mcp", strings.NewReader(initializeBody))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			req.Header.Set(name, value)
			if c.secret != "" {
				req.Header.Set("X-Proxy-Secret", c.secret)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Errorf("trusted peer with secret %q: status %d, want %d", c.secret, resp.StatusCode, c.want)
			}
		}
		if strings.Contains(p.stderr.String(), "correct-horse-battery-staple") {
			t.Errorf("the shared secret appears in the server log")
		}
	})
}

// checkMaxTokenLifetime proves that middleware.jwt.local.max_token_lifetime
// reaches the server: "0s" turns the check off, a shorter value tightens it.
func checkMaxTokenLifetime(t *testing.T, bin string, sec *security, transport string) {
	for _, c := range []struct {
		setting string
		exp     time.Duration
		want    int
	}{
		{"0s", 400 * 24 * time.Hour, http.StatusOK},
		{"1h", 2 * time.Hour, http.StatusUnauthorized},
	} {
		t.Run("max_token_lifetime "+c.setting, func(t *testing.T) {
			configured := *sec
			configured.env = append(append([]string{}, sec.env...), sec.envPrefix+"_MIDDLEWARE_JWT_LOCAL_MAX_TOKEN_LIFETIME="+c.setting)
			p := startServer(t, bin, &configured, "--transport", transport)
			if resp, err := waitReady(p.base); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("server not ready: %v", err)
			}
			tok := sec.issuer.mint(t, p.base, claims{"sub": "e2e-user", "scope": "tool:user", "exp": time.Now().Add(c.exp).Unix()}, nil)
			resp, body := rawMCP(t, p.base, "Authorization", "Bearer "+tok, "", initializeBody)
			if resp.StatusCode != c.want {
				t.Fatalf("token for %s: status %d, want %d: %s", c.exp, resp.StatusCode, c.want, body)
			}
			if c.want == http.StatusUnauthorized && !strings.Contains(body, reasonLifetime) {
				t.Fatalf("body %s does not name the lifetime", body)
			}
		})
	}
}

// checkExternalClaims is the hostile-claims table of jwt-external: the
// proxy is trusted to have checked the token, not to have checked what
// this server relies on (a subject of its own for every caller, time
// claims it can represent, one reading of every member). p is a server
// that trusts the test client as its proxy.
func checkExternalClaims(t *testing.T, bin string, p *serverProcess, sec *security, transport string) {
	user := claims{"sub": "e2e-user", "scope": "tool:user", "exp": time.Now().Add(5 * time.Minute).Unix()}
	with := func(extra claims) claims {
		c := claims{}
		for k, v := range user {
			c[k] = v
		}
		for k, v := range extra {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	plain := func(c claims) []byte { return withRawMembers(c, "") }
	rows := []struct {
		name    string
		payload []byte
		reason  string // "" means accepted
	}{
		{"valid", plain(user), ""},
		{"same member name in nested objects", withRawMembers(user, `,"org":{"sub":"x","unit":{"sub":"y"}}`), ""},
		{"missing sub", plain(with(claims{"sub": nil})), reasonNoSubject},
		{"empty sub", plain(with(claims{"sub": ""})), reasonNoSubject},
		{"numeric sub", plain(with(claims{"sub": 42})), reasonNoSubject},
		{"null sub", withRawMembers(with(claims{"sub": nil}), `,"sub":null`), reasonNoSubject},
		{"duplicate sub", withRawMembers(user, `,"sub":"admin"`), reasonDuplicate},
		{"duplicate sub spelled with an escape", withRawMembers(user, `,"\u0073ub":"admin"`), reasonDuplicate},
		{"duplicate key nested in an object claim", withRawMembers(user, `,"org":{"id":"acme","id":"evil"}`), reasonDuplicate},
		{"exp 1e30", plain(with(claims{"exp": 1e30})), reasonBadExp},
		{"exp 1e400", withRawMembers(with(claims{"exp": nil}), `,"exp":1e400`), reasonBadExp},
		{"exp beyond the year 9999", plain(with(claims{"exp": int64(253402300800)})), reasonBadExp},
		{"negative exp", plain(with(claims{"exp": -1})), reasonBadExp},
		{"non-numeric exp", plain(with(claims{"exp": "9999999999"})), reasonBadExp},
		{"exp NaN string", plain(with(claims{"exp": "NaN"})), reasonBadExp},
		{"negative nbf", plain(with(claims{"nbf": -1})), reasonBadNbf},
		{"nbf Infinity string", plain(with(claims{"nbf": "Infinity"})), reasonBadNbf},
		{"iat beyond the year 9999", plain(with(claims{"iat": 1e30})), reasonBadIat},
		{"negative iat", plain(with(claims{"iat": -5})), reasonBadIat},
	}
	check := func(t *testing.T, base, value, reason string) {
		t.Helper()
		resp, body := rawMCP(t, base, "X-Jwt-Payload", value, "", initializeBody)
		if reason == "" {
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200: %s", resp.StatusCode, body)
			}
			return
		}
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, reason) {
			t.Fatalf("status %d, body %s; want 401 naming %q", resp.StatusCode, body, reason)
		}
		if strings.Contains(body, value) {
			t.Errorf("the response echoes the claims header: %s", body)
		}
	}
	for _, r := range rows {
		t.Run("claims header: "+r.name, func(t *testing.T) {
			check(t, p.base, base64.RawURLEncoding.EncodeToString(r.payload), r.reason)
		})
	}

	// header_format "jwt": the proxy forwards the whole token; a member
	// named twice in its header is refused like one in its payload.
	t.Run("forwarded JWT", func(t *testing.T) {
		jwtFormat := *sec
		jwtFormat.env = append(append([]string{}, sec.env...), sec.envPrefix+"_MIDDLEWARE_JWT_EXTERNAL_HEADER_FORMAT=jwt")
		q := startServer(t, bin, &jwtFormat, "--transport", transport)
		enc := base64.RawURLEncoding.EncodeToString
		sig := enc([]byte("signature checked by the proxy"))
		hdr := enc([]byte(`{"alg":"RS256","typ":"JWT"}`))
		for _, r := range rows {
			t.Run(r.name, func(t *testing.T) { check(t, q.base, hdr+"."+enc(r.payload)+"."+sig, r.reason) })
		}
		t.Run("duplicate alg in the JWT header", func(t *testing.T) {
			check(t, q.base, enc([]byte(`{"alg":"none","alg":"RS256"}`))+"."+enc(plain(user))+"."+sig, reasonDuplicate)
		})
	})
}
