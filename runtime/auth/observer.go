package auth

import "errors"

// Observer is told what authentication refuses and how the JWKS fetches
// go, for metrics. Its methods must be cheap and safe for concurrent use;
// they run on the request path. A nil Observer in [Options] records
// nothing.
type Observer interface {
	// AuthFailed is called once per refused request with one of the
	// Reason constants.
	AuthFailed(reason string)
	// JWKSFetched is called after each JWKS fetch with its error, nil when
	// the keys were loaded.
	JWKSFetched(err error)
}

// The reasons of [Observer.AuthFailed]: a small fixed set, so that
// whatever clients send, a metric labelled with them has few series.
const (
	ReasonMissing     = "missing"      // no credentials, or a token in the query string
	ReasonMalformed   = "malformed"    // not a token this server can read
	ReasonSignature   = "signature"    // unknown key, bad signature, or no keys loaded
	ReasonExpired     = "expired"      // exp in the past
	ReasonIssuer      = "issuer"       // iss not accepted
	ReasonAudience    = "audience"     // aud does not name this server
	ReasonClaims      = "claims"       // another claim check failed (nbf, iat, lifetime, sub)
	ReasonUntrusted   = "untrusted"    // claims header from a peer that is not a trusted proxy
	ReasonRateLimited = "rate_limited" // refused with 429 after repeated failures
	ReasonForbidden   = "forbidden"    // authenticated, but an allow condition or a scope refused
)

// reasonOf classifies an error of a verifier for [Observer.AuthFailed].
func reasonOf(err error) string {
	var te tokenError
	if !errors.As(err, &te) {
		return ReasonMalformed
	}
	switch te {
	case errMissingToken, errQueryToken, errMissingClaims:
		return ReasonMissing
	case errNoKeys, errUnknownKey, errSignature:
		return ReasonSignature
	case errExpired:
		return ReasonExpired
	case errIssuer:
		return ReasonIssuer
	case errAudience:
		return ReasonAudience
	case errNoExp, errNotYetValid, errIssuedInFuture, errLifetime, errNoSubject:
		return ReasonClaims
	case errUntrustedPeer:
		return ReasonUntrusted
	}
	return ReasonMalformed
}
