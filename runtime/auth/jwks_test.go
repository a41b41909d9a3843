package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpforge/mcpforge/runtime/config"
)

// A token signed with a key published after start names an unknown kid:
// one refresh picks the key up; further unknown kids within the refresh
// interval do not hit the JWKS again.
func TestJWKSKeyRotation(t *testing.T) {
	jwks := newJWKSServer(t, publicJWK(t, rsaSigner(t), true))
	a, clock := newTestAuth(t, localConfig(jwks.URL))
	ctx := t.Context()
	if err := a.Ready(ctx); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	if _, err := a.local.token(ctx, sign(t, rsaSigner(t), validClaims(clock.Now()), nil)); err != nil {
		t.Fatalf("first key: %v", err)
	}
	if n := jwks.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches after start, want 1", n)
	}

	// Rotation: the provider publishes rsa-2 next to rsa-1 and starts
	// signing with it. The refresh interval (1h) has not passed since the
	// start-up fetch, so the first miss is refused without a fetch...
	jwks.setKeys(publicJWK(t, rsaSigner(t), true), publicJWK(t, rsa2Signer(t), true))
	rotated := sign(t, rsa2Signer(t), validClaims(clock.Now()), nil)
	if _, err := a.local.token(ctx, rotated); err != errUnknownKey {
		t.Fatalf("miss inside the refresh interval: %v, want %v", err, errUnknownKey)
	}
	if n := jwks.fetches.Load(); n != 1 {
		t.Fatalf("a miss inside the refresh interval fetched (%d fetches)", n)
	}
	// ...and once the interval has passed, the miss refreshes once.
	clock.Advance(time.Hour + time.Second)
	if _, err := a.local.token(ctx, rotated); err != nil {
		t.Fatalf("rotated key after refresh: %v", err)
	}
	if n := jwks.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches after rotation, want 2", n)
	}
	for range 5 {
		if _, err := a.local.token(ctx, sign(t, signer{"nobody", "RS256", rsaKey2}, validClaims(clock.Now()), nil)); err != errUnknownKey {
			t.Fatalf("unknown kid: %v", err)
		}
	}
	if n := jwks.fetches.Load(); n != 2 {
		t.Fatalf("unknown kids caused %d fetches, want none beyond 2", n)
	}
	// The old key is removed by the provider: after the next refresh it is
	// refused (revocation works).
	jwks.setKeys(publicJWK(t, rsa2Signer(t), true))
	clock.Advance(time.Hour + time.Second)
	if err := a.jwks.refresh(ctx, true); err != nil {
		t.Fatal(err)
	}
	if _, err := a.local.token(ctx, sign(t, rsaSigner(t), validClaims(clock.Now()), nil)); err == nil {
		t.Fatal("a key removed from the JWKS is still accepted")
	}
}

// Fifty requests naming a new kid at the same time share one fetch.
func TestJWKSConcurrentMissesShareOneFetch(t *testing.T) {
	jwks := newJWKSServer(t, publicJWK(t, rsaSigner(t), true))
	a, clock := newTestAuth(t, localConfig(jwks.URL))
	ctx := t.Context()
	if err := a.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	jwks.set(func(s *jwksServer) {
		s.keys = []json.RawMessage{publicJWK(t, rsaSigner(t), true), publicJWK(t, rsa2Signer(t), true)}
		s.delay = 100 * time.Millisecond // keep the fetch in flight while the others arrive
	})
	clock.Advance(2 * time.Hour)
	tok := sign(t, rsa2Signer(t), validClaims(clock.Now()), nil)

	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			_, err := a.local.token(ctx, tok)
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent miss: %v", err)
		}
	}
	if got := jwks.fetches.Load(); got != 2 {
		t.Fatalf("JWKS fetched %d times, want 2 (start-up + one shared refresh)", got)
	}
}

// The JWKS going away after start must not lose the keys already loaded.
func TestJWKSDownAfterStartKeepsKeys(t *testing.T) {
	jwks := newJWKSServer(t, publicJWK(t, ecSigner(t), true))
	cfg := localConfig(jwks.URL)
	cfg.Local.JWKSMinCache = config.Duration{Duration: 20 * time.Millisecond}
	cfg.Local.JWKSMaxCache = config.Duration{Duration: 20 * time.Millisecond}
	cfg.Local.JWKSRefreshInterval = config.Duration{Duration: 20 * time.Millisecond}
	a, err := New(Options{Config: cfg, PublicURL: testPublicURL})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	a.Start(ctx)
	waitFor(t, func() bool { return a.Ready(ctx) == nil })

	jwks.set(func(s *jwksServer) { s.status = http.StatusServiceUnavailable })
	before := jwks.fetches.Load()
	waitFor(t, func() bool { return jwks.fetches.Load() >= before+3 }) // several failed refreshes
	jwks.Close()                                                       // and now it is gone entirely
	time.Sleep(60 * time.Millisecond)

	if err := a.Ready(ctx); err != nil {
		t.Fatalf("Ready after the JWKS went down: %v", err)
	}
	srv := httptest.NewServer(guarded(a, echoIdentity))
	defer srv.Close()
	resp, body := do(t, srv.URL, bearer(sign(t, ecSigner(t), validClaims(time.Now()), nil)))
	if resp.StatusCode != 200 {
		t.Fatalf("cached key refused after the JWKS went down: %d %s", resp.StatusCode, body)
	}
}

// A JWKS that is down from the start: not ready, every token 401, no panic.
func TestJWKSDownFromStart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/jwks"
	ln.Close()
	a, clock := newTestAuth(t, localConfig(dead))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	a.Start(ctx)
	err = a.Ready(ctx)
	if err == nil || !strings.Contains(err.Error(), "jwks not loaded") {
		t.Fatalf("Ready = %v, want not loaded", err)
	}
	srv := httptest.NewServer(guarded(a, echoIdentity))
	defer srv.Close()
	resp, body := do(t, srv.URL, bearer(sign(t, rsaSigner(t), validClaims(clock.Now()), nil)))
	if resp.StatusCode != 401 || !strings.Contains(body, string(errNoKeys)) {
		t.Fatalf("status %d body %s, want 401 %q", resp.StatusCode, body, errNoKeys)
	}
	if got := resp.Header.Get("WWW-Authenticate"); got != challengeInvalid {
		t.Fatalf("WWW-Authenticate %q", got)
	}
}

func TestJWKSEmptyAndUnusable(t *testing.T) {
	for name, body := range map[string]string{
		"empty set":          `{"keys":[]}`,
		"only an HMAC key":   `{"keys":[{"kty":"oct","kid":"rsa-1","k":"c2VjcmV0"}]}`,
		"encryption key":     `{"keys":[` + strings.Replace(string(publicJWK(t, rsaSigner(t), false)), `{`, `{"use":"enc",`, 1) + `]}`,
		"unknown key type":   `{"keys":[{"kty":"XYZ","kid":"rsa-1"}]}`,
		"weak RSA key":       `{"keys":[{"kty":"RSA","kid":"rsa-1","e":"AQAB","n":"` + b64(weakRSA(t).N.Bytes()) + `"}]}`,
		"key of another use": `{"keys":[` + strings.Replace(string(publicJWK(t, rsaSigner(t), false)), `{`, `{"key_ops":["encrypt"],`, 1) + `]}`,
	} {
		t.Run(name, func(t *testing.T) {
			jwks := newJWKSServer(t)
			jwks.set(func(s *jwksServer) { s.body = []byte(body) })
			a, clock := newTestAuth(t, localConfig(jwks.URL))
			err := a.Ready(t.Context())
			if err == nil || !strings.Contains(err.Error(), "no usable signing keys") {
				t.Fatalf("Ready = %v", err)
			}
			_, err = a.local.token(t.Context(), sign(t, rsaSigner(t), validClaims(clock.Now()), nil))
			if err != errNoKeys {
				t.Fatalf("validate: %v, want %v", err, errNoKeys)
			}
		})
	}
}

// One unusable key must not hide the usable ones.
func TestJWKSSkipsOddKeys(t *testing.T) {
	jwks := newJWKSServer(t,
		json.RawMessage(`{"kty":"XYZ","kid":"odd"}`),
		json.RawMessage(`{"kty":"oct","kid":"hmac","k":"c2VjcmV0"}`),
		publicJWK(t, edSigner(t), true),
	)
	a, clock := newTestAuth(t, localConfig(jwks.URL))
	if _, err := a.local.token(t.Context(), sign(t, edSigner(t), validClaims(clock.Now()), nil)); err != nil {
		t.Fatal(err)
	}
}

func TestJWKSFetchLimits(t *testing.T) {
	t.Run("size cap", func(t *testing.T) {
		jwks := newJWKSServer(t, publicJWK(t, rsaSigner(t), true))
		cfg := localConfig(jwks.URL)
		cfg.Local.JWKSMaxBytes = 100
		a, _ := newTestAuth(t, cfg)
		if err := a.Ready(t.Context()); err == nil || !strings.Contains(err.Error(), "larger than 100 bytes") {
			t.Fatalf("Ready = %v", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		jwks := newJWKSServer(t, publicJWK(t, rsaSigner(t), true))
		jwks.set(func(s *jwksServer) { s.delay = 500 * time.Millisecond })
		cfg := localConfig(jwks.URL)
		cfg.Local.JWKSFetchTimeout = config.Duration{Duration: 50 * time.Millisecond}
		a, _ := newTestAuth(t, cfg)
		start := time.Now()
		err := a.Ready(t.Context())
		if err == nil || time.Since(start) > 400*time.Millisecond {
			t.Fatalf("Ready = %v after %s; want a timeout error well before the server answers", err, time.Since(start))
		}
	})
	t.Run("status", func(t *testing.T) {
		jwks := newJWKSServer(t, publicJWK(t, rsaSigner(t), true))
		jwks.set(func(s *jwksServer) { s.status = http.StatusNotFound })
		a, _ := newTestAuth(t, localConfig(jwks.URL))
		if err := a.Ready(t.Context()); err == nil || !strings.Contains(err.Error(), "404") {
			t.Fatalf("Ready = %v", err)
		}
	})
	t.Run("redirect to a host not allowed", func(t *testing.T) {
		target := newJWKSServer(t, publicJWK(t, rsaSigner(t), true))
		// "localhost" and "127.0.0.1" are different hosts to the allow-list.
		redirect := httptest.NewServer(http.RedirectHandler(strings.Replace(target.URL, "127.0.0.1", "localhost", 1), http.StatusFound))
		defer redirect.Close()
		a, _ := newTestAuth(t, localConfig(redirect.URL))
		if err := a.Ready(t.Context()); err == nil || !strings.Contains(err.Error(), "allowed_jwks_hosts") {
			t.Fatalf("Ready = %v", err)
		}
		if n := target.fetches.Load(); n != 0 {
			t.Fatalf("the redirect target was fetched %d times", n)
		}
	})
	t.Run("redirect to an allowed host", func(t *testing.T) {
		target := newJWKSServer(t, publicJWK(t, rsaSigner(t), true))
		redirect := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusFound))
		defer redirect.Close()
		a, _ := newTestAuth(t, localConfig(redirect.URL))
		if err := a.Ready(t.Context()); err != nil {
			t.Fatalf("Ready = %v", err)
		}
	})
}

func TestJWKSURLRules(t *testing.T) {
	for _, tc := range []struct {
		url     string
		allowed []string
		err     string
	}{
		{"http://login.example.com/jwks", nil, "uses http"},
		{"ftp://login.example.com/jwks", nil, "must be an https URL"},
		{"https://user:pw@login.example.com/jwks", nil, "credentials"},
		{"https://evil.example.net/jwks", []string{"login.example.com"}, "not in middleware.jwt.local.allowed_jwks_hosts"},
		{"/jwks", nil, "not an absolute URL"},
		{"https://login.example.com/jwks", []string{"LOGIN.example.com"}, ""},
		{"http://127.0.0.1:9/jwks", nil, ""},
		{"http://[::1]:9/jwks", nil, ""},
		{"http://localhost:9/jwks", nil, ""},
	} {
		cfg := localConfig(tc.url)
		cfg.Local.AllowedJWKSHosts = tc.allowed
		_, err := New(Options{Config: cfg, PublicURL: testPublicURL})
		if tc.err == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.url, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "middleware.jwt.local.jwks_uri") {
			t.Errorf("%s: error %v, want one naming the key and containing %q", tc.url, err, tc.err)
		}
	}
}

func TestCacheTTL(t *testing.T) {
	const lo, hi = 5 * time.Minute, 24 * time.Hour
	for _, tc := range []struct {
		cc   string
		want time.Duration
	}{
		{"", lo},
		{"max-age=3600", time.Hour},
		{"public, max-age=600, must-revalidate", 10 * time.Minute},
		{"max-age=10", lo},
		{"max-age=99999999999999999", hi},
		{"max-age=2592000", hi},
		{"no-store", lo},
		{"max-age=3600, no-cache", lo},
		{"max-age=abc", lo},
		{`max-age="900"`, 15 * time.Minute},
	} {
		if got := cacheTTL(tc.cc, lo, hi); got != tc.want {
			t.Errorf("cacheTTL(%q) = %s, want %s", tc.cc, got, tc.want)
		}
	}
}

// The refresh schedule follows Cache-Control within bounds.
func TestJWKSHonoursCacheControl(t *testing.T) {
	jwks := newJWKSServer(t, publicJWK(t, rsaSigner(t), true))
	jwks.set(func(s *jwksServer) { s.cacheControl = "max-age=600" })
	a, clock := newTestAuth(t, localConfig(jwks.URL))
	if err := a.Ready(t.Context()); err != nil {
		t.Fatal(err)
	}
	a.jwks.mu.Lock()
	ttl := a.jwks.expires.Sub(clock.Now())
	a.jwks.mu.Unlock()
	if ttl != 10*time.Minute {
		t.Fatalf("keys expire in %s, want 10m from max-age=600", ttl)
	}
}

func weakRSA(t *testing.T) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The signature cache never outlives the key set that verified the token,
// and never skips the claim checks.
func TestVerifiedCache(t *testing.T) {
	jwks := newJWKSServer(t, publicJWK(t, rsaSigner(t), true))
	a, clock := newTestAuth(t, localConfig(jwks.URL))
	ctx := t.Context()
	c := validClaims(clock.Now())
	c["exp"] = clock.Now().Add(time.Minute).Unix()
	tok := sign(t, rsaSigner(t), c, nil)
	for range 3 {
		if _, err := a.local.token(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(a.local.verified.m); n != 1 {
		t.Fatalf("%d cache entries, want 1", n)
	}
	// Expiry is still checked on a cache hit.
	clock.Advance(2 * time.Minute)
	if _, err := a.local.token(ctx, tok); err != errExpired {
		t.Fatalf("cached token after exp: %v", err)
	}
	clock.Advance(-2 * time.Minute)
	// The provider replaces the key behind kid rsa-1: the cached signature
	// no longer counts.
	jwks.setKeys(publicJWK(t, signer{"rsa-1", "RS256", rsaKey2}, true))
	if err := a.jwks.refresh(ctx, true); err != nil {
		t.Fatal(err)
	}
	if _, err := a.local.token(ctx, tok); err != errSignature {
		t.Fatalf("token verified under a replaced key: %v", err)
	}
	// A bounded cache.
	small := newVerifiedCache(8)
	keys := &keySet{}
	for i := range 100 {
		small.add(fmt.Sprintf("token-%d", i), keys, &compactToken{})
	}
	if len(small.m) != 8 {
		t.Fatalf("cache holds %d entries, want 8", len(small.m))
	}
	if small.get("token-99", keys) == nil || small.get("token-99", &keySet{}) != nil || small.get("token-9", keys) != nil {
		t.Fatal("the cache does not answer for exactly the token and key set it holds")
	}
	// And a bounded number of token bytes.
	small = newVerifiedCache(8)
	small.maxBytes = 1000
	for i := range 20 {
		small.add(fmt.Sprintf("%0400d", i), keys, &compactToken{})
	}
	if len(small.m) != 2 || small.bytes != 800 {
		t.Fatalf("cache holds %d entries of %d bytes, want 2 of 800", len(small.m), small.bytes)
	}
	small.add(strings.Repeat("x", 1001), keys, &compactToken{})
	if len(small.m) != 2 {
		t.Fatal("the cache took a token larger than its byte budget")
	}
	// Two tokens of one hash: only the exact token matches.
	small = newVerifiedCache(8)
	small.add("a", keys, &compactToken{})
	h := maphash.String(small.seed, "a")
	small.m[h] = verifiedEntry{raw: "b", keys: keys, token: &compactToken{}}
	if small.get("a", keys) != nil {
		t.Fatal("the cache matched a token it does not hold by its hash")
	}
}
