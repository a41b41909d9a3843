package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
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
	errBadExp          tokenError = "token exp is not a valid NumericDate (seconds from 0 to 253402300799)"
	errBadNbf          tokenError = "token nbf is not a valid NumericDate (seconds from 0 to 253402300799)"
	errBadIat          tokenError = "token iat is not a valid NumericDate (seconds from 0 to 253402300799)"
	errLifetime        tokenError = "token expires too far ahead (exp is beyond the maximum token lifetime this server accepts)"
	errNoSubject       tokenError = "token has no subject (sub must be a non-empty string)"
	errDuplicateKey    tokenError = "token JSON names the same member twice"
	errUntrustedPeer   tokenError = "claims header not accepted from this client"
	errMissingClaims   tokenError = "missing claims header"
	errMalformedClaims tokenError = "malformed claims header"
	errDuplicateClaims tokenError = "claims header JSON names the same member twice"
)

// maxNumericDate is the last second of the year 9999 (UTC). A time claim
// beyond it (or negative, or not a finite number) is refused rather than
// clamped: clamping turned "exp": 1e30 into a token that never expires.
const maxNumericDate = 253402300799

// rawURL is the only base64 variant JWS compact serialization allows:
// URL-safe alphabet, no padding, zero trailing bits.
var rawURL = base64.RawURLEncoding.Strict()

// compactToken is a JWS compact serialization split into its parts, with
// header and claims decoded.
type compactToken struct {
	header       map[string]any
	alg, kid     string
	claims       map[string]any
	signingInput []byte
	signature    []byte

	// Set by claimChecks.prepare once the signature is verified, before
	// the token is shared through the verifiedCache: the claims never
	// change, so what can be found out about them once is.
	verdict   error      // the first failing check that does not depend on the time
	times     tokenTimes // exp, nbf, iat, for the checks that do
	noSubject error      // errNoSubject, checked last
	id        Identity   // the caller, when every check above passed
}

// parseCompact decodes a JWS compact serialization strictly: exactly three
// dot-separated parts of unpadded base64url, a JSON object header with a
// string alg, a JSON object payload. It verifies nothing, and leaves
// bounding the size of tok to its callers.
func parseCompact(tok string) (*compactToken, error) {
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
	if t.header, err = decodeClaims(hb); err != nil {
		return nil, malformed(err)
	}
	if t.alg, _ = t.header["alg"].(string); t.alg == "" {
		return nil, errMalformed
	}
	switch kid := t.header["kid"].(type) {
	case string:
		t.kid = kid
	case nil: // absent, or null
	default:
		return nil, errMalformed
	}
	if t.claims, err = decodeClaims(pb); err != nil {
		return nil, malformed(err)
	}
	return t, nil
}

// malformed maps a JSON decoding error of a token to its reason: a
// duplicate member name is named as such, anything else is malformed.
func malformed(err error) error {
	if errors.Is(err, errDuplicateKey) {
		return errDuplicateKey
	}
	return errMalformed
}

// decodeClaims decodes exactly one JSON object from b (a JWT header or
// payload, or forwarded claims), refusing trailing data and, with
// errDuplicateKey, any object at any depth that names a member twice.
// encoding/json lets the last duplicate win, so {"sub":"a","sub":"admin"}
// would be admin here while another parser (the proxy's, the issuer's
// audit log) sees "a". Numbers become int64 when they are integers (so CEL
// compares them with integer literals) and float64 otherwise; a number
// beyond float64 keeps its text.
func decodeClaims(b []byte) (map[string]any, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil, errMalformed
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, errMalformed
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errMalformed
	}
	// Only well-formed JSON gets here, so a duplicate is reported only
	// when it is the one thing wrong with the input.
	if err := checkDuplicateKeys(b); err != nil {
		return nil, err
	}
	for k, v := range m {
		m[k] = normalizeJSON(v)
	}
	return m, nil
}

// checkDuplicateKeys returns errDuplicateKey when an object anywhere in b,
// which must be valid JSON, names a member twice. Names are compared as
// encoding/json decodes them: "sub" and "\u0073ub" are the same member,
// and so are two names whose invalid UTF-8 both decodes to U+FFFD. The
// names of each object are sorted when it closes, so a hostile token with
// thousands of members costs O(n log n), not O(n²), and plain names are
// compared in place, without copies.
func checkDuplicateKeys(b []byte) error {
	// names holds the member names of the open objects, innermost last;
	// starts[i] is where the names of the i-th open object begin. Arrays
	// need no entry: a member name belongs to the innermost open object.
	var nameBuf [32][]byte
	var startBuf [8]int
	names, starts := nameBuf[:0], startBuf[:0]
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '{':
			starts = append(starts, len(names))
		case '}':
			own := names[starts[len(starts)-1]:]
			slices.SortFunc(own, bytes.Compare)
			for j := 1; j < len(own); j++ {
				if bytes.Equal(own[j-1], own[j]) {
					return errDuplicateKey
				}
			}
			names = names[:starts[len(starts)-1]]
			starts = starts[:len(starts)-1]
		case '"':
			end, plain := i+1, true
			for ; b[end] != '"'; end++ {
				if b[end] == '\\' {
					end++ // the escaped character cannot end the string
					plain = false
				} else if b[end] >= utf8.RuneSelf {
					plain = false
				}
			}
			lit := b[i : end+1]
			i = end
			next := end + 1
			for next < len(b) && (b[next] == ' ' || b[next] == '\t' || b[next] == '\n' || b[next] == '\r') {
				next++
			}
			if next == len(b) || b[next] != ':' {
				continue // a value, not a member name
			}
			name := lit[1 : len(lit)-1]
			if !plain {
				var s string
				if err := json.Unmarshal(lit, &s); err != nil {
					return errMalformed
				}
				name = []byte(s)
			}
			names = append(names, name)
		}
	}
	return nil
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
// a JSON number). present is false when the claim is absent. A string,
// boolean or other type is an error, unlike jwx, which accepts "exp":"123";
// so is a number outside 0 to 253402300799 (the end of the year 9999): such
// a date is refused as malformed, never clamped into range.
func numericDate(claims map[string]any, name string) (t time.Time, present bool, err error) {
	v, ok := claims[name]
	if !ok {
		return time.Time{}, false, nil
	}
	var secs float64
	switch x := v.(type) {
	case int64:
		if x < 0 || x > maxNumericDate {
			return time.Time{}, true, badDate(name)
		}
		return time.Unix(x, 0), true, nil
	case float64:
		secs = x
	default:
		return time.Time{}, true, badDate(name)
	}
	// NaN fails both comparisons; infinities fail one.
	if !(secs >= 0 && secs <= maxNumericDate) {
		return time.Time{}, true, badDate(name)
	}
	whole, frac := math.Modf(secs)
	return time.Unix(int64(whole), int64(frac*1e9)), true, nil
}

// badDate is the reason a malformed time claim is refused.
func badDate(name string) tokenError {
	switch name {
	case "nbf":
		return errBadNbf
	case "iat":
		return errBadIat
	}
	return errBadExp
}

// tokenTimes are the time claims of a token.
type tokenTimes struct {
	exp, nbf, iat  time.Time
	hasNbf, hasIat bool
}

// parseTimes reads exp (required), nbf and iat. Every time claim present
// must be a valid NumericDate, even one whose check would pass anyway.
func parseTimes(claims map[string]any) (tokenTimes, error) {
	var tt tokenTimes
	exp, ok, err := numericDate(claims, "exp")
	if err != nil {
		return tt, err
	}
	if !ok {
		return tt, errNoExp
	}
	tt.exp = exp
	if tt.nbf, tt.hasNbf, err = numericDate(claims, "nbf"); err != nil {
		return tt, err
	}
	if tt.iat, tt.hasIat, err = numericDate(claims, "iat"); err != nil {
		return tt, err
	}
	return tt, nil
}

// check applies exp, nbf and iat at now with leeway, and refuses a token
// whose exp lies more than maxLifetime (plus leeway) ahead of now;
// maxLifetime 0 allows any lifetime.
func (tt *tokenTimes) check(now time.Time, leeway, maxLifetime time.Duration) error {
	if !now.Before(tt.exp.Add(leeway)) {
		return errExpired
	}
	if maxLifetime > 0 && tt.exp.After(now.Add(maxLifetime+leeway)) {
		return errLifetime
	}
	if tt.hasNbf && now.Add(leeway).Before(tt.nbf) {
		return errNotYetValid
	}
	if tt.hasIat && now.Add(leeway).Before(tt.iat) {
		return errIssuedInFuture
	}
	return nil
}

// checkSubject requires the sub claim to be a non-empty string. Sessions
// are bound to the subject and tools identify callers by it: without one,
// every such caller would share one owner.
func checkSubject(claims map[string]any) error {
	if sub, ok := claims["sub"].(string); !ok || sub == "" {
		return errNoSubject
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
