package oauth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/mcpforge/mcpforge/runtime/config"
)

// maxIDTokenBytes bounds the ID token looked at.
const maxIDTokenBytes = 16 << 10

// verifyIDToken checks an ID token returned by the token endpoint (OpenID
// Connect Core 3.1.3.7): signature by a key of the provider's JWKS with an
// asymmetric algorithm the provider announces, iss, aud (and azp), exp, and
// the nonce of this login. It returns the token's claims.
//
// The keys are fetched for each login rather than cached: logins are rare
// and a fresh fetch always knows a rotated key.
func (h *Handler) verifyIDToken(ctx context.Context, m *metadata, raw, nonce string) (map[string]any, error) {
	if len(raw) > maxIDTokenBytes {
		return nil, errors.New("larger than 16 KiB")
	}
	msg, err := jws.Parse([]byte(raw), jws.WithCompact())
	if err != nil {
		return nil, errors.New("malformed")
	}
	sigs := msg.Signatures()
	if len(sigs) != 1 {
		return nil, errors.New("malformed")
	}
	hdr := sigs[0].ProtectedHeaders()
	alg, ok := hdr.Algorithm()
	if !ok {
		return nil, errors.New("no algorithm")
	}
	allowed := m.IDTokenSigningAlgs
	if len(allowed) == 0 {
		allowed = []string{"RS256"} // OpenID Connect Discovery default
	}
	if !slices.Contains(allowed, alg.String()) || !slices.Contains(config.SupportedJWTAlgorithms, alg.String()) {
		return nil, fmt.Errorf("algorithm %q is not accepted", alg.String())
	}
	if crit, ok := hdr.Critical(); ok && len(crit) > 0 {
		return nil, errors.New("unknown critical header parameters")
	}
	kid, _ := hdr.KeyID()

	if m.JWKSURI == "" {
		return nil, errors.New("the provider metadata has no jwks_uri to check it with")
	}
	resp, err := h.fetch.get(ctx, m.JWKSURI)
	if err != nil {
		return nil, fmt.Errorf("keys from %s: %w", m.JWKSURI, err)
	}
	if resp.status != http.StatusOK {
		return nil, fmt.Errorf("keys from %s: status %d", m.JWKSURI, resp.status)
	}
	set, err := jwk.Parse(resp.body)
	if err != nil {
		return nil, fmt.Errorf("keys from %s: %w", m.JWKSURI, err)
	}

	payload, err := verifyWithSet(raw, set, alg, kid)
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if err := decodeObject(payload, &claims); err != nil {
		return nil, errors.New("malformed claims")
	}
	return claims, h.checkIDClaims(claims, nonce)
}

// verifyWithSet verifies raw with the keys of set that may sign with alg:
// the key named kid, or every key when the token names none. A key used
// with another algorithm than its own is skipped.
func verifyWithSet(raw string, set jwk.Set, alg jwa.SignatureAlgorithm, kid string) ([]byte, error) {
	var candidates []jwk.Key
	for i := range set.Len() {
		k, _ := set.Key(i)
		if id, _ := k.KeyID(); kid != "" && id != kid {
			continue
		}
		if ka, ok := k.Algorithm(); ok && ka.String() != alg.String() {
			continue
		}
		if use, ok := k.KeyUsage(); ok && use != "sig" {
			continue
		}
		candidates = append(candidates, k)
	}
	if len(candidates) == 0 {
		return nil, errors.New("signed with an unknown key")
	}
	for _, k := range candidates {
		pub, err := jwk.PublicKeyOf(k)
		if err != nil {
			continue
		}
		if payload, err := jws.Verify([]byte(raw), jws.WithKey(alg, pub)); err == nil {
			return payload, nil
		}
	}
	return nil, errors.New("signature is invalid")
}

func (h *Handler) checkIDClaims(claims map[string]any, nonce string) error {
	if iss, _ := claims["iss"].(string); iss != h.issuer {
		return errors.New("issuer is not the configured issuer")
	}
	var aud []string
	switch a := claims["aud"].(type) {
	case string:
		aud = []string{a}
	case []any:
		for _, e := range a {
			if s, ok := e.(string); ok {
				aud = append(aud, s)
			}
		}
	}
	if !slices.Contains(aud, h.login.clientID) {
		return errors.New("audience does not include this client")
	}
	if azp, ok := claims["azp"]; ok && azp != h.login.clientID {
		return errors.New("authorized party is not this client")
	}
	exp, ok := numericDate(claims["exp"])
	if !ok {
		return errors.New("no expiry (exp)")
	}
	if !h.now().Before(exp.Add(h.leeway)) {
		return errors.New("expired")
	}
	if nonce != "" {
		got, _ := claims["nonce"].(string)
		if subtle.ConstantTimeCompare([]byte(got), []byte(nonce)) != 1 {
			return errors.New("nonce does not match this login")
		}
	}
	return nil
}

// numericDate reads a NumericDate claim decoded with UseNumber: a JSON
// number of seconds, nothing else.
func numericDate(v any) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}
