package auth

import (
	"slices"
	"strings"
	"time"

	"github.com/mcpforge/mcpforge/runtime/config"
)

// This file is the one signature-verification path of the server: jwt-local
// access tokens (jwtVerifier) and the ID tokens of the OAuth login
// (VerifyJWT) go through the same parser, header checks, keys and claims
// checks.

// JWTChecks are what [VerifyJWT] requires of a token besides a valid
// signature.
type JWTChecks struct {
	// Algorithms are the alg header values accepted; of them, only the
	// asymmetric ones of config.SupportedJWTAlgorithms ever are.
	Algorithms []string
	// Issuer is the iss claim required, character for character.
	Issuer string
	// Audience must be the aud claim or one of its members.
	Audience string
	// Leeway is the clock skew allowed on exp, nbf and iat.
	Leeway time.Duration
	// Now is the time the token is checked at.
	Now time.Time
	// MaxBytes bounds the token; 0 means MaxTokenBytes.
	MaxBytes int
}

// VerifyJWT verifies token, a JWS compact serialization, with the keys of
// jwks (a JWK Set document) and checks its claims as jwt-local checks
// access tokens: the same strict parsing (canonical base64url, no member
// named twice, time claims within 0 to 253402300799), the algorithm
// allow-list, no crit header, the key named by kid (or the single key that
// fits), then iss, aud, exp (required), nbf, iat and a non-empty string
// sub. It returns the claims; the error says what is wrong with the token
// in words fit for its presenter.
func VerifyJWT(token string, jwks []byte, c JWTChecks) (map[string]any, error) {
	limit := c.MaxBytes
	if limit == 0 {
		limit = MaxTokenBytes
	}
	if len(token) > limit {
		return nil, errTooLarge
	}
	keys, err := parseJWKS(jwks)
	if err != nil {
		return nil, err
	}
	t, err := parseCompact(token)
	if err != nil {
		return nil, err
	}
	if err := checkHeader(t, c.Algorithms, false); err != nil {
		return nil, err
	}
	if err := keys.verify(t); err != nil {
		return nil, err
	}
	checks := claimChecks{issuer: c.Issuer, audience: c.Audience, leeway: c.Leeway}
	checks.prepare(t)
	if err := checks.check(t, c.Now); err != nil {
		return nil, err
	}
	return t.claims, nil
}

// checkHeader applies the header rules: an algorithm of algs (and of the
// asymmetric ones this package verifies), no critical extension (none is
// understood here, RFC 7515 section 4.1.11) and, when requireTyp is set,
// typ at+jwt. The jku, x5u, jwk and x5c headers are never looked at: keys
// come from the configured JWKS only.
func checkHeader(t *compactToken, algs []string, requireTyp bool) error {
	if !slices.Contains(algs, t.alg) || !slices.Contains(config.SupportedJWTAlgorithms, t.alg) {
		return errAlgorithm
	}
	if _, ok := t.header["crit"]; ok {
		return errCrit
	}
	if requireTyp && !isAtJWT(t.header["typ"]) {
		return errTyp
	}
	return nil
}

// isAtJWT reports whether a typ header is "at+jwt" (RFC 9068), with or
// without the "application/" prefix, case-insensitively (RFC 7515 4.1.9).
func isAtJWT(v any) bool {
	typ, ok := v.(string)
	if !ok {
		return false
	}
	typ = strings.ToLower(typ)
	return typ == "at+jwt" || typ == "application/at+jwt"
}

// claimChecks are the checks of the claims of a token whose signature is
// valid.
type claimChecks struct {
	issuer, audience    string
	leeway, maxLifetime time.Duration // maxLifetime 0: exp may lie any time ahead
}

// prepare runs the checks that do not depend on the time, once per token,
// and keeps their outcome and the times in t. The order of the checks is
// that of the refusals: iss, aud, the time claims, then sub.
func (c *claimChecks) prepare(t *compactToken) {
	switch iss, _ := t.claims["iss"].(string); {
	case iss == "" || iss != c.issuer:
		t.verdict = errIssuer
	case !audienceContains(t.claims, c.audience):
		t.verdict = errAudience
	default:
		t.times, t.verdict = parseTimes(t.claims)
	}
	t.noSubject = checkSubject(t.claims)
}

// check applies the checks to a prepared token at now.
func (c *claimChecks) check(t *compactToken, now time.Time) error {
	if t.verdict != nil {
		return t.verdict
	}
	if err := t.times.check(now, c.leeway, c.maxLifetime); err != nil {
		return err
	}
	return t.noSubject
}
