// Package telemetry observes an MCP server: Prometheus metrics on a
// listener of their own and OpenTelemetry traces exported over OTLP.
//
// Metrics follow the OpenTelemetry semantic conventions for MCP, in their
// Prometheus form (dots as underscores, the unit as a suffix):
//
//   - mcp_server_operation_duration_seconds, a histogram of every MCP
//     request with the labels mcp_method_name, gen_ai_tool_name,
//     gen_ai_prompt_name, error_type (tool_error for a tool result with
//     isError, the JSON-RPC error code otherwise), mcp_protocol_version and
//     network_transport (tcp, or pipe on stdio), in the convention's
//     buckets;
//   - mcp_server_session_duration_seconds, recorded when a session ends;
//   - http_server_request_duration_seconds, every HTTP request by method,
//     route and status;
//   - mcp_server_auth_failures_total by reason, mcp_server_jwks_fetches_total
//     and mcp_server_oauth_metadata_fetches_total by result;
//   - mcp_server_build_info, the Go runtime's metrics (go_*) and, on
//     Linux, the process's (process_*), under the names the Prometheus
//     client gives them.
//
// Label values come only from what the server knows: its registered tools
// and prompts, the MCP methods and protocol versions, the error codes it
// answers with. Anything else is "_OTHER", so that no client can make the
// number of series grow.
//
// Traces use the OpenTelemetry SDK, exported over OTLP as the standard
// environment variables say (OTEL_EXPORTER_OTLP_ENDPOINT,
// OTEL_EXPORTER_OTLP_PROTOCOL http/protobuf or grpc,
// OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER, OTEL_SERVICE_NAME,
// OTEL_RESOURCE_ATTRIBUTES, ...); tracing is off while no endpoint is set.
// Both exporters are this package's own, on net/http (gRPC's one call
// over its HTTP/2): OpenTelemetry's would link gRPC, megabytes of binary
// and of memory, into every server. Every MCP request gets one SERVER span
// named "{mcp.method.name} {target}" (for example "tools/call
// hello_world"), whose parent is the caller's traceparent in the request's
// _meta or, when there is none, in the HTTP traceparent header. Tools get
// the span in their context, so that the spans they open through the SDK
// (otel.Tracer) are its children and their own outgoing calls continue the
// trace, and log records made with that context carry trace_id and span_id
// (see [LogHandler]). The SERVER spans are recorded by this package rather
// than by the SDK's tracer, which would cost a tenth of a call that does
// little (see serverSpans); the SDK's sampler and span limits decide for
// them as for the SDK's own spans, and both leave in the same batches.
//
// Durations and spans come from mcp-go, not from an HTTP middleware: on the
// legacy SSE transport the HTTP request ends with 202 before the tool runs,
// and stdio has no HTTP at all. On HTTP, where the transport says when each
// request arrived (Options.Received), mcp-go's request hooks record each
// request once it is answered; with tracing on, its span is opened by the
// propagator mcp-go asks for the request's trace context (spanStarter) and
// ended by those hooks. On stdio, mcp-go's tracer times each request and
// opens its span. The tracer costs every call a middleware around the tool
// and a span object of mcp-go's (about 4% of a call that does little), the
// hooks nothing that only spans need.
package telemetry

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/server"
	"github.com/mark3labs/mcp-go/tracing"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Options configures [Start].
type Options struct {
	// Service and Version name the server: the service.name of its spans
	// (unless OTEL_SERVICE_NAME says otherwise) and the labels of
	// mcp_server_build_info.
	Service, Version string
	// Transport is the transport served: "stdio", "http" or "sse".
	Transport string
	// MetricsAddr is the host:port of the metrics listener; "" serves no
	// metrics endpoint (metrics are still recorded, for tests).
	MetricsAddr string
	// Logger receives telemetry's own problems; slog.Default() when nil.
	Logger *slog.Logger
	// Getenv reads the OTEL_* variables; os.Getenv when nil.
	Getenv func(string) string
	// Received is when the transport received the request of a context
	// (httpserver.ReceivedAt), zero when it does not know: a request's
	// duration counts from then. Without it, or when it says zero,
	// durations start when mcp-go begins the request.
	Received func(context.Context) time.Time
}

// Telemetry records the metrics and spans of one server. Its methods are
// safe for concurrent use. The zero value is not usable; call [Start].
type Telemetry struct {
	logger    *slog.Logger
	transport string // network.transport: "tcp" or "pipe"
	received  func(context.Context) time.Time

	registry *registry
	metrics  *metrics

	tracer   *serverSpans // nil while tracing is off
	provider *sdktrace.TracerProvider

	metricsSrv *http.Server
	metricsLn  net.Listener

	sessions sync.Map // session id -> time.Time it began

	// shapes are the spanShapes made so far (see shapeOf), one per label
	// combination of the traced requests, so that ending a span allocates
	// nothing in steady state.
	shapes lastMap[operationKey, *spanShape]

	shutdownOnce sync.Once
}

// Start sets up metrics and, when an OTLP endpoint is configured, tracing,
// and starts the metrics listener. Problems never stop the server: a
// listener that cannot bind and a tracing setup that fails are logged as
// errors and leave that part off.
func Start(ctx context.Context, opts Options) *Telemetry {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	t := &Telemetry{
		logger:    logger,
		transport: networkTransport(opts.Transport),
		received:  opts.Received,
		registry:  &registry{},
	}
	t.metrics = newMetrics(t.registry, opts.Service, opts.Version)

	spans, err := newServerSpans(ctx, opts)
	switch {
	case err != nil:
		logger.Error("tracing is off: cannot set up the OTLP exporter; check the OTEL_EXPORTER_OTLP_* variables", "error", err)
	case spans != nil:
		t.provider = spans.provider
		t.tracer = spans
		logger.Info("tracing to OTLP", "protocol", otlpProtocol(getenv(opts.Getenv)))
	}

	if opts.MetricsAddr != "" {
		t.serveMetrics(opts.MetricsAddr)
	}
	return t
}

// instrumentationName is the name of the tracer, the scope of every span.
const instrumentationName = "mcpforge/telemetry"

// networkTransport is the network.transport of an MCP transport.
func networkTransport(transport string) string {
	if transport == "stdio" {
		return "pipe"
	}
	return "tcp"
}

// serveMetrics serves the registry in the Prometheus text format at
// /metrics on addr, in the background.
func (t *Telemetry) serveMetrics(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		// Not "addr": tools that find the MCP listener in the log look for
		// that key.
		t.logger.Error("metrics endpoint is off: cannot listen; choose another telemetry.metrics_addr, or \"\" to turn it off", "listen", addr, "error", err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", t.Handler())
	t.metricsLn = ln
	t.metricsSrv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(t.logger.Handler(), slog.LevelWarn),
	}
	t.logger.Info("serving metrics", "metrics", "http://"+ln.Addr().String()+"/metrics")
	go func() {
		if err := t.metricsSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.logger.Error("metrics endpoint stopped", "error", err)
		}
	}()
}

// MetricsAddr is the address the metrics listener is bound to, "" when
// there is none.
func (t *Telemetry) MetricsAddr() string {
	if t.metricsLn == nil {
		return ""
	}
	return t.metricsLn.Addr().String()
}

// Handler serves the metrics in the Prometheus text format.
func (t *Telemetry) Handler() http.Handler { return t.registry.handler() }

// ServerOptions install the request timing and tracing of t on an MCP
// server: pass them to server.NewMCPServer. They replace the server's
// hooks, so that they must be the only server.WithHooks option.
func (t *Telemetry) ServerOptions() []server.ServerOption {
	opts := []server.ServerOption{server.WithHooks(t.hooks())}
	if !t.fromHooks() {
		opts = append(opts, server.WithTracer(requestTracer{t}))
	}
	if t.tracer == nil {
		// Without tracing, nothing reads a caller's trace context: a call
		// pays for no parsing of it.
		return opts
	}
	var header tracing.Propagator = headerPropagator{}
	if t.fromHooks() {
		header = spanStarter{t}
	}
	return append(opts, server.WithPropagator(header), server.WithMetaPropagator(metaPropagator{}))
}

// fromHooks reports whether requests are timed by mcp-go's request hooks
// rather than by its tracer: on the HTTP transports, where Options.Received
// knows when each request arrived. mcp-go's tracer gives every request a
// span object and a context of its own, and every tool call a middleware;
// the hooks take what the metrics and spans need from the request and its
// result as they are, and a traced request's span is opened by spanStarter.
func (t *Telemetry) fromHooks() bool {
	return t.received != nil && t.transport == "tcp"
}

// Shutdown ends what Start began: the metrics listener closes and the spans
// not yet exported are flushed, within ctx. Calls after the first do
// nothing.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var err error
	t.shutdownOnce.Do(func() {
		if t.metricsSrv != nil {
			err = errors.Join(err, t.metricsSrv.Shutdown(ctx))
			// Serve may not have taken the listener over yet, and then
			// Shutdown does not close it.
			_ = t.metricsLn.Close()
		}
		if t.provider != nil {
			if e := t.provider.Shutdown(ctx); e != nil {
				err = errors.Join(err, errors.New("flushing spans: "+e.Error()))
			}
		}
	})
	return err
}

// goVersion is the Go version the server was built with.
func goVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.GoVersion
	}
	return "unknown"
}
