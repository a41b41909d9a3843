package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mcpforge/mcpforge/runtime/config"
)

// staticAuth is a jwt-local Authenticator whose keys are loaded without a
// JWKS server and which never fetches (the refresh interval has not passed).
func staticAuth(t testing.TB, signers ...signer) (*Authenticator, time.Time) {
	t.Helper()
	cfg := localConfig("https://login.example.com/jwks")
	a, clock := newTestAuth(t, cfg)
	var keys []byte
	keys = append(keys, `{"keys":[`...)
	for i, s := range signers {
		if i > 0 {
			keys = append(keys, ',')
		}
		keys = append(keys, publicJWK(t, s, true)...)
	}
	keys = append(keys, "]}"...)
	set, err := parseJWKS(keys)
	if err != nil {
		t.Fatal(err)
	}
	a.jwks.keys.Store(set)
	a.jwks.mu.Lock()
	a.jwks.loaded = true
	a.jwks.lastAttempt = clock.Now()
	a.jwks.refreshInterval = 1000 * time.Hour
	a.jwks.mu.Unlock()
	return a, clock.Now()
}

func FuzzParseBearer(f *testing.F) {
	for _, s := range []string{
		"", "Bearer abc.def.ghi", "bearer x", "BEARER  x", "Bearer", "Bearer ", "Basic dXNlcjpwdw==",
		"Bearer a b", "Bearer a,b", "Bearer\tx", "Bearer " + strings.Repeat("a", MaxTokenBytes+1), "DPoP abc",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		tok, presented, err := parseBearer([]string{header})
		if err != nil {
			if tok != "" {
				t.Fatalf("token %q returned with error %v", tok, err)
			}
			return
		}
		if !presented || tok == "" || strings.ContainsAny(tok, " \t,") || len(tok) > MaxTokenBytes {
			t.Fatalf("parseBearer(%q) = %q, %v", header, tok, presented)
		}
		if h := strings.TrimLeft(header, " \t"); !strings.EqualFold(h[:6], "bearer") {
			t.Fatalf("non-bearer scheme accepted: %q", header)
		}
	})
}

// FuzzParseToken feeds arbitrary tokens to the whole jwt-local validation.
// It must never panic, and only the seeds' signed bytes may validate.
func FuzzParseToken(f *testing.F) {
	a, now := staticAuth(f, rsaSigner(f), ecSigner(f), edSigner(f))
	claims := validClaims(now)
	valid := map[string]bool{}
	for _, s := range []signer{rsaSigner(f), ecSigner(f), edSigner(f)} {
		tok := sign(f, s, claims, nil)
		f.Add(tok)
		valid[tok[:strings.LastIndexByte(tok, '.')]] = true
	}
	testKeys(f)
	for _, s := range []string{
		"", ".", "..", "a.b.c", "eyJhbGciOiJub25lIn0.e30.",
		b64([]byte(`{"alg":"RS256","crit":["x"]}`)) + "." + b64([]byte(`{}`)) + ".AAAA",
		b64([]byte(`{"alg":"ES256","kid":"ec-1"}`)) + "." + b64([]byte(`{"exp":"1"}`)) + ".AAAA",
		signRS256Raw(f, rsaKey, []byte(`{"alg":"RS256","kid":"rsa-1"}`), mustJSON(claims), base64.URLEncoding),
		b64([]byte(`{"alg":"EdDSA","kid":"ed-1"}`)) + "." + b64([]byte(`{"aud":[1,2,{}]}`)) + "." + b64(make([]byte, 64)),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		got, err := a.local.token(t.Context(), tok)
		if err != nil {
			if got != nil {
				t.Fatal("claims returned with an error")
			}
			return
		}
		i := strings.LastIndexByte(tok, '.')
		if i < 0 || !valid[tok[:i]] {
			t.Fatalf("token that was never signed validated: %q", tok)
		}
	})
}

func FuzzDecodeExternal(f *testing.F) {
	for _, s := range []string{
		"", "e30", "eyJzdWIiOiJhIn0", "eyJzdWIiOiJhIn0=", "eyJzdWIiOiJhIn0===", "W10", "bnVsbA",
		"Bearer a.eyJzdWIiOiJhIn0.b", "a.eyJleHAiOiJ4In0.c", "!!!", strings.Repeat("A", 100),
		"Bearer e30.eyJzdWIiOiJhIn0.b", b64([]byte(`{"sub":"a","sub":"admin"}`)),
		b64([]byte(`{"alg":"RS256","alg":"none"}`)) + "." + b64([]byte(`{"sub":"a"}`)) + ".c",
		b64([]byte(`{"sub":"a","t":{"x":[{"k":1,"k":2}]}}`)),
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, value string, jwtFormat bool) {
		format := config.HeaderFormatIstioPayload
		if jwtFormat {
			format = config.HeaderFormatJWT
		}
		claims, err := decodeExternal(value, format)
		if err == nil && claims == nil {
			t.Fatal("no claims and no error")
		}
		if err != nil && err != errMissingClaims && err != errMalformedClaims && err != errDuplicateClaims {
			t.Fatalf("decodeExternal(%q): %v is not a claims-header error", value, err)
		}
		if err == nil {
			// Whatever was decoded must survive identity building.
			_ = newIdentity(claims, false, nil)
			_, _, _ = numericDate(claims, "exp")
		}
	})
}

// FuzzDecodeClaims checks the duplicate-refusing decoder of token and
// claims JSON against encoding/json: whatever it accepts, encoding/json
// decodes to the same value; it refuses a duplicate exactly when the input
// holds more members than encoding/json's result keeps (each member has one
// colon outside strings); anything else it refuses, encoding/json refuses
// too.
func FuzzDecodeClaims(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"sub":"a"}`, `{"sub":"a","sub":"admin"}`, `{"sub":"a","\u0073ub":"b"}`,
		`{"a":{"b":[1,{"c":2,"c":3}]}}`, `{"a":[{"b":1},{"b":2}]}`, `{"a":1e400,"b":-0,"c":1.5,"d":12345678901234567890}`,
		`{"a":"\ud800","b":"\"}:"}`, "{\"\xff\":1,\"\xfe\":2}", `{"a":1,}`, `{"a":1} x`, `[]`, ` {"a":null} `,
		`{"sub":"","\u0073ub"`, // a duplicate in truncated JSON is malformed first
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeClaims(b)
		want, stdErr := referenceDecodeClaims(b)
		switch {
		case err == nil:
			if stdErr != nil {
				t.Fatalf("%q: accepted, encoding/json refuses it: %v", b, stdErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%q: decoded %#v, encoding/json %#v", b, got, want)
			}
			if n := colonsOutsideStrings(b); n != countMembers(got) {
				t.Fatalf("%q: accepted with %d members, %d colons: a duplicate got through", b, countMembers(got), n)
			}
		case errors.Is(err, errDuplicateKey):
			if stdErr != nil {
				t.Fatalf("%q: duplicate reported in JSON encoding/json refuses: %v", b, stdErr)
			}
			if n := colonsOutsideStrings(b); n <= countMembers(want) {
				t.Fatalf("%q: duplicate reported, yet all %d members are distinct", b, n)
			}
		case err == errMalformed:
			if stdErr == nil {
				t.Fatalf("%q: refused as malformed, encoding/json decodes %#v", b, want)
			}
		default:
			t.Fatalf("%q: unexpected error %v", b, err)
		}
	})
}

// referenceDecodeClaims is the decoder decodeClaims replaced: encoding/json,
// numbers normalized the same way, trailing data refused, duplicates
// resolved last-one-wins.
func referenceDecodeClaims(b []byte) (map[string]any, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil, errMalformed
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errMalformed
	}
	return normalizeNumbers(m).(map[string]any), nil
}

func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeNumbers(e)
		}
	}
	return v
}

// colonsOutsideStrings counts the name separators of valid JSON: one per
// object member.
func colonsOutsideStrings(b []byte) int {
	n, in := 0, false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case in && c == '\\':
			i++ // skip the escaped character
		case c == '"':
			in = !in
		case !in && c == ':':
			n++
		}
	}
	return n
}

// countMembers counts the members of all objects in a decoded value.
func countMembers(v any) int {
	n := 0
	switch x := v.(type) {
	case map[string]any:
		n += len(x)
		for _, e := range x {
			n += countMembers(e)
		}
	case []any:
		for _, e := range x {
			n += countMembers(e)
		}
	}
	return n
}

func FuzzParseJWKS(f *testing.F) {
	f.Add([]byte(`{"keys":[]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`))
	f.Add(bytes.Repeat([]byte("["), 100))
	f.Fuzz(func(t *testing.T, body []byte) {
		set, err := parseJWKS(body)
		if err != nil {
			return
		}
		for _, k := range set.keys {
			for _, alg := range config.SupportedJWTAlgorithms {
				if k.usableWith(alg) {
					_ = k.verify(alg, []byte("a.b"), make([]byte, 64))
				}
			}
		}
	})
}
