package oauth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mcpforge/mcpforge/runtime/config"
)

const (
	// cookieName is the login cookie over http; over https it gets the
	// "__Host-" prefix, which makes browsers insist on Secure, Path=/ and no
	// Domain, so a sibling subdomain cannot plant or overwrite it.
	cookieName       = "mcp_oauth_login"
	secureCookieName = "__Host-" + cookieName
	// maxUsedStates bounds the memory of used state values. Each costs one
	// callback request; when the table is full of unexpired entries, new
	// callbacks are refused rather than old entries forgotten, which would
	// reopen them to replay.
	maxUsedStates = 100_000
	// maxCookieBytes is the largest login cookie looked at.
	maxCookieBytes = 2048
)

// loginConfig is the part of the configuration the login flow uses.
type loginConfig struct {
	clientID     string
	clientSecret string // never logged
	redirectURI  string
	scopes       string // space-separated, as sent
	openid       bool   // "openid" requested: send a nonce, expect an ID token
	showToken    bool
	stateTTL     time.Duration
	cookieName   string
	secure       bool
	aead         cipher.AEAD
}

func newLoginConfig(cfg config.OAuth, scopes []string) (*loginConfig, error) {
	requested := cfg.LoginScopes
	if len(requested) == 0 {
		requested = append([]string{"openid"}, scopes...)
	}
	u, err := url.Parse(cfg.RedirectURI)
	if err != nil {
		return nil, fmt.Errorf("%s.redirect_uri: %q is not a URL", config.OAuthTable, cfg.RedirectURI)
	}
	l := &loginConfig{
		clientID:     cfg.ClientID,
		clientSecret: cfg.ClientSecret,
		redirectURI:  cfg.RedirectURI,
		scopes:       strings.Join(requested, " "),
		openid:       slices.Contains(requested, "openid"),
		showToken:    cfg.ShowToken,
		stateTTL:     cfg.StateTTL.Duration,
		cookieName:   cookieName,
		secure:       u.Scheme == "https",
	}
	if l.secure {
		l.cookieName = secureCookieName
	}
	key, err := cookieKey(cfg.ClientSecret)
	if err != nil {
		return nil, fmt.Errorf("cannot create the login cookie key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	if l.aead, err = cipher.NewGCM(block); err != nil {
		return nil, err
	}
	return l, nil
}

// loginState is what the login cookie carries from /login to /callback.
type loginState struct {
	State    string `json:"s"`
	Nonce    string `json:"n,omitempty"`
	Verifier string `json:"v"`
	Expires  int64  `json:"e"` // unix seconds; the cookie's Max-Age is only advice to the browser
}

// seal encrypts and authenticates st: the browser can neither read the
// code verifier nor change any part of it.
func (l *loginConfig) seal(st loginState) (string, error) {
	plain, err := json.Marshal(st)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, l.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := l.aead.Seal(nonce, nonce, plain, []byte(l.cookieName))
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// open reverses seal; any change to the cookie makes it fail.
func (l *loginConfig) open(v string) (loginState, error) {
	var st loginState
	if len(v) > maxCookieBytes {
		return st, errors.New("cookie too large")
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(b) < l.aead.NonceSize() {
		return st, errors.New("cookie malformed")
	}
	ns := l.aead.NonceSize()
	plain, err := l.aead.Open(nil, b[:ns], b[ns:], []byte(l.cookieName))
	if err != nil {
		return st, errors.New("cookie not sealed by this server")
	}
	if err := json.Unmarshal(plain, &st); err != nil || st.State == "" || st.Verifier == "" {
		return st, errors.New("cookie content invalid")
	}
	return st, nil
}

func (l *loginConfig) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     l.cookieName,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   l.secure,
		SameSite: http.SameSiteLaxMode,
	}
}

// randomToken returns n random bytes, base64url-encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// pkceChallenge is the S256 code challenge of verifier (RFC 7636 4.2).
func pkceChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// serveLogin starts the authorization-code flow: it stores fresh state,
// nonce and PKCE verifier in the login cookie and redirects the browser to
// the authorization endpoint found by discovery.
func (h *Handler) serveLogin(w http.ResponseWriter, r *http.Request) {
	if !pageMethod(w, r) {
		return
	}
	l := h.login
	m, err := h.meta.get(r.Context())
	if err != nil {
		h.renderError(w, http.StatusBadGateway, "The authorization server cannot be reached", "Try again in a moment; if this persists, the server's operator should check its OAuth configuration.", "", "")
		return
	}
	if err := checkBrowserURL(m.AuthorizationEndpoint); err != nil {
		h.logger.Warn("authorization server metadata has no usable authorization_endpoint", slog.String("issuer", h.issuer), slog.String("error", err.Error()))
		h.renderError(w, http.StatusBadGateway, "The authorization server cannot be used", "Its metadata has no usable authorization endpoint.", "", "")
		return
	}
	st := loginState{
		State:    randomToken(32),
		Verifier: randomToken(32), // 43 characters, the RFC 7636 minimum, 256 bits
		Expires:  h.now().Add(l.stateTTL).Unix(),
	}
	if l.openid {
		st.Nonce = randomToken(32)
	}
	sealed, err := l.seal(st)
	if err != nil {
		h.renderError(w, http.StatusInternalServerError, "The login cannot start", "An internal error occurred.", "", "")
		return
	}

	target, _ := url.Parse(m.AuthorizationEndpoint) // checked above
	q := target.Query()                             // keep parameters the endpoint already has
	q.Set("response_type", "code")
	q.Set("client_id", l.clientID)
	q.Set("redirect_uri", l.redirectURI)
	q.Set("scope", l.scopes)
	q.Set("state", st.State)
	q.Set("code_challenge", pkceChallenge(st.Verifier))
	q.Set("code_challenge_method", "S256")
	q.Set("resource", h.audience) // RFC 8707: the token is minted for this server
	if st.Nonce != "" {
		q.Set("nonce", st.Nonce)
	}
	target.RawQuery = q.Encode()

	http.SetCookie(w, l.cookie(sealed, int(l.stateTTL/time.Second)))
	hdr := w.Header()
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Location", target.String())
	w.WriteHeader(http.StatusFound)
}

// serveCallback ends the flow: it checks the state against the login
// cookie, refuses a state used before, exchanges the code with the PKCE
// verifier, checks the ID token, and shows the result.
func (h *Handler) serveCallback(w http.ResponseWriter, r *http.Request) {
	if !pageMethod(w, r) {
		return
	}
	l := h.login
	// The cookie is single-use whatever happens next.
	http.SetCookie(w, l.cookie("", -1))
	const restart = "Start again at /login."

	c, err := r.Cookie(l.cookieName)
	if err != nil || c.Value == "" {
		h.renderError(w, http.StatusBadRequest, "The login cannot be completed",
			"The login cookie is missing: the login took longer than allowed, was started in another browser, or on another host name than "+l.redirectURI+". "+restart, "", "")
		return
	}
	st, err := l.open(c.Value)
	if err != nil {
		h.logger.Info("oauth callback refused", slog.String("reason", err.Error()), slog.String("remote", r.RemoteAddr))
		h.renderError(w, http.StatusBadRequest, "The login cannot be completed", "The login cookie is not valid. "+restart, "", "")
		return
	}
	now := h.now()
	if now.Unix() >= st.Expires {
		h.renderError(w, http.StatusBadRequest, "The login cannot be completed", "The login took too long. "+restart, "", "")
		return
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(st.State)) != 1 {
		h.logger.Info("oauth callback refused", slog.String("reason", "state does not match the login cookie"), slog.String("remote", r.RemoteAddr))
		h.renderError(w, http.StatusBadRequest, "The login cannot be completed", "The state parameter does not match this browser's login. "+restart, "", "")
		return
	}
	switch h.usedStates.use(st.State, time.Unix(st.Expires, 0), now) {
	case stateReplayed:
		h.logger.Warn("oauth callback refused", slog.String("reason", "state already used (replay)"), slog.String("remote", r.RemoteAddr))
		h.renderError(w, http.StatusBadRequest, "The login cannot be completed", "This login was already completed. "+restart, "", "")
		return
	case stateTableFull:
		h.renderError(w, http.StatusServiceUnavailable, "The login cannot be completed", "Too many logins are in progress. Try again in a few minutes.", "", "")
		return
	}

	m, err := h.meta.get(r.Context())
	if err != nil {
		h.renderError(w, http.StatusBadGateway, "The authorization server cannot be reached", restart, "", "")
		return
	}
	// RFC 9207: the iss parameter, when present or promised, defeats
	// mix-up attacks between authorization servers.
	if iss, ok := q["iss"]; ok || m.AuthorizationResponseIssParam {
		if !ok || len(iss) != 1 || iss[0] != h.issuer {
			h.renderError(w, http.StatusBadRequest, "The login cannot be completed", "The response does not come from the expected authorization server. "+restart, "", "")
			return
		}
	}
	if e := q.Get("error"); e != "" {
		h.logger.Info("oauth login refused by the authorization server", slog.String("error", clip(e, 100)))
		h.renderError(w, http.StatusBadRequest, "The authorization server refused the login", restart, e, q.Get("error_description"))
		return
	}
	code := q.Get("code")
	if code == "" {
		h.renderError(w, http.StatusBadRequest, "The login cannot be completed", "The response has no authorization code. "+restart, "", "")
		return
	}

	tok, perr, err := h.exchange(r, m, code, st.Verifier)
	if err != nil {
		h.logger.Warn("oauth token exchange failed", slog.String("issuer", h.issuer), slog.String("error", err.Error()))
		code, desc := "", ""
		if perr != nil {
			code, desc = perr.Error, perr.Description
		}
		h.renderError(w, http.StatusBadGateway, "The authorization server did not issue a token", restart, code, desc)
		return
	}
	subject := ""
	if tok.IDToken != "" {
		claims, err := h.verifyIDToken(r.Context(), m, tok.IDToken, st.Nonce)
		if err != nil {
			h.logger.Warn("oauth ID token refused", slog.String("issuer", h.issuer), slog.String("error", err.Error()))
			h.renderError(w, http.StatusBadGateway, "The authorization server's answer was not accepted", "Its ID token is not valid: "+err.Error()+". "+restart, "", "")
			return
		}
		subject, _ = claims["sub"].(string)
	} else if l.openid {
		h.logger.Info("oauth login without an ID token although openid was requested", slog.String("issuer", h.issuer))
	}
	h.logger.Info("oauth login completed", slog.String("subject", subject))
	h.renderSuccess(w, tok, subject)
}

// tokenResponse is the token endpoint's success answer (RFC 6749 5.1).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
	IDToken     string `json:"id_token"`
}

// providerError is the token endpoint's error answer (RFC 6749 5.2).
type providerError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// exchange redeems code at the token endpoint. When the endpoint answers
// with an OAuth error, it is returned too, to be shown to the user.
func (h *Handler) exchange(r *http.Request, m *metadata, code, verifier string) (*tokenResponse, *providerError, error) {
	l := h.login
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {l.redirectURI},
		"code_verifier": {verifier},
		"resource":      {h.audience},
	}
	user, pass := "", ""
	switch {
	case l.clientSecret == "":
		form.Set("client_id", l.clientID) // public client
	case len(m.TokenEndpointAuthMethods) > 0 &&
		!slices.Contains(m.TokenEndpointAuthMethods, "client_secret_basic") &&
		slices.Contains(m.TokenEndpointAuthMethods, "client_secret_post"):
		form.Set("client_id", l.clientID)
		form.Set("client_secret", l.clientSecret)
	default:
		// RFC 6749 2.3.1: every server supports HTTP Basic.
		user, pass = l.clientID, l.clientSecret
	}
	resp, err := h.fetch.postForm(r.Context(), m.TokenEndpoint, form, user, pass)
	if err != nil {
		return nil, nil, fmt.Errorf("POST %s: %w", m.TokenEndpoint, err)
	}
	if resp.status != http.StatusOK {
		var perr providerError
		if decodeObject(resp.body, &perr) == nil && perr.Error != "" {
			return nil, &perr, fmt.Errorf("POST %s: status %d: %s", m.TokenEndpoint, resp.status, clip(perr.Error, 100))
		}
		return nil, nil, fmt.Errorf("POST %s: status %d", m.TokenEndpoint, resp.status)
	}
	var tok tokenResponse
	if err := decodeObject(resp.body, &tok); err != nil {
		return nil, nil, fmt.Errorf("POST %s: the answer is not a token response: %w", m.TokenEndpoint, err)
	}
	if tok.AccessToken == "" {
		return nil, nil, fmt.Errorf("POST %s: the answer has no access_token", m.TokenEndpoint)
	}
	if !strings.EqualFold(tok.TokenType, "bearer") {
		return nil, nil, fmt.Errorf("POST %s: token_type %q is not Bearer", m.TokenEndpoint, clip(tok.TokenType, 40))
	}
	return &tok, nil, nil
}

// pageMethod lets GET and HEAD through and answers anything else with 405.
func pageMethod(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	writeJSONError(w, http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("method %s is not allowed on %s; use GET", r.Method, r.URL.Path))
	return false
}

// clip shortens s to at most n bytes for logs and pages, on a rune
// boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// useResult is the outcome of usedStates.use.
type useResult int

const (
	stateFresh useResult = iota
	stateReplayed
	stateTableFull
)

// usedStates remembers the state values already presented at /callback
// until their login would have expired anyway, so a callback URL (with
// its cookie) cannot be replayed. It keeps SHA-256 digests, a fixed size
// whatever the state's length.
type usedStates struct {
	mu  sync.Mutex
	m   map[[32]byte]time.Time
	max int
}

func newUsedStates(max int) *usedStates {
	return &usedStates{m: make(map[[32]byte]time.Time), max: max}
}

func (u *usedStates) use(state string, until, now time.Time) useResult {
	key := sha256.Sum256([]byte(state))
	u.mu.Lock()
	defer u.mu.Unlock()
	if exp, ok := u.m[key]; ok && now.Before(exp) {
		return stateReplayed
	}
	if len(u.m) >= u.max {
		for k, exp := range u.m {
			if !now.Before(exp) {
				delete(u.m, k)
			}
		}
		if len(u.m) >= u.max {
			return stateTableFull
		}
	}
	u.m[key] = until
	return stateFresh
}
