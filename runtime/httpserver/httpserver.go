// Package httpserver serves an MCP server over HTTP: streamable HTTP at /mcp,
// optionally the legacy HTTP+SSE transport at /sse and /message, and the
// operational endpoints GET / (server information), GET /health (liveness)
// and GET /ready (readiness).
//
// Every request passes one middleware chain, outermost first (see
// Server.middleware):
//
//   - request id and access log: every request gets an id (the client's
//     X-Request-Id when sane, else a random one; see [RequestID]) that every
//     response echoes in X-Request-Id, and, when enabled, one record per
//     request with its MCP method, tool and subject, credentials redacted
//     (one JSON line with log.format = "json", the default);
//   - recover: a panicking handler yields 500 and the server keeps serving;
//   - Host check: a Host header that is not a loopback name, an IP literal,
//     the host of public_url or an allowed host is refused with 403, which
//     defeats DNS rebinding;
//   - Origin check: a browser Origin that is not allowed is refused with 403;
//   - CORS, when enabled, including preflight requests;
//   - a Content-Length over max_body_bytes is refused with 413 at once;
//   - routing, with JSON 404 and 405 answers.
//
// The MCP endpoints add their own chain behind the router (see
// Server.mcpChain): in-flight tracking for graceful shutdown; the Guard's
// authentication from the headers alone; the body, read only now, within
// max_body_bytes, body_read_timeout and max_body_bytes_in_flight, and its
// JSON-RPC envelope parsed once; the Guard's rules; the session registry,
// which accepts only the session ids this server issued, each from the
// owner that opened it (404 for anything else, the same 404 whatever the
// reason), caps sessions and ends them on DELETE and when idle; the stream
// caps; the Guard's per-tool scopes; Options.Checks, which answer in
// mcp-go's place what it would answer with the wrong JSON-RPC error (a
// prompt's missing argument); the transport. Headers are limited to
// max_header_bytes.
//
// mcp-go's own localhost protection is switched off in favour of the Host
// check here, which also honours allowed_hosts and public_url.
//
// [Server.Serve] shuts down gracefully when its context is cancelled: it
// stops accepting connections, lets in-flight requests finish (including
// responses still owed on SSE streams) for up to shutdown_timeout, then ends
// the long-lived streams and MCP sessions so that shutdown never hangs on an
// idle client.
package httpserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpforge/mcpforge/runtime/config"
	"github.com/mcpforge/mcpforge/runtime/envelope"
)

// The network transports New accepts in Options.Transports.
const (
	// TransportHTTP is streamable HTTP at /mcp.
	TransportHTTP = "http"
	// TransportSSE is the legacy HTTP+SSE transport at /sse and /message.
	TransportSSE = "sse"
)

// Paths of the built-in routes.
const (
	// PathInfo answers GET with the server's name, version, transports and
	// endpoints as JSON.
	PathInfo = "/"
	// PathHealth answers GET with 200 while the process serves HTTP.
	PathHealth = "/health"
	// PathReady answers GET with 200 once every ReadyCheck passes, 503
	// before that and during shutdown.
	PathReady = "/ready"
	// PathMCP is the streamable HTTP endpoint.
	PathMCP = "/mcp"
	// PathSSE opens a legacy HTTP+SSE stream.
	PathSSE = "/sse"
	// PathMessage receives the client's messages of a legacy SSE session.
	PathMessage = "/message"
)

// readyCheckTimeout bounds each ReadyCheck so a hung dependency turns
// /ready into a 503 instead of a hung probe.
const readyCheckTimeout = 5 * time.Second

// Options configures a Server. Config and MCP are required.
type Options struct {
	// Config is the validated server configuration; New validates it again.
	Config config.Config
	// MCP is the MCP server whose tools, resources and prompts are served.
	MCP *server.MCPServer
	// Transports lists the enabled network transports: "http" (streamable
	// HTTP at /mcp) and/or "sse" (legacy HTTP+SSE at /sse and /message).
	Transports []string
	// Logger receives the server's own messages; slog.Default() when nil.
	// Its level also applies to the access log (whose /health and /ready
	// lines are at debug level).
	Logger *slog.Logger
	// LogOutput is where the access log is written, buffered, in the
	// format of log.format (one JSON object per line, or slog's text
	// form): the writer of Logger's handler, os.Stderr when nil.
	LogOutput io.Writer
	// Guard, when set, authenticates and authorizes the callers of the MCP
	// endpoints (/mcp, /sse, /message) and nothing else, so it never
	// blocks health probes or the discovery documents added through
	// Routes. Without it every caller is anonymous and unrestricted.
	Guard Guard
	// Routes adds routes, keyed by "PATH" (any method) or "METHOD PATH"; a
	// path ending in "/" matches the whole subtree. They get the middleware
	// chain but not the Guard. A key may not shadow a built-in route.
	Routes map[string]http.Handler
	// ReadyChecks must all pass for GET /ready to answer 200; until then it
	// answers 503 with the reason of the first failing check.
	ReadyChecks []ReadyCheck
	// HTTPContext, when set, derives the context of each MCP request from
	// the HTTP request (for example to carry the caller's identity to tool
	// handlers). It is passed to both mcp-go transports.
	HTTPContext server.HTTPContextFunc
	// Checks run, in order, on every JSON-RPC request to an MCP endpoint
	// once the caller may make it, just before mcp-go: for what mcp-go
	// cannot check itself with the right error (promptargs: a missing
	// prompt argument).
	Checks []Check
	// Observer, when set, is told every HTTP request once answered (for
	// metrics); nil records nothing and costs nothing.
	Observer Observer
}

// Observer is told each HTTP request the server answered. It runs on the
// request path: it must be cheap and safe for concurrent use.
type Observer interface {
	// HTTPRequest reports a request: its method, its route (the path of
	// the route that served it, "" when none did, so that unknown paths
	// cannot multiply what is recorded), the status answered, and the time
	// from its arrival to the end of its response (for a stream: until it
	// closed).
	HTTPRequest(method, route string, status int, elapsed time.Duration)
}

// Check inspects a JSON-RPC request body and its envelope before mcp-go
// runs it; h holds the HTTP request's headers (its trace context, say). A
// non-nil result is the JSON-RPC response to send instead (an encoded
// message, usually an error with the request's id); mcp-go then never sees
// the request. nil lets the request through.
type Check func(h http.Header, body []byte, e *envelope.Envelope) []byte

// Guard is what an authorization layer plugs into the chain of the MCP
// endpoints (see Server.mcpChain), each at its place: a middleware may
// answer the request itself (401, 403, 429) or pass it on.
type Guard interface {
	// Authenticate identifies the caller from the headers alone, before
	// any body is read, and puts it into the request context.
	Authenticate(next http.Handler) http.Handler
	// Rules applies allow rules once the JSON-RPC envelope is known.
	Rules(next http.Handler) http.Handler
	// Scopes refuses calls of tools the caller may not use, once the
	// session has been checked.
	Scopes(next http.Handler) http.Handler
	// Subject names the caller of ctx for the access log; "" for none.
	Subject(ctx context.Context) string
	// SessionOwner is who a session opened with ctx belongs to; only that
	// owner may use it. "" means anonymous. Owners are also the callers
	// whose sessions and streams are capped.
	SessionOwner(ctx context.Context) string
}

// ReadyCheck reports whether a dependency of the server is ready; a non-nil
// error makes GET /ready answer 503 with the error text as the reason. The
// context is cancelled after five seconds.
type ReadyCheck func(ctx context.Context) error

// Server serves one MCP server over HTTP. Create it with New; a Server
// serves once.
type Server struct {
	cfg        config.Config
	logger     *slog.Logger
	guard      Guard
	transports []string
	handler    http.Handler

	accessOut   *accessWriter
	sessions    *sessionRegistry
	streamCount *streamCounter
	bodies      *bodyBudget

	streamable *server.StreamableHTTPServer
	sse        *server.SSEServer

	readyChecks []ReadyCheck
	checks      []Check
	observer    Observer
	routes      map[string]bool // the paths routed, for Observer; "/x/" a subtree

	serving      atomic.Bool
	readyOnce    sync.Once // the first time /ready answers 200
	shuttingDown atomic.Bool
	inflight     atomic.Int64 // requests that are not long-lived streams
	streamsOpen  atomic.Int64 // long-lived streams being served
	sseTrack     *sseTracker

	// streams is cancelled at shutdown once in-flight work is done; every
	// long-lived stream (SSE, a legacy GET listening stream, a
	// subscriptions/listen POST) runs under a context that ends with it.
	streams       context.Context
	cancelStreams context.CancelFunc
}

// New checks opts and builds a Server. It fails when the configuration does
// not validate, MCP is nil, a transport is unknown or none is given, or a
// route in Routes is malformed or shadows a built-in one.
func New(opts Options) (*Server, error) {
	if opts.MCP == nil {
		return nil, errors.New("httpserver: Options.MCP is nil; pass the server built with server.NewMCPServer")
	}
	if err := opts.Config.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	var transports []string
	for _, t := range opts.Transports {
		switch t {
		case TransportHTTP, TransportSSE:
			if !slices.Contains(transports, t) {
				transports = append(transports, t)
			}
		default:
			return nil, fmt.Errorf("httpserver: unknown network transport %q; use %q or %q (stdio is not served over HTTP)", t, TransportHTTP, TransportSSE)
		}
	}
	if len(transports) == 0 {
		return nil, fmt.Errorf("httpserver: no network transport enabled; pass %q and/or %q in Options.Transports", TransportHTTP, TransportSSE)
	}
	slices.SortFunc(transports, func(a, b string) int { return transportOrder(a) - transportOrder(b) })

	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	h := opts.Config.Server.HTTP
	s := &Server{
		cfg:         opts.Config,
		logger:      logger,
		guard:       opts.Guard,
		transports:  transports,
		readyChecks: slices.Clone(opts.ReadyChecks),
		checks:      slices.Clone(opts.Checks),
		observer:    opts.Observer,
		sseTrack:    newSSETracker(),
		accessOut:   newAccessWriter(cmp.Or[io.Writer](opts.LogOutput, os.Stderr)),
		sessions:    newSessionRegistry(h.SessionIdleTimeout.Duration, h.MaxSessions, h.MaxSessionsPerSubject),
		streamCount: newStreamCounter(h.MaxStreams, h.MaxStreamsPerCaller),
		bodies:      &bodyBudget{max: h.MaxBodyBytesInFlight},
	}
	s.streams, s.cancelStreams = context.WithCancel(context.Background())
	endpoint := func(transport http.Handler) http.Handler {
		return s.mcpChain(transport)
	}

	rt := newRouter()
	rt.handle(PathInfo, []string{http.MethodGet}, http.HandlerFunc(s.serveInfo))
	rt.handle(PathHealth, []string{http.MethodGet}, http.HandlerFunc(s.serveHealth))
	rt.handle(PathReady, []string{http.MethodGet}, http.HandlerFunc(s.serveReady))

	if slices.Contains(transports, TransportHTTP) {
		so := []server.StreamableHTTPOption{
			server.WithEndpointPath(PathMCP),
			// The Host check of this package replaces mcp-go's, which would
			// refuse the allowed_hosts and public_url host on a loopback
			// listener (a reverse proxy on the same machine).
			server.WithDisableLocalhostProtection(true),
			server.WithStreamableHTTPLogger(logger),
		}
		if s.cfg.Server.HTTP.Stateless {
			so = append(so, server.WithStateLess(true))
		} else {
			// Session ids come from the registry, which also expires them.
			so = append(so, server.WithSessionIdManagerResolver(&idManager{srv: s}))
		}
		if opts.HTTPContext != nil {
			so = append(so, server.WithHTTPContextFunc(opts.HTTPContext))
		}
		s.streamable = server.NewStreamableHTTPServer(opts.MCP, so...)
		rt.handle(PathMCP, []string{http.MethodGet, http.MethodPost, http.MethodDelete}, endpoint(http.HandlerFunc(s.serveStreamable)))
	}
	if slices.Contains(transports, TransportSSE) {
		so := []server.SSEOption{
			server.WithSSEEndpoint(PathSSE),
			server.WithMessageEndpoint(PathMessage),
			server.WithSSEDisableLocalhostProtection(true),
			server.WithSessionIDGenerator(sseSessionID),
		}
		if opts.HTTPContext != nil {
			so = append(so, server.WithSSEContextFunc(server.SSEContextFunc(opts.HTTPContext)))
		}
		// No base URL: the endpoint event then carries the path only, which
		// clients resolve against the URL they connected to, whatever
		// address or proxy that was.
		s.sse = server.NewSSEServer(opts.MCP, so...)
		rt.handle(PathSSE, []string{http.MethodGet}, endpoint(s.sse.SSEHandler()))
		rt.handle(PathMessage, []string{http.MethodPost}, endpoint(s.sse.MessageHandler()))
	}

	for key, h := range opts.Routes {
		if err := rt.handleKey(key, h); err != nil {
			return nil, err
		}
	}

	s.routes = make(map[string]bool, len(rt.paths))
	for p := range rt.paths {
		s.routes[p] = true
	}
	s.handler = s.middleware(rt)
	return s, nil
}

// routeOf is the routed path that serves path, "" for none: the path
// itself, or else the longest routed subtree ("/x/") holding it, as
// ServeMux chooses.
func (s *Server) routeOf(path string) string {
	if s.routes[path] {
		return path
	}
	best := ""
	for p := range s.routes {
		if len(p) > len(best) && len(p) > 1 && p[len(p)-1] == '/' && len(path) > len(p) && path[:len(p)] == p {
			best = p
		}
	}
	return best
}

// copyBodyBelow is the body size below which mcp-go is handed the request
// itself (and reads the body again, a small copy) rather than the body
// readBody holds: its transport-agnostic entry point rebuilds an
// *http.Request for every session lookup and context hook, which costs
// more than copying a small body.
const copyBodyBelow = 64 << 10

// serveStreamable hands a request to mcp-go's streamable HTTP transport. A
// large body is handed over as readBody holds it, so that mcp-go neither
// reads nor copies it again.
func (s *Server) serveStreamable(w http.ResponseWriter, r *http.Request) {
	st := stateFrom(r.Context())
	if st == nil || len(st.body) < copyBodyBelow {
		s.streamable.ServeHTTP(w, r)
		return
	}
	s.streamable.Handle(streamWriter{w}, &server.HTTPRequest{
		Method:  r.Method,
		URL:     r.URL,
		Header:  r.Header,
		Body:    st.body,
		Context: r.Context(),
	})
}

// streamWriter is the http.ResponseWriter of a request as mcp-go's
// server.HTTPResponseWriter. Every writer of the chain can flush.
type streamWriter struct{ http.ResponseWriter }

func (w streamWriter) Flush() { _ = http.NewResponseController(w.ResponseWriter).Flush() }

func (w streamWriter) CanStream() bool { return true }

// SetWriteDeadline lets mcp-go bound how long a stalled client can block a
// write.
func (w streamWriter) SetWriteDeadline(t time.Time) error {
	return http.NewResponseController(w.ResponseWriter).SetWriteDeadline(t)
}

func transportOrder(t string) int {
	if t == TransportHTTP {
		return 0
	}
	return 1
}

// Handler returns the complete handler, middleware chain included, for tests
// and for embedding in another server. Graceful shutdown needs Serve.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve accepts connections on ln until ctx is cancelled, then shuts down
// gracefully and returns nil: the listener closes, in-flight requests and
// the responses still owed on SSE streams get up to shutdown_timeout to
// finish, and then the remaining streams and MCP sessions are closed. When
// requests are still running at the deadline their connections are closed
// and Serve returns an error saying so. Serve closes ln, and a Server serves
// only once.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if !s.serving.CompareAndSwap(false, true) {
		return errors.New("httpserver: Serve called twice; create a new Server with New")
	}
	h := s.cfg.Server.HTTP
	// Requests keep ctx's values but not its cancellation: cancelling ctx
	// means "drain", not "abort everything now".
	base, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: h.ReadHeaderTimeout.Duration,
		IdleTimeout:       h.IdleTimeout.Duration,
		MaxHeaderBytes:    h.MaxHeaderBytes,
		// No WriteTimeout and no ReadTimeout: SSE and listening streams
		// stay open for as long as the client wants them.
		BaseContext: func(net.Listener) context.Context { return base },
		ErrorLog:    slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}

	releaseStartupMemory()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	go s.runSessionSweeper(s.streams)

	s.logger.Info("serving MCP over HTTP",
		slog.String("addr", ln.Addr().String()),
		slog.Any("transports", s.transports),
		slog.Any("endpoints", s.endpoints()))

	// Whatever ends serving, the access log lines of every request served
	// are written out.
	defer s.accessOut.Flush()
	select {
	case err := <-errc:
		s.closeMCP(context.Background())
		return fmt.Errorf("http server stopped: %w", err)
	case <-ctx.Done():
	}
	return s.shutdown(srv, errc, cancelBase)
}

func (s *Server) shutdown(srv *http.Server, errc <-chan error, cancelBase context.CancelFunc) error {
	s.shuttingDown.Store(true)
	timeout := s.cfg.Server.HTTP.ShutdownTimeout.Duration
	s.logger.Info("shutting down: draining in-flight requests", slog.Duration("timeout", timeout))
	start := time.Now()

	dctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	// Shutdown closes the listener and idle connections at once and then
	// waits for active ones; streams keep it waiting until they are ended
	// below.
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(dctx) }()

	s.waitIdle(dctx)
	if n := s.streamsOpen.Load(); n > 0 {
		s.logger.Info("closing open streams and sessions", slog.Int64("streams", n))
	}
	s.closeMCP(dctx)

	err := <-done
	<-errc // srv.Serve has returned http.ErrServerClosed
	if err != nil {
		cancelBase()
		_ = srv.Close()
		s.logger.Warn("shutdown timed out; closed the remaining connections", slog.Duration("timeout", timeout))
		return fmt.Errorf("graceful shutdown did not finish within %s (server.http.shutdown_timeout); remaining connections were closed", timeout)
	}
	s.logger.Info("shut down", slog.Duration("took", time.Since(start)))
	return nil
}

// waitIdle returns once no request other than a long-lived stream is in
// flight and no response is still owed on an SSE stream, or when ctx ends.
func (s *Server) waitIdle(ctx context.Context) {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for s.inflight.Load() > 0 || s.sseTrack.pending() > 0 {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// closeMCP ends every long-lived stream and MCP session.
func (s *Server) closeMCP(ctx context.Context) {
	s.cancelStreams()
	if s.streamable != nil {
		// Without an http.Server of its own, Shutdown stops the session
		// sweeper and closes the sessions, nothing else.
		_ = s.streamable.Shutdown(ctx)
	}
	if s.sse != nil {
		s.sse.CloseSessions()
	}
}

func (s *Server) endpoints() map[string]string {
	e := map[string]string{
		"info":   PathInfo,
		"health": PathHealth,
		"ready":  PathReady,
	}
	if s.streamable != nil {
		e["mcp"] = PathMCP
	}
	if s.sse != nil {
		e["sse"] = PathSSE
		e["message"] = PathMessage
	}
	return e
}

// releaseStartupMemory gives back to the system, now rather than at the
// scavenger's pace, the memory that start-up left behind (config and schema
// decoding, rule compilation, key fetches), so that an idle server stays
// small. Serve calls it before serving and /ready once it first answers 200,
// when the checks that reach providers have run too.
func releaseStartupMemory() { debug.FreeOSMemory() }
