package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func init() {
	registerHardening(hardeningCheck{
		name: "relay-failing-provider",
		// The relay of /.well-known/oauth-authorization-server exists only
		// on jwt-local servers with OAuth.
		applies: func(a variantAnswers) bool { return a.Auth == "jwt-local" && (a.OAuth == nil || *a.OAuth) },
		run:     checkRelayFailingProvider,
	})
}

// checkRelayFailingProvider points the server's issuer at a provider that
// answers 500 everywhere and asks the relay 50 times at once: the provider
// must see one discovery, not one per request (today: 101 fetches), and the
// 502s must not show where the server fetched from.
func checkRelayFailingProvider(t *testing.T, bin string, sec *security, _ variantAnswers, transport string) {
	var hits atomic.Int64
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "internal error at "+r.URL.Path, http.StatusInternalServerError)
	}))
	defer upstream.Close()

	s := *sec
	s.env = append(append([]string(nil), sec.env...),
		// The issuer is the failing provider; the keys stay with the test's
		// JWKS (set in sec.env), so the server still becomes ready.
		sec.envPrefix+"_MIDDLEWARE_JWT_LOCAL_ISSUER="+upstream.URL,
		sec.envPrefix+"_OAUTH_STRICT=false",
		// Long enough that no backoff ends during the test, whatever the
		// machine's speed: the bound below counts on it.
		sec.envPrefix+"_OAUTH_METADATA_FAILURE_BACKOFF=1m",
	)
	p := startServer(t, bin, &s, "--transport", transport)

	const n = 50
	type answer struct {
		status     int
		retryAfter string
		body       string
	}
	answers := make([]answer, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range answers {
		wg.Go(func() {
			<-start
			resp, err := http.Get(p.base + "/.well-known/oauth-authorization-server")
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			answers[i] = answer{resp.StatusCode, resp.Header.Get("Retry-After"), string(body)}
		})
	}
	close(start)
	wg.Wait()

	leaks := []string{upstream.URL, strings.TrimPrefix(upstream.URL, "http://"), "status 500", "internal error", "openid-configuration"}
	for i, a := range answers {
		if a.status != http.StatusBadGateway {
			t.Fatalf("request %d: status %d, want 502\n%s", i, a.status, a.body)
		}
		var doc struct {
			Error string `json:"error"`
		}
		if err := json.Unmarshal([]byte(a.body), &doc); err != nil || doc.Error != "bad_gateway" {
			t.Errorf("request %d: body %q, want a JSON bad_gateway error", i, a.body)
		}
		for _, leak := range leaks {
			if strings.Contains(a.body, leak) {
				t.Fatalf("request %d: the public body reveals %q: %s", i, leak, a.body)
			}
		}
		if secs, err := strconv.Atoi(a.retryAfter); err != nil || secs < 1 || secs > 60 {
			t.Errorf("request %d: Retry-After %q, want the seconds left of the 1m backoff", i, a.retryAfter)
		}
	}

	// The bound: one discovery, which for an issuer without a path tries
	// two URLs (RFC 8414, then OpenID Connect), so at most 2 upstream
	// requests. The start-up check and the 50 requests either share that
	// fetch while it is in flight or get its failure, remembered for the
	// 1m backoff; a second discovery would need the backoff to end.
	if got := hits.Load(); got < 1 || got > 2 {
		t.Errorf("the failing provider got %d requests for the start-up check and %d relay requests, want 1 or 2 (one discovery)", got, n)
	}

	// The details are the operator's: in the log, once per failed fetch.
	const line = "authorization server metadata unavailable"
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(p.stderr.String(), upstream.URL); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the log does not name the upstream URL:\n%s", p.stderr.String())
		}
	}
	logs := p.stderr.String()
	if !strings.Contains(logs, "status 500") {
		t.Errorf("the log does not say what the provider answered:\n%s", logs)
	}
	if c := strings.Count(logs, line); c != 1 {
		t.Errorf("%q logged %d times, want once (one failed fetch)", line, c)
	}
}
