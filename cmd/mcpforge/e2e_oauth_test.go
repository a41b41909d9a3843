package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth/extauth"
	mcpsdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

const (
	testClientID     = "mcp-test-client"
	testClientSecret = "mcp-test-secret"
)

// provider is the oidc-provider 9.13.3 instance of testdata/node.
type provider struct {
	cmd  *exec.Cmd
	info struct {
		Issuer        string `json:"issuer"`
		Resource      string `json:"resource"`
		OtherResource string `json:"other_resource"`
		JWKSURI       string `json:"jwks_uri"`
		TokenEndpoint string `json:"token_endpoint"`
	}
	done chan struct{}
}

// startProvider runs the OpenID provider on 127.0.0.1 for the MCP server
// at public (its resource is public + "/mcp").
func startProvider(t *testing.T, node, public string) *provider {
	t.Helper()
	cmd := exec.Command("node", filepath.Join(node, "oidc_provider.mjs"))
	cmd.Env = append(os.Environ(), "RESOURCE="+public+"/mcp", "REDIRECT_URI="+public+"/callback",
		"CLIENT_ID="+testClientID, "CLIENT_SECRET="+testClientSecret)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &provider{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(p.stop)
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- l
	}()
	select {
	case l := <-line:
		if err := json.Unmarshal([]byte(l), &p.info); err != nil || p.info.Issuer == "" {
			t.Fatalf("oidc provider printed %q: %v\n%s", l, err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("oidc provider did not start\n%s", stderr.String())
	}
	return p
}

func (p *provider) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// clientCredentialsToken asks the provider for an access token for resource.
func (p *provider) clientCredentialsToken(t *testing.T, resource string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"tool:user"}, "resource": {resource}}
	req, _ := http.NewRequest(http.MethodPost, p.info.TokenEndpoint, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(testClientID, testClientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("token request: %v", err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("token request: %d %s", resp.StatusCode, body)
	}
	return tok.AccessToken
}

// freePort reserves a loopback port: the provider must know the MCP
// server's URL (the token audience) before the server starts.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

type bearer string

func (b bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(req)
}

// checkOAuth proves, against a real OpenID provider, that MCP clients can log
// in to a generated jwt-local server with OAuth.
func checkOAuth(t *testing.T, node, bin string, sec *security) {
	port := freePort(t)
	public := "http://127.0.0.1:" + strconv.Itoa(port)
	prov := startProvider(t, node, public)
	p := startServer(t, bin, &security{auth: "jwt-local", env: []string{
		sec.envPrefix + "_MIDDLEWARE_JWT_LOCAL_ISSUER=" + prov.info.Issuer,
		sec.envPrefix + "_MIDDLEWARE_JWT_LOCAL_JWKS_URI=" + prov.info.JWKSURI,
		sec.envPrefix + "_OAUTH_CLIENT_ID=" + testClientID,
		sec.envPrefix + "_OAUTH_CLIENT_SECRET=" + testClientSecret,
		sec.envPrefix + "_OAUTH_REDIRECT_URI=" + public + "/callback",
		sec.envPrefix + "_OAUTH_METADATA_CACHE_TTL=1s",
		sec.envPrefix + "_OAUTH_STRICT=true", // start-up fails unless the provider checks out
	}}, "--transport", "http", "--addr", "127.0.0.1:"+strconv.Itoa(port))
	if p.base != public {
		t.Fatalf("server listens at %s, want %s", p.base, public)
	}

	t.Run("discovery documents", func(t *testing.T) {
		for _, path := range []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"} {
			var meta struct {
				Resource             string   `json:"resource"`
				AuthorizationServers []string `json:"authorization_servers"`
				BearerMethods        []string `json:"bearer_methods_supported"`
				Scopes               []string `json:"scopes_supported"`
			}
			getJSON(t, public+path, http.StatusOK, &meta)
			if meta.Resource != public+"/mcp" || len(meta.AuthorizationServers) != 1 || meta.AuthorizationServers[0] != prov.info.Issuer ||
				strings.Join(meta.BearerMethods, ",") != "header" || strings.Join(meta.Scopes, ",") != "tool:user" {
				t.Errorf("%s = %+v", path, meta)
			}
		}
		req, _ := http.NewRequest(http.MethodGet, public+"/.well-known/oauth-protected-resource/mcp", nil)
		req.Header.Set("Origin", "https://web-client.example")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("cross-origin read of the resource metadata: %d, Access-Control-Allow-Origin %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
		var as struct {
			Issuer  string   `json:"issuer"`
			Methods []string `json:"code_challenge_methods_supported"`
		}
		getJSON(t, public+"/.well-known/oauth-authorization-server", http.StatusOK, &as)
		if as.Issuer != prov.info.Issuer || !strings.Contains(strings.Join(as.Methods, ","), "S256") {
			t.Errorf("relayed authorization-server metadata = %+v", as)
		}
	})

	t.Run("typescript sdk client", func(t *testing.T) {
		cmd := exec.Command("node", filepath.Join(node, "ts_client.mjs"), public+"/mcp")
		cmd.Env = append(os.Environ(), "CLIENT_ID="+testClientID, "CLIENT_SECRET="+testClientSecret, "ISSUER="+prov.info.Issuer)
		var stderr lockedBuffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("ts_client: %v\n%s\n%s", err, out, stderr.String())
		}
		var res struct {
			OK         bool   `json:"ok"`
			HelloWorld string `json:"hello_world"`
			Challenge  struct {
				Status          int    `json:"status"`
				WWWAuthenticate string `json:"www_authenticate"`
			} `json:"challenge"`
			Requests []struct {
				URL    string `json:"url"`
				Status int    `json:"status"`
			} `json:"requests"`
		}
		if err := json.Unmarshal(out, &res); err != nil || !res.OK || res.HelloWorld != "Hello, Ada!" {
			t.Fatalf("ts_client result %s (%v)", out, err)
		}
		if res.Challenge.Status != http.StatusUnauthorized || !strings.Contains(res.Challenge.WWWAuthenticate, `resource_metadata="`+public+`/.well-known/oauth-protected-resource/mcp"`) {
			t.Errorf("the first answer was %d %q, want a 401 pointing at the resource metadata", res.Challenge.Status, res.Challenge.WWWAuthenticate)
		}
		if len(res.Requests) < 5 || res.Requests[0].Status != http.StatusUnauthorized || !strings.HasSuffix(res.Requests[1].URL, "/.well-known/oauth-protected-resource/mcp") {
			t.Errorf("the client did not go 401 -> resource metadata -> ...: %+v", res.Requests)
		}
	})

	t.Run("go sdk client with its oauth handler", func(t *testing.T) {
		handler, err := extauth.NewClientCredentialsHandler(&extauth.ClientCredentialsHandlerConfig{
			Credentials: &oauthex.ClientCredentials{ClientID: testClientID, ClientSecretAuth: &oauthex.ClientSecretAuth{ClientSecret: testClientSecret}},
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// The handler reacts to the first 401: it reads the resource metadata
		// the challenge names, discovers the provider and gets a token.
		tr := &mcpsdk.StreamableClientTransport{Endpoint: public + "/mcp", OAuthHandler: handler, MaxRetries: -1}
		sess, err := newSDKClient().Connect(ctx, tr, &mcpsdk.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
		if err != nil {
			t.Fatalf("connect with the Go SDK's OAuth handler: %v", err)
		}
		defer sess.Close()
		exerciseSession(t, ctx, sess, "2025-11-25")
	})

	token := prov.clientCredentialsToken(t, public+"/mcp")
	t.Run("go sdk client with a provider token", func(t *testing.T) {
		for _, era := range protocolEras {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			tr := &mcpsdk.StreamableClientTransport{Endpoint: public + "/mcp", HTTPClient: &http.Client{Transport: bearer(token)}, MaxRetries: -1}
			sess, err := newSDKClient().Connect(ctx, tr, &mcpsdk.ClientSessionOptions{ProtocolVersion: era.ask})
			if err != nil {
				cancel()
				t.Fatalf("connect (%s): %v", era.want, err)
			}
			exerciseSession(t, ctx, sess, era.want)
			sess.Close()
			cancel()
		}
	})

	t.Run("token for another resource", func(t *testing.T) {
		other := prov.clientCredentialsToken(t, prov.info.OtherResource)
		resp, body := rawMCP(t, public, "Authorization", "Bearer "+other, "", initializeBody)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("token minted for %s: status %d, want 401: %s", prov.info.OtherResource, resp.StatusCode, body)
		}
	})

	t.Run("login and callback", func(t *testing.T) { checkLogin(t, public) })

	t.Run("provider stopped", func(t *testing.T) {
		prov.stop()
		resp, body := rawMCP(t, public, "Authorization", "Bearer "+token, "", initializeBody)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("cached keys no longer accepted after the provider stopped: %d %s", resp.StatusCode, body)
		}
		time.Sleep(1500 * time.Millisecond) // metadata_cache_ttl = 1s
		var e map[string]any
		getJSON(t, public+"/.well-known/oauth-authorization-server", http.StatusBadGateway, &e)
	})
}

func getJSON(t *testing.T, u string, wantStatus int, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("GET %s: %d, want %d: %s", u, resp.StatusCode, wantStatus, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: not JSON: %s", u, body)
	}
}

// loginUntilCallback runs /login through the provider's login and consent
// pages and stops before following the redirect to /callback, returning the
// callback URL and the client (with the login cookie in its jar).
func loginUntilCallback(t *testing.T, public, user string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	var callback string
	c := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == "/callback" && strings.HasPrefix(req.URL.String(), public) {
			callback = req.URL.String()
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := c.Get(public + "/login")
	if err != nil {
		t.Fatalf("GET /login: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `name="login"`) {
		t.Fatalf("/login did not lead to the provider's login form: %d %s\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	resp, err = c.PostForm(resp.Request.URL.String(), url.Values{"prompt": {"login"}, "login": {user}, "password": {"x"}})
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	resp.Body.Close()
	if callback == "" {
		resp, err = c.PostForm(resp.Request.URL.String(), url.Values{"prompt": {"consent"}})
		if err != nil {
			t.Fatalf("consent: %v", err)
		}
		resp.Body.Close()
	}
	if callback == "" {
		t.Fatalf("the provider never redirected to /callback")
	}
	return c, callback
}

func checkLogin(t *testing.T, public string) {
	get := func(c *http.Client, u string) (int, string, http.Header) {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), resp.Header
	}

	c, callback := loginUntilCallback(t, public, "ada")
	status, body, hdr := get(c, callback)
	if status != http.StatusOK || hdr.Get("Cache-Control") != "no-store" {
		t.Fatalf("callback: %d (Cache-Control %q)\n%s", status, hdr.Get("Cache-Control"), body)
	}
	if strings.Contains(body, "eyJ") {
		t.Errorf("the success page shows a token although show_token is off")
	}
	if status, body, _ := get(c, callback); status != http.StatusBadRequest {
		t.Errorf("replayed callback: %d, want 400\n%s", status, body)
	}

	c, callback = loginUntilCallback(t, public, "ada")
	u, _ := url.Parse(callback)
	q := u.Query()
	q.Set("state", q.Get("state")+"x")
	u.RawQuery = q.Encode()
	if status, body, _ := get(c, u.String()); status != http.StatusBadRequest {
		t.Errorf("tampered state: %d, want 400\n%s", status, body)
	}

	_, callback = loginUntilCallback(t, public, "ada")
	if status, body, _ := get(&http.Client{}, callback); status != http.StatusBadRequest {
		t.Errorf("callback without the verifier cookie: %d, want 400\n%s", status, body)
	}
}

// checkProviderCheck proves the start-up check of the authorization server:
// an issuer without discovery documents (the test's bare JWKS endpoint) is a
// warning by default and stops the server with oauth.strict.
func checkProviderCheck(t *testing.T, bin string, sec *security) {
	t.Run("warning", func(t *testing.T) {
		p := startServer(t, bin, sec, "--transport", "http")
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(p.stderr.String(), "authorization server check failed"); {
			if time.Now().After(deadline) {
				t.Fatalf("no warning about the authorization server in the log")
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	t.Run("strict", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "--transport", "http", "--addr", "127.0.0.1:0")
		cmd.Env = append(append(os.Environ(), sec.env...), sec.envPrefix+"_OAUTH_STRICT=true")
		out, err := cmd.CombinedOutput()
		if err == nil || ctx.Err() != nil {
			t.Fatalf("server with a failing provider check and oauth.strict did not stop with an error: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "oauth.strict") {
			t.Errorf("the error does not name oauth.strict:\n%s", out)
		}
	})
}
