package auth

import (
	"encoding/base64"
	"errors"
	"strings"
)

// parseBearer extracts the bearer token from the Authorization header
// values of a request (RFC 6750 section 2.1). The scheme is matched
// case-insensitively ("bearer" works). presented reports whether the client
// sent bearer credentials at all, which decides whether the 401 challenge
// carries error="invalid_token". Other schemes (Basic, ...) are not bearer
// credentials and count as absent.
func parseBearer(values []string) (token string, presented bool, err error) {
	switch len(values) {
	case 0:
		return "", false, errMissingToken
	case 1:
	default:
		return "", true, errManyAuthHeaders
	}
	v := strings.Trim(values[0], " \t")
	scheme, rest, _ := strings.Cut(v, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false, errMissingToken
	}
	token = strings.TrimLeft(rest, " ")
	// Three IndexByte scans are several times faster than ContainsAny on
	// a token of a few hundred bytes, and this runs on every request.
	if token == "" || strings.IndexByte(token, ' ') >= 0 || strings.IndexByte(token, '\t') >= 0 || strings.IndexByte(token, ',') >= 0 {
		return "", true, errMalformed
	}
	if len(token) > MaxTokenBytes {
		return "", true, errTooLarge
	}
	return token, true, nil
}

// maxExternalBytes caps the claims header of the jwt-external strategy.
const maxExternalBytes = 2 * MaxTokenBytes

// decodeExternal decodes the claims an upstream proxy forwarded: Istio's
// outputPayloadToHeader form (the base64url JSON payload of the token) or
// a whole JWT, whose payload is read without verifying the signature again
// (the proxy did); its header must still be a JSON object. The proxy is trusted, so padded and standard-alphabet
// base64 are accepted too; the result must still be a JSON object, and one
// that names no member twice at any depth: the proxy and this server could
// otherwise disagree on who the caller is.
func decodeExternal(value, format string) (map[string]any, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return nil, errMissingClaims
	}
	if len(value) > maxExternalBytes {
		return nil, errMalformedClaims
	}
	payload := value
	if format == "jwt" {
		if scheme, rest, ok := strings.Cut(value, " "); ok && strings.EqualFold(scheme, "Bearer") {
			value = strings.TrimSpace(rest)
		}
		parts := strings.Split(value, ".")
		if len(parts) != 3 {
			return nil, errMalformedClaims
		}
		// The header is not used, but it must be what the proxy verified:
		// one JSON object naming no member twice.
		if _, err := decodeExternalJSON(parts[0]); err != nil {
			return nil, err
		}
		payload = parts[1]
	}
	return decodeExternalJSON(payload)
}

// decodeExternalJSON decodes one base64 JSON object of a claims header.
func decodeExternalJSON(s string) (map[string]any, error) {
	b, ok := decodeLenientBase64(s)
	if !ok {
		return nil, errMalformedClaims
	}
	m, err := decodeClaims(b)
	if errors.Is(err, errDuplicateKey) {
		return nil, errDuplicateClaims
	}
	if err != nil {
		return nil, errMalformedClaims
	}
	return m, nil
}

func decodeLenientBase64(s string) ([]byte, bool) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, false
	}
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.StdEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}
