package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpforge/mcpforge/runtime/config"
)

// minRSABits is the smallest RSA modulus accepted for a signing key; smaller
// keys are skipped when the JWKS is loaded.
const minRSABits = 2048

// verifyKey is one usable public key of the JWKS.
type verifyKey struct {
	kid string
	alg string // the JWK's alg member; empty when the JWK does not pin one
	pub crypto.PublicKey
}

// usableWith reports whether the key may verify a signature made with alg:
// the key type (and curve) must be the one alg uses, and a key that names
// its algorithm is used with that algorithm only.
func (k *verifyKey) usableWith(alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch pub := k.pub.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return pub.Curve == elliptic.P256()
		case "ES384":
			return pub.Curve == elliptic.P384()
		case "ES512":
			return pub.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// verify checks sig over input with the algorithm alg, which usableWith
// has already matched to the key.
func (k *verifyKey) verify(alg string, input, sig []byte) bool {
	if alg == "EdDSA" {
		pub, ok := k.pub.(ed25519.PublicKey)
		return ok && ed25519.Verify(pub, input, sig)
	}
	var h crypto.Hash
	switch alg[2:] {
	case "256":
		h = crypto.SHA256
	case "384":
		h = crypto.SHA384
	case "512":
		h = crypto.SHA512
	default:
		return false
	}
	hasher := h.New()
	hasher.Write(input)
	digest := hasher.Sum(nil)
	switch pub := k.pub.(type) {
	case *rsa.PublicKey:
		if alg[0] == 'P' {
			// RFC 7518 section 3.5: the salt is as long as the hash.
			return rsa.VerifyPSS(pub, h, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
		}
		return rsa.VerifyPKCS1v15(pub, h, digest, sig) == nil
	case *ecdsa.PublicKey:
		// RFC 7518 section 3.4: R and S as fixed-size big-endian integers.
		n := (pub.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*n {
			return false
		}
		r := new(big.Int).SetBytes(sig[:n])
		s := new(big.Int).SetBytes(sig[n:])
		return ecdsa.Verify(pub, digest, r, s)
	}
	return false
}

// keySet is an immutable snapshot of the usable keys of one JWKS fetch.
type keySet struct {
	keys []*verifyKey
}

// candidates returns the keys that may verify a token with kid and alg. A
// token without kid is accepted only when a single key fits, so that a
// client cannot make the server try every key.
func (s *keySet) candidates(kid, alg string) []*verifyKey {
	if s == nil {
		return nil
	}
	var out []*verifyKey
	for _, k := range s.keys {
		if (kid == "" || k.kid == kid) && k.usableWith(alg) {
			out = append(out, k)
		}
	}
	if kid == "" && len(out) != 1 {
		return nil
	}
	return out
}

// verify checks the signature of t with the keys of s that may have made
// it: errNoKeys when s has none at all, errUnknownKey when none fits.
func (s *keySet) verify(t *compactToken) error {
	cands := s.candidates(t.kid, t.alg)
	if len(cands) == 0 {
		if s == nil || len(s.keys) == 0 {
			return errNoKeys
		}
		return errUnknownKey
	}
	for _, k := range cands {
		if k.verify(t.alg, t.signingInput, t.signature) {
			return nil
		}
	}
	return errSignature
}

// parseJWKS reads the usable signature keys of a JWK Set. Keys this server
// cannot or must not use (symmetric, encryption-only, weak RSA, unknown
// types) are skipped, not fatal: one odd key must not take down the others.
func parseJWKS(body []byte) (*keySet, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("jwks is not a JSON JWK Set: %w", err)
	}
	if doc.Keys == nil {
		return nil, errors.New(`jwks has no "keys" member`)
	}
	set := &keySet{}
	for _, raw := range doc.Keys {
		if k := parseJWK(raw); k != nil {
			set.keys = append(set.keys, k)
		}
	}
	return set, nil
}

// cacheTTL is how long a JWKS response may be used, from its Cache-Control
// max-age clamped to [minTTL, maxTTL]; minTTL when it has none or forbids
// caching (no-store, no-cache).
func cacheTTL(cacheControl string, minTTL, maxTTL time.Duration) time.Duration {
	ttl := minTTL
	for _, d := range strings.Split(cacheControl, ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
		switch strings.ToLower(name) {
		case "no-store", "no-cache":
			return minTTL
		case "max-age":
			if secs, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64); err == nil && secs > 0 {
				if secs > int64(maxTTL/time.Second) {
					ttl = maxTTL
				} else {
					ttl = time.Duration(secs) * time.Second
				}
			}
		}
	}
	return max(minTTL, min(maxTTL, ttl))
}

// jwksCache holds the keys of the configured JWKS and refreshes them: on
// schedule (Cache-Control within bounds), and when a token names an unknown
// key id, at most once per refresh interval with concurrent misses sharing
// one fetch. A failed fetch keeps the keys already loaded.
type jwksCache struct {
	url             string
	allowedHosts    []string
	client          *http.Client
	minTTL, maxTTL  time.Duration
	refreshInterval time.Duration
	timeout         time.Duration
	maxBytes        int64
	logger          *slog.Logger
	now             func() time.Time
	observer        Observer // nil records nothing

	// keys is read on every request without locking.
	keys atomic.Pointer[keySet]
	// fetches counts the fetches started, for tests and diagnostics.
	fetches atomic.Int64

	mu          sync.Mutex
	loaded      bool
	expires     time.Time
	lastAttempt time.Time
	lastErr     error
	inflight    *fetchCall
}

// fetchCall is one fetch in flight, shared by everyone who needs it.
type fetchCall struct {
	done chan struct{}
	err  error
}

func newJWKSCache(l config.JWTLocal, logger *slog.Logger, now func() time.Time, observer Observer) (*jwksCache, error) {
	if err := config.CheckJWKSURL(l.JWKSURI, l.AllowedJWKSHosts); err != nil {
		return nil, err
	}
	u, _ := url.Parse(l.JWKSURI)
	allowed := l.AllowedJWKSHosts
	if len(allowed) == 0 {
		allowed = []string{u.Hostname()}
	}
	c := &jwksCache{
		url:             l.JWKSURI,
		allowedHosts:    allowed,
		minTTL:          l.JWKSMinCache.Duration,
		maxTTL:          l.JWKSMaxCache.Duration,
		refreshInterval: l.JWKSRefreshInterval.Duration,
		timeout:         l.JWKSFetchTimeout.Duration,
		maxBytes:        l.JWKSMaxBytes,
		logger:          logger,
		now:             now,
		observer:        observer,
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	c.client = &http.Client{
		Transport: transport,
		Timeout:   c.timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("jwks: too many redirects")
			}
			// A redirect is a new outbound request: it must pass the same
			// scheme and host checks as the configured URL (SSRF).
			return config.CheckJWKSURL(req.URL.String(), c.allowedHosts)
		},
	}
	return c, nil
}

// current returns the loaded keys (nil before the first successful fetch).
func (c *jwksCache) current() *keySet { return c.keys.Load() }

// ready reports whether keys have been loaded and at least one is usable.
func (c *jwksCache) ready() error {
	c.mu.Lock()
	loaded, lastErr := c.loaded, c.lastErr
	c.mu.Unlock()
	switch {
	case !loaded && lastErr != nil:
		return fmt.Errorf("jwks not loaded yet: %w", lastErr)
	case !loaded:
		return errors.New("jwks not loaded yet")
	case len(c.current().keys) == 0:
		return errors.New("jwks has no usable signing keys")
	}
	return nil
}

// refresh fetches the JWKS unless a fetch is already in flight (then it
// waits for that one) or, when force is false, one was attempted less than
// refreshInterval ago. It returns the error of the fetch it waited for.
func (c *jwksCache) refresh(ctx context.Context, force bool) error {
	c.mu.Lock()
	call := c.inflight
	if call == nil {
		if !force && !c.lastAttempt.IsZero() && c.now().Sub(c.lastAttempt) < c.refreshInterval {
			err := c.lastErr
			c.mu.Unlock()
			return err
		}
		call = &fetchCall{done: make(chan struct{})}
		c.inflight = call
		c.lastAttempt = c.now()
		c.fetches.Add(1)
		// The fetch runs detached from ctx: other waiters share it, and a
		// cancelled request must not abort their fetch.
		go c.runFetch(call)
	}
	c.mu.Unlock()
	select {
	case <-call.done:
		return call.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *jwksCache) runFetch(call *fetchCall) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	set, ttl, err := c.fetch(ctx)
	c.mu.Lock()
	if err == nil {
		c.keys.Store(set)
		c.loaded = true
		c.expires = c.now().Add(ttl)
		c.lastErr = nil
		if len(set.keys) == 0 {
			c.logger.Warn("jwks has no usable signing keys; every token will be refused", "url", c.url)
		}
	} else {
		c.lastErr = err
		if c.loaded {
			c.logger.Warn("jwks refresh failed; keeping the keys already loaded", "url", c.url, "error", err)
		} else {
			c.logger.Warn("jwks fetch failed; tokens are refused until keys are loaded", "url", c.url, "error", err)
		}
	}
	c.inflight = nil
	call.err = err
	c.mu.Unlock()
	close(call.done)
	if c.observer != nil {
		c.observer.JWKSFetched(err)
	}
}

func (c *jwksCache) fetch(ctx context.Context) (*keySet, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("jwks request: %w", err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("jwks fetch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("jwks fetch: %s answered %s", c.url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBytes+1))
	if err != nil {
		return nil, 0, fmt.Errorf("jwks fetch: %w", err)
	}
	if int64(len(body)) > c.maxBytes {
		return nil, 0, fmt.Errorf("jwks fetch: response is larger than %d bytes; raise %s.local.jwks_max_bytes if this is expected", c.maxBytes, config.AuthTable)
	}
	set, err := parseJWKS(body)
	if err != nil {
		return nil, 0, err
	}
	return set, cacheTTL(resp.Header.Get("Cache-Control"), c.minTTL, c.maxTTL), nil
}

// run keeps the keys fresh until ctx ends: it fetches at once, retries with
// backoff (up to the refresh interval) while the JWKS is unreachable, and
// refreshes when the cached keys expire.
func (c *jwksCache) run(ctx context.Context) {
	backoff := min(time.Second, c.refreshInterval)
	for {
		var wait time.Duration
		if err := c.refresh(ctx, true); err != nil {
			if ctx.Err() != nil {
				return
			}
			wait = backoff
			backoff = min(2*backoff, c.refreshInterval)
		} else {
			backoff = min(time.Second, c.refreshInterval)
			c.mu.Lock()
			wait = c.expires.Sub(c.now())
			c.mu.Unlock()
		}
		t := time.NewTimer(max(wait, 10*time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
