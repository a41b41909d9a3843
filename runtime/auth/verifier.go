package auth

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/netip"
	"time"
)

// A verifier identifies the caller of a request from its headers; each
// strategy has one. presented reports whether the request carried
// credentials at all, which decides the error of the 401 challenge.
type verifier interface {
	verify(r *http.Request) (id *Identity, presented bool, err error)
}

// verify is the verification middleware: the strategy's verifier
// identifies the caller, whose Identity goes on in the request context. A
// request it refuses gets 401 with a Bearer challenge and spends a token
// of its client's bucket (see limitFailures).
func (a *Authenticator) verify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			// CORS preflights carry no credentials by design.
			next.ServeHTTP(w, r)
			return
		}
		id, presented, err := a.verifier.verify(r)
		if err != nil {
			a.failed(r)
			if a.observer != nil {
				a.observer.AuthFailed(reasonOf(err))
			}
			a.logger.Debug("request refused", "status", http.StatusUnauthorized, "reason", err.Error(), "client", clientAddr(r, a.trusted).String())
			a.unauthorized(w, presented, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(withIdentity(r.Context(), id)))
	})
}

// anonymous is the verifier of strategy none: every caller is the same
// anonymous, unrestricted identity.
type anonymous struct{ id *Identity }

func (v anonymous) verify(*http.Request) (*Identity, bool, error) { return v.id, false, nil }

// jwtVerifier is the verifier of jwt-local: a bearer JWT, signed by a key
// of the JWKS, whose claims pass the checks.
type jwtVerifier struct {
	checks     claimChecks
	algs       []string
	requireTyp bool
	jwks       *jwksCache
	verified   *verifiedCache // nil caches nothing
	now        func() time.Time
	exposeAll  bool
	exposed    map[string]bool
	celClaims  bool // allow conditions read the claims: convert them once per token
}

func (v *jwtVerifier) verify(r *http.Request) (*Identity, bool, error) {
	values := r.Header.Values("Authorization")
	if len(values) == 0 && r.URL.Query().Has("access_token") {
		return nil, false, errQueryToken
	}
	tok, presented, err := parseBearer(values)
	if err != nil {
		return nil, presented, err
	}
	t, err := v.token(r.Context(), tok)
	if err != nil {
		return nil, true, err
	}
	return &t.id, true, nil
}

// token validates tok and returns it verified. Its signature is checked
// once per token and key set (see verifiedCache); its times on every call.
func (v *jwtVerifier) token(ctx context.Context, tok string) (*compactToken, error) {
	if len(tok) > MaxTokenBytes {
		return nil, errTooLarge
	}
	t := v.verified.get(tok, v.jwks.current())
	if t == nil {
		var err error
		if t, err = v.checkToken(ctx, tok); err != nil {
			return nil, err
		}
	}
	if err := v.checks.check(t, v.now()); err != nil {
		return nil, err
	}
	return t, nil
}

// checkToken parses a token, checks its header and its signature, runs the
// checks of its claims that do not depend on the time, and remembers it as
// verified.
func (v *jwtVerifier) checkToken(ctx context.Context, tok string) (*compactToken, error) {
	t, err := parseCompact(tok)
	if err != nil {
		return nil, err
	}
	if err := checkHeader(t, v.algs, v.requireTyp); err != nil {
		return nil, err
	}
	keys, err := v.verifySignature(ctx, t)
	if err != nil {
		return nil, err
	}
	// Only the claims are needed from now on; the cache keeps thousands of
	// tokens.
	t.header, t.signingInput, t.signature = nil, nil, nil
	v.checks.prepare(t)
	if t.verdict == nil && t.noSubject == nil {
		t.id = newIdentity(t.claims, v.exposeAll, v.exposed)
		if v.celClaims {
			t.id.celClaims = celValue(t.claims)
			t.id.verdicts = new(verdicts)
		}
	}
	v.verified.add(tok, keys, t)
	return t, nil
}

// verifySignature checks the signature of t with the keys that may have
// made it, refreshing the JWKS once for an unknown kid. It returns the key
// set the signature was verified with.
func (v *jwtVerifier) verifySignature(ctx context.Context, t *compactToken) (*keySet, error) {
	keys := v.jwks.current()
	err := keys.verify(t)
	if err == errUnknownKey || err == errNoKeys {
		// An unknown kid may be a rotated key: refresh (at most once per
		// interval, shared with concurrent misses) and look again.
		_ = v.jwks.refresh(ctx, false)
		keys = v.jwks.current()
		err = keys.verify(t)
	}
	return keys, err
}

// externalVerifier is the verifier of jwt-external: the claims an upstream
// proxy forwards in a header, believed only from the proxy (a trusted peer
// address and/or the shared secret, each that is configured).
type externalVerifier struct {
	header       string
	format       string
	secretHeader string
	secret       []byte
	proxies      []netip.Prefix // the peer must be one when there are any
	leeway       time.Duration  // on exp
	now          func() time.Time
	exposeAll    bool
	exposed      map[string]bool
}

func (v *externalVerifier) verify(r *http.Request) (*Identity, bool, error) {
	values := r.Header.Values(v.header)
	presented := len(values) > 0
	if !v.fromProxy(r) {
		return nil, presented, errUntrustedPeer
	}
	switch len(values) {
	case 0:
		return nil, false, errMissingClaims
	case 1:
	default:
		return nil, true, errMalformedClaims
	}
	claims, err := decodeExternal(values[0], v.format)
	if err != nil {
		return nil, true, err
	}
	if err := v.checkForwarded(claims); err != nil {
		return nil, true, err
	}
	id := newIdentity(claims, v.exposeAll, v.exposed)
	return &id, true, nil
}

// fromProxy checks what proves the claims header comes from the proxy: the
// TCP peer address is a trusted proxy, and/or the shared-secret header
// matches (each check that is configured must pass).
func (v *externalVerifier) fromProxy(r *http.Request) bool {
	if len(v.proxies) > 0 {
		peer, ok := peerAddr(r)
		if !ok || !trustedPeer(peer, v.proxies) {
			return false
		}
	}
	if len(v.secret) > 0 {
		got := r.Header.Values(v.secretHeader)
		if len(got) != 1 || subtle.ConstantTimeCompare([]byte(got[0]), v.secret) != 1 {
			return false
		}
	}
	return true
}

// checkForwarded checks the claims a proxy forwarded. The proxy checked
// the token's times; an expiry that has passed all the same means a
// replayed or stale header. Time claims must still be valid NumericDates
// and the subject a non-empty string, as with jwt-local: the proxy may
// accept what this server cannot represent.
func (v *externalVerifier) checkForwarded(claims map[string]any) error {
	exp, hasExp, err := numericDate(claims, "exp")
	if err != nil {
		return err
	}
	for _, name := range []string{"nbf", "iat"} {
		if _, _, err := numericDate(claims, name); err != nil {
			return err
		}
	}
	if hasExp && !v.now().Before(exp.Add(v.leeway)) {
		return errExpired
	}
	return checkSubject(claims)
}
