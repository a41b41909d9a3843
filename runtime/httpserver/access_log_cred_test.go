package httpserver

import (
	"net/http"
	"slices"
	"testing"

	"github.com/mcpforge/mcpforge/runtime/config"
)

func TestCredentialHeadersRedactedWithJWTExternal(t *testing.T) {
	a := config.DefaultAuth()
	if got := credentialHeaders(a); len(got) != 0 {
		t.Errorf("strategy none: %v, want none", got)
	}
	a.Strategy = config.StrategyJWTExternal
	a.External.Header = "x-jwt-payload"
	a.External.SharedSecretHeader = "X-Proxy-Secret"
	got := credentialHeaders(a)
	if !slices.Equal(got, []string{"x-jwt-payload", "X-Proxy-Secret"}) {
		t.Fatalf("credentialHeaders = %v", got)
	}
	f := newHeaderFilter(got, nil)
	for _, h := range []string{"X-Jwt-Payload", "x-proxy-secret"} {
		if f.of(http.CanonicalHeaderKey(h)) != headerRedacted {
			t.Errorf("%s is not redacted", h)
		}
	}
}
