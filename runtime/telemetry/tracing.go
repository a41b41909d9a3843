package telemetry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/mark3labs/mcp-go/tracing"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/mcpforge/mcpforge/runtime/envelope"
	"github.com/mcpforge/mcpforge/runtime/promptargs"
)

// propagator reads and writes W3C trace context and baggage. It is also
// installed as OpenTelemetry's global propagator, so that the HTTP clients
// of tools instrumented with OpenTelemetry pass the trace on.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

func getenv(f func(string) string) func(string) string {
	if f == nil {
		return os.Getenv
	}
	return f
}

// otlpProtocol is the OTLP protocol the OTEL_* variables ask for traces.
func otlpProtocol(env func(string) string) string {
	if p := strings.TrimSpace(env("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")); p != "" {
		return p
	}
	if p := strings.TrimSpace(env("OTEL_EXPORTER_OTLP_PROTOCOL")); p != "" {
		return p
	}
	return "http/protobuf"
}

// newServerSpans builds the tracer provider the OTEL_* variables describe
// and the server's spans beside it, or nil when tracing is off:
// no OTLP endpoint, the SDK disabled, or OTEL_TRACES_EXPORTER=none. The
// exporter of the protocol asked for (otlpExporter or otlpGRPCExporter)
// reads the OTEL_EXPORTER_OTLP_* variables, the batcher the OTEL_BSP_*
// ones, the sampler OTEL_TRACES_SAMPLER (see samplerFromEnv), the SDK its
// span limits.
func newServerSpans(ctx context.Context, opts Options) (*serverSpans, error) {
	env := getenv(opts.Getenv)
	if strings.EqualFold(strings.TrimSpace(env("OTEL_SDK_DISABLED")), "true") {
		return nil, nil
	}
	switch exp := strings.TrimSpace(env("OTEL_TRACES_EXPORTER")); exp {
	case "", "otlp":
	case "none":
		return nil, nil
	default:
		return nil, fmt.Errorf("OTEL_TRACES_EXPORTER %q is not supported; use otlp or none", exp)
	}
	if env("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return nil, nil
	}

	var exporter spanExporter
	var err error
	switch p := otlpProtocol(env); p {
	case "http/protobuf":
		exporter, err = newOTLPExporter(env)
	case "grpc":
		exporter, err = newOTLPGRPCExporter(env)
	default:
		return nil, fmt.Errorf("OTLP protocol %q is not supported; use http/protobuf or grpc", p)
	}
	if err != nil {
		return nil, err
	}
	// Export failures and the like, which the SDK reports through this
	// handler, go to the server's log.
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.Warn("tracing", "error", err)
	}))
	// Later detectors win: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
	// override the server's own name and version.
	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithAttributes(
			attribute.String("service.name", opts.Service),
			attribute.String("service.version", opts.Version),
		),
		resource.WithFromEnv(),
	)
	if err != nil {
		// A malformed OTEL_RESOURCE_ATTRIBUTES still leaves a usable resource.
		otel.Handle(err)
	}
	// The SDK reports a sampler it cannot read itself, from the process's
	// environment; this reads the same variables.
	sampler, rule, _ := samplerFromEnv(env)
	spans := &serverSpans{
		sampler:  sampler,
		rule:     rule,
		limits:   sdktrace.NewSpanLimits(), // the provider's too
		resource: res,
		scope:    instrumentation.Scope{Name: instrumentationName, Version: opts.Version},
		batcher:  newSpanBatcher(exporter, env),
	}
	spans.provider = sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(spans.batcher),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sampler),
	)
	otel.SetTracerProvider(spans.provider)
	otel.SetTextMapPropagator(propagator)
	return spans, nil
}

// headerPropagator reads the HTTP traceparent header (mcp-go's
// tracing.Propagator). mcp-go asks it after the _meta propagator, whose
// trace context, when there is one, takes precedence as the MCP semantic
// conventions say: the header is then ignored.
type headerPropagator struct{}

func (headerPropagator) Inject(ctx context.Context, h http.Header) {
	propagator.Inject(ctx, propagation.HeaderCarrier(h))
}

func (headerPropagator) Extract(ctx context.Context, h http.Header) context.Context {
	// Most requests carry neither header: looked up by their canonical
	// names, without the propagators' work.
	if (len(h["Traceparent"]) == 0 && len(h["Baggage"]) == 0) || parentOf(ctx).IsValid() {
		return ctx
	}
	return extracted(propagator.Extract(ctx, propagation.HeaderCarrier(h)))
}

// extracted is ctx, which the propagators have read a caller's trace
// context into, with that context where parentOf finds it.
func extracted(ctx context.Context) context.Context {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		return withParent(ctx, sc)
	}
	return ctx
}

// metaPropagator reads and writes traceparent, tracestate and baggage in
// a request's _meta (SEP-414), on every transport (mcp-go's
// tracing.MetaPropagator).
type metaPropagator struct{}

func (metaPropagator) InjectMeta(ctx context.Context, meta *mcp.Meta) *mcp.Meta {
	c := propagation.MapCarrier{}
	propagator.Inject(ctx, c)
	if len(c) == 0 {
		return meta
	}
	if meta == nil {
		meta = &mcp.Meta{}
	}
	if meta.AdditionalFields == nil {
		meta.AdditionalFields = make(map[string]any, len(c))
	}
	for k, v := range c {
		meta.AdditionalFields[k] = v
	}
	return meta
}

func (metaPropagator) ExtractMeta(ctx context.Context, meta *mcp.Meta) context.Context {
	if meta == nil || meta.AdditionalFields == nil {
		return ctx
	}
	tp, _ := meta.AdditionalFields["traceparent"].(string)
	if tp == "" {
		return ctx
	}
	_, hasState := meta.AdditionalFields["tracestate"]
	_, hasBaggage := meta.AdditionalFields["baggage"]
	if !hasState && !hasBaggage {
		// The usual case, read without the propagators' carrier map.
		if sc, ok := parseTraceparent(tp); ok && sc.IsValid() {
			return withParent(ctx, sc)
		}
	}
	c := propagation.MapCarrier{"traceparent": tp}
	if ts, ok := meta.AdditionalFields["tracestate"].(string); ok {
		c["tracestate"] = ts
	}
	if b, ok := meta.AdditionalFields["baggage"].(string); ok {
		c["baggage"] = b
	}
	return extracted(propagator.Extract(ctx, c))
}

// parseTraceparent reads the usual W3C traceparent, version 00 in lower
// case; ok is false for anything else, which the propagator reads (or
// refuses) as the W3C Trace Context says.
func parseTraceparent(h string) (sc trace.SpanContext, ok bool) {
	// 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>
	if len(h) != 55 || h[:3] != "00-" || h[35] != '-' || h[52] != '-' {
		return sc, false
	}
	tid, err := trace.TraceIDFromHex(h[3:35])
	if err != nil {
		return sc, false
	}
	sid, err := trace.SpanIDFromHex(h[36:52])
	if err != nil {
		return sc, false
	}
	hi, lo := unhex(h[53]), unhex(h[54])
	if hi < 0 || lo < 0 {
		return sc, false
	}
	return trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    tid,
		SpanID:     sid,
		TraceFlags: trace.TraceFlags(hi<<4 | lo), // as the propagator keeps them
		Remote:     true,
	}), true
}

// unhex is the value of a lower-case hex digit, -1 for anything else.
func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	}
	return -1
}

// requestTracer is mcp-go's tracing.Tracer: it times every MCP request for
// the metrics and, with tracing on, opens its SERVER span. mcp-go also asks
// it for an INTERNAL span around each tool handler, which it does not
// open: one span per request is what the conventions describe.
type requestTracer struct{ t *Telemetry }

// mcp-go's attribute names on the spans it asks for.
const (
	mcpGoMethod    = "mcp.method"
	mcpGoToolName  = "mcp.tool.name"
	mcpGoSessionID = "mcp.session.id"
	mcpGoProtocol  = "mcp.protocol.version"
)

// nonRecording is the span mcp-go gets for what is not recorded.
var nonRecording = tracing.SpanFromContext(context.Background())

func (rt requestTracer) Start(ctx context.Context, _ string, kind tracing.SpanKind, attrs ...tracing.Attribute) (context.Context, tracing.Span) {
	if kind != tracing.SpanKindServer {
		return ctx, nonRecording
	}
	op := rt.t.newOperation()
	for _, a := range attrs {
		switch a.Key {
		case mcpGoMethod:
			op.method = a.Value
		case mcpGoSessionID:
			op.sessionID = a.Value
		case mcpGoProtocol:
			op.protocol = a.Value
		}
	}
	if op.protocol == "" {
		op.protocol = protocolOf(ctx)
	}
	ctx = rt.t.begin(ctx, op)
	return tracing.ContextWithSpan(ctx, op), op
}

// newOperation allocates an operation, with its span when tracing is on.
func (t *Telemetry) newOperation() *operation {
	if t.tracer == nil {
		return &operation{t: t}
	}
	traced := &tracedOperation{}
	op := &traced.operation
	op.t, op.span = t, &traced.span
	return op
}

// tracedOperation is an operation and its span, in one allocation of at
// most 512 bytes: beyond that the runtime adds a header and the next size
// class is 640 (TestTracedOperationSize).
type tracedOperation struct {
	operation
	span requestSpan
}

// begin starts op, a request of ctx: from its arrival when the transport
// knows it, else now; and opens its span when it has one, which the
// returned context carries.
func (t *Telemetry) begin(ctx context.Context, op *operation) context.Context {
	if t.received != nil {
		op.start = t.received(ctx)
	}
	if ss := t.tracer; ss != nil {
		// The name and most attributes are known only at the end (the
		// tool, the error), where they are set. The operation's clock is
		// the span's.
		ctx = ss.start(ctx, op.span, op.method, op.start)
		op.span.op = op
		op.start = op.span.start
	}
	if op.start.IsZero() {
		op.start = time.Now()
	}
	return ctx
}

// spanStarter is the tracing.Propagator of a traced server timed by its
// hooks (see fromHooks). mcp-go asks it for the trace context of every
// request it dispatches, after the _meta propagator and right before the
// request runs: it reads the HTTP header as headerPropagator does and
// opens the request's span, which the hooks end once the request is
// answered (see answered). It is the one call of mcp-go per request whose
// context the request then carries.
type spanStarter struct{ t *Telemetry }

func (p spanStarter) Inject(ctx context.Context, h http.Header) { headerPropagator{}.Inject(ctx, h) }

func (p spanStarter) Extract(ctx context.Context, h http.Header) context.Context {
	op := p.t.newOperation()
	// As mcp-go's tracer takes them: from the headers, not through the
	// context (see answered).
	op.sessionID, op.protocol = firstValue(h[server.HeaderKeySessionID]), firstValue(h[server.HeaderKeyProtocolVersion])
	ctx = p.t.begin(headerPropagator{}.Extract(ctx, h), op)
	if e := envelope.From(ctx); e != nil && !e.Batch && e.Method != "" && methodName(e.Method) == Other {
		// mcp-go answers a method it does not have with -32601 and no
		// hook: the request ends here.
		op.method, op.requestID = e.Method, envelopeID(e.ID)
		if op.protocol == "" {
			op.protocol = protocolOf(ctx)
		}
		op.errSet, op.errCode, op.errMessage = true, mcp.METHOD_NOT_FOUND, fmt.Sprintf("Method %s not found", e.Method)
		op.End()
	}
	return ctx
}

// firstValue is the first of a header's values, "" for none.
func firstValue(values []string) string {
	if len(values) == 0 {
		return ""
	}
	return values[0]
}

// envelopeID is the request id of an envelope's id key (envelope.ID) as
// JSON decodes it: a string or a float64; nil for none.
func envelopeID(key string) any {
	switch {
	case strings.HasPrefix(key, "s:"):
		return key[2:]
	case strings.HasPrefix(key, "n:"):
		if v, err := strconv.ParseFloat(key[2:], 64); err == nil {
			return v
		}
	}
	return nil
}

// requestOperation is the operation spanStarter began for the request of
// ctx, nil when there is none.
func requestOperation(ctx context.Context) *operation {
	if s, ok := trace.SpanFromContext(ctx).(*requestSpan); ok {
		return s.op
	}
	return nil
}

// PromptRefused records a prompts/get that the argument checker answered
// with a JSON-RPC error before mcp-go ran it (promptargs.Checker.Refused),
// which mcp-go's tracing never sees: it counts in
// mcp.server.operation.duration as any failed request does and, with
// tracing on, gets its SERVER span, parented as mcp-go's would be.
func (t *Telemetry) PromptRefused(r promptargs.Refusal) {
	op := &operation{
		t: t, start: r.Start,
		method: string(mcp.MethodPromptsGet), prompt: r.Prompt, protocol: r.Protocol,
		sessionID: r.SessionID, requestID: r.ID,
		errSet: true, errCode: r.Code, errMessage: r.Message,
	}
	if op.start.IsZero() {
		op.start = time.Now()
	}
	if ss := t.tracer; ss != nil {
		// _meta first: the header counts only without it.
		ctx := metaPropagator{}.ExtractMeta(context.Background(), r.Meta)
		if r.Header != nil {
			ctx = headerPropagator{}.Extract(ctx, r.Header)
		}
		op.span = &requestSpan{}
		ss.start(ctx, op.span, op.method, op.start)
	}
	op.End()
}

// protocolOf is the protocol version of the request of ctx: the one it
// declares (2026-07-28 and later), else its session's.
func protocolOf(ctx context.Context) string {
	if info := server.RequestProtocolInfoFromContext(ctx); info != nil && info.ProtocolVersion != "" {
		return info.ProtocolVersion
	}
	if s, ok := server.ClientSessionFromContext(ctx).(server.SessionWithProtocolVersion); ok {
		return s.ProtocolVersion()
	}
	return ""
}

// operation is one MCP request in flight: mcp-go's span of it, filled in by
// the hooks (see hooks) and recorded when it ends.
type operation struct {
	t     *Telemetry
	start time.Time
	span  *requestSpan // nil while tracing is off; its start and end are the operation's

	method, protocol, sessionID string
	requestID                   any
	tool, prompt                string // as the request names them
	unknown                     bool   // the tool or prompt named is not registered
	toolError                   bool   // a tools/call result with isError
	errCode                     int    // the JSON-RPC error code answered, when errSet
	errSet                      bool
	errMessage                  string
}

// SetAttributes takes the tool's name, which mcp-go's tool middleware
// sets on the request's span before the tool runs.
func (op *operation) SetAttributes(attrs ...tracing.Attribute) {
	for _, a := range attrs {
		if a.Key == mcpGoToolName && op.tool == "" {
			op.tool = a.Value
		}
	}
}

func (op *operation) RecordError(err error) {
	if op.span != nil && err != nil {
		op.span.RecordError(err)
	}
}

// SetStatus is told of an error twice over: by mcp-go's tool middleware
// when a tool returns a result with isError, while no JSON-RPC error has
// been answered; and when the request is answered with a JSON-RPC error,
// after the OnError hook has noted its code. The first is the tool error:
// no hook per call is needed to see it.
func (op *operation) SetStatus(code tracing.StatusCode, description string) {
	if code != tracing.StatusError {
		return
	}
	if !op.errSet && op.method == string(mcp.MethodToolsCall) {
		op.toolError = true
	}
	if !op.errSet && methodName(op.method) == Other {
		// mcp-go answers a method it does not have without a hook.
		op.errSet, op.errCode = true, mcp.METHOD_NOT_FOUND
	}
	if op.errMessage == "" {
		op.errMessage = description
	}
}

// key is the bounded label combination of the operation.
func (op *operation) key() operationKey {
	k := operationKey{method: methodName(op.method), protocol: protocolVersion(op.protocol), transport: op.t.transport}
	switch k.method {
	case string(mcp.MethodToolsCall):
		k.tool = Other
		if op.tool != "" && !op.unknown {
			k.tool = op.tool
		}
	case string(mcp.MethodPromptsGet):
		k.prompt = Other
		if op.prompt != "" && !op.unknown {
			k.prompt = op.prompt
		}
	}
	switch {
	case op.errSet:
		k.errorType = errorCodeText(op.errCode)
	case op.toolError:
		k.errorType = ToolError
	}
	return k
}

func (op *operation) End() {
	k := op.key()
	if op.span == nil || !op.span.recording {
		// Untraced, or not sampled: nothing to name or set.
		op.t.recordOperation(k, time.Since(op.start))
		return
	}
	shape := op.t.shapeOf(k)
	var failed *string
	if k.errorType != "" {
		failed = &op.errMessage
	}
	op.span.finish(shape, op.sessionID, requestIDText(op.requestID), failed)
	end := op.span.endedAt()
	if end.IsZero() { // ended before, by a tool: the operation ends now
		end = time.Now()
	}
	shape.duration.observe(end.Sub(op.start).Seconds())
}

// spanShape is what the spans of the requests of one label combination
// share: their name, "{mcp.method.name} {target}", the target being the
// tool or prompt when the server knows it; the server's attributes but the
// session's and the request's ids, also encoded as OTLP writes them; and
// the series of the duration histogram the requests count in.
type spanShape struct {
	key      operationKey
	name     string
	std      requestAttrs
	encoded  []byte // std's attributes as a Span's fields; nil when the span limits could cut them
	duration *metricSeries
}

// shapeOf is the spanShape of the label combination k, made once.
func (t *Telemetry) shapeOf(k operationKey) *spanShape {
	return t.shapes.get(k, t.newShape)
}

// newShape is the spanShape of the label combination k.
func (t *Telemetry) newShape(k operationKey) *spanShape {
	shape := &spanShape{
		key:  k,
		name: k.method,
		std: requestAttrs{
			method: k.method, transport: k.transport, protocol: k.protocol,
			tool: k.tool, prompt: k.prompt, errorType: k.errorType,
		},
		duration: t.metrics.operation.with(k.labels()),
	}
	if target := k.tool + k.prompt; target != "" && target != Other { // at most one is set
		shape.name = k.method + " " + target
	}
	if k.errorType != "" && k.errorType != ToolError {
		// A JSON-RPC error: its code.
		shape.std.statusCode = k.errorType
	}
	if lim := t.tracer.limits; lim.AttributeValueLengthLimit < 0 && (lim.AttributeCountLimit < 0 || lim.AttributeCountLimit >= maxRequestAttrs) {
		shape.encoded = []byte{}
		shape.std.each(func(k, v string) { shape.encoded = appendStringAttribute(shape.encoded, fieldSpanAttributes, k, v) })
	}
	return shape
}

// requestIDText is a JSON-RPC id as decoded (a string or a number) in text;
// "" for none.
func requestIDText(id any) string {
	switch v := id.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		if i := int64(v); float64(i) == v {
			// Small integers, the usual ids, are strconv's own strings.
			return strconv.FormatInt(i, 10)
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	case json.Number:
		return v.String()
	case fmt.Stringer:
		return v.String()
	}
	return fmt.Sprint(id)
}

// operationOf is the operation of ctx, nil outside a request mcp-go traces.
func operationOf(ctx context.Context) *operation {
	op, _ := tracing.SpanFromContext(ctx).(*operation)
	return op
}

// jsonrpcError is what mcp-go's request errors can turn into.
type jsonrpcError interface {
	ToJSONRPCError() mcp.JSONRPCError
}

// failed notes the error a request was answered with.
func (op *operation) failed(err error) {
	op.errSet, op.errCode = true, mcp.INTERNAL_ERROR
	message := err.Error()
	var je jsonrpcError
	if errors.As(err, &je) {
		e := je.ToJSONRPCError().Error
		op.errCode, message = e.Code, e.Message
	}
	if op.errMessage == "" {
		// As the response says it.
		op.errMessage = message
	}
	// mcp-go looked the name up and did not find it: the name is the
	// client's, not one of the server's, and must not become a label.
	if errors.Is(err, server.ErrToolNotFound) || errors.Is(err, server.ErrPromptNotFound) {
		op.unknown = true
	}
}

// answered records a request mcp-go has answered, from its hooks (see
// fromHooks): with result on success, err on failure. The request itself
// names the tool or prompt, the result tells a tool error. A traced
// request's operation, which spanStarter began, ends with its span; an
// untraced one is recorded without being allocated.
func (t *Telemetry) answered(ctx context.Context, id any, method mcp.MCPMethod, message, result any, err error) {
	if t.tracer != nil {
		if op := requestOperation(ctx); op != nil {
			op.requestID = id
			if op.sessionID == "" { // not in a header: on the legacy SSE transport, say
				if s := server.ClientSessionFromContext(ctx); s != nil {
					op.sessionID = s.SessionID()
				}
			}
			op.answered(ctx, method, message, result, err)
			op.End()
			return
		}
	}
	op := operation{t: t}
	op.answered(ctx, method, message, result, err)
	t.recordOperation(op.key(), t.since(ctx))
}

// answered fills in what the request of ctx and its answer tell.
func (op *operation) answered(ctx context.Context, method mcp.MCPMethod, message, result any, err error) {
	op.method = string(method)
	if op.protocol == "" {
		op.protocol = protocolOf(ctx)
	}
	switch m := message.(type) {
	case *mcp.CallToolRequest:
		op.tool = m.Params.Name
		if r, ok := result.(*mcp.CallToolResult); ok && r != nil && r.IsError {
			op.toolError, op.errMessage = true, toolErrorMessage
		}
	case *mcp.GetPromptRequest:
		op.prompt = m.Params.Name
	case *mcp.InitializeRequest:
		if op.protocol == "" {
			op.protocol = m.Params.ProtocolVersion
		}
	}
	if err != nil {
		op.failed(err)
	}
}

// toolErrorMessage is the status message of the span of a tool call whose
// result has isError, as mcp-go's tracer says it.
const toolErrorMessage = "tool returned error result"

// since is the time since the request of ctx arrived, 0 when the
// transport does not say.
func (t *Telemetry) since(ctx context.Context) time.Duration {
	if at := t.received(ctx); !at.IsZero() {
		return time.Since(at)
	}
	return 0
}

// unknownMethod records a request for a method mcp-go does not have, which
// it answers with -32601 without a hook (see fromHooks); the request's
// envelope, parsed by the HTTP server, names the method. A batch's
// envelope describes its first message only, so batches are left out.
func (t *Telemetry) unknownMethod(ctx context.Context, _ any, _ any) error {
	if e := envelope.From(ctx); e != nil && !e.Batch && e.Method != "" && methodName(e.Method) == Other {
		k := operationKey{method: Other, errorType: errorCodeText(mcp.METHOD_NOT_FOUND), protocol: protocolVersion(protocolOf(ctx)), transport: t.transport}
		t.recordOperation(k, t.since(ctx))
	}
	return nil
}

// hooks fill in what mcp-go's span does not carry: the prompt name, the
// JSON-RPC error code, the request id of a traced request; and time the
// sessions. The tool's name and isError results reach the span itself (see
// operation.SetAttributes and SetStatus): a tools/call, the request that
// matters most, runs no hook of ours unless it fails. Without a tracer
// (fromHooks), the hooks record every request themselves.
func (t *Telemetry) hooks() *server.Hooks {
	h := &server.Hooks{}
	if t.fromHooks() {
		if t.tracer == nil {
			// Traced, spanStarter sees such requests.
			h.AddOnRequestInitialization(t.unknownMethod)
		}
		h.AddOnSuccess(func(ctx context.Context, id any, method mcp.MCPMethod, message, result any) {
			t.answered(ctx, id, method, message, result, nil)
		})
		h.AddOnError(func(ctx context.Context, id any, method mcp.MCPMethod, message any, err error) {
			t.answered(ctx, id, method, message, nil, err)
		})
		t.sessionHooks(h)
		return h
	}
	if t.tracer != nil {
		// Only spans carry the id; a hook on every request costs.
		h.AddBeforeAny(func(ctx context.Context, id any, _ mcp.MCPMethod, _ any) {
			if op := operationOf(ctx); op != nil && op.span != nil {
				op.requestID = id
			}
		})
	}
	h.AddBeforeInitialize(func(ctx context.Context, _ any, req *mcp.InitializeRequest) {
		if op := operationOf(ctx); op != nil && op.protocol == "" {
			op.protocol = req.Params.ProtocolVersion
		}
	})
	h.AddBeforeGetPrompt(func(ctx context.Context, _ any, req *mcp.GetPromptRequest) {
		if op := operationOf(ctx); op != nil {
			op.prompt = req.Params.Name
		}
	})
	h.AddOnError(func(ctx context.Context, _ any, _ mcp.MCPMethod, _ any, err error) {
		if op := operationOf(ctx); op != nil {
			op.failed(err)
		}
	})
	t.sessionHooks(h)
	return h
}

// sessionHooks time the sessions.
func (t *Telemetry) sessionHooks(h *server.Hooks) {
	h.AddOnRegisterSession(func(_ context.Context, s server.ClientSession) {
		t.sessionStarted(s.SessionID())
	})
	h.AddOnUnregisterSession(func(_ context.Context, s server.ClientSession) {
		protocol := ""
		if p, ok := s.(server.SessionWithProtocolVersion); ok {
			protocol = p.ProtocolVersion()
		}
		t.sessionEnded(s.SessionID(), protocol)
	})
}

// sessionStarted notes when session id began.
func (t *Telemetry) sessionStarted(id string) {
	t.sessions.Store(id, time.Now())
}

// sessionEnded records the duration of session id.
func (t *Telemetry) sessionEnded(id, protocol string) {
	v, ok := t.sessions.LoadAndDelete(id)
	if !ok {
		return
	}
	t.metrics.session.with(labelValues{protocolVersion(protocol), t.transport}).observe(time.Since(v.(time.Time)).Seconds())
}
