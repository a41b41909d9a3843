package auth

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// The benchmarks validate one repeated token against cached keys. Compare
// BenchmarkValidateRS256 (everything this package checks, signature cached)
// and BenchmarkValidateRS256Uncached (signature verified each time) with
// BenchmarkJWXParseRS256 (jwt.Parse with the key, issuer and audience) and
// BenchmarkJWXVerifyRS256 (jws.Verify: the signature alone).

func benchValidate(b *testing.B, s signer, cached bool) {
	a, now := staticAuth(b, s)
	if !cached {
		a.verified = nil
	}
	tok := sign(b, s, validClaims(now), nil)
	ctx := b.Context()
	if _, err := a.validateToken(ctx, tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := a.validateToken(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateRS256 is the repeated-token case: the signature is
// verified once and cached; every other check runs each time.
func BenchmarkValidateRS256(b *testing.B) { benchValidate(b, rsaSigner(b), true) }

// BenchmarkValidateRS256Uncached verifies the signature every time, as for
// a token seen for the first time.
func BenchmarkValidateRS256Uncached(b *testing.B) { benchValidate(b, rsaSigner(b), false) }
func BenchmarkValidateES256Uncached(b *testing.B) { benchValidate(b, ecSigner(b), false) }
func BenchmarkValidateEdDSAUncached(b *testing.B) { benchValidate(b, edSigner(b), false) }

func BenchmarkJWXParseRS256(b *testing.B) {
	s := rsaSigner(b)
	_, now := staticAuth(b, s)
	tok := []byte(sign(b, s, validClaims(now), nil))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := jwt.Parse(tok, jwt.WithKey(jwa.RS256(), &rsaKey.PublicKey), jwt.WithIssuer(testIssuer), jwt.WithAudience(testAudience)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJWXVerifyRS256(b *testing.B) {
	s := rsaSigner(b)
	_, now := staticAuth(b, s)
	tok := []byte(sign(b, s, validClaims(now), nil))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := jws.Verify(tok, jws.WithKey(jwa.RS256(), &rsaKey.PublicKey)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMiddlewareRS256 is one authenticated request through the whole
// middleware (rate limiter, validation, session and scope checks).
func BenchmarkMiddlewareRS256(b *testing.B) {
	s := rsaSigner(b)
	a, now := staticAuth(b, s)
	tok := sign(b, s, validClaims(now), nil)
	h := guarded(a, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
	}
}
