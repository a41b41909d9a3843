package oauth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// The test issuer is a small but real OpenID-Connect-like authorization
// server: it serves discovery documents at the paths chosen by the test, a
// JWKS, an authorization endpoint that approves at once (redirecting back
// with a code, or with an error when told to), and a token endpoint that
// checks client authentication, the redirect URI and the PKCE verifier
// before issuing a JWT access token and an ID token with the nonce.

const (
	testClientID     = "mcp-test-client"
	testClientSecret = "s3cr3t-value-that-must-never-leak"
)

var (
	issuerKeyOnce sync.Once
	issuerKey     *rsa.PrivateKey
	otherKey      *rsa.PrivateKey
)

func issuerKeys(t testing.TB) {
	t.Helper()
	issuerKeyOnce.Do(func() {
		var err error
		if issuerKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if otherKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
}

// Discovery paths a test issuer can serve.
const (
	serve8414          = "8414"          // /.well-known/oauth-authorization-server[/path]
	serveOIDCInserted  = "oidc-inserted" // /.well-known/openid-configuration/path (or root)
	serveOIDCAppended  = "oidc-appended" // /path/.well-known/openid-configuration
	defaultIssuerPath  = ""
	tenantedIssuerPath = "/realms/test"
)

type authCode struct {
	clientID, redirectURI, challenge, nonce, resource, scope string
}

type testIssuer struct {
	t      *testing.T
	srv    *httptest.Server
	issuer string
	path   string

	mu sync.Mutex
	// behaviour, set by tests before use
	serve        map[string]bool
	metaStatus   int                                // non-zero: every discovery path answers this
	metaDelay    time.Duration                      // discovery answers after this long
	metaIssuer   string                             // non-empty: the issuer the document names
	metaBodyRaw  []byte                             // non-nil: the discovery body as is
	metaExtra    map[string]any                     // fields added to the document
	metaDrop     []string                           // fields removed from the document
	metaOverride map[string]any                     // fields replaced in the document
	authError    [2]string                          // error, error_description sent back by /authorize
	tokenStatus  int                                // non-zero: /token answers this with tokenError
	tokenError   map[string]string                  // body of a failing /token
	idNonce      *string                            // non-nil: the nonce put in ID tokens instead of the real one
	idAud        string                             // non-empty: the aud of ID tokens
	idSignOther  bool                               // sign ID tokens with a key not in the JWKS
	idPayload    func(claims map[string]any) []byte // non-nil: the ID token's payload, from its claims
	noIDToken    bool
	sendIss      bool   // add iss to the authorization response (RFC 9207)
	redirectTo   string // non-empty: every request is redirected here

	// observations
	hits     map[string]int
	order    []string // discovery paths in request order
	codes    map[string]authCode
	tokenReq []url.Values
	authReq  []url.Values
}

func newTestIssuer(t *testing.T, path string, serve ...string) *testIssuer {
	t.Helper()
	issuerKeys(t)
	ti := &testIssuer{
		t:     t,
		path:  path,
		serve: map[string]bool{},
		hits:  map[string]int{},
		codes: map[string]authCode{},
	}
	for _, s := range serve {
		ti.serve[s] = true
	}
	ti.srv = httptest.NewServer(http.HandlerFunc(ti.handle))
	t.Cleanup(ti.srv.Close)
	ti.issuer = ti.srv.URL + path
	return ti
}

func (ti *testIssuer) set(f func(ti *testIssuer)) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	f(ti)
}

func (ti *testIssuer) hitCount(path string) int {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	return ti.hits[path]
}

func (ti *testIssuer) discoveryOrder() []string {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	return append([]string(nil), ti.order...)
}

func (ti *testIssuer) lastTokenRequest() url.Values {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	if len(ti.tokenReq) == 0 {
		return nil
	}
	return ti.tokenReq[len(ti.tokenReq)-1]
}

func (ti *testIssuer) tokenRequests() int {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	return len(ti.tokenReq)
}

func (ti *testIssuer) lastAuthRequest() url.Values {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	if len(ti.authReq) == 0 {
		return nil
	}
	return ti.authReq[len(ti.authReq)-1]
}

func (ti *testIssuer) discoveryPaths() map[string]string {
	if ti.path == "" {
		return map[string]string{
			"/.well-known/oauth-authorization-server": serve8414,
			"/.well-known/openid-configuration":       serveOIDCInserted,
		}
	}
	return map[string]string{
		"/.well-known/oauth-authorization-server" + ti.path: serve8414,
		"/.well-known/openid-configuration" + ti.path:       serveOIDCInserted,
		ti.path + "/.well-known/openid-configuration":       serveOIDCAppended,
	}
}

func (ti *testIssuer) handle(w http.ResponseWriter, r *http.Request) {
	ti.mu.Lock()
	ti.hits[r.URL.Path]++
	redirect := ti.redirectTo
	ti.mu.Unlock()
	if redirect != "" {
		http.Redirect(w, r, redirect, http.StatusFound)
		return
	}
	if kind, ok := ti.discoveryPaths()[r.URL.Path]; ok {
		ti.mu.Lock()
		ti.order = append(ti.order, r.URL.Path)
		ti.mu.Unlock()
		ti.serveDiscovery(w, r, kind)
		return
	}
	switch r.URL.Path {
	case ti.path + "/jwks":
		ti.serveJWKS(w)
	case ti.path + "/authorize":
		ti.serveAuthorize(w, r)
	case ti.path + "/token":
		ti.serveToken(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (ti *testIssuer) document() map[string]any {
	doc := map[string]any{
		"issuer":                                ti.issuer,
		"authorization_endpoint":                ti.issuer + "/authorize",
		"token_endpoint":                        ti.issuer + "/token",
		"jwks_uri":                              ti.issuer + "/jwks",
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"authorization_code", "client_credentials"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "tool:user"},
	}
	if ti.metaIssuer != "" {
		doc["issuer"] = ti.metaIssuer
	}
	for k, v := range ti.metaExtra {
		doc[k] = v
	}
	for k, v := range ti.metaOverride {
		doc[k] = v
	}
	for _, k := range ti.metaDrop {
		delete(doc, k)
	}
	return doc
}

func (ti *testIssuer) serveDiscovery(w http.ResponseWriter, r *http.Request, kind string) {
	ti.mu.Lock()
	served, status, delay, raw := ti.serve[kind], ti.metaStatus, ti.metaDelay, ti.metaBodyRaw
	doc := ti.document()
	ti.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if !served {
		http.NotFound(w, r)
		return
	}
	if status != 0 {
		http.Error(w, `{"error":"server_error"}`, status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if raw != nil {
		_, _ = w.Write(raw)
		return
	}
	_ = json.NewEncoder(w).Encode(doc)
}

func (ti *testIssuer) serveJWKS(w http.ResponseWriter) {
	pub, err := jwk.Import(issuerKey.Public())
	if err != nil {
		ti.t.Error(err)
		return
	}
	_ = pub.Set(jwk.KeyIDKey, "issuer-key")
	_ = pub.Set(jwk.AlgorithmKey, jwa.RS256())
	_ = pub.Set(jwk.KeyUsageKey, "sig")
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(set)
}

func (ti *testIssuer) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ti.mu.Lock()
	ti.authReq = append(ti.authReq, q)
	authErr, sendIss := ti.authError, ti.sendIss
	ti.mu.Unlock()
	switch {
	case q.Get("client_id") != testClientID:
		http.Error(w, "unknown client", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code":
		http.Error(w, "unsupported response_type", http.StatusBadRequest)
		return
	case q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43:
		http.Error(w, "PKCE S256 required", http.StatusBadRequest)
		return
	case q.Get("redirect_uri") == "":
		http.Error(w, "redirect_uri required", http.StatusBadRequest)
		return
	}
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	resp := back.Query()
	resp.Set("state", q.Get("state"))
	if sendIss {
		resp.Set("iss", ti.issuer)
	}
	if authErr[0] != "" {
		resp.Set("error", authErr[0])
		resp.Set("error_description", authErr[1])
	} else {
		code := randomToken(16)
		ti.mu.Lock()
		ti.codes[code] = authCode{
			clientID:    q.Get("client_id"),
			redirectURI: q.Get("redirect_uri"),
			challenge:   q.Get("code_challenge"),
			nonce:       q.Get("nonce"),
			resource:    q.Get("resource"),
			scope:       q.Get("scope"),
		}
		ti.mu.Unlock()
		resp.Set("code", code)
	}
	back.RawQuery = resp.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (ti *testIssuer) tokenFail(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func (ti *testIssuer) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		ti.tokenFail(w, http.StatusMethodNotAllowed, "invalid_request", "POST only")
		return
	}
	if err := r.ParseForm(); err != nil {
		ti.tokenFail(w, http.StatusBadRequest, "invalid_request", "bad form")
		return
	}
	form := r.PostForm
	ti.mu.Lock()
	ti.tokenReq = append(ti.tokenReq, form)
	status, body := ti.tokenStatus, ti.tokenError
	ac, ok := ti.codes[form.Get("code")]
	delete(ti.codes, form.Get("code")) // codes are single use
	idNonce, idAud, signOther, noID, idPayload := ti.idNonce, ti.idAud, ti.idSignOther, ti.noIDToken, ti.idPayload
	ti.mu.Unlock()
	if status != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
		return
	}
	user, pass, basic := r.BasicAuth()
	if basic {
		user, _ = url.QueryUnescape(user)
		pass, _ = url.QueryUnescape(pass)
	} else {
		user, pass = form.Get("client_id"), form.Get("client_secret")
	}
	if user != testClientID || pass != testClientSecret {
		ti.tokenFail(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	if form.Get("grant_type") != "authorization_code" {
		ti.tokenFail(w, http.StatusBadRequest, "unsupported_grant_type", "")
		return
	}
	if !ok || ac.clientID != user {
		ti.tokenFail(w, http.StatusBadRequest, "invalid_grant", "unknown or used code")
		return
	}
	if form.Get("redirect_uri") != ac.redirectURI {
		ti.tokenFail(w, http.StatusBadRequest, "invalid_grant", "redirect_uri mismatch")
		return
	}
	sum := sha256.Sum256([]byte(form.Get("code_verifier")))
	if base64.RawURLEncoding.EncodeToString(sum[:]) != ac.challenge {
		ti.tokenFail(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
		return
	}
	now := time.Now().Unix()
	aud := ac.resource
	if aud == "" {
		aud = testClientID
	}
	access := ti.sign(map[string]any{
		"iss": ti.issuer, "sub": "user-ada", "aud": aud, "scope": ac.scope,
		"iat": now, "exp": now + 300, "client_id": testClientID,
	}, false)
	resp := map[string]any{
		"access_token": access,
		"token_type":   "Bearer",
		"expires_in":   300,
		"scope":        ac.scope,
	}
	if !noID {
		nonce := ac.nonce
		if idNonce != nil {
			nonce = *idNonce
		}
		a := testClientID
		if idAud != "" {
			a = idAud
		}
		claims := map[string]any{"iss": ti.issuer, "sub": "user-ada", "aud": a, "iat": now, "exp": now + 300}
		if nonce != "" {
			claims["nonce"] = nonce
		}
		if idPayload != nil {
			resp["id_token"] = ti.signPayload(idPayload(claims), signOther)
		} else {
			resp["id_token"] = ti.sign(claims, signOther)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(resp)
}

func (ti *testIssuer) sign(claims map[string]any, other bool) string {
	payload, err := json.Marshal(claims)
	if err != nil {
		ti.t.Fatal(err)
	}
	return ti.signPayload(payload, other)
}

// signPayload signs payload as it is, which may be JSON no marshaller
// writes (a member named twice, a number beyond float64).
func (ti *testIssuer) signPayload(payload []byte, other bool) string {
	hdr := jws.NewHeaders()
	_ = hdr.Set(jws.KeyIDKey, "issuer-key")
	key := issuerKey
	if other {
		key = otherKey
	}
	tok, err := jws.Sign(payload, jws.WithKey(jwa.RS256(), key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		ti.t.Fatal(err)
	}
	return string(tok)
}

// mustJSON decodes a JSON object body for assertions.
func mustJSON(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, body)
	}
	return m
}

// contains reports whether any of list contains s, for error assertions.
func containsAll(s string, parts ...string) error {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return fmt.Errorf("%q does not contain %q", s, p)
		}
	}
	return nil
}
