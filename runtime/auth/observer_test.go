package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mcpforge/mcpforge/runtime/config"
)

// recordingObserver remembers what it is told.
type recordingObserver struct {
	mu      sync.Mutex
	reasons []string
	fetches []error
}

func (o *recordingObserver) AuthFailed(reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.reasons = append(o.reasons, reason)
}

func (o *recordingObserver) JWKSFetched(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.fetches = append(o.fetches, err)
}

// TestObserver: every refused request is reported once with its reason,
// and every JWKS fetch with its outcome.
func TestObserver(t *testing.T) {
	jwks := newJWKSServer(t, publicJWK(t, rsaSigner(t), true))
	cfg := localConfig(jwks.URL + "/jwks")
	cfg.RateLimit = config.RateLimit{Enabled: true, Burst: 6, RefillInterval: config.Duration{Duration: time.Hour}, MaxClients: 10}
	obs := &recordingObserver{}
	a, err := New(Options{Config: cfg, PublicURL: testPublicURL, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(guarded(a, echoIdentity))
	defer srv.Close()

	now := time.Now()
	rs := rsaSigner(t)
	claims := func(mod func(map[string]any)) map[string]any {
		c := validClaims(now)
		mod(c)
		return c
	}
	for _, tt := range []struct {
		req    func(*http.Request)
		status int
	}{
		{nil, http.StatusUnauthorized},
		{bearer("not-a-token"), http.StatusUnauthorized},
		{bearer(sign(t, rs, claims(func(c map[string]any) { c["exp"] = now.Add(-time.Hour).Unix() }), nil)), http.StatusUnauthorized},
		{bearer(sign(t, rs, claims(func(c map[string]any) { c["iss"] = "https://other.test/" }), nil)), http.StatusUnauthorized},
		{bearer(sign(t, rs, claims(func(c map[string]any) { c["aud"] = "https://elsewhere.test/mcp" }), nil)), http.StatusUnauthorized},
		{bearer(sign(t, rsa2Signer(t), validClaims(now), nil)), http.StatusUnauthorized},
		{nil, http.StatusTooManyRequests}, // the bucket of 6 is empty now
	} {
		resp, body := do(t, srv.URL+"/mcp", tt.req)
		if resp.StatusCode != tt.status {
			t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
		}
	}
	want := []string{ReasonMissing, ReasonMalformed, ReasonExpired, ReasonIssuer, ReasonAudience, ReasonSignature, ReasonRateLimited}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if !slices.Equal(obs.reasons, want) {
		t.Errorf("reasons %v, want %v", obs.reasons, want)
	}
	if len(obs.fetches) == 0 || obs.fetches[len(obs.fetches)-1] != nil {
		t.Errorf("JWKS fetches reported %v, want a successful one", obs.fetches)
	}
}

// TestReasonsAreBounded: every refusal reason is one of the constants.
func TestReasonsAreBounded(t *testing.T) {
	known := []string{ReasonMissing, ReasonMalformed, ReasonSignature, ReasonExpired, ReasonIssuer, ReasonAudience, ReasonClaims, ReasonUntrusted, ReasonRateLimited, ReasonForbidden}
	for _, err := range []error{errMissingToken, errQueryToken, errManyAuthHeaders, errTooLarge, errMalformed, errAlgorithm, errCrit, errTyp, errNoKeys, errUnknownKey, errSignature, errIssuer, errAudience, errNoExp, errExpired, errNotYetValid, errIssuedInFuture, errBadExp, errLifetime, errNoSubject, errDuplicateKey, errUntrustedPeer, errMissingClaims, errMalformedClaims, context.Canceled} {
		if r := reasonOf(err); !slices.Contains(known, r) {
			t.Errorf("reasonOf(%v) = %q, not a Reason constant", err, r)
		}
	}
}
