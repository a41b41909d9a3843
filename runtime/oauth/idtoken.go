package oauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"

	"github.com/mcpforge/mcpforge/runtime/auth"
)

// maxIDTokenBytes bounds the ID token looked at. ID tokens may carry more
// claims than access tokens (groups, profile), hence more than
// auth.MaxTokenBytes.
const maxIDTokenBytes = 16 << 10

// verifyIDToken checks an ID token returned by the token endpoint (OpenID
// Connect Core 3.1.3.7) and returns its claims. The signature and the
// claims every JWT must pass go through auth.VerifyJWT, the checks of the
// server's access tokens: a key of the provider's JWKS with an asymmetric
// algorithm the provider announces, strict JSON, iss, aud containing this
// client, exp, nbf, iat and sub. The ID-token-specific checks, azp and the
// nonce of this login, are made here.
//
// The keys are fetched for each login rather than cached: logins are rare
// and a fresh fetch always knows a rotated key.
func (h *Handler) verifyIDToken(ctx context.Context, m *metadata, raw, nonce string) (map[string]any, error) {
	if len(raw) > maxIDTokenBytes {
		return nil, errors.New("larger than 16 KiB")
	}
	algs := m.IDTokenSigningAlgs
	if len(algs) == 0 {
		algs = []string{"RS256"} // OpenID Connect Discovery default
	}
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
	claims, err := auth.VerifyJWT(raw, resp.body, auth.JWTChecks{
		Algorithms: algs,
		Issuer:     h.issuer,
		Audience:   h.login.clientID,
		Leeway:     h.leeway,
		Now:        h.now(),
		MaxBytes:   maxIDTokenBytes,
	})
	if err != nil {
		return nil, err
	}
	return claims, h.checkIDClaims(claims, nonce)
}

// checkIDClaims makes the checks only ID tokens need: the authorized party
// is this client when named, and the nonce is that of this login.
func (h *Handler) checkIDClaims(claims map[string]any, nonce string) error {
	if azp, ok := claims["azp"]; ok && azp != h.login.clientID {
		return errors.New("authorized party is not this client")
	}
	if nonce != "" {
		got, _ := claims["nonce"].(string)
		if subtle.ConstantTimeCompare([]byte(got), []byte(nonce)) != 1 {
			return errors.New("nonce does not match this login")
		}
	}
	return nil
}
