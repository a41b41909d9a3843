package auth

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/mcpforge/mcpforge/runtime/config"
)

func TestRateLimitFailedAuth(t *testing.T) {
	f := newLocalFixture(t, func(c *config.Auth) {
		c.RateLimit = config.RateLimit{Enabled: true, Burst: 3, RefillInterval: config.Duration{Duration: 20 * time.Second}, MaxClients: 100}
	})
	good := sign(t, rsaSigner(t), validClaims(f.clock.Now()), nil)
	for i := range 3 {
		if resp, _ := do(t, f.url, bearer("garbage")); resp.StatusCode != 401 {
			t.Fatalf("failure %d: status %d, want 401", i+1, resp.StatusCode)
		}
	}
	// The bucket is empty: even a good token waits, so guessing stops.
	resp, body := do(t, f.url, bearer(good))
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "20" {
		t.Fatalf("status %d Retry-After %q body %s; want 429 with Retry-After 20", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	f.clock.Advance(5 * time.Second)
	if resp, _ := do(t, f.url, nil); resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "15" {
		t.Fatalf("status %d Retry-After %q; want 429 with Retry-After 15", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// One token has come back: one request may go, and it succeeds.
	f.clock.Advance(15 * time.Second)
	if resp, _ := do(t, f.url, bearer(good)); resp.StatusCode != 200 {
		t.Fatalf("after refill: status %d, want 200", resp.StatusCode)
	}
	// Successes do not spend tokens; the next failure does.
	if resp, _ := do(t, f.url, bearer(good)); resp.StatusCode != 200 {
		t.Fatalf("second success: status %d", resp.StatusCode)
	}
	if resp, _ := do(t, f.url, nil); resp.StatusCode != 401 {
		t.Fatalf("failure with one token left: status %d, want 401", resp.StatusCode)
	}
	if resp, _ := do(t, f.url, nil); resp.StatusCode != 429 {
		t.Fatalf("failure with none left: status %d, want 429", resp.StatusCode)
	}
	// Never locked out for good: a full refill restores the whole burst.
	f.clock.Advance(time.Hour)
	for i := range 3 {
		if resp, _ := do(t, f.url, nil); resp.StatusCode != 401 {
			t.Fatalf("after a full refill, failure %d: status %d", i+1, resp.StatusCode)
		}
	}
}

// Behind a trusted proxy each client has its own bucket (X-Forwarded-For);
// from an untrusted peer the header is ignored.
func TestRateLimitForwardedFor(t *testing.T) {
	limited := func(trusted []string) *Authenticator {
		cfg := localConfig("https://login.example.com/jwks")
		cfg.TrustedProxies = trusted
		cfg.RateLimit = config.RateLimit{Enabled: true, Burst: 1, RefillInterval: config.Duration{Duration: time.Hour}, MaxClients: 100}
		a, _ := newTestAuth(t, cfg)
		return a
	}
	send := func(h http.Handler, xff string) int {
		r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
		r.RemoteAddr = "127.0.0.1:5555"
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}

	behindProxy := guarded(limited([]string{"127.0.0.1/32", "10.0.0.0/8"}), echoIdentity)
	if send(behindProxy, "203.0.113.1") != 401 || send(behindProxy, "203.0.113.1") != 429 {
		t.Fatal("client 203.0.113.1 not limited")
	}
	if got := send(behindProxy, "203.0.113.2"); got != 401 {
		t.Fatalf("a second client behind the same proxy shares the first one's bucket: %d", got)
	}
	// The client cannot pick its address by prepending entries: the
	// right-most untrusted hop counts.
	if got := send(behindProxy, "198.51.100.9, 203.0.113.1"); got != 429 {
		t.Fatalf("prepended X-Forwarded-For escaped the limit: %d", got)
	}
	if got := send(behindProxy, "203.0.113.1, 10.0.0.5"); got != 429 {
		t.Fatalf("chain of trusted proxies: %d, want 429 for 203.0.113.1", got)
	}

	direct := guarded(limited(nil), echoIdentity)
	if send(direct, "203.0.113.1") != 401 {
		t.Fatal("first failure")
	}
	if got := send(direct, "203.0.113.99"); got != 429 {
		t.Fatalf("X-Forwarded-For from an untrusted peer changed the client: %d", got)
	}
}

func TestRateLimitBoundedMemory(t *testing.T) {
	l := newLimiter(2, time.Minute, 100)
	now := time.Now()
	for i := range 10_000 {
		l.fail(limiterKey(netip.MustParseAddr(fmt.Sprintf("10.0.%d.%d", i/256, i%256))), now.Add(time.Duration(i)*time.Millisecond))
		if n := l.size(); n > 100 {
			t.Fatalf("limiter holds %d clients, more than 100", n)
		}
	}
	// The most recent offender is still limited after the evictions.
	last := limiterKey(netip.MustParseAddr("10.0.39.15")) // i = 9999
	l.fail(last, now.Add(10*time.Second))
	if _, blocked := l.blocked(last, now.Add(10*time.Second)); !blocked {
		t.Fatal("the latest client was forgotten")
	}
}

func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tc := range []struct {
		remote, xff, want string
	}{
		{"192.0.2.1:1234", "", "192.0.2.1"},
		{"192.0.2.1:1234", "10.0.0.1", "192.0.2.1"},
		{"10.0.0.2:1234", "", "10.0.0.2"},
		{"10.0.0.2:1234", "192.0.2.7", "192.0.2.7"},
		{"10.0.0.2:1234", "192.0.2.7, 10.0.0.9", "192.0.2.7"},
		{"10.0.0.2:1234", "garbage, 192.0.2.7", "192.0.2.7"},
		{"10.0.0.2:1234", "192.0.2.7, garbage", "10.0.0.2"},
		{"10.0.0.2:1234", "[2001:db8::1]:443", "2001:db8::1"},
		{"[::ffff:10.0.0.2]:1234", "192.0.2.8", "192.0.2.8"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := clientAddr(r, trusted).String(); got != tc.want {
			t.Errorf("remote %s xff %q: %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
	if got := limiterKey(netip.MustParseAddr("2001:db8:1:2:3:4:5:6")).String(); got != "2001:db8:1:2::/64" {
		t.Errorf("IPv6 key %s, want its /64", got)
	}
}

// countingVerifier accepts requests that carry X-Ok and counts its calls.
type countingVerifier struct{ calls int }

func (v *countingVerifier) verify(r *http.Request) (*Identity, bool, error) {
	v.calls++
	if r.Header.Get("X-Ok") == "" {
		return nil, true, errMalformed
	}
	return &Identity{Subject: "alice"}, true, nil
}

// The rate-limit middleware counts failed verifications only, and refuses
// a client whose bucket is empty before its request reaches the verifier.
func TestRateLimitCountsOnlyFailures(t *testing.T) {
	cfg := localConfig("https://login.example.com/jwks")
	cfg.RateLimit = config.RateLimit{Enabled: true, Burst: 2, RefillInterval: config.Duration{Duration: time.Hour}, MaxClients: 100}
	a, _ := newTestAuth(t, cfg)
	v := &countingVerifier{}
	a.verifier = v
	h := a.Authenticate(echoIdentity)
	send := func(ok bool) int {
		r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
		r.RemoteAddr = "192.0.2.1:4000"
		if ok {
			r.Header.Set("X-Ok", "1")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	for i := range 50 {
		if got := send(true); got != 200 {
			t.Fatalf("success %d: status %d", i+1, got)
		}
	}
	if n := a.limiter.size(); n != 0 {
		t.Fatalf("successes created %d buckets", n)
	}
	if send(false) != 401 || send(true) != 200 || send(false) != 401 {
		t.Fatal("two failures within the burst were not 401, or a success between them was refused")
	}
	calls := v.calls
	if got := send(true); got != 429 {
		t.Fatalf("after the burst: status %d, want 429", got)
	}
	if v.calls != calls {
		t.Error("a request of a blocked client reached the verifier")
	}
	if got := send(false); got != 429 || v.calls != calls {
		t.Errorf("blocked failure: status %d, verifier calls %d -> %d", got, calls, v.calls)
	}
}

// size returns the number of clients l tracks.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
