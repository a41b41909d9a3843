package telemetry

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
)

// spanRecord is an ended span as the exporters read it: one the SDK
// recorded (sdktrace.ReadOnlySpan, a tool's) or a request's SERVER span
// (requestSpan).
type spanRecord interface {
	Name() string
	SpanContext() trace.SpanContext
	Parent() trace.SpanContext
	SpanKind() trace.SpanKind
	StartTime() time.Time
	EndTime() time.Time
	Attributes() []attribute.KeyValue
	DroppedAttributes() int
	Events() []sdktrace.Event
	DroppedEvents() int
	Links() []sdktrace.Link
	DroppedLinks() int
	Status() sdktrace.Status
	InstrumentationScope() instrumentation.Scope
	Resource() *resource.Resource
}

// serverSpans opens the SERVER span of each MCP request. Those spans are
// recorded here rather than by the SDK's tracer: an SDK span costs about
// 2.7 µs (its Start, SetAttributes and End with its snapshot, seven
// allocations), more than a tenth of a tools/call that does little, where
// a requestSpan is one allocation. Everything else is the SDK's: the
// sampler decides as it does for the SDK's spans, the span limits are the
// SDK's, the spans tools open in the request's context are the SDK's
// children of it, and both kinds leave in the same batches (spanBatcher)
// with the provider's resource.
type serverSpans struct {
	provider *sdktrace.TracerProvider // what the spans report as theirs
	sampler  sdktrace.Sampler         // the provider's
	rule     samplerRule              // sampler's, when it is one of them
	limits   sdktrace.SpanLimits      // the provider's
	resource *resource.Resource
	scope    instrumentation.Scope
	batcher  *spanBatcher
}

// start opens the SERVER span named name of a request of ctx, whose
// caller's trace context the propagators found (parentOf), started at at
// (now when zero), in s, and returns ctx with it. s is the caller's, so
// that it can be part of a larger allocation.
func (ss *serverSpans) start(ctx context.Context, s *requestSpan, name string, at time.Time) context.Context {
	parent := parentOf(ctx)
	tid := parent.TraceID()
	if !parent.IsValid() {
		tid = newTraceID()
	}
	decision, ok := ss.rule.decide(parent)
	state := parent.TraceState()
	var attrs []attribute.KeyValue
	if !ok {
		sampled := ctx
		if parent.IsValid() {
			// Where the SDK's samplers look for it.
			sampled = trace.ContextWithRemoteSpanContext(ctx, parent)
		}
		res := ss.sampler.ShouldSample(sdktrace.SamplingParameters{ParentContext: sampled, TraceID: tid, Name: name, Kind: trace.SpanKindServer})
		decision, state, attrs = res.Decision, res.Tracestate, res.Attributes
	}
	if at.IsZero() {
		at = time.Now()
	}
	*s = requestSpan{
		src: ss,
		sc: trace.NewSpanContext(trace.SpanContextConfig{
			TraceID:    tid,
			SpanID:     newSpanID(),
			TraceFlags: parent.TraceFlags().WithSampled(decision == sdktrace.RecordAndSample),
			TraceState: state,
		}),
		parent:    parent,
		start:     at,
		recording: decision != sdktrace.Drop,
		name:      name,
	}
	s.SetAttributes(attrs...)
	return trace.ContextWithSpan(ctx, s)
}

// parentContext is the context of a request whose caller sent its trace
// context (in _meta or the traceparent header), as the propagators return
// it: the request's span finds its parent at the top of the context.
// Looking through the context for a parent that is not there, as most
// requests have none, would walk all of it: on HTTP, a fifth of a
// microsecond.
type parentContext struct {
	context.Context
	parent trace.SpanContext
}

// withParent is ctx with parent, a caller's valid trace context.
func withParent(ctx context.Context, parent trace.SpanContext) context.Context {
	return &parentContext{ctx, parent}
}

// parentOf is the caller's trace context the propagators found for the
// request of ctx, an invalid one when they found none.
func parentOf(ctx context.Context) trace.SpanContext {
	if p, ok := ctx.(*parentContext); ok {
		return p.parent
	}
	return trace.SpanContext{}
}

// samplerRule is a sampler of OTEL_TRACES_SAMPLER whose decision needs
// only the parent's: the SDK's ShouldSample would look the parent up in
// the context twice more.
type samplerRule int

const (
	ruleAsked samplerRule = iota // ask the sampler
	ruleAlwaysOn
	ruleAlwaysOff
	ruleParentBasedAlwaysOn
	ruleParentBasedAlwaysOff
)

// decide is the decision of the rule for a span whose parent is parent,
// as the SDK's sampler of the same name decides; ok is false for
// ruleAsked.
func (r samplerRule) decide(parent trace.SpanContext) (d sdktrace.SamplingDecision, ok bool) {
	sample := func(yes bool) sdktrace.SamplingDecision {
		if yes {
			return sdktrace.RecordAndSample
		}
		return sdktrace.Drop
	}
	switch r {
	case ruleAlwaysOn:
		return sdktrace.RecordAndSample, true
	case ruleAlwaysOff:
		return sdktrace.Drop, true
	case ruleParentBasedAlwaysOn, ruleParentBasedAlwaysOff:
		if parent.IsValid() {
			return sample(parent.IsSampled()), true
		}
		return sample(r == ruleParentBasedAlwaysOn), true
	}
	return 0, false
}

// newTraceID is a random trace id, as the SDK's ID generator makes them.
func newTraceID() (id trace.TraceID) {
	for !id.IsValid() {
		binary.BigEndian.PutUint64(id[:8], rand.Uint64())
		binary.BigEndian.PutUint64(id[8:], rand.Uint64())
	}
	return id
}

// newSpanID is a random span id.
func newSpanID() (id trace.SpanID) {
	for !id.IsValid() {
		binary.BigEndian.PutUint64(id[:], rand.Uint64())
	}
	return id
}

// requestSpan is the SERVER span of one MCP request (see serverSpans). It
// behaves as the SDK's spans do: attributes set twice keep the last value,
// the span limits apply, Ok is a final status, nothing changes after End.
// Once ended, a sampled span is queued for export, and what the exporter
// reads no longer changes. The attributes the server sets on every span
// (requestAttrs) are kept as strings until the exporter reads them: most
// spans have no others.
type requestSpan struct {
	embedded.Span

	src       *serverSpans
	op        *operation // the request's, which its hooks find through the span
	sc        trace.SpanContext
	parent    trace.SpanContext
	start     time.Time
	recording bool // the sampler recorded it (RecordOnly or RecordAndSample)

	mu        sync.Mutex
	ended     bool
	end       time.Time
	name      string
	shape     *spanShape // the server's attributes (see serverAttrs), which win over attrs
	sessionID string
	requestID string
	extra     *spanExtras // nil until anybody else adds to the span
	status    sdktrace.Status
}

// spanExtras is what others than the server (a tool) add to a request's
// span, which most spans never get: kept out of requestSpan, so that an
// operation and its span fit in 512 bytes, the largest allocation of the
// runtime without a header (tracedOperation).
type spanExtras struct {
	attrs         []attribute.KeyValue
	droppedAttrs  int
	events        []sdktrace.Event
	droppedEvents int
	links         []sdktrace.Link
	droppedLinks  int
}

// extras is the span's spanExtras, allocated on first use; s is locked.
func (s *requestSpan) extras() *spanExtras {
	if s.extra == nil {
		s.extra = &spanExtras{}
	}
	return s.extra
}

// added is what others added to the span, empty when nothing was.
func (s *requestSpan) added() *spanExtras {
	if s.extra == nil {
		return &noExtras
	}
	return s.extra
}

// noExtras is the spanExtras of a span nobody else added to; never
// written.
var noExtras spanExtras

// SpanContext is the span's identity, which the spans a tool opens in the
// request's context take as their parent.
func (s *requestSpan) SpanContext() trace.SpanContext { return s.sc }

// IsRecording reports whether the span records what it is told: sampled
// (or recorded only) and not yet ended.
func (s *requestSpan) IsRecording() bool {
	if !s.recording {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.ended
}

// TracerProvider is the SDK's provider, which tools may take from the span.
func (s *requestSpan) TracerProvider() trace.TracerProvider { return s.src.provider }

// live locks the span when it still records; the caller unlocks it.
func (s *requestSpan) live() bool {
	if !s.recording {
		return false
	}
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return false
	}
	return true
}

// SetName renames the span.
func (s *requestSpan) SetName(name string) {
	if !s.live() {
		return
	}
	s.name = name
	s.mu.Unlock()
}

// SetAttributes sets attributes, a key set before taking its new value.
// Beyond the attribute count limit, new keys are dropped and counted.
func (s *requestSpan) SetAttributes(kvs ...attribute.KeyValue) {
	if len(kvs) == 0 || !s.live() {
		return
	}
	defer s.mu.Unlock()
	x := s.extras()
	x.attrs, x.droppedAttrs = setAttributes(x.attrs, x.droppedAttrs, kvs, s.src.limits.AttributeCountLimit, s.src.limits.AttributeValueLengthLimit)
}

// requestAttrs are the attributes of the MCP semantic conventions that the
// server sets on a request's span when it ends: those that are "" are left
// out.
type requestAttrs struct {
	method, transport, protocol, sessionID, requestID, tool, prompt, errorType, statusCode string
}

// each calls f with the key and value of every attribute set.
func (a *requestAttrs) each(f func(k, v string)) {
	kv := func(k, v string) {
		if v != "" {
			f(k, v)
		}
	}
	kv("mcp.method.name", a.method)
	kv("network.transport", a.transport)
	kv("mcp.protocol.version", a.protocol)
	if a.tool != "" {
		kv("gen_ai.tool.name", a.tool)
		kv("gen_ai.operation.name", "execute_tool")
	}
	kv("gen_ai.prompt.name", a.prompt)
	kv("error.type", a.errorType)
	kv("rpc.response.status_code", a.statusCode)
	// Last, as they differ from request to request: what comes before is
	// the same for all the requests of a spanShape.
	kv("mcp.session.id", a.sessionID)
	kv("jsonrpc.request.id", a.requestID)
}

// maxRequestAttrs is the most attributes requestAttrs sets.
const maxRequestAttrs = 10

// has reports whether the attribute key is set.
func (a *requestAttrs) has(key attribute.Key) (found bool) {
	a.each(func(k, _ string) { found = found || k == string(key) })
	return found
}

// finish names the span after its shape, sets the server's attributes
// (those of shape and the request's session and request ids) and, when
// message is not nil, the Error status with it, and ends the span.
func (s *requestSpan) finish(shape *spanShape, sessionID, requestID string, message *string) {
	if !s.live() {
		return
	}
	s.name, s.shape, s.sessionID, s.requestID = shape.name, shape, sessionID, requestID
	if message != nil && s.status.Code != codes.Ok {
		s.status = sdktrace.Status{Code: codes.Error, Description: *message}
	}
	s.endLocked(time.Now())
}

// setAttributes sets kvs in attrs within limits (a negative limit is none)
// and returns attrs and the count of attributes dropped.
func setAttributes(attrs []attribute.KeyValue, dropped int, kvs []attribute.KeyValue, countLimit, lengthLimit int) ([]attribute.KeyValue, int) {
next:
	for _, kv := range kvs {
		if !kv.Valid() {
			dropped++
			continue
		}
		kv = truncateValue(kv, lengthLimit)
		for i := range attrs {
			if attrs[i].Key == kv.Key {
				attrs[i] = kv
				continue next
			}
		}
		if countLimit >= 0 && len(attrs) >= countLimit {
			dropped++
			continue
		}
		attrs = append(attrs, kv)
	}
	return attrs, dropped
}

// truncateValue cuts string values to at most limit characters, as the
// SDK's AttributeValueLengthLimit does; a negative limit is none.
func truncateValue(kv attribute.KeyValue, limit int) attribute.KeyValue {
	if limit < 0 {
		return kv
	}
	switch kv.Value.Type() {
	case attribute.STRING:
		if v := kv.Value.AsString(); len(v) > limit {
			return kv.Key.String(truncateString(v, limit))
		}
	case attribute.STRINGSLICE:
		vs := kv.Value.AsStringSlice()
		for i, v := range vs {
			vs[i] = truncateString(v, limit)
		}
		return kv.Key.StringSlice(vs)
	}
	return kv
}

// truncateString is s cut to at most limit characters.
func truncateString(s string, limit int) string {
	n := 0
	for i := range s {
		if n == limit {
			return s[:i]
		}
		n++
	}
	return s
}

// AddEvent records an event; beyond the event count limit the oldest are
// dropped.
func (s *requestSpan) AddEvent(name string, opts ...trace.EventOption) {
	if !s.live() {
		return
	}
	defer s.mu.Unlock()
	s.addEvent(name, trace.NewEventConfig(opts...))
}

// addEvent records an event; s is locked.
func (s *requestSpan) addEvent(name string, cfg trace.EventConfig) {
	limits, x := s.src.limits, s.extras()
	if limits.EventCountLimit == 0 {
		x.droppedEvents++
		return
	}
	attrs, dropped := setAttributes(nil, 0, cfg.Attributes(), limits.AttributePerEventCountLimit, limits.AttributeValueLengthLimit)
	if limits.EventCountLimit > 0 && len(x.events) >= limits.EventCountLimit {
		x.events = append(x.events[:0], x.events[1:]...)
		x.droppedEvents++
	}
	x.events = append(x.events, sdktrace.Event{Name: name, Attributes: attrs, DroppedAttributeCount: dropped, Time: cfg.Timestamp()})
}

// RecordError records err as an exception event, as the SDK does; it does
// not change the status.
func (s *requestSpan) RecordError(err error, opts ...trace.EventOption) {
	if err == nil || !s.live() {
		return
	}
	defer s.mu.Unlock()
	attrs := []attribute.KeyValue{
		attribute.String("exception.type", errorTypeName(err)),
		attribute.String("exception.message", err.Error()),
	}
	if cfg := trace.NewEventConfig(opts...); cfg.StackTrace() {
		attrs = append(attrs, attribute.String("exception.stacktrace", string(debug.Stack())))
	}
	s.addEvent("exception", trace.NewEventConfig(append(opts, trace.WithAttributes(attrs...))...))
}

// errorTypeName is the type of err as the SDK names it: package path and
// type name.
func errorTypeName(err error) string {
	t := reflect.TypeOf(err)
	if t.PkgPath() == "" && t.Name() == "" {
		// A pointer or other unnamed type.
		return t.String()
	}
	return t.PkgPath() + "." + t.Name()
}

// AddLink links the span to another; beyond the link count limit, links
// are dropped.
func (s *requestSpan) AddLink(link trace.Link) {
	if (!link.SpanContext.IsValid() && len(link.Attributes) == 0) || !s.live() {
		return
	}
	defer s.mu.Unlock()
	limits, x := s.src.limits, s.extras()
	if limits.LinkCountLimit >= 0 && len(x.links) >= limits.LinkCountLimit {
		x.droppedLinks++
		return
	}
	attrs, dropped := setAttributes(nil, 0, link.Attributes, limits.AttributePerLinkCountLimit, limits.AttributeValueLengthLimit)
	x.links = append(x.links, sdktrace.Link{SpanContext: link.SpanContext, Attributes: attrs, DroppedAttributeCount: dropped})
}

// SetStatus sets the status: Error with its description, or Ok, which no
// later status replaces; Unset changes nothing.
func (s *requestSpan) SetStatus(code codes.Code, description string) {
	if code == codes.Unset || !s.live() {
		return
	}
	defer s.mu.Unlock()
	if s.status.Code == codes.Ok {
		return
	}
	s.status = sdktrace.Status{Code: code}
	if code == codes.Error {
		s.status.Description = description
	}
}

// End ends the span, at the time of a trace.WithTimestamp option or now,
// and queues it for export when it is sampled. Later calls do nothing.
func (s *requestSpan) End(opts ...trace.SpanEndOption) {
	if !s.live() {
		return
	}
	end := time.Now()
	if len(opts) > 0 {
		if cfg := trace.NewSpanEndConfig(opts...); !cfg.Timestamp().IsZero() {
			end = cfg.Timestamp()
		}
	}
	s.endLocked(end)
}

// endLocked ends the span at end and unlocks it.
func (s *requestSpan) endLocked(end time.Time) {
	s.ended, s.end = true, end
	s.mu.Unlock()
	if s.sc.IsSampled() {
		s.src.batcher.enqueue(s)
	}
}

// endedAt is when the span ended, zero while it runs or when it does not
// record.
func (s *requestSpan) endedAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.end
}

// The methods below read an ended span (spanRecord), which no longer
// changes: the exporter reads them without the lock.

// Name is the span's name.
func (s *requestSpan) Name() string { return s.name }

// Parent is the trace context of the request's caller, if any.
func (s *requestSpan) Parent() trace.SpanContext { return s.parent }

// SpanKind is SERVER.
func (s *requestSpan) SpanKind() trace.SpanKind { return trace.SpanKindServer }

// StartTime is when the request arrived, or else when mcp-go began it.
func (s *requestSpan) StartTime() time.Time { return s.start }

// EndTime is when the span ended, zero before.
func (s *requestSpan) EndTime() time.Time { return s.end }

// Attributes are the span's attributes.
func (s *requestSpan) Attributes() []attribute.KeyValue {
	var attrs []attribute.KeyValue
	s.eachAttribute(func(kv attribute.KeyValue) { attrs = append(attrs, kv) }, func(k, v string) {
		attrs = append(attrs, attribute.String(k, v))
	})
	return attrs
}

// eachAttribute calls std with the server's attributes, then kv with the
// others whose keys the server's do not have, at most the attribute count
// limit of them in all, and returns how many it left out.
func (s *requestSpan) eachAttribute(kv func(attribute.KeyValue), std func(k, v string)) (over int) {
	limits := s.src.limits
	n := 0
	room := func() bool {
		if limits.AttributeCountLimit >= 0 && n >= limits.AttributeCountLimit {
			over++
			return false
		}
		n++
		return true
	}
	server := s.serverAttrs()
	server.each(func(k, v string) {
		if room() {
			if limits.AttributeValueLengthLimit >= 0 {
				v = truncateString(v, limits.AttributeValueLengthLimit)
			}
			std(k, v)
		}
	})
	for _, a := range s.added().attrs {
		if !server.has(a.Key) && room() {
			kv(a)
		}
	}
	return over
}

// serverAttrs are the attributes the server set when the span ended: its
// shape's and the request's ids.
func (s *requestSpan) serverAttrs() requestAttrs {
	var a requestAttrs
	if s.shape != nil {
		a = s.shape.std
	}
	a.sessionID, a.requestID = s.sessionID, s.requestID
	return a
}

// DroppedAttributes is the count of attributes the limits dropped.
func (s *requestSpan) DroppedAttributes() int {
	over := s.eachAttribute(func(attribute.KeyValue) {}, func(string, string) {})
	return s.added().droppedAttrs + over
}

// Events are the span's events.
func (s *requestSpan) Events() []sdktrace.Event { return s.added().events }

// DroppedEvents is the count of events the limit dropped.
func (s *requestSpan) DroppedEvents() int { return s.added().droppedEvents }

// Links are the span's links.
func (s *requestSpan) Links() []sdktrace.Link { return s.added().links }

// DroppedLinks is the count of links the limit dropped.
func (s *requestSpan) DroppedLinks() int { return s.added().droppedLinks }

// Status is the span's status.
func (s *requestSpan) Status() sdktrace.Status { return s.status }

// InstrumentationScope is the scope of the server's spans.
func (s *requestSpan) InstrumentationScope() instrumentation.Scope { return s.src.scope }

// Resource is the provider's resource.
func (s *requestSpan) Resource() *resource.Resource { return s.src.resource }

// The OpenTelemetry specification's sampler names (OTEL_TRACES_SAMPLER).
const (
	samplerAlwaysOn                = "always_on"
	samplerAlwaysOff               = "always_off"
	samplerTraceIDRatio            = "traceidratio"
	samplerParentBasedAlwaysOn     = "parentbased_always_on"
	samplerParentBasedAlwaysOff    = "parentbased_always_off"
	samplerParentBasedTraceIDRatio = "parentbased_traceidratio"
)

// samplerFromEnv is the sampler OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG name, as the SDK reads them: by default
// parentbased_always_on; a ratio that cannot be read is 1. rule is the
// sampler's when it has one. The error says what was wrong, and the
// sampler returned with it is the fallback.
func samplerFromEnv(env func(string) string) (sdktrace.Sampler, samplerRule, error) {
	name := strings.ToLower(strings.TrimSpace(env("OTEL_TRACES_SAMPLER")))
	arg := strings.TrimSpace(env("OTEL_TRACES_SAMPLER_ARG"))
	ratio := func() (sdktrace.Sampler, error) {
		if arg == "" {
			return sdktrace.TraceIDRatioBased(1), nil
		}
		v, err := strconv.ParseFloat(arg, 64)
		if err != nil || v < 0 || v > 1 {
			return sdktrace.TraceIDRatioBased(1), fmt.Errorf("OTEL_TRACES_SAMPLER_ARG %q is not a ratio between 0 and 1; sampling every trace", arg)
		}
		return sdktrace.TraceIDRatioBased(v), nil
	}
	switch name {
	case "", samplerParentBasedAlwaysOn:
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), ruleParentBasedAlwaysOn, nil
	case samplerAlwaysOn:
		return sdktrace.AlwaysSample(), ruleAlwaysOn, nil
	case samplerAlwaysOff:
		return sdktrace.NeverSample(), ruleAlwaysOff, nil
	case samplerTraceIDRatio:
		s, err := ratio()
		return s, ruleAsked, err
	case samplerParentBasedAlwaysOff:
		return sdktrace.ParentBased(sdktrace.NeverSample()), ruleParentBasedAlwaysOff, nil
	case samplerParentBasedTraceIDRatio:
		s, err := ratio()
		return sdktrace.ParentBased(s), ruleAsked, err
	}
	return sdktrace.ParentBased(sdktrace.AlwaysSample()), ruleParentBasedAlwaysOn, fmt.Errorf("OTEL_TRACES_SAMPLER %q is not supported; using parentbased_always_on", name)
}
