package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// metadata is the authorization server's metadata as this server uses it.
type metadata struct {
	// relay is the document served at /.well-known/oauth-authorization-server:
	// the upstream document without credential-like fields.
	relay []byte
	// source is the URL the document was fetched from.
	source string

	Issuer                        string   `json:"issuer"`
	AuthorizationEndpoint         string   `json:"authorization_endpoint"`
	TokenEndpoint                 string   `json:"token_endpoint"`
	JWKSURI                       string   `json:"jwks_uri"`
	CodeChallengeMethods          []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMethods      []string `json:"token_endpoint_auth_methods_supported"`
	IDTokenSigningAlgs            []string `json:"id_token_signing_alg_values_supported"`
	AuthorizationResponseIssParam bool     `json:"authorization_response_iss_parameter_supported"`
}

// discoveryURLs returns the metadata URLs of issuer in the order the MCP
// specification (2025-11-25, "Authorization Server Metadata Discovery")
// tells clients to try them. For an issuer with a path:
//
//	https://host/.well-known/oauth-authorization-server/path
//	https://host/.well-known/openid-configuration/path
//	https://host/path/.well-known/openid-configuration
//
// and without one:
//
//	https://host/.well-known/oauth-authorization-server
//	https://host/.well-known/openid-configuration
func discoveryURLs(issuer string) ([]string, error) {
	u, err := parseIssuer(issuer)
	if err != nil {
		return nil, err
	}
	path := strings.TrimRight(u.EscapedPath(), "/")
	origin := u.Scheme + "://" + u.Host
	if path == "" {
		return []string{
			origin + "/.well-known/oauth-authorization-server",
			origin + "/.well-known/openid-configuration",
		}, nil
	}
	return []string{
		origin + "/.well-known/oauth-authorization-server" + path,
		origin + "/.well-known/openid-configuration" + path,
		origin + path + "/.well-known/openid-configuration",
	}, nil
}

// metadataCache holds the authorization server's metadata for a TTL. A miss
// starts one fetch that every concurrent caller waits for; the fetch runs
// detached from the callers' contexts, so a client hanging up does not fail
// it for the others. A failure is remembered for the backoff
// (oauth.metadata_failure_backoff): until it ends, callers get the same
// error without a new fetch, so a failing provider sees one discovery per
// backoff however many clients ask, rather than one per request. Nothing
// expired is served.
type metadataCache struct {
	issuer   string
	ttl      time.Duration
	backoff  time.Duration
	fetch    *fetcher
	logger   *slog.Logger
	now      func() time.Time
	observer Observer // nil records nothing

	mu        sync.Mutex
	doc       *metadata
	expires   time.Time
	failure   error         // the error of the last fetch, while failUntil lies ahead
	failUntil time.Time     // end of the backoff after a failed fetch
	call      *metadataCall // the fetch in flight, if any
}

type metadataCall struct {
	done chan struct{}
	doc  *metadata
	err  error
}

func newMetadataCache(issuer string, ttl, backoff time.Duration, f *fetcher, logger *slog.Logger, now func() time.Time) *metadataCache {
	return &metadataCache{issuer: issuer, ttl: ttl, backoff: backoff, fetch: f, logger: logger, now: now}
}

// get returns the cached metadata, fetching it when it is missing or
// expired.
func (c *metadataCache) get(ctx context.Context) (*metadata, error) {
	doc, _, err := c.getWithAge(ctx)
	return doc, err
}

// getWithAge is get that also returns a duration: with the metadata, how
// long it remains fresh; with an error, how long the failure is remembered
// (0 when the caller gave up waiting), which is when a retry can succeed.
func (c *metadataCache) getWithAge(ctx context.Context) (*metadata, time.Duration, error) {
	c.mu.Lock()
	now := c.now()
	if c.doc != nil {
		if left := c.expires.Sub(now); left > 0 {
			doc := c.doc
			c.mu.Unlock()
			return doc, left, nil
		}
		c.doc = nil
	}
	if c.failure != nil {
		if left := c.failUntil.Sub(now); left > 0 {
			err := c.failure
			c.mu.Unlock()
			return nil, left, err
		}
		c.failure = nil
	}
	call := c.call
	if call == nil {
		call = &metadataCall{done: make(chan struct{})}
		c.call = call
		go c.run(call)
	}
	c.mu.Unlock()

	select {
	case <-call.done:
	case <-ctx.Done():
		return nil, 0, fmt.Errorf("waiting for the authorization server metadata: %w", ctx.Err())
	}
	if call.err != nil {
		return nil, c.backoff, call.err
	}
	return call.doc, c.ttl, nil
}

func (c *metadataCache) run(call *metadataCall) {
	// The deadline covers every candidate URL together, so a server that
	// does not answer costs one fetch_timeout, not three.
	ctx, cancel := context.WithTimeout(context.Background(), c.fetch.timeout)
	defer cancel()
	doc, err := c.discover(ctx)

	c.mu.Lock()
	c.call = nil
	if err == nil {
		c.doc = doc
		c.expires = c.now().Add(c.ttl)
	} else {
		c.failure = err
		c.failUntil = c.now().Add(c.backoff)
	}
	c.mu.Unlock()
	if err != nil {
		// Logged once per failed fetch, not per request: the backoff keeps
		// this to one line per oauth.metadata_failure_backoff.
		c.logger.Warn("authorization server metadata unavailable", slog.String("issuer", c.issuer),
			slog.String("error", err.Error()), slog.Duration("retry_in", c.backoff))
	}
	call.doc, call.err = doc, err
	close(call.done)
	if c.observer != nil {
		c.observer.RelayFetched(err)
	}
}

// Observer is told each fetch of the authorization server's metadata, the
// document relayed at /.well-known/oauth-authorization-server, for metrics.
// It must be safe for concurrent use. A nil Observer in [Options] records
// nothing.
type Observer interface {
	// RelayFetched is called after each fetch with its error, nil when a
	// usable document was loaded.
	RelayFetched(err error)
}

// discover tries each discovery URL in order and returns the first usable
// document. A candidate that answers other than 200, or with a document
// that is not valid metadata of the configured issuer, is skipped; when all
// fail, the error names each.
func (c *metadataCache) discover(ctx context.Context) (*metadata, error) {
	urls, err := discoveryURLs(c.issuer)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, u := range urls {
		doc, err := c.fetchOne(ctx, u)
		if err == nil {
			return doc, nil
		}
		errs = append(errs, fmt.Errorf("GET %s: %w", u, err))
	}
	return nil, fmt.Errorf("no usable authorization server metadata for issuer %s: %w", c.issuer, errors.Join(errs...))
}

func (c *metadataCache) fetchOne(ctx context.Context, u string) (*metadata, error) {
	resp, err := c.fetch.get(ctx, u)
	if err != nil {
		return nil, err
	}
	if resp.status != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.status)
	}
	return parseMetadata(resp.body, c.issuer, u)
}

// parseMetadata decodes an authorization-server metadata document, checks
// that it belongs to issuer, and prepares the relayed form.
func parseMetadata(body []byte, issuer, source string) (*metadata, error) {
	var fields map[string]json.RawMessage
	if err := decodeObject(body, &fields); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	m := &metadata{source: source}
	if err := json.Unmarshal(body, m); err != nil {
		return nil, fmt.Errorf("invalid metadata: %w", err)
	}
	// encoding/json matches field names case-insensitively: insist on the
	// exact "issuer" member so "ISSUER" cannot stand in for it.
	var exact string
	if raw, ok := fields["issuer"]; !ok || json.Unmarshal(raw, &exact) != nil || exact != m.Issuer {
		return nil, errors.New("the document has no issuer")
	}
	if m.Issuer != issuer {
		return nil, fmt.Errorf("the document names issuer %q, not the configured %q; fix middleware.jwt.local.issuer (it must match character for character)", m.Issuer, issuer)
	}
	m.AuthorizationEndpoint = exactString(fields, "authorization_endpoint")
	m.TokenEndpoint = exactString(fields, "token_endpoint")
	m.JWKSURI = exactString(fields, "jwks_uri")
	relayed := stripSecrets(fields)
	var err error
	if m.relay, err = json.Marshal(relayed); err != nil {
		return nil, fmt.Errorf("cannot encode the relayed metadata: %w", err)
	}
	return m, nil
}

// exactString is the string member name of fields, "" when missing or not
// a string.
func exactString(fields map[string]json.RawMessage, name string) string {
	var s string
	if raw, ok := fields[name]; ok && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return ""
}

// decodeObject decodes exactly one JSON object from b into v, refusing
// trailing data.
func decodeObject(b []byte, v any) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return errors.New("expected a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// serveAuthServerMetadata relays the authorization server's metadata:
// 200 with the cached document, or 502 when it cannot be had. Never a 200
// carrying an error, so a client does not take an error for metadata.
//
// The 502 body is the same whatever went wrong: the error names internal
// URLs, addresses and status codes that are the operator's business, not
// an anonymous caller's, so it goes to the log (once per failed fetch)
// instead. Retry-After says when the remembered failure ends.
func (h *Handler) serveAuthServerMetadata(w http.ResponseWriter, r *http.Request) {
	if !publicDocumentMethod(w, r) {
		return
	}
	doc, left, err := h.meta.getWithAge(r.Context())
	if err != nil {
		if left > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((left+time.Second-1)/time.Second)))
		}
		writeJSONError(w, http.StatusBadGateway, "bad_gateway", "the authorization server metadata is unavailable; try again later")
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(left/time.Second)))
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(doc.relay)
}

// publicDocumentMethod handles the method of a request for a public
// discovery document: GET and HEAD go on (true), a CORS preflight is
// answered, anything else gets 405. Discovery documents are readable from
// any origin (RFC 9728 and RFC 8414 expect browser-based clients to fetch
// them); they carry no credentials, and none are accepted.
func publicDocumentMethod(w http.ResponseWriter, r *http.Request) bool {
	hdr := w.Header()
	hdr.Set("Access-Control-Allow-Origin", "*")
	hdr.Del("Access-Control-Allow-Credentials")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return true
	case http.MethodOptions:
		hdr.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
			// Clients send MCP-Protocol-Version with discovery requests;
			// any header is harmless on a credential-free GET.
			hdr.Set("Access-Control-Allow-Headers", req)
		}
		hdr.Set("Access-Control-Max-Age", "600")
		hdr.Add("Vary", "Access-Control-Request-Headers")
		w.WriteHeader(http.StatusNoContent)
		return false
	}
	hdr.Set("Allow", "GET, HEAD, OPTIONS")
	writeJSONError(w, http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("method %s is not allowed on %s; use GET", r.Method, r.URL.Path))
	return false
}

// writeJSONError writes {"error": code, "message": msg}, the error shape of
// the server's other endpoints.
func writeJSONError(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal(map[string]string{"error": code, "message": msg})
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Del("Content-Length")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
