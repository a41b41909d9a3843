package auth

import (
	"bytes"
	"encoding/base64"
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
		got, err := a.validateToken(t.Context(), tok)
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
		if err == nil {
			// Whatever was decoded must survive identity building.
			_ = newIdentity(claims, false, nil)
			_, _, _ = numericDate(claims, "exp")
		}
	})
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
