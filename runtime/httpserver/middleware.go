package httpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mcpforge/mcpforge/runtime/envelope"
)

// middleware is one link of a chain: it wraps the handler behind it.
type middleware = func(http.Handler) http.Handler

// chain wraps h in mws, the first outermost.
func chain(h http.Handler, mws ...middleware) http.Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		if mws[i] != nil {
			h = mws[i](h)
		}
	}
	return h
}

// middleware wraps the router in the chain every request passes, outermost
// first. The MCP endpoints add theirs (see mcpChain) behind the router.
func (s *Server) middleware(router http.Handler) http.Handler {
	var cors middleware
	if s.cfg.Middleware.CORS.Enabled {
		cors = s.cors
	}
	return chain(router,
		s.accessLog,         // request id; one log line once answered
		s.recoverPanics,     // a panic is a 500, not a dead process
		s.checkHost,         // DNS rebinding
		s.checkOrigin,       // cross-site browser requests
		cors,                // preflights and CORS headers, when enabled
		s.refuseLargeBodies, // 413 on Content-Length; bodies bounded
	)
}

// mcpChain is the chain of an MCP endpoint (/mcp, /sse, /message) behind the
// router, outermost first. Nothing reads the body before the caller is
// known.
func (s *Server) mcpChain(transport http.Handler) http.Handler {
	var authenticate, rules, scopes middleware
	if g := s.guard; g != nil {
		authenticate, rules, scopes = g.Authenticate, g.Rules, g.Scopes
	}
	return chain(transport,
		s.track,          // in flight, for graceful shutdown
		authenticate,     // the caller, from the headers alone (Guard)
		s.captureSubject, // the subject, for the access log
		s.readBody,       // size, read deadline, bytes in flight; the JSON-RPC envelope
		rules,            // allow rules over the caller and the envelope (Guard)
		s.bindSessions,   // the session registry: issued ids, owners, 404s, caps
		s.limitStreams,   // stream caps; streams end with their session and at shutdown
		scopes,           // per-tool scopes (Guard)
		s.runChecks,      // JSON-RPC checks mcp-go cannot answer rightly (Options.Checks)
	)
}

// runChecks runs Options.Checks on a request body and answers for mcp-go
// when one returns a response: on streamable HTTP as mcp-go answers a
// JSON-RPC error (HTTP 200, the message as the body); on the legacy
// /message endpoint as mcp-go answers any request (202 Accepted, the
// message on the session's SSE stream).
func (s *Server) runChecks(next http.Handler) http.Handler {
	if len(s.checks) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateFrom(r.Context())
		if st == nil || st.body == nil {
			next.ServeHTTP(w, r)
			return
		}
		var resp []byte
		for _, check := range s.checks {
			if resp = check(r.Header, st.body, &st.env); resp != nil {
				break
			}
		}
		if resp == nil {
			next.ServeHTTP(w, r)
			return
		}
		if r.URL.Path != PathMessage {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(resp)
			return
		}
		// bindSessions has checked the session; its queue may still be
		// full or the stream just closed.
		if err := s.sse.SendEventToSession(r.URL.Query().Get("sessionId"), json.RawMessage(resp)); err != nil {
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusServiceUnavailable, "cannot send the response on the session's SSE stream; retry shortly or reconnect")
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
}

// recoverPanics turns a panic in any handler into a logged 500, so one bad
// request never takes the process down. http.ErrAbortHandler passes through:
// it is how a handler deliberately aborts a response.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.logger.LogAttrs(context.WithoutCancel(r.Context()), slog.LevelError, "panic while serving request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("request_id", RequestID(r.Context())),
				slog.String("panic", fmt.Sprint(v)),
				slog.String("stack", string(debug.Stack())))
			if rec, ok := w.(*recorder); ok && rec.status != 0 {
				// The response has begun; the only honest signal left is
				// to cut the connection.
				panic(http.ErrAbortHandler)
			}
			writeError(w, http.StatusInternalServerError, "the server failed to handle the request; the error has been logged")
		}()
		next.ServeHTTP(w, r)
	})
}

// checkHost refuses a request whose Host header could be the product of DNS
// rebinding: a browser tricked into sending requests for attacker.example to
// this server sends "Host: attacker.example". Accepted are loopback names,
// IP literals (an attacker's page cannot make a browser send one for its own
// origin), the host of public_url, and allowed_hosts.
func (s *Server) checkHost(next http.Handler) http.Handler {
	h := s.cfg.Server.HTTP
	anyHost := false
	names := map[string]bool{}
	hostPorts := map[string]bool{}
	for _, a := range h.AllowedHosts {
		a = strings.ToLower(a)
		switch {
		case a == "*":
			anyHost = true
		case hasPort(a):
			hostPorts[a] = true
		default:
			names[strings.Trim(a, "[]")] = true
		}
	}
	if u, err := url.Parse(h.PublicURL); err == nil && u.Hostname() != "" {
		names[strings.ToLower(u.Hostname())] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if anyHost || hostAllowed(r.Host, names, hostPorts) {
			next.ServeHTTP(w, r)
			return
		}
		s.logger.Warn("refused request with a foreign Host header (possible DNS rebinding)",
			slog.String("host", r.Host), slog.String("remote", r.RemoteAddr),
			slog.String("request_id", RequestID(r.Context())))
		writeError(w, http.StatusForbidden, fmt.Sprintf("host %q is not allowed; add it to server.http.allowed_hosts", r.Host))
	})
}

func hasPort(hostport string) bool {
	_, _, err := net.SplitHostPort(hostport)
	return err == nil
}

func hostAllowed(host string, names, hostPorts map[string]bool) bool {
	if host == "" {
		return true // HTTP/1.0 without Host: not a browser
	}
	host = strings.ToLower(host)
	if hostPorts[host] {
		return true
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.TrimSuffix(strings.Trim(name, "[]"), ".")
	if name == "localhost" || names[name] {
		return true
	}
	_, err := netip.ParseAddr(name)
	return err == nil
}

// checkOrigin refuses a request carrying an Origin header that is not
// allowed: browsers send Origin on cross-origin requests, so this is what
// stops a web page from driving a local MCP server. Requests without Origin
// (every non-browser client) pass. Allowed are server.http.allowed_origins,
// the CORS allowed_origins when CORS is enabled, the origin of public_url,
// and loopback origins on the port the request arrived at.
func (s *Server) checkOrigin(next http.Handler) http.Handler {
	h := s.cfg.Server.HTTP
	anyOrigin := false
	allowed := map[string]bool{}
	lists := [][]string{h.AllowedOrigins}
	if s.cfg.Middleware.CORS.Enabled {
		lists = append(lists, s.cfg.Middleware.CORS.AllowedOrigins)
	}
	for _, list := range lists {
		for _, o := range list {
			if o == "*" {
				anyOrigin = true
			}
			allowed[strings.ToLower(o)] = true
		}
	}
	if o := originOf(h.PublicURL); o != "" {
		allowed[o] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || anyOrigin || allowed[strings.ToLower(origin)] || s.loopbackOrigin(r, origin) || publicDocument(r) {
			next.ServeHTTP(w, r)
			return
		}
		s.logger.Warn("refused request from a foreign Origin",
			slog.String("origin", origin), slog.String("path", r.URL.Path), slog.String("remote", r.RemoteAddr),
			slog.String("request_id", RequestID(r.Context())))
		writeError(w, http.StatusForbidden, fmt.Sprintf("origin %q is not allowed; add it to server.http.allowed_origins", origin))
	})
}

// publicDocument reports whether r reads a /.well-known/ document. Those
// (the OAuth metadata of RFC 9728 and RFC 8414) are public and read-only,
// and browser-based MCP clients must be able to read them cross-origin.
func publicDocument(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return strings.HasPrefix(r.URL.Path, "/.well-known/")
	}
	return false
}

// originOf returns the origin (scheme://host[:port], default port left out,
// lower case) of an absolute URL, as a browser would send it.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		return scheme + "://" + host + ":" + port
	}
	return scheme + "://" + host
}

// loopbackOrigin reports whether origin is a page served from this machine
// on the port the request arrived at: the server's own pages, not another
// local program's.
func (s *Server) loopbackOrigin(r *http.Request, origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	host := u.Hostname()
	if !strings.EqualFold(host, "localhost") {
		ip, err := netip.ParseAddr(host)
		if err != nil || !ip.IsLoopback() {
			return false
		}
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return port == s.localPort(r)
}

// localPort is the port the request arrived at, or the configured port when
// the request did not come through a listener (tests calling Handler).
func (s *Server) localPort(r *http.Request) string {
	if addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && addr != nil {
		if _, port, err := net.SplitHostPort(addr.String()); err == nil {
			return port
		}
	}
	return strconv.Itoa(s.cfg.Server.HTTP.Port)
}

// cors answers preflight requests and adds the CORS headers to responses for
// the configured origins. It runs after the Origin check, so a foreign
// origin never gets this far.
func (s *Server) cors(next http.Handler) http.Handler {
	c := s.cfg.Middleware.CORS
	anyOrigin := false
	allowed := map[string]bool{}
	for _, o := range c.AllowedOrigins {
		if o == "*" {
			anyOrigin = true
		}
		allowed[strings.ToLower(o)] = true
	}
	methods := strings.Join(c.AllowedMethods, ", ")
	headers := strings.Join(c.AllowedHeaders, ", ")
	exposed := strings.Join(c.ExposedHeaders, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		hdr := w.Header()
		hdr.Add("Vary", "Origin")
		preflight := r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != ""
		ok := origin != "" && (anyOrigin || allowed[strings.ToLower(origin)])
		if ok {
			if anyOrigin && !c.AllowCredentials {
				hdr.Set("Access-Control-Allow-Origin", "*")
			} else {
				hdr.Set("Access-Control-Allow-Origin", origin)
			}
			if c.AllowCredentials {
				hdr.Set("Access-Control-Allow-Credentials", "true")
			}
		}
		if !preflight {
			if ok && exposed != "" {
				hdr.Set("Access-Control-Expose-Headers", exposed)
			}
			next.ServeHTTP(w, r)
			return
		}
		if !ok {
			writeError(w, http.StatusForbidden, fmt.Sprintf("origin %q is not allowed by middleware.cors.allowed_origins", origin))
			return
		}
		hdr.Add("Vary", "Access-Control-Request-Method")
		hdr.Add("Vary", "Access-Control-Request-Headers")
		if methods != "" {
			hdr.Set("Access-Control-Allow-Methods", methods)
		}
		if headers != "" {
			hdr.Set("Access-Control-Allow-Headers", headers)
		}
		if c.MaxAge > 0 {
			hdr.Set("Access-Control-Max-Age", strconv.Itoa(c.MaxAge))
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// refuseLargeBodies answers a request whose Content-Length exceeds
// max_body_bytes with 413 at once, before anything reads a byte of it, and
// bounds every other body to max_body_bytes for whatever handler reads it.
func (s *Server) refuseLargeBodies(next http.Handler) http.Handler {
	limit := s.cfg.Server.HTTP.MaxBodyBytes
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			tooLarge(w, limit)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

// tooLarge answers 413; the rest of the body is unread, so the connection
// cannot be reused.
func tooLarge(w http.ResponseWriter, limit int64) {
	w.Header().Set("Connection", "close")
	writeError(w, http.StatusRequestEntityTooLarge,
		fmt.Sprintf("request body exceeds %d bytes (server.http.max_body_bytes)", limit))
}

// bodyChunk is how much of a body of unknown length is reserved from the
// in-flight budget at a time.
const bodyChunk = 64 << 10

// readBody reads the body of an MCP POST, once the caller is known: an
// unauthenticated request is refused before a byte of its body is read, so
// anonymous clients cannot make the server hold their bodies. The body must
// arrive within body_read_timeout (408 otherwise) and fit, with the bodies
// of all other requests being read or served, within
// max_body_bytes_in_flight, which counts each body twice (copiesOfBody;
// 503 with Retry-After otherwise, rather than waiting). The
// JSON-RPC envelope is parsed here, once, for the access log, the session
// check and the stream tracking; mcp-go reads the same bytes.
func (s *Server) readBody(next http.Handler) http.Handler {
	h := s.cfg.Server.HTTP
	limit, timeout := h.MaxBodyBytes, h.BodyReadTimeout.Duration
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		_ = setReadDeadline(w, time.Now().Add(timeout)) // unsupported only outside a real connection
		data, held, err := s.bodies.read(r.Body, r.ContentLength, limit)
		defer s.bodies.release(held)
		_ = r.Body.Close()
		// Reads after the body (net/http watching for the client going
		// away during a stream) must not hit the body's deadline.
		_ = setReadDeadline(w, time.Time{})
		if err != nil {
			var mbe *http.MaxBytesError
			switch {
			case errors.Is(err, errBodyBudget):
				w.Header().Set("Retry-After", "1")
				writeError(w, http.StatusServiceUnavailable, "the server is reading as many request bodies as it may (server.http.max_body_bytes_in_flight); retry shortly")
			case errors.As(err, &mbe) || errors.Is(err, errBodyTooLarge):
				tooLarge(w, limit)
			case errors.Is(err, os.ErrDeadlineExceeded):
				w.Header().Set("Connection", "close")
				writeError(w, http.StatusRequestTimeout, fmt.Sprintf("the request body did not arrive within %s (server.http.body_read_timeout)", timeout))
			default:
				w.Header().Set("Connection", "close")
				writeError(w, http.StatusBadRequest, "cannot read the request body")
			}
			return
		}
		r.ContentLength = int64(len(data))
		if st := stateFrom(r.Context()); st != nil {
			st.body = data
			st.env = envelope.Parse(data)
			st.parsed = true // envelope.From finds it through the state
			st.reader.Reset(data)
			r.Body = &st.reader
		} else {
			r.Body = io.NopCloser(bytes.NewReader(data))
		}
		next.ServeHTTP(w, r)
	})
}

// bodyReader is a request body already read, served again from memory.
type bodyReader struct{ bytes.Reader }

func (*bodyReader) Close() error { return nil }

// setReadDeadline sets the read deadline of the connection behind w, as
// http.ResponseController does, without allocating one per request.
func setReadDeadline(w http.ResponseWriter, t time.Time) error {
	for {
		switch v := w.(type) {
		case interface{ SetReadDeadline(time.Time) error }:
			return v.SetReadDeadline(t)
		case interface{ Unwrap() http.ResponseWriter }:
			w = v.Unwrap()
		default:
			return http.ErrNotSupported
		}
	}
}

var (
	errBodyBudget   = errors.New("request bodies in flight exceed server.http.max_body_bytes_in_flight")
	errBodyTooLarge = errors.New("request body exceeds server.http.max_body_bytes")
)

// bodyBudget bounds the bytes of request bodies held at once, each counted
// twice (copiesOfBody).
type bodyBudget struct {
	max  int64
	used atomic.Int64
}

// reserve takes n bytes from the budget, or reports false when they are
// not there.
func (b *bodyBudget) reserve(n int64) bool {
	for {
		used := b.used.Load()
		if used+n > b.max {
			return false
		}
		if b.used.CompareAndSwap(used, used+n) {
			return true
		}
	}
}

func (b *bodyBudget) release(n int64) {
	if n > 0 {
		b.used.Add(-n)
	}
}

// copiesOfBody is what a body costs the budget per byte: the server's copy,
// and as much again for either mcp-go's copy (it reads a body under
// copyBodyBelow, and every body of the legacy SSE transport, again) or the
// room Go's collector lets the heap grow by before it frees a body (the
// heap goal is twice what is live). Counting the copy alone let 16 MiB of
// 4 MB bodies grow a server by 55 MiB.
const copiesOfBody = 2

// read reads a body of length n (-1 when unknown) up to limit bytes,
// reserving copiesOfBody times its bytes from the budget first; held is
// what the caller must release once the body is no longer needed (after
// mcp-go has answered), also on error.
func (b *bodyBudget) read(body io.Reader, n, limit int64) (data []byte, held int64, err error) {
	if n > limit {
		return nil, 0, errBodyTooLarge
	}
	if n >= 0 {
		if !b.reserve(copiesOfBody * n) {
			return nil, 0, errBodyBudget
		}
		data = make([]byte, n)
		if _, err := io.ReadFull(body, data); err != nil {
			return nil, copiesOfBody * n, err
		}
		return data, copiesOfBody * n, nil
	}
	// Chunked: reserve as the body grows.
	for {
		if int64(len(data)) == int64(cap(data)) {
			if int64(cap(data)) >= limit+1 {
				return nil, held, errBodyTooLarge
			}
			step := min(bodyChunk, limit+1-int64(cap(data)))
			if !b.reserve(copiesOfBody * step) {
				return nil, held, errBodyBudget
			}
			held += copiesOfBody * step
			grown := make([]byte, len(data), int64(cap(data))+step)
			copy(grown, data)
			data = grown
		}
		k, err := body.Read(data[len(data):cap(data)])
		data = data[:len(data)+k]
		if err == io.EOF {
			if int64(len(data)) > limit {
				return nil, held, errBodyTooLarge
			}
			return data, held, nil
		}
		if err != nil {
			return nil, held, err
		}
	}
}
