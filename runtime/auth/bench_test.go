package auth

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/mcpforge/mcpforge/runtime/envelope"
)

// The benchmarks validate one repeated token against cached keys. Compare
// BenchmarkValidateRS256 (everything this package checks, signature cached)
// and BenchmarkValidateRS256Uncached (signature verified each time) with
// BenchmarkJWXParseRS256 (jwt.Parse with the key, issuer and audience) and
// BenchmarkJWXVerifyRS256 (jws.Verify: the signature alone). BenchmarkGuard
// is what a request costs in this package: the middlewares httpserver
// chains, allow conditions included.

func benchValidate(b *testing.B, s signer, cached bool) {
	a, now := staticAuth(b, s)
	if !cached {
		a.local.verified = nil
	}
	tok := sign(b, s, validClaims(now), nil)
	ctx := b.Context()
	if _, err := a.local.token(ctx, tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := a.local.token(ctx, tok); err != nil {
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

// BenchmarkMiddlewareRS256 is one authenticated request through the
// middlewares (rate limit, verification, rules, scopes), a new request
// and recorder each time, as a server receives it.
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

// discardWriter is a ResponseWriter that keeps nothing, so the benchmarks
// below count the allocations of the middlewares alone.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }

// benchGuard is a jwt-local Authenticator as the throughput benchmark
// against bare mcp-go configures it: rate limiting on, the allow conditions
// given, keys loaded. It returns a valid token too.
func benchGuard(b testing.TB, conds ...string) (*Authenticator, string) {
	s := rsaSigner(b)
	cfg := localConfig("https://login.example.com/jwks")
	cfg.RateLimit.Enabled = true
	cfg.Local.AllowConditions = conds
	a, clock := newTestAuth(b, cfg)
	set, err := parseJWKS([]byte(`{"keys":[` + string(publicJWK(b, s, true)) + `]}`))
	if err != nil {
		b.Fatal(err)
	}
	a.jwks.keys.Store(set)
	a.jwks.mu.Lock()
	a.jwks.loaded = true
	a.jwks.lastAttempt = clock.Now()
	a.jwks.refreshInterval = 1000 * time.Hour
	a.jwks.mu.Unlock()
	return a, sign(b, s, validClaims(clock.Now()), nil)
}

// guardPath returns the handler chain Authenticate, Rules, Scopes as
// httpserver places it, a request presenting a repeated token with body and
// its envelope in the context, and a function sending that request once;
// reached counts the requests let through.
func guardPath(tb testing.TB, body string, conds ...string) (send func(), w *discardWriter, reached *int) {
	a, tok := benchGuard(tb, conds...)
	reached = new(int)
	h := a.Authenticate(a.Rules(a.Scopes(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { *reached++ }))))
	env := envelope.Parse([]byte(body))
	r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:8080/mcp", nil)
	if err != nil {
		tb.Fatal(err)
	}
	r.RemoteAddr = "192.0.2.7:40000"
	r.Header.Set("Authorization", "Bearer "+tok)
	r.Header.Set("Content-Type", "application/json")
	r = r.WithContext(envelope.WithHolder(r.Context(), &env))
	raw := []byte(body)
	rd := bytes.NewReader(raw)
	rc := io.NopCloser(rd)
	w = &discardWriter{h: http.Header{}}
	return func() {
		rd.Reset(raw) // a body, as httpserver leaves it for mcp-go
		r.Body = rc
		h.ServeHTTP(w, r)
	}, w, reached
}

// benchGuardPath measures guardPath.
func benchGuardPath(b *testing.B, body string, conds ...string) {
	send, w, reached := guardPath(b, body, conds...)
	b.ReportAllocs()
	for b.Loop() {
		send()
	}
	if w.code != 0 || *reached == 0 {
		b.Fatalf("refused: status %d", w.code)
	}
}

const benchCall = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"hello_world","arguments":{"name":"Ada"}}}`

var claimConds = []string{`'reader' in claims.roles`, `claims.tenant.id == 'acme'`}

// BenchmarkGuard is the hot path of an authorized server: a repeated
// token through Authenticate, Rules (two CEL conditions) and Scopes, by a
// caller who lacks some tool's scope, so that the called tool is looked
// up.
func BenchmarkGuard(b *testing.B) {
	claimsOnly := claimConds
	b.Run("tools-call", func(b *testing.B) { benchGuardPath(b, benchCall, claimsOnly...) })
	b.Run("tools-call-request-cond", func(b *testing.B) {
		benchGuardPath(b, benchCall, `'reader' in claims.roles`, `request.method == 'POST'`)
	})
	b.Run("ping", func(b *testing.B) { benchGuardPath(b, `{"jsonrpc":"2.0","id":8,"method":"ping"}`, claimsOnly...) })
	b.Run("no-conditions", func(b *testing.B) { benchGuardPath(b, benchCall) })
}

// TestGuardAllocations holds the hot path to the two allocations of
// passing the identity on (http.Request.WithContext and its context):
// everything about a repeated token, its claims as CEL reads them, the
// request variable of conditions and the called tools are found without
// allocating.
func TestGuardAllocations(t *testing.T) {
	for _, tc := range []struct {
		name  string
		conds []string
	}{
		{"no conditions", nil},
		{"claims conditions", claimConds},
		{"request condition", []string{`request.method == 'POST' && request.path == '/mcp'`}},
	} {
		send, w, reached := guardPath(t, benchCall, tc.conds...)
		send()
		if w.code != 0 || *reached != 1 {
			t.Fatalf("%s: refused: status %d", tc.name, w.code)
		}
		if got := testing.AllocsPerRun(200, send); got > 2 {
			t.Errorf("%s: %v allocations per request, want at most 2", tc.name, got)
		}
	}
}
