package oauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mcpforge/mcpforge/runtime/config"
)

// maxRedirects bounds the redirects followed by a metadata or key fetch.
const maxRedirects = 3

// errTooLarge reports a response over max_metadata_bytes.
var errTooLarge = errors.New("response is larger than " + config.OAuthTable + ".max_metadata_bytes")

// fetcher makes the outbound requests to the authorization server. Every
// URL it is given, and every redirect, must be https (http for loopback
// addresses) on an allowed host: a metadata document is data from the
// network, and without the allow-list one naming an internal address would
// make this server request it (SSRF).
type fetcher struct {
	allowed  map[string]bool // lower-case host names, no trailing dot
	timeout  time.Duration
	maxBytes int64
	client   *http.Client // GET: follows redirects within the rules
	post     *http.Client // POST: follows no redirect
}

func newFetcher(allowedHosts []string, timeout time.Duration, maxBytes int64, rt http.RoundTripper) (*fetcher, error) {
	f := &fetcher{allowed: make(map[string]bool, len(allowedHosts)), timeout: timeout, maxBytes: maxBytes}
	for _, h := range allowedHosts {
		f.allowed[normalizeHost(h)] = true
	}
	if rt == nil {
		rt = http.DefaultTransport.(*http.Transport).Clone()
	}
	f.client = &http.Client{
		Transport: rt,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("more than %d redirects", maxRedirects)
			}
			_, err := f.checkURL(req.URL.String())
			return err
		},
	}
	f.post = &http.Client{
		Transport: rt,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return f, nil
}

func normalizeHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
}

// checkURL reports whether raw may be requested: absolute, https (or http
// to a loopback address), no credentials, host allowed.
func (f *fetcher) checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute URL", raw)
	}
	host := u.Hostname()
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && config.IsLoopbackHost(host):
	case u.Scheme == "http":
		return nil, fmt.Errorf("%q uses http; the authorization server must be reached over https (http is allowed for loopback addresses only)", raw)
	default:
		return nil, fmt.Errorf("%q must be an https URL", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%q contains credentials; remove them", raw)
	}
	if !f.allowed[normalizeHost(host)] {
		return nil, fmt.Errorf("host %q of %q is not allowed; add it to %s.allowed_hosts if it belongs to your authorization server", host, raw, config.OAuthTable)
	}
	return u, nil
}

// checkBrowserURL reports whether raw may be sent to a browser as the
// authorization endpoint: absolute https (http for loopback), no
// credentials. Its host is not restricted: the browser, not this server,
// requests it.
func checkBrowserURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", raw)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && config.IsLoopbackHost(u.Hostname()):
	default:
		return fmt.Errorf("%q must be an https URL", raw)
	}
	if u.User != nil || u.Fragment != "" {
		return fmt.Errorf("%q must not contain credentials or a fragment", raw)
	}
	return nil
}

// response is what a fetch returns: the status and the body, read whole
// within the size cap.
type response struct {
	status      int
	contentType string
	body        []byte
}

// get fetches raw with GET. The context should carry the deadline of the
// whole operation; fetch_timeout applies on top.
func (f *fetcher) get(ctx context.Context, raw string) (*response, error) {
	if _, err := f.checkURL(raw); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	return f.do(f.client, req)
}

// postForm posts form to raw without following redirects, with HTTP Basic
// client authentication when user is not empty.
func (f *fetcher) postForm(ctx context.Context, raw string, form url.Values, user, password string) (*response, error) {
	if _, err := f.checkURL(raw); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, raw, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if user != "" {
		// RFC 6749 section 2.3.1: both parts are form-encoded first.
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(password))
	}
	return f.do(f.post, req)
}

func (f *fetcher) do(c *http.Client, req *http.Request) (*response, error) {
	resp, err := c.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL is named by the caller's message
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("no answer within %s (%s.fetch_timeout)", f.timeout, config.OAuthTable)
		}
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBytes+1))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("no complete answer within %s (%s.fetch_timeout)", f.timeout, config.OAuthTable)
		}
		return nil, fmt.Errorf("reading the response: %w", err)
	}
	if int64(len(body)) > f.maxBytes {
		return nil, errTooLarge
	}
	return &response{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: body}, nil
}
