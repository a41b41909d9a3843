package httpserver

import (
	"context"
	"io"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpforge/mcpforge/runtime/config"
)

func TestInfoHealthAndRouting(t *testing.T) {
	f := newFixture(t, nil, nil)

	resp := f.do(t, "GET", "/", nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d", resp.StatusCode)
	}
	info := decodeJSON(t, resp)
	if info["name"] != "weather" || info["version"] != "1.2.3" {
		t.Errorf("GET / name/version = %v/%v", info["name"], info["version"])
	}
	if got := info["transports"]; !reflect.DeepEqual(got, []any{"http", "sse"}) {
		t.Errorf("transports = %v", got)
	}
	ep, _ := info["endpoints"].(map[string]any)
	for k, want := range map[string]string{"mcp": "/mcp", "sse": "/sse", "message": "/message", "health": "/health", "ready": "/ready"} {
		if ep[k] != want {
			t.Errorf("endpoints[%s] = %v, want %s", k, ep[k], want)
		}
	}

	resp = f.do(t, "GET", "/health", nil, nil)
	if resp.StatusCode != http.StatusOK || decodeJSON(t, resp)["status"] != "ok" {
		t.Errorf("GET /health = %d", resp.StatusCode)
	}
	if resp := f.do(t, "HEAD", "/health", nil, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("HEAD /health = %d", resp.StatusCode)
	}

	resp = f.do(t, "GET", "/nope", nil, nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nope = %d, want 404", resp.StatusCode)
	}
	if body := decodeJSON(t, resp); body["error"] != "not_found" {
		t.Errorf("404 body = %v", body)
	}

	resp = f.do(t, "POST", "/health", strings.NewReader("{}"), nil)
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /health = %d, want 405", resp.StatusCode)
	}
	if allow := resp.Header.Get("Allow"); allow != "GET, HEAD" {
		t.Errorf("Allow = %q", allow)
	}
	if body := decodeJSON(t, resp); body["error"] != "method_not_allowed" {
		t.Errorf("405 body = %v", body)
	}

	if resp := f.do(t, "PUT", "/mcp", strings.NewReader("{}"), nil); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("PUT /mcp = %d, want 405", resp.StatusCode)
	}
	if resp := f.do(t, "GET", "/message", nil, nil); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /message = %d, want 405", resp.StatusCode)
	}
}

func TestOnlyEnabledTransportsAreRouted(t *testing.T) {
	f := newFixture(t, nil, func(o *Options) { o.Transports = []string{TransportHTTP} })
	if resp := f.do(t, "GET", "/sse", nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /sse with http only = %d, want 404", resp.StatusCode)
	}
	info := decodeJSON(t, f.do(t, "GET", "/", nil, nil))
	if _, ok := info["endpoints"].(map[string]any)["sse"]; ok {
		t.Errorf("info lists /sse although sse is off: %v", info)
	}

	f = newFixture(t, nil, func(o *Options) { o.Transports = []string{TransportSSE} })
	if resp := f.do(t, "POST", "/mcp", strings.NewReader("{}"), nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST /mcp with sse only = %d, want 404", resp.StatusCode)
	}
}

func TestReadyReportsFailingCheckUntilItPasses(t *testing.T) {
	var ready atomic.Bool
	f := newFixture(t, nil, func(o *Options) {
		o.ReadyChecks = []ReadyCheck{
			func(context.Context) error { return nil },
			func(context.Context) error {
				if !ready.Load() {
					return errNotReady
				}
				return nil
			},
		}
	})
	resp := f.do(t, "GET", "/ready", nil, nil)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("GET /ready before ready = %d, want 503", resp.StatusCode)
	}
	if body := decodeJSON(t, resp); body["reason"] != errNotReady.Error() || body["status"] != "unavailable" {
		t.Errorf("503 body = %v", body)
	}
	ready.Store(true)
	resp = f.do(t, "GET", "/ready", nil, nil)
	if resp.StatusCode != http.StatusOK || decodeJSON(t, resp)["status"] != "ready" {
		t.Errorf("GET /ready after ready = %d", resp.StatusCode)
	}
}

func TestReadyCheckPanicIsA503(t *testing.T) {
	f := newFixture(t, nil, func(o *Options) {
		o.ReadyChecks = []ReadyCheck{func(context.Context) error { panic("boom") }}
	})
	resp := f.do(t, "GET", "/ready", nil, nil)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("GET /ready = %d, want 503", resp.StatusCode)
	}
	if r, _ := decodeJSON(t, resp)["reason"].(string); !strings.Contains(r, "boom") {
		t.Errorf("reason = %q", r)
	}
}

func TestOriginCheck(t *testing.T) {
	f := newFixture(t, func(c *config.Config) {
		c.Server.HTTP.AllowedOrigins = []string{"https://app.example.com"}
		c.Server.HTTP.PublicURL = "https://mcp.example.com:443/base"
	}, nil).start(t)
	_, port, _ := net.SplitHostPort(f.ln.Addr().String())

	tests := []struct {
		origin string
		want   int
	}{
		{"", http.StatusOK},
		{"https://app.example.com", http.StatusOK},
		{"https://APP.example.com", http.StatusOK},
		{"https://mcp.example.com", http.StatusOK}, // public_url origin, default port dropped
		{"http://localhost:" + port, http.StatusOK},
		{"http://127.0.0.1:" + port, http.StatusOK},
		{"http://[::1]:" + port, http.StatusOK},
		{"http://evil.example", http.StatusForbidden},
		{"https://app.example.com.evil.example", http.StatusForbidden},
		{"http://app.example.com", http.StatusForbidden}, // scheme differs
		{"http://localhost:1", http.StatusForbidden},     // another local program
		{"null", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.origin, func(t *testing.T) {
			h := map[string]string{}
			if tt.origin != "" {
				h["Origin"] = tt.origin
			}
			resp := f.get(t, "GET", "/", nil, h)
			if resp.StatusCode != tt.want {
				t.Fatalf("Origin %q: status %d, want %d", tt.origin, resp.StatusCode, tt.want)
			}
			if tt.want == http.StatusForbidden {
				if body := decodeJSON(t, resp); body["error"] != "forbidden" || !strings.Contains(body["message"].(string), "allowed_origins") {
					t.Errorf("403 body = %v", body)
				}
			}
		})
	}

	// The check guards the MCP endpoint too, before mcp-go sees anything.
	resp := f.get(t, "POST", "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`),
		map[string]string{"Origin": "http://evil.example", "Content-Type": "application/json"})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST /mcp from evil origin = %d, want 403", resp.StatusCode)
	}
	if !strings.Contains(f.logs.String(), "foreign Origin") {
		t.Errorf("refusal not logged")
	}

	// Public /.well-known/ documents are readable from any origin, but only
	// read: a foreign origin still cannot POST there.
	for _, tc := range []struct {
		method string
		want   int
	}{{"GET", http.StatusNotFound}, {"POST", http.StatusForbidden}} {
		resp := f.get(t, tc.method, "/.well-known/oauth-protected-resource/mcp", nil, map[string]string{"Origin": "http://evil.example"})
		if resp.StatusCode != tc.want {
			t.Errorf("%s /.well-known/ from a foreign origin = %d, want %d", tc.method, resp.StatusCode, tc.want)
		}
	}
}

func TestOriginWildcardAndCORSOrigins(t *testing.T) {
	f := newFixture(t, func(c *config.Config) { c.Server.HTTP.AllowedOrigins = []string{"*"} }, nil)
	if resp := f.do(t, "GET", "/", nil, map[string]string{"Origin": "http://anything.example"}); resp.StatusCode != http.StatusOK {
		t.Errorf("wildcard origin: %d", resp.StatusCode)
	}
	f = newFixture(t, func(c *config.Config) {
		c.Middleware.CORS.Enabled = true
		c.Middleware.CORS.AllowedOrigins = []string{"https://ui.example"}
	}, nil)
	if resp := f.do(t, "GET", "/", nil, map[string]string{"Origin": "https://ui.example"}); resp.StatusCode != http.StatusOK {
		t.Errorf("CORS origin refused by the Origin check: %d", resp.StatusCode)
	}
	// CORS origins only count while CORS is on.
	f = newFixture(t, func(c *config.Config) { c.Middleware.CORS.AllowedOrigins = []string{"https://ui.example"} }, nil)
	if resp := f.do(t, "GET", "/", nil, map[string]string{"Origin": "https://ui.example"}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("disabled CORS origin accepted: %d", resp.StatusCode)
	}
}

func TestHostCheck(t *testing.T) {
	f := newFixture(t, func(c *config.Config) {
		c.Server.HTTP.AllowedHosts = []string{"mcp.internal", "gw.example:8443"}
		c.Server.HTTP.PublicURL = "https://mcp.example.com"
	}, nil)
	tests := []struct {
		host string
		want int
	}{
		{"127.0.0.1:8080", http.StatusOK},
		{"localhost:8080", http.StatusOK},
		{"LOCALHOST", http.StatusOK},
		{"[::1]:8080", http.StatusOK},
		{"10.0.0.7:8080", http.StatusOK}, // an IP literal cannot come from rebinding
		{"mcp.internal", http.StatusOK},
		{"mcp.internal:9999", http.StatusOK},
		{"gw.example:8443", http.StatusOK},
		{"gw.example", http.StatusForbidden},
		{"mcp.example.com", http.StatusOK}, // public_url host
		{"evil.example", http.StatusForbidden},
		{"evil.example:8080", http.StatusForbidden},
		{"localhost.evil.example", http.StatusForbidden},
		{"127.0.0.1.nip.io", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			resp := f.do(t, "GET", "/", nil, map[string]string{"Host": tt.host})
			if resp.StatusCode != tt.want {
				t.Fatalf("Host %q: %d, want %d", tt.host, resp.StatusCode, tt.want)
			}
			if tt.want == http.StatusForbidden {
				if body := decodeJSON(t, resp); !strings.Contains(body["message"].(string), "allowed_hosts") {
					t.Errorf("403 body = %v", body)
				}
			}
		})
	}

	f = newFixture(t, func(c *config.Config) { c.Server.HTTP.AllowedHosts = []string{"*"} }, nil)
	if resp := f.do(t, "GET", "/", nil, map[string]string{"Host": "evil.example"}); resp.StatusCode != http.StatusOK {
		t.Errorf("allowed_hosts * refused a host: %d", resp.StatusCode)
	}
}

func TestForeignHostRefusedOnRealListener(t *testing.T) {
	f := newFixture(t, nil, nil).start(t)
	resp := f.get(t, "POST", "/mcp", strings.NewReader(`{}`), map[string]string{"Host": "attacker.example", "Content-Type": "application/json"})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign Host = %d, want 403", resp.StatusCode)
	}
}

func TestBodyLimit(t *testing.T) {
	f := newFixture(t, func(c *config.Config) { c.Server.HTTP.MaxBodyBytes = 64 }, nil).start(t)
	big := `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"` + strings.Repeat("x", 100) + `"}}`

	// Declared length over the limit.
	resp := f.get(t, "POST", "/mcp", strings.NewReader(big), map[string]string{"Content-Type": "application/json"})
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("large body = %d, want 413", resp.StatusCode)
	}
	if body := decodeJSON(t, resp); !strings.Contains(body["message"].(string), "max_body_bytes") {
		t.Errorf("413 body = %v", body)
	}

	// Chunked body of unknown length over the limit.
	resp = f.get(t, "POST", "/mcp", io.MultiReader(strings.NewReader(big)), map[string]string{"Content-Type": "application/json"})
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("large chunked body = %d, want 413", resp.StatusCode)
	}

	// A body within the limit reaches mcp-go (which answers the ping).
	small := `{"jsonrpc":"2.0","id":1,"method":"ping"}`
	resp = f.get(t, "POST", "/mcp", io.MultiReader(strings.NewReader(small)), map[string]string{
		"Content-Type": "application/json", "Accept": "application/json, text/event-stream"})
	if resp.StatusCode == http.StatusRequestEntityTooLarge || resp.StatusCode == http.StatusForbidden {
		t.Fatalf("small body = %d", resp.StatusCode)
	}
}

func TestCORS(t *testing.T) {
	f := newFixture(t, func(c *config.Config) {
		c.Server.HTTP.AllowedOrigins = []string{"https://other.example"}
		c.Middleware.CORS.Enabled = true
		c.Middleware.CORS.AllowedOrigins = []string{"https://ui.example"}
		c.Middleware.CORS.AllowCredentials = true
		c.Middleware.CORS.MaxAge = 300
	}, nil)

	preflight := map[string]string{
		"Origin":                         "https://ui.example",
		"Access-Control-Request-Method":  "POST",
		"Access-Control-Request-Headers": "content-type, authorization",
	}
	resp := f.do(t, "OPTIONS", "/mcp", nil, preflight)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("preflight = %d, want 204", resp.StatusCode)
	}
	want := map[string]string{
		"Access-Control-Allow-Origin":      "https://ui.example",
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Max-Age":           "300",
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if m := resp.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(m, "POST") {
		t.Errorf("Allow-Methods = %q", m)
	}
	if h := resp.Header.Get("Access-Control-Allow-Headers"); !strings.Contains(h, "Authorization") || !strings.Contains(h, "Mcp-Session-Id") {
		t.Errorf("Allow-Headers = %q", h)
	}
	if v := resp.Header.Values("Vary"); !slices.Contains(v, "Origin") {
		t.Errorf("Vary = %v", v)
	}

	// A simple request gets the origin and the exposed headers.
	resp = f.do(t, "GET", "/", nil, map[string]string{"Origin": "https://ui.example"})
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "https://ui.example" {
		t.Errorf("simple request: %d, ACAO %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	if e := resp.Header.Get("Access-Control-Expose-Headers"); !strings.Contains(e, "Mcp-Session-Id") {
		t.Errorf("Expose-Headers = %q", e)
	}

	// Allowed by the Origin check but not a CORS origin: no CORS grant.
	preflight["Origin"] = "https://other.example"
	resp = f.do(t, "OPTIONS", "/mcp", nil, preflight)
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from non-CORS origin = %d, ACAO %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	// A foreign origin is stopped by the Origin check.
	preflight["Origin"] = "https://evil.example"
	if resp := f.do(t, "OPTIONS", "/mcp", nil, preflight); resp.StatusCode != http.StatusForbidden {
		t.Errorf("preflight from evil origin = %d", resp.StatusCode)
	}
}

func TestCORSDisabledGrantsNothing(t *testing.T) {
	f := newFixture(t, func(c *config.Config) { c.Server.HTTP.AllowedOrigins = []string{"https://ui.example"} }, nil)
	resp := f.do(t, "OPTIONS", "/mcp", nil, map[string]string{
		"Origin": "https://ui.example", "Access-Control-Request-Method": "POST"})
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight with CORS off = %d, ACAO %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
}

func TestSSEDoesNotGrantEveryOrigin(t *testing.T) {
	// mcp-go sets "Access-Control-Allow-Origin: *" on /sse unless told
	// otherwise; with CORS off no such header may leave the server.
	f := newFixture(t, nil, nil).start(t)
	req, _ := http.NewRequest("GET", f.url+"/sse", nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /sse = %d", resp.StatusCode)
	}
	if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" {
		t.Errorf("/sse sent Access-Control-Allow-Origin %q with CORS off", v)
	}
}

func TestPanicGives500AndServerKeepsServing(t *testing.T) {
	f := newFixture(t, nil, func(o *Options) {
		o.Routes = map[string]http.Handler{
			"GET /panic": http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("handler exploded") }),
			"GET /late-panic": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write([]byte("partial"))
				panic("exploded mid-response")
			}),
		}
	}).start(t)

	resp := f.get(t, "GET", "/panic", nil, nil)
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("panicking handler = %d, want 500", resp.StatusCode)
	}
	if body := decodeJSON(t, resp); body["error"] != "internal_server_error" || strings.Contains(body["message"].(string), "exploded") {
		t.Errorf("500 body = %v (must not leak the panic)", body)
	}

	// A panic after the response began cuts that response off: the client
	// must not mistake the partial body for a complete one.
	resp2, err := http.Get(f.url + "/late-panic")
	if err == nil {
		_, err = io.ReadAll(resp2.Body)
		resp2.Body.Close()
	}
	if err == nil {
		t.Error("a panic mid-response produced a complete response")
	}

	for range 3 {
		if resp := f.get(t, "GET", "/health", nil, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("after a panic /health = %d", resp.StatusCode)
		}
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "handler exploded") || !strings.Contains(logs, "panic while serving request") {
		t.Errorf("panic not logged:\n%s", logs)
	}
}

func TestGuardWrapsMCPEndpointsOnly(t *testing.T) {
	f := newFixture(t, nil, func(o *Options) {
		o.Guard = testGuard{authenticate: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "Bearer ok" {
					w.Header().Set("WWW-Authenticate", "Bearer")
					http.Error(w, "unauthorized", http.StatusUnauthorized)
					return
				}
				next.ServeHTTP(w, r)
			})
		}}
		o.Routes = map[string]http.Handler{
			"GET /.well-known/oauth-protected-resource": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, http.StatusOK, map[string]string{"resource": "x"})
			}),
		}
	})
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"POST", "/mcp", http.StatusUnauthorized},
		{"GET", "/mcp", http.StatusUnauthorized},
		{"GET", "/sse", http.StatusUnauthorized},
		{"POST", "/message", http.StatusUnauthorized},
		{"GET", "/", http.StatusOK},
		{"GET", "/health", http.StatusOK},
		{"GET", "/ready", http.StatusOK},
		{"GET", "/.well-known/oauth-protected-resource", http.StatusOK},
	} {
		var body io.Reader
		if c.method == "POST" {
			body = strings.NewReader("{}")
		}
		if resp := f.do(t, c.method, c.path, body, nil); resp.StatusCode != c.want {
			t.Errorf("%s %s = %d, want %d", c.method, c.path, resp.StatusCode, c.want)
		}
	}
}

func TestExtraRoutes(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, r.Method+" "+r.URL.Path) })
	f := newFixture(t, nil, func(o *Options) {
		o.Routes = map[string]http.Handler{"GET /login": ok, "POST /login": ok, "/docs/": ok, "/any": ok}
	})
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/login", 200}, {"POST", "/login", 200}, {"DELETE", "/login", 405},
		{"GET", "/docs/a/b", 200}, {"PUT", "/any", 200}, {"GET", "/docsx", 404},
	} {
		if resp := f.do(t, c.method, c.path, nil, nil); resp.StatusCode != c.want {
			t.Errorf("%s %s = %d, want %d", c.method, c.path, resp.StatusCode, c.want)
		}
	}
	// Extra routes get the middleware chain.
	if resp := f.do(t, "GET", "/login", nil, map[string]string{"Origin": "http://evil.example"}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("extra route skipped the Origin check: %d", resp.StatusCode)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	h := http.NotFoundHandler()
	good := func() Options {
		cfg := config.Defaults("weather", "1")
		return Options{Config: cfg, MCP: newMCP(nil), Transports: []string{"http"}}
	}
	tests := []struct {
		name string
		mod  func(*Options)
		want string
	}{
		{"nil MCP", func(o *Options) { o.MCP = nil }, "Options.MCP is nil"},
		{"no transport", func(o *Options) { o.Transports = nil }, "no network transport"},
		{"stdio", func(o *Options) { o.Transports = []string{"stdio"} }, `unknown network transport "stdio"`},
		{"bad config", func(o *Options) { o.Config.Server.HTTP.Port = -4 }, "server.http.port"},
		{"shadow builtin", func(o *Options) { o.Routes = map[string]http.Handler{"GET /health": h} }, "shadows the built-in route /health"},
		{"shadow root", func(o *Options) { o.Routes = map[string]http.Handler{"/": h} }, "shadows the built-in route /"},
		{"relative path", func(o *Options) { o.Routes = map[string]http.Handler{"GET login": h} }, "must start with"},
		{"overlap", func(o *Options) { o.Routes = map[string]http.Handler{"/x": h, "GET /x": h} }, "overlaps"},
		{"nil handler", func(o *Options) { o.Routes = map[string]http.Handler{"/x": nil} }, "nil handler"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := good()
			tt.mod(&o)
			_, err := New(o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestServeTwiceIsAnError(t *testing.T) {
	f := newFixture(t, nil, nil).start(t)
	f.get(t, "GET", "/health", nil, nil) // the first Serve is running
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.srv.Serve(ctx, ln); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("second Serve = %v", err)
	}
}
