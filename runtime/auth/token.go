package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"sync"
	"time"
)

// MaxTokenBytes is the largest bearer token accepted. Real access tokens are
// a few hundred bytes to a few KiB; anything larger is refused before it is
// decoded, so a client cannot make the server parse megabytes of JSON.
const MaxTokenBytes = 8 << 10

// tokenError is a reason to refuse a token, worded for the client (it ends
// up in the error_description of the 401 body).
type tokenError string

func (e tokenError) Error() string { return string(e) }

// The reasons a token is refused. They are deliberately short: the client
// learns what is wrong with its token, nothing about the server.
const (
	errMissingToken    tokenError = "missing bearer token in the Authorization header"
	errQueryToken      tokenError = "tokens in the query string are not accepted; send an Authorization: Bearer header"
	errManyAuthHeaders tokenError = "more than one Authorization header"
	errTooLarge        tokenError = "token is larger than 8 KiB"
	errMalformed       tokenError = "malformed token"
	errAlgorithm       tokenError = "token algorithm is not accepted"
	errCrit            tokenError = "token has critical header parameters this server does not understand"
	errTyp             tokenError = "token type is not at+jwt"
	errNoKeys          tokenError = "no signing keys are available"
	errUnknownKey      tokenError = "token is signed with an unknown key"
	errSignature       tokenError = "token signature is invalid"
	errIssuer          tokenError = "token issuer is not accepted"
	errAudience        tokenError = "token audience does not include this server"
	errNoExp           tokenError = "token has no expiry (exp)"
	errExpired         tokenError = "token has expired"
	errNotYetValid     tokenError = "token is not valid yet (nbf)"
	errIssuedInFuture  tokenError = "token is issued in the future (iat)"
	errNumericDate     tokenError = "token time claims must be numbers"
	errUntrustedPeer   tokenError = "claims header not accepted from this client"
	errMissingClaims   tokenError = "missing claims header"
	errMalformedClaims tokenError = "malformed claims header"
)

// rawURL is the only base64 variant JWS compact serialization allows:
// URL-safe alphabet, no padding, zero trailing bits.
var rawURL = base64.RawURLEncoding.Strict()

// compactToken is a JWS compact serialization split into its parts, with
// header and claims decoded.
type compactToken struct {
	header       map[string]json.RawMessage
	alg, kid     string
	claims       map[string]any
	signingInput []byte
	signature    []byte

	// The identity of a verified token is built once and shared by every
	// request presenting the token (see verifiedCache).
	idOnce sync.Once
	id     Identity
}

// identity returns the caller identity of a verified token.
func (t *compactToken) identity(exposeAll bool, exposed map[string]bool) Identity {
	t.idOnce.Do(func() { t.id = newIdentity(t.claims, exposeAll, exposed) })
	return t.id
}

// parseCompact decodes a JWS compact serialization strictly: exactly three
// dot-separated parts of unpadded base64url, a JSON object header with a
// string alg, a JSON object payload. It verifies nothing.
func parseCompact(tok string) (*compactToken, error) {
	if len(tok) > MaxTokenBytes {
		return nil, errTooLarge
	}
	// The decoders of encoding/base64 skip \r and \n, and padded or
	// standard-alphabet input has other characters: check the alphabet
	// first so only canonical base64url reaches them.
	dots := 0
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		case c == '.':
			dots++
		default:
			return nil, errMalformed
		}
	}
	if dots != 2 {
		return nil, errMalformed
	}
	first := strings.IndexByte(tok, '.')
	last := strings.LastIndexByte(tok, '.')
	h64, p64, s64 := tok[:first], tok[first+1:last], tok[last+1:]
	if h64 == "" || p64 == "" || s64 == "" {
		return nil, errMalformed
	}
	hb, err := rawURL.DecodeString(h64)
	if err != nil {
		return nil, errMalformed
	}
	pb, err := rawURL.DecodeString(p64)
	if err != nil {
		return nil, errMalformed
	}
	sig, err := rawURL.DecodeString(s64)
	if err != nil {
		return nil, errMalformed
	}
	t := &compactToken{signingInput: []byte(tok[:last]), signature: sig}
	// Header names are case-sensitive (RFC 7515): decode into a map so
	// "ALG" or "Crit" is never mistaken for "alg" or "crit", as
	// encoding/json's case-insensitive struct matching would.
	if err := decodeObject(hb, &t.header); err != nil {
		return nil, errMalformed
	}
	if err := json.Unmarshal(t.header["alg"], &t.alg); err != nil || t.alg == "" {
		return nil, errMalformed
	}
	if raw, ok := t.header["kid"]; ok {
		if err := json.Unmarshal(raw, &t.kid); err != nil {
			return nil, errMalformed
		}
	}
	claims, err := decodeClaims(pb)
	if err != nil {
		return nil, errMalformed
	}
	t.claims = claims
	return t, nil
}

// decodeObject decodes exactly one JSON object from b into v, refusing
// trailing data.
func decodeObject(b []byte, v any) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return errMalformed
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errMalformed
	}
	return nil
}

// decodeClaims decodes a JSON object of claims. Numbers become int64 when
// they are integers (so CEL compares them with integer literals) and
// float64 otherwise.
func decodeClaims(b []byte) (map[string]any, error) {
	var m map[string]any
	if err := decodeObject(b, &m); err != nil {
		return nil, err
	}
	for k, v := range m {
		m[k] = normalizeJSON(v)
	}
	return m, nil
}

func normalizeJSON(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, err := x.Float64()
		if err != nil {
			// Out of range for float64 too; keep the text rather than lose it.
			return x.String()
		}
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeJSON(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalizeJSON(e)
		}
		return x
	}
	return v
}

// numericDate reads a NumericDate claim (RFC 7519: seconds since the epoch,
// a JSON number). present is false when the claim is absent; a string,
// boolean or other type is an error, unlike jwx, which accepts "exp":"123".
func numericDate(claims map[string]any, name string) (t time.Time, present bool, err error) {
	v, ok := claims[name]
	if !ok {
		return time.Time{}, false, nil
	}
	var secs float64
	switch x := v.(type) {
	case int64:
		secs = float64(x)
	case float64:
		secs = x
	default:
		return time.Time{}, true, errNumericDate
	}
	if math.IsNaN(secs) || math.IsInf(secs, 0) {
		return time.Time{}, true, errNumericDate
	}
	// Clamp absurd values instead of overflowing time arithmetic.
	const maxSecs = 1 << 40
	secs = math.Max(-maxSecs, math.Min(maxSecs, secs))
	whole, frac := math.Modf(secs)
	return time.Unix(int64(whole), int64(frac*1e9)), true, nil
}

// checkTimes applies exp (required), nbf and iat with leeway.
func checkTimes(claims map[string]any, now time.Time, leeway time.Duration) error {
	exp, ok, err := numericDate(claims, "exp")
	if err != nil {
		return err
	}
	if !ok {
		return errNoExp
	}
	if !now.Before(exp.Add(leeway)) {
		return errExpired
	}
	nbf, ok, err := numericDate(claims, "nbf")
	if err != nil {
		return err
	}
	if ok && now.Add(leeway).Before(nbf) {
		return errNotYetValid
	}
	iat, ok, err := numericDate(claims, "iat")
	if err != nil {
		return err
	}
	if ok && now.Add(leeway).Before(iat) {
		return errIssuedInFuture
	}
	return nil
}

// audienceContains reports whether the aud claim (a string or a list of
// strings, RFC 7519 section 4.1.3) contains want.
func audienceContains(claims map[string]any, want string) bool {
	switch v := claims["aud"].(type) {
	case string:
		return v == want
	case []any:
		found := false
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return false
			}
			found = found || s == want
		}
		return found
	}
	return false
}
