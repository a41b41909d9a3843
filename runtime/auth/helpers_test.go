package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/mcpforge/mcpforge/runtime/config"
)

const (
	testIssuer    = "https://issuer.test/"
	testPublicURL = "http://127.0.0.1:8080"
	testAudience  = testPublicURL + "/mcp"
	testMetaURL   = testPublicURL + "/.well-known/oauth-protected-resource/mcp"
)

// signer is a private key with the kid and algorithm it signs with.
type signer struct {
	kid string
	alg string
	key crypto.Signer
}

var (
	keysOnce             sync.Once
	rsaKey, rsaKey2      *rsa.PrivateKey
	ecKey, ecKeyAttacker *ecdsa.PrivateKey
	edKey                ed25519.PrivateKey
)

// testKeys generates the keys once per test binary: RSA generation is slow.
func testKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if rsaKey2, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
		if ecKeyAttacker, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
		if _, edKey, err = ed25519.GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
	})
}

func rsaSigner(t testing.TB) signer { testKeys(t); return signer{"rsa-1", "RS256", rsaKey} }
func rsa2Signer(t testing.TB) signer {
	testKeys(t)
	return signer{"rsa-2", "RS256", rsaKey2}
}
func ecSigner(t testing.TB) signer { testKeys(t); return signer{"ec-1", "ES256", ecKey} }
func edSigner(t testing.TB) signer { testKeys(t); return signer{"ed-1", "EdDSA", edKey} }

// publicJWK renders the public half of s as a JWK with kid and alg.
func publicJWK(t testing.TB, s signer, withAlg bool) json.RawMessage {
	t.Helper()
	k, err := jwk.Import(s.key.Public())
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Set(jwk.KeyIDKey, s.kid); err != nil {
		t.Fatal(err)
	}
	if withAlg {
		alg, ok := jwa.LookupSignatureAlgorithm(s.alg)
		if !ok {
			t.Fatalf("unknown alg %s", s.alg)
		}
		if err := k.Set(jwk.AlgorithmKey, alg); err != nil {
			t.Fatal(err)
		}
	}
	b, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jwksServer is a real JWKS endpoint on 127.0.0.1 whose keys, status and
// Cache-Control the test changes while it runs; it counts the fetches.
type jwksServer struct {
	*httptest.Server
	fetches atomic.Int64

	mu           sync.Mutex
	keys         []json.RawMessage
	body         []byte // overrides keys when set
	status       int
	cacheControl string
	delay        time.Duration
}

func newJWKSServer(t testing.TB, keys ...json.RawMessage) *jwksServer {
	t.Helper()
	s := &jwksServer{keys: keys, status: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		keys, body, status, cc, delay := s.keys, s.body, s.status, s.cacheControl, s.delay
		s.mu.Unlock()
		if delay > 0 {
			time.Sleep(delay)
		}
		if cc != "" {
			w.Header().Set("Cache-Control", cc)
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.WriteHeader(status)
		if body == nil {
			if keys == nil {
				keys = []json.RawMessage{}
			}
			body, _ = json.Marshal(map[string]any{"keys": keys})
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) setKeys(keys ...json.RawMessage) {
	s.mu.Lock()
	s.keys = keys
	s.mu.Unlock()
}

func (s *jwksServer) set(f func(s *jwksServer)) {
	s.mu.Lock()
	f(s)
	s.mu.Unlock()
}

// localConfig is a jwt-local configuration against jwksURL.
func localConfig(jwksURL string) config.Auth {
	c := config.DefaultAuth()
	c.Strategy = config.StrategyJWTLocal
	c.Local.Issuer = testIssuer
	c.Local.JWKSURI = jwksURL
	c.Local.JWKSRefreshInterval = config.Duration{Duration: time.Hour}
	c.ExposedClaims = []string{"email"}
	c.ToolScopes = []string{"hello_world=tool:user", "admin=tool:admin tool:write"}
	c.RateLimit.Enabled = false
	return c
}

// newTestAuth builds an Authenticator from cfg with a controllable clock.
func newTestAuth(t testing.TB, cfg config.Auth) (*Authenticator, *fakeClock) {
	t.Helper()
	a, err := New(Options{Config: cfg, PublicURL: testPublicURL})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	clock := &fakeClock{t: time.Now()}
	a.now = clock.Now
	return a, clock
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// claims returns valid claims for the test issuer and audience.
func validClaims(now time.Time) map[string]any {
	return map[string]any{
		"iss":   testIssuer,
		"aud":   testAudience,
		"sub":   "alice",
		"exp":   now.Add(time.Hour).Unix(),
		"iat":   now.Unix(),
		"scope": "tool:user openid",
		"email": "alice@example.com",
		"roles": []string{"reader"},
		"tenant": map[string]any{
			"id": "acme",
		},
	}
}

// sign signs claims (any JSON value) with s through jwx, adding the
// protected headers given.
func sign(t testing.TB, s signer, claims any, headers map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return signPayload(t, s, payload, headers)
}

func signPayload(t testing.TB, s signer, payload []byte, headers map[string]any) string {
	t.Helper()
	alg, ok := jwa.LookupSignatureAlgorithm(s.alg)
	if !ok {
		t.Fatalf("unknown alg %s", s.alg)
	}
	hdr := jws.NewHeaders()
	if s.kid != "" {
		if err := hdr.Set(jws.KeyIDKey, s.kid); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range headers {
		if err := hdr.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	tok, err := jws.Sign(payload, jws.WithKey(alg, s.key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		t.Fatalf("jws.Sign: %v", err)
	}
	return string(tok)
}

// signRS256Raw builds an RS256 token by hand from a header and payload
// encoded with enc, with a correct signature over exactly those bytes, to
// craft tokens jwx would not produce (padded or standard base64, odd
// headers).
func signRS256Raw(t testing.TB, key *rsa.PrivateKey, header, payload []byte, enc *base64.Encoding) string {
	t.Helper()
	input := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	digest := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + enc.EncodeToString(sig)
}

// echoIdentity is the handler behind the middleware in tests: it answers
// the caller's identity as JSON.
var echoIdentity = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	id, ok := FromContext(r.Context())
	if !ok {
		http.Error(w, "no identity", http.StatusInternalServerError)
		return
	}
	_ = json.NewEncoder(w).Encode(id)
})

// do sends a request through h over a real listener and returns the
// response with its body read.
func do(t testing.TB, url string, req func(r *http.Request)) (*http.Response, string) {
	t.Helper()
	r, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if req != nil {
		req(r)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func bearer(tok string) func(r *http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

// guarded wraps h in the Authenticator's HTTP checks as httpserver places
// them: authentication, allow rules, then scopes.
func guarded(a *Authenticator, h http.Handler) http.Handler {
	return a.Authenticate(a.Rules(a.Scopes(h)))
}
