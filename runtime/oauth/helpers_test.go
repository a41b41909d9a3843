package oauth

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpforge/mcpforge/runtime/config"
)

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is an oauth Handler served over real HTTP (standing in for the
// MCP server), talking to a test issuer.
type fixture struct {
	t      *testing.T
	issuer *testIssuer
	h      *Handler
	srv    *httptest.Server
	logs   *syncBuffer
	clock  *fakeClock
}

// testOptions are the options of a fixture: login on, confidential client,
// issuer of ti, public URL of the fixture's server.
func testOptions(ti *testIssuer, publicURL string, logs io.Writer) Options {
	cfg := config.DefaultOAuth()
	cfg.Enabled = true
	cfg.ClientID = testClientID
	cfg.ClientSecret = testClientSecret
	cfg.RedirectURI = publicURL + "/callback"
	a := config.DefaultAuth()
	a.Strategy = config.StrategyJWTLocal
	a.Local.Issuer = ti.issuer
	a.Local.JWKSURI = ti.issuer + "/jwks"
	return Options{
		Config:    cfg,
		Auth:      a,
		PublicURL: publicURL,
		Logger:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

func newFixture(t *testing.T, ti *testIssuer, mutate func(o *Options)) *fixture {
	t.Helper()
	f := &fixture{t: t, issuer: ti, logs: &syncBuffer{}, clock: &fakeClock{t: time.Now()}}
	var routes atomic.Pointer[map[string]http.Handler]
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt := routes.Load()
		if rt == nil {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		h, ok := (*rt)[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	opts := testOptions(ti, f.srv.URL, f.logs)
	if mutate != nil {
		mutate(&opts)
	}
	h, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.now = f.clock.Now
	f.h = h
	rt := h.Routes()
	routes.Store(&rt)
	t.Cleanup(func() {
		if strings.Contains(f.logs.String(), testClientSecret) {
			t.Errorf("the client secret appears in the log:\n%s", f.logs.String())
		}
	})
	return f
}

// get fetches path on the fixture's server without following redirects.
func (f *fixture) get(path string, hdr ...string) (*http.Response, []byte) {
	f.t.Helper()
	return f.do(http.MethodGet, f.srv.URL+path, nil, hdr...)
}

func (f *fixture) do(method, rawURL string, cookie *http.Cookie, hdr ...string) (*http.Response, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp, body
}

var noRedirects = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       10 * time.Second,
}

// startLogin calls GET /login and returns the login cookie and the
// authorization URL the browser is sent to.
func (f *fixture) startLogin() (*http.Cookie, string) {
	f.t.Helper()
	resp, body := f.get("/login")
	if resp.StatusCode != http.StatusFound {
		f.t.Fatalf("GET /login: status %d, want 302\n%s", resp.StatusCode, body)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == f.h.login.cookieName {
			cookie = c
		}
	}
	if cookie == nil || cookie.Value == "" {
		f.t.Fatalf("GET /login set no login cookie: %v", resp.Header.Values("Set-Cookie"))
	}
	return cookie, resp.Header.Get("Location")
}

// authorize plays the browser at the authorization endpoint, which
// approves at once, and returns the callback URL it redirects to.
func (f *fixture) authorize(authURL string) string {
	f.t.Helper()
	resp, body := f.do(http.MethodGet, authURL, nil)
	if resp.StatusCode != http.StatusFound {
		f.t.Fatalf("GET %s: status %d, want 302\n%s", authURL, resp.StatusCode, body)
	}
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, f.srv.URL+"/callback?") {
		f.t.Fatalf("the authorization endpoint redirected to %q, not to the callback", loc)
	}
	return loc
}

// callback plays the browser arriving back at /callback.
func (f *fixture) callback(callbackURL string, cookie *http.Cookie) (*http.Response, string) {
	f.t.Helper()
	resp, body := f.do(http.MethodGet, callbackURL, cookie)
	return resp, string(body)
}
