package oauth

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The whole flow with a real cookie jar following every redirect, as a
// browser does: /login -> authorization endpoint -> /callback.
func TestLoginFlowWithCookieJar(t *testing.T) {
	for _, tt := range []struct {
		name string
		path string
	}{{"issuer without path", defaultIssuerPath}, {"issuer with path", tenantedIssuerPath}} {
		t.Run(tt.name, func(t *testing.T) {
			ti := newTestIssuer(t, tt.path, serveOIDCAppended, serveOIDCInserted)
			f := newFixture(t, ti, nil)
			jar, err := cookiejar.New(nil)
			if err != nil {
				t.Fatal(err)
			}
			browser := &http.Client{Jar: jar, Timeout: 10 * time.Second}
			resp, err := browser.Get(f.srv.URL + "/login")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200\n%s", resp.StatusCode, body)
			}
			if !strings.Contains(string(body), "You are signed in") || !strings.Contains(string(body), "user-ada") {
				t.Errorf("success page lacks the success message or subject:\n%s", body)
			}
			if resp.Request.URL.Path != "/callback" {
				t.Errorf("the flow ended at %s, not /callback", resp.Request.URL)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
			// The cookie is gone from the jar once the callback has used it.
			if cs := jar.Cookies(mustURL(t, f.srv.URL)); len(cs) != 0 {
				t.Errorf("login cookie still in the jar after the callback: %v", cs)
			}

			// What reached the provider: PKCE S256, state, nonce, resource,
			// redirect URI from the configuration; the verifier at the token
			// endpoint (the issuer checked it against the challenge).
			a := ti.lastAuthRequest()
			for k, want := range map[string]string{
				"response_type":         "code",
				"client_id":             testClientID,
				"redirect_uri":          f.srv.URL + "/callback",
				"code_challenge_method": "S256",
				"scope":                 "openid tool:user",
				"resource":              f.srv.URL + "/mcp",
			} {
				if got := a.Get(k); got != want {
					t.Errorf("authorization request %s = %q, want %q", k, got, want)
				}
			}
			for _, k := range []string{"state", "nonce", "code_challenge"} {
				if len(a.Get(k)) < 43 {
					t.Errorf("authorization request %s = %q: missing or short", k, a.Get(k))
				}
			}
			tr := ti.lastTokenRequest()
			if tr.Get("grant_type") != "authorization_code" || len(tr.Get("code_verifier")) < 43 || tr.Get("resource") != f.srv.URL+"/mcp" {
				t.Errorf("token request %v", tr)
			}
			if tr.Get("client_secret") != "" {
				t.Error("client secret sent in the body although the provider supports client_secret_basic")
			}
		})
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestLoginCookieAndRedirect(t *testing.T) {
	ti := newTestIssuer(t, defaultIssuerPath, serve8414)
	for _, tt := range []struct {
		name       string
		public     string
		cookieName string
		secure     bool
	}{
		{"http on loopback", "http://127.0.0.1:8080", "mcp_oauth_login", false},
		{"https: __Host- prefix and Secure", "https://mcp.example.com", "__Host-mcp_oauth_login", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, err := New(testOptions(ti, tt.public, io.Discard))
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			h.Routes()["/login"].ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/login", nil))
			resp := rec.Result()
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", resp.Header.Get("Cache-Control"))
			}
			cs := resp.Cookies()
			if len(cs) != 1 {
				t.Fatalf("cookies %v", resp.Header.Values("Set-Cookie"))
			}
			c := cs[0]
			if c.Name != tt.cookieName || c.Secure != tt.secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" || c.MaxAge != 600 {
				t.Errorf("cookie %s", resp.Header.Get("Set-Cookie"))
			}
			loc, err := url.Parse(resp.Header.Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			if got := loc.Scheme + "://" + loc.Host + loc.Path; got != ti.issuer+"/authorize" {
				t.Errorf("redirected to %s, want the discovered authorization endpoint", got)
			}
			if got := loc.Query().Get("redirect_uri"); got != tt.public+"/callback" {
				t.Errorf("redirect_uri %q", got)
			}
			// The cookie holds the verifier, encrypted: none of the values
			// sent to the provider can be read from it.
			for _, k := range []string{"state", "nonce"} {
				if strings.Contains(c.Value, loc.Query().Get(k)) {
					t.Errorf("the cookie reveals the %s", k)
				}
			}
		})
	}
}

// The redirect URI comes from the configuration, whatever the Host header.
func TestLoginIgnoresHostHeader(t *testing.T) {
	ti := newTestIssuer(t, defaultIssuerPath, serve8414)
	f := newFixture(t, ti, nil)
	resp, _ := f.get("/login", "Host", "evil.example.com", "X-Forwarded-Host", "evil.example.com")
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if got := loc.Query().Get("redirect_uri"); got != f.srv.URL+"/callback" {
		t.Errorf("redirect_uri %q, want %q", got, f.srv.URL+"/callback")
	}
}

func TestCallbackRefusals(t *testing.T) {
	tests := []struct {
		name   string
		attack func(t *testing.T, f *fixture, cookie *http.Cookie, callbackURL string) (*http.Cookie, string)
		want   string
	}{
		{"tampered state", func(t *testing.T, f *fixture, c *http.Cookie, cb string) (*http.Cookie, string) {
			u := mustURL(t, cb)
			q := u.Query()
			st := q.Get("state")
			q.Set("state", st[:len(st)-1]+flip(st[len(st)-1]))
			u.RawQuery = q.Encode()
			return c, u.String()
		}, "does not match"},
		{"state missing", func(t *testing.T, f *fixture, c *http.Cookie, cb string) (*http.Cookie, string) {
			u := mustURL(t, cb)
			q := u.Query()
			q.Del("state")
			u.RawQuery = q.Encode()
			return c, u.String()
		}, "does not match"},
		{"missing cookie", func(t *testing.T, f *fixture, c *http.Cookie, cb string) (*http.Cookie, string) {
			return nil, cb
		}, "cookie is missing"},
		{"tampered cookie", func(t *testing.T, f *fixture, c *http.Cookie, cb string) (*http.Cookie, string) {
			v := []byte(c.Value)
			v[len(v)/2] = flip(v[len(v)/2])[0]
			return &http.Cookie{Name: c.Name, Value: string(v)}, cb
		}, "cookie is not valid"},
		{"cookie of another login", func(t *testing.T, f *fixture, c *http.Cookie, cb string) (*http.Cookie, string) {
			other, _ := f.startLogin()
			return other, cb
		}, "does not match"},
		{"expired login", func(t *testing.T, f *fixture, c *http.Cookie, cb string) (*http.Cookie, string) {
			f.clock.Advance(11 * time.Minute)
			return c, cb
		}, "took too long"},
		{"iss of another server (RFC 9207)", func(t *testing.T, f *fixture, c *http.Cookie, cb string) (*http.Cookie, string) {
			u := mustURL(t, cb)
			q := u.Query()
			q.Set("iss", "https://attacker.example.com")
			u.RawQuery = q.Encode()
			return c, u.String()
		}, "expected authorization server"},
		{"no code", func(t *testing.T, f *fixture, c *http.Cookie, cb string) (*http.Cookie, string) {
			u := mustURL(t, cb)
			q := u.Query()
			q.Del("code")
			u.RawQuery = q.Encode()
			return c, u.String()
		}, "no authorization code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ti := newTestIssuer(t, defaultIssuerPath, serve8414)
			f := newFixture(t, ti, nil)
			cookie, authURL := f.startLogin()
			cb := f.authorize(authURL)
			c, u := tt.attack(t, f, cookie, cb)
			resp, page := f.callback(u, c)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400\n%s", resp.StatusCode, page)
			}
			if !strings.Contains(page, tt.want) {
				t.Errorf("page does not say %q:\n%s", tt.want, page)
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", resp.Header.Get("Cache-Control"))
			}
			if ti.lastTokenRequest() != nil {
				t.Error("the code was exchanged despite the refusal")
			}
		})
	}
}

func flip(b byte) string {
	if b == 'A' {
		return "B"
	}
	return "A"
}

// A callback URL and its cookie work once: the second use is refused even
// though the browser would have dropped the cookie, because the state is
// remembered server-side.
func TestCallbackReplay(t *testing.T) {
	ti := newTestIssuer(t, defaultIssuerPath, serve8414)
	f := newFixture(t, ti, nil)
	cookie, authURL := f.startLogin()
	cb := f.authorize(authURL)
	resp, page := f.callback(cb, cookie)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("first callback: status %d\n%s", resp.StatusCode, page)
	}
	cleared := false
	for _, c := range resp.Cookies() {
		if c.Name == cookie.Name && c.MaxAge < 0 && c.Value == "" {
			cleared = true
		}
	}
	if !cleared {
		t.Errorf("the callback did not clear the login cookie: %v", resp.Header.Values("Set-Cookie"))
	}
	exchanges := ti.tokenRequests()

	resp, page = f.callback(cb, cookie)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("replayed callback: status %d, want 400\n%s", resp.StatusCode, page)
	}
	if !strings.Contains(page, "already completed") {
		t.Errorf("replay page:\n%s", page)
	}
	if ti.tokenRequests() != exchanges {
		t.Error("the replayed code was sent to the token endpoint")
	}
	// A failed exchange uses the state up too.
	cookie, authURL = f.startLogin()
	cb = f.authorize(authURL)
	ti.set(func(ti *testIssuer) {
		ti.tokenStatus = http.StatusBadRequest
		ti.tokenError = map[string]string{"error": "invalid_grant"}
	})
	if resp, _ := f.callback(cb, cookie); resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("failing exchange: status %d, want 502", resp.StatusCode)
	}
	ti.set(func(ti *testIssuer) { ti.tokenStatus = 0 })
	if resp, _ := f.callback(cb, cookie); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("replay after a failed exchange: status %d, want 400", resp.StatusCode)
	}
}

func TestCallbackProviderErrorsEscaped(t *testing.T) {
	const hostile = `<script>alert("x")</script><img src=x onerror=alert(1)>`
	t.Run("error from the authorization endpoint: 400", func(t *testing.T) {
		ti := newTestIssuer(t, defaultIssuerPath, serve8414)
		ti.set(func(ti *testIssuer) { ti.authError = [2]string{"access_denied<b>", hostile} })
		f := newFixture(t, ti, nil)
		cookie, authURL := f.startLogin()
		resp, page := f.callback(f.authorize(authURL), cookie)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %d, want 400\n%s", resp.StatusCode, page)
		}
		assertEscaped(t, resp, page, hostile)
		if !strings.Contains(page, "access_denied&lt;b&gt;") {
			t.Errorf("error code not shown escaped:\n%s", page)
		}
	})
	t.Run("error from the token endpoint: 502", func(t *testing.T) {
		ti := newTestIssuer(t, defaultIssuerPath, serve8414)
		ti.set(func(ti *testIssuer) {
			ti.tokenStatus = http.StatusBadRequest
			ti.tokenError = map[string]string{"error": "invalid_grant", "error_description": hostile}
		})
		f := newFixture(t, ti, nil)
		cookie, authURL := f.startLogin()
		resp, page := f.callback(f.authorize(authURL), cookie)
		if resp.StatusCode != http.StatusBadGateway {
			t.Fatalf("status %d, want 502\n%s", resp.StatusCode, page)
		}
		assertEscaped(t, resp, page, hostile)
	})
	t.Run("token endpoint down: 502", func(t *testing.T) {
		ti := newTestIssuer(t, defaultIssuerPath, serve8414)
		ti.set(func(ti *testIssuer) {
			ti.tokenStatus = http.StatusInternalServerError
			ti.tokenError = map[string]string{}
		})
		f := newFixture(t, ti, nil)
		cookie, authURL := f.startLogin()
		if resp, page := f.callback(f.authorize(authURL), cookie); resp.StatusCode != http.StatusBadGateway {
			t.Fatalf("status %d, want 502\n%s", resp.StatusCode, page)
		}
	})
}

func assertEscaped(t *testing.T, resp *http.Response, page, hostile string) {
	t.Helper()
	if strings.Contains(page, "<script") || strings.Contains(page, "<img") {
		t.Errorf("provider text reached the page unescaped:\n%s", page)
	}
	if !strings.Contains(page, "&lt;script&gt;") {
		t.Errorf("provider text not shown (escaped):\n%s", page)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
}

func TestShowToken(t *testing.T) {
	for _, show := range []bool{false, true} {
		t.Run(map[bool]string{false: "off", true: "on"}[show], func(t *testing.T) {
			ti := newTestIssuer(t, defaultIssuerPath, serve8414)
			f := newFixture(t, ti, func(o *Options) { o.Config.ShowToken = show })
			cookie, authURL := f.startLogin()
			resp, page := f.callback(f.authorize(authURL), cookie)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d\n%s", resp.StatusCode, page)
			}
			// Every access token the issuer signs starts with the same
			// header, so its presence tells whether a token is on the page.
			tokenHead := strings.SplitN(ti.sign(map[string]any{}, false), ".", 2)[0]
			if got := strings.Contains(page, tokenHead); got != show {
				t.Errorf("token on the page = %v, want %v:\n%s", got, show, page)
			}
			if strings.Contains(f.logs.String(), tokenHead) {
				t.Error("a token was logged")
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", resp.Header.Get("Cache-Control"))
			}
		})
	}
}

func TestIDTokenChecks(t *testing.T) {
	bad := "not-the-nonce"
	tests := []struct {
		name  string
		setup func(ti *testIssuer)
		want  int
		say   string
	}{
		{"valid", func(*testIssuer) {}, http.StatusOK, "signed in"},
		{"no ID token", func(ti *testIssuer) { ti.noIDToken = true }, http.StatusOK, "signed in"},
		{"wrong nonce", func(ti *testIssuer) { ti.idNonce = &bad }, http.StatusBadGateway, "nonce"},
		{"no nonce", func(ti *testIssuer) { empty := ""; ti.idNonce = &empty }, http.StatusBadGateway, "nonce"},
		{"other audience", func(ti *testIssuer) { ti.idAud = "another-client" }, http.StatusBadGateway, "audience"},
		{"unknown signing key", func(ti *testIssuer) { ti.idSignOther = true }, http.StatusBadGateway, "signature"},
		{"algorithm not announced", func(ti *testIssuer) {
			ti.metaOverride = map[string]any{"id_token_signing_alg_values_supported": []string{"ES256"}}
		}, http.StatusBadGateway, "algorithm"},
		// The strictness of access tokens applies to ID tokens: one parser.
		{"member named twice", func(ti *testIssuer) {
			ti.idPayload = func(c map[string]any) []byte { return withRawMembers(t, c, "", `,"sub":"admin"`) }
		}, http.StatusBadGateway, "same member twice"},
		{"nested member named twice", func(ti *testIssuer) {
			ti.idPayload = func(c map[string]any) []byte {
				return withRawMembers(t, c, "", `,"address":{"country":"FR","country":"US"}`)
			}
		}, http.StatusBadGateway, "same member twice"},
		{"exp 1e30", func(ti *testIssuer) {
			ti.idPayload = func(c map[string]any) []byte { return withRawMembers(t, c, "exp", `,"exp":1e30`) }
		}, http.StatusBadGateway, "exp is not a valid numericdate"},
		{"string exp", func(ti *testIssuer) {
			ti.idPayload = func(c map[string]any) []byte { return withRawMembers(t, c, "exp", `,"exp":"9999999999"`) }
		}, http.StatusBadGateway, "exp is not a valid numericdate"},
		{"no subject", func(ti *testIssuer) {
			ti.idPayload = func(c map[string]any) []byte { return withRawMembers(t, c, "sub", "") }
		}, http.StatusBadGateway, "no subject"},
		{"iss parameter required and present", func(ti *testIssuer) {
			ti.sendIss = true
			ti.metaOverride = map[string]any{"authorization_response_iss_parameter_supported": true}
		}, http.StatusOK, "signed in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ti := newTestIssuer(t, defaultIssuerPath, serve8414)
			ti.set(tt.setup)
			f := newFixture(t, ti, nil)
			cookie, authURL := f.startLogin()
			resp, page := f.callback(f.authorize(authURL), cookie)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tt.want, page)
			}
			if !strings.Contains(strings.ToLower(page), tt.say) {
				t.Errorf("page does not say %q:\n%s", tt.say, page)
			}
		})
	}
}

// withRawMembers is claims as JSON without the member drop and with tail
// (raw JSON members, each led by a comma) appended.
func withRawMembers(t *testing.T, claims map[string]any, drop, tail string) []byte {
	delete(claims, drop)
	b, err := json.Marshal(claims)
	if err != nil {
		t.Error(err)
	}
	return append(b[:len(b)-1:len(b)-1], tail+"}"...)
}

// The provider promised the iss parameter (RFC 9207) but the response
// lacks it: refused.
func TestCallbackMissingPromisedIss(t *testing.T) {
	ti := newTestIssuer(t, defaultIssuerPath, serve8414)
	ti.set(func(ti *testIssuer) {
		ti.metaOverride = map[string]any{"authorization_response_iss_parameter_supported": true}
	})
	f := newFixture(t, ti, nil)
	cookie, authURL := f.startLogin()
	resp, page := f.callback(f.authorize(authURL), cookie)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d, want 400\n%s", resp.StatusCode, page)
	}
}

func TestClientAuthentication(t *testing.T) {
	t.Run("client_secret_post when basic is not offered", func(t *testing.T) {
		ti := newTestIssuer(t, defaultIssuerPath, serve8414)
		ti.set(func(ti *testIssuer) {
			ti.metaOverride = map[string]any{"token_endpoint_auth_methods_supported": []string{"client_secret_post"}}
		})
		f := newFixture(t, ti, nil)
		cookie, authURL := f.startLogin()
		if resp, page := f.callback(f.authorize(authURL), cookie); resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d\n%s", resp.StatusCode, page)
		}
		if ti.lastTokenRequest().Get("client_secret") != testClientSecret {
			t.Error("secret not sent in the body")
		}
	})
	t.Run("wrong secret: provider error shown, secret not", func(t *testing.T) {
		ti := newTestIssuer(t, defaultIssuerPath, serve8414)
		f := newFixture(t, ti, func(o *Options) { o.Config.ClientSecret = "wrong-" + testClientSecret })
		cookie, authURL := f.startLogin()
		resp, page := f.callback(f.authorize(authURL), cookie)
		if resp.StatusCode != http.StatusBadGateway {
			t.Fatalf("status %d, want 502\n%s", resp.StatusCode, page)
		}
		if !strings.Contains(page, "invalid_client") || strings.Contains(page, testClientSecret) {
			t.Errorf("page:\n%s", page)
		}
		if strings.Contains(f.logs.String(), "wrong-") {
			t.Errorf("the configured secret was logged:\n%s", f.logs.String())
		}
	})
}

func TestLoginRoutesOnlyWithClientID(t *testing.T) {
	ti := newTestIssuer(t, defaultIssuerPath, serve8414)
	opts := testOptions(ti, "http://127.0.0.1:8080", io.Discard)
	opts.Config.ClientID, opts.Config.ClientSecret, opts.Config.RedirectURI = "", "", ""
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	routes := h.Routes()
	for _, p := range []string{"/login", "/callback"} {
		if _, ok := routes[p]; ok {
			t.Errorf("%s served without a client id", p)
		}
	}
	opts = testOptions(ti, "http://127.0.0.1:8080", io.Discard)
	if h, err = New(opts); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/login", "/callback", "/.well-known/oauth-authorization-server", "/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"} {
		if _, ok := h.Routes()[p]; !ok {
			t.Errorf("%s not served", p)
		}
	}
	rec := httptest.NewRecorder()
	h.Routes()["/callback"].ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/callback", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /callback: status %d, want 405", rec.Code)
	}
}

func TestLoginWhenIssuerDown(t *testing.T) {
	ti := newTestIssuer(t, defaultIssuerPath, serve8414)
	ti.set(func(ti *testIssuer) { ti.metaStatus = http.StatusInternalServerError })
	f := newFixture(t, ti, nil)
	resp, body := f.get("/login")
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("status %d, want 502\n%s", resp.StatusCode, body)
	}
	if len(resp.Cookies()) != 0 {
		t.Error("a login cookie was set although the login cannot start")
	}
}

func TestUsedStatesBounded(t *testing.T) {
	u := newUsedStates(2)
	now := time.Now()
	if u.use("a", now.Add(time.Minute), now) != stateFresh || u.use("b", now.Add(time.Second), now) != stateFresh {
		t.Fatal("fresh states refused")
	}
	if u.use("a", now.Add(time.Minute), now) != stateReplayed {
		t.Error("replay not detected")
	}
	if u.use("c", now.Add(time.Minute), now) != stateTableFull {
		t.Error("a full table of live states accepted another (it would have to forget one)")
	}
	later := now.Add(2 * time.Second) // "b" has expired
	if u.use("c", later.Add(time.Minute), later) != stateFresh {
		t.Error("expired states were not pruned")
	}
	if u.use("a", later.Add(time.Minute), later) != stateReplayed {
		t.Error("pruning forgot a live state")
	}
}
