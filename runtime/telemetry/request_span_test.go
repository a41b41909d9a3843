package telemetry

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/mark3labs/mcp-go/mcp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// keptExporter keeps the spans it is given.
type keptExporter struct {
	mu    sync.Mutex
	spans []spanRecord
}

func (e *keptExporter) ExportSpans(_ context.Context, spans []spanRecord) error {
	e.mu.Lock()
	e.spans = append(e.spans, spans...)
	e.mu.Unlock()
	return nil
}

func (*keptExporter) Shutdown(context.Context) error { return nil }

// testServerSpans are server spans sampled by sampler (or its rule) within limits,
// exported to the returned exporter when flush is called.
func testServerSpans(t *testing.T, sampler sdktrace.Sampler, rule samplerRule, limits sdktrace.SpanLimits) (ss *serverSpans, flush func() []spanRecord) {
	t.Helper()
	exp := &keptExporter{}
	b := newSpanBatcher(exp, func(string) string { return "" })
	ss = &serverSpans{sampler: sampler, rule: rule, limits: limits, batcher: b}
	ss.provider = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(b), sdktrace.WithSampler(sampler))
	t.Cleanup(func() { _ = ss.provider.Shutdown(context.Background()) })
	return ss, func() []spanRecord {
		if err := b.ForceFlush(context.Background()); err != nil {
			t.Fatal(err)
		}
		exp.mu.Lock()
		defer exp.mu.Unlock()
		return append([]spanRecord(nil), exp.spans...)
	}
}

func attrMap(kvs []attribute.KeyValue) map[string]string {
	out := map[string]string{}
	for _, kv := range kvs {
		out[string(kv.Key)] = kv.Value.String()
	}
	return out
}

// TestRequestSpan: a request's span records as an SDK span would: the last
// value of an attribute, within the span limits; Ok as a final status;
// events, the oldest dropped beyond the limit; errors as exception events;
// nothing after End, which exports it once.
func TestRequestSpan(t *testing.T) {
	limits := sdktrace.NewSpanLimits()
	limits.AttributeCountLimit = 3
	limits.AttributeValueLengthLimit = 7
	limits.EventCountLimit = 2
	limits.LinkCountLimit = 1
	ss, flush := testServerSpans(t, sdktrace.AlwaysSample(), ruleAsked, limits)

	start := time.Now().Add(-time.Second)
	s := &requestSpan{}
	ctx := ss.start(context.Background(), s, "tools/call", start)
	if trace.SpanFromContext(ctx) != trace.Span(s) || !s.IsRecording() || !s.SpanContext().IsSampled() {
		t.Fatalf("the context does not carry a recording, sampled span")
	}
	if s.TracerProvider() != trace.TracerProvider(ss.provider) {
		t.Errorf("the span's provider is not the SDK's")
	}
	s.SetName("tools/call hello_world")
	s.SetAttributes(attribute.String("a", "1"), attribute.String("b", "long value"), attribute.String("a", "2"))
	s.SetAttributes(attribute.Int("c", 3), attribute.Int("d", 4), attribute.Bool("", true))
	s.AddEvent("first")
	s.AddEvent("second", trace.WithAttributes(attribute.String("k", "v")))
	s.RecordError(&fs.PathError{Op: "open", Path: "/x", Err: fs.ErrNotExist}, trace.WithStackTrace(true))
	s.AddLink(trace.Link{SpanContext: s.SpanContext()})
	s.AddLink(trace.Link{SpanContext: s.SpanContext()})
	s.SetStatus(codes.Error, "it broke")
	s.SetStatus(codes.Ok, "ignored")
	s.SetStatus(codes.Error, "after Ok")
	end := time.Now()
	s.End(trace.WithTimestamp(end))
	s.End()
	s.SetName("late")
	s.SetAttributes(attribute.String("late", "x"))
	if s.IsRecording() {
		t.Error("an ended span is recording")
	}

	spans := flush()
	if len(spans) != 1 {
		t.Fatalf("%d spans exported, want the one, once", len(spans))
	}
	r := spans[0]
	if r.Name() != "tools/call hello_world" || r.SpanKind() != trace.SpanKindServer {
		t.Errorf("exported %q of kind %v", r.Name(), r.SpanKind())
	}
	if !r.StartTime().Equal(start) || !r.EndTime().Equal(end) {
		t.Errorf("span from %v to %v, want %v to %v", r.StartTime(), r.EndTime(), start, end)
	}
	if got := attrMap(r.Attributes()); len(got) != 3 || got["a"] != "2" || got["b"] != "long va" || got["c"] != "3" {
		t.Errorf("attributes %v, want a=2, b cut to 7 characters, c=3", got)
	}
	if r.DroppedAttributes() != 2 { // d over the limit, and the invalid one
		t.Errorf("%d attributes dropped, want 2", r.DroppedAttributes())
	}
	ev := r.Events()
	if len(ev) != 2 || ev[0].Name != "second" || ev[1].Name != "exception" {
		t.Fatalf("events %v, want second and exception (the oldest dropped)", ev)
	}
	exc := attrMap(ev[1].Attributes)
	// Its values are cut to the length limit too.
	if exc["exception.type"] != "*fs.Pat" || exc["exception.message"] != "open /x" || !strings.HasPrefix(exc["exception.stacktrace"], "gorouti") {
		t.Errorf("exception event %v", exc)
	}
	if len(r.Links()) != 1 || r.DroppedLinks() != 1 || r.DroppedEvents() != 1 {
		t.Errorf("%d links, %d dropped, %d events dropped; want 1 (the limit), 1 and 1", len(r.Links()), r.DroppedLinks(), r.DroppedEvents())
	}
	if st := r.Status(); st.Code != codes.Ok || st.Description != "" {
		t.Errorf("status %v, want Ok, final", st)
	}
}

// TestRequestSpanSampling: the provider's sampler decides; an unsampled
// span still carries its trace on, records nothing and is not exported.
func TestRequestSpanSampling(t *testing.T) {
	for _, rule := range []samplerRule{ruleAsked, ruleParentBasedAlwaysOn} {
		testRequestSpanSampling(t, rule)
	}
}

func testRequestSpanSampling(t *testing.T, rule samplerRule) {
	ss, flush := testServerSpans(t, sdktrace.ParentBased(sdktrace.AlwaysSample()), rule, sdktrace.NewSpanLimits())
	caller, _ := parseTraceparent(traceparent(callerTraceID, callerSpanID))
	unsampled := caller.WithTraceFlags(0)

	kept, dropped := &requestSpan{}, &requestSpan{}
	ss.start(withParent(context.Background(), caller), kept, "ping", time.Time{})
	ctx := ss.start(withParent(context.Background(), unsampled), dropped, "ping", time.Time{})
	if kept.SpanContext().TraceID() != caller.TraceID() || kept.Parent().SpanID() != caller.SpanID() {
		t.Errorf("the span is not the caller's child")
	}
	if dropped.IsRecording() || dropped.SpanContext().IsSampled() || dropped.SpanContext().TraceID() != caller.TraceID() || !dropped.SpanContext().SpanID().IsValid() {
		t.Errorf("unsampled parent: span recording %v, context %v", dropped.IsRecording(), dropped.SpanContext())
	}
	// A tool's span under an unsampled request is not sampled either.
	_, child := ss.provider.Tracer("tool").Start(ctx, "fetch")
	if child.SpanContext().IsSampled() {
		t.Error("a tool's span under an unsampled request is sampled")
	}
	child.End()
	dropped.End()
	kept.End()
	root := &requestSpan{}
	ss.start(context.Background(), root, "initialize", time.Time{})
	root.End()
	spans := flush()
	if len(spans) != 2 || spans[0].Name() != "ping" || spans[1].Name() != "initialize" {
		t.Fatalf("exported %d spans, want the sampled ping and initialize", len(spans))
	}
	if spans[1].Parent().IsValid() || spans[1].SpanContext().TraceID() == caller.TraceID() {
		t.Errorf("a request without a caller's trace is not a root of a new trace")
	}
}

// TestToolSpans: a tool's own spans, opened through the SDK in the context
// it is given, are children of the request's span and leave with it; what
// the tool records on the request's span is exported.
func TestToolSpans(t *testing.T) {
	recv := newOTLPReceiver(t)
	traceTo(t, recv)
	tel := startTelemetry(t, "http")
	s := newTestServer(tel)
	s.AddTool(mcp.NewTool("fetch"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		request := trace.SpanFromContext(ctx)
		request.AddEvent("cache miss")
		// The server's own attributes are not the tool's to change.
		request.SetAttributes(attribute.String("fetch.url", "https://example.com"), attribute.String("gen_ai.tool.name", "spoofed"))
		_, span := otel.Tracer("fetcher").Start(ctx, "GET example.com", trace.WithSpanKind(trace.SpanKindClient))
		span.RecordError(errors.New("timeout"))
		span.End()
		return mcp.NewToolResultText("ok"), nil
	})
	c := connect(t, s, nil)
	if _, err := callTool(c, "fetch", map[string]any{"traceparent": traceparent(callerTraceID, callerSpanID)}); err != nil {
		t.Fatal(err)
	}
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	var server, client *tracepb.Span
	for _, s := range recv.received() {
		switch s.GetName() {
		case "tools/call fetch":
			server = s
		case "GET example.com":
			client = s
		}
	}
	if server == nil || client == nil {
		t.Fatalf("exported %d spans without the request's and the tool's", len(recv.received()))
	}
	if hex.EncodeToString(client.GetTraceId()) != callerTraceID || hex.EncodeToString(client.GetParentSpanId()) != hex.EncodeToString(server.GetSpanId()) {
		t.Errorf("the tool's span is in trace %x under %x, want %s under the request's %x", client.GetTraceId(), client.GetParentSpanId(), callerTraceID, server.GetSpanId())
	}
	if client.GetKind() != tracepb.Span_SPAN_KIND_CLIENT || len(client.GetEvents()) != 1 {
		t.Errorf("the tool's span: kind %v, events %v", client.GetKind(), client.GetEvents())
	}
	if a := spanAttrs(server); a["fetch.url"] != "https://example.com" || a["gen_ai.tool.name"] != "fetch" {
		t.Errorf("the request's span lacks what the tool set: %v", a)
	}
	if ev := server.GetEvents(); len(ev) != 1 || ev[0].GetName() != "cache miss" {
		t.Errorf("the request's span has events %v, want the tool's cache miss", ev)
	}
}

// TestSamplerFromEnv: OTEL_TRACES_SAMPLER and its argument name the SDK's
// samplers as the SDK reads them; what it cannot read is an error and the
// SDK's fallback. A sampler's rule decides as the sampler does.
func TestSamplerFromEnv(t *testing.T) {
	caller, _ := parseTraceparent(traceparent(callerTraceID, callerSpanID))
	parents := []trace.SpanContext{{}, caller, caller.WithTraceFlags(0)}
	for _, tc := range []struct {
		name, arg string
		want      sdktrace.Sampler
		bad       bool
	}{
		{"", "", sdktrace.ParentBased(sdktrace.AlwaysSample()), false},
		{"always_on", "", sdktrace.AlwaysSample(), false},
		{" Always_Off ", "", sdktrace.NeverSample(), false},
		{"traceidratio", "0.25", sdktrace.TraceIDRatioBased(0.25), false},
		{"traceidratio", "", sdktrace.TraceIDRatioBased(1), false},
		{"traceidratio", "2", sdktrace.TraceIDRatioBased(1), true},
		{"parentbased_always_on", "", sdktrace.ParentBased(sdktrace.AlwaysSample()), false},
		{"parentbased_always_off", "", sdktrace.ParentBased(sdktrace.NeverSample()), false},
		{"parentbased_traceidratio", "0.5", sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.5)), false},
		{"parentbased_traceidratio", "half", sdktrace.ParentBased(sdktrace.TraceIDRatioBased(1)), true},
		{"jaeger_remote", "", sdktrace.ParentBased(sdktrace.AlwaysSample()), true},
	} {
		env := map[string]string{"OTEL_TRACES_SAMPLER": tc.name, "OTEL_TRACES_SAMPLER_ARG": tc.arg}
		got, rule, err := samplerFromEnv(func(k string) string { return env[k] })
		if got.Description() != tc.want.Description() || (err != nil) != tc.bad {
			t.Errorf("%q %q: %s, %v; want %s, error %v", tc.name, tc.arg, got.Description(), err, tc.want.Description(), tc.bad)
		}
		if rule == ruleAsked && !strings.Contains(tc.name, "ratio") {
			t.Errorf("%q: no rule", tc.name)
		}
		for _, p := range parents {
			d, ok := rule.decide(p)
			ctx := trace.ContextWithRemoteSpanContext(context.Background(), p)
			want := got.ShouldSample(sdktrace.SamplingParameters{ParentContext: ctx, TraceID: caller.TraceID()}).Decision
			if ok && d != want {
				t.Errorf("%q, parent %v: rule decides %v, the sampler %v", tc.name, p, d, want)
			}
		}
	}
}

// TestRequestSpanServerAttributes: the server's attributes come first,
// within the span limits as any others, and are encoded as they read.
func TestRequestSpanServerAttributes(t *testing.T) {
	limits := sdktrace.NewSpanLimits()
	limits.AttributeCountLimit = 3
	limits.AttributeValueLengthLimit = 4
	ss, flush := testServerSpans(t, sdktrace.AlwaysSample(), ruleAlwaysOn, limits)
	s := &requestSpan{}
	ss.start(context.Background(), s, "tools/call", time.Time{})
	s.SetAttributes(attribute.String("a", "1"))
	message := "it broke"
	s.finish(&spanShape{name: "tools/call hello", std: requestAttrs{method: "tools/call", transport: "tcp", tool: "hello"}}, "", "", &message)
	spans := flush()
	if len(spans) != 1 {
		t.Fatalf("%d spans exported, want 1", len(spans))
	}
	r := spans[0]
	want := []attribute.KeyValue{attribute.String("mcp.method.name", "tool"), attribute.String("network.transport", "tcp"), attribute.String("gen_ai.tool.name", "hell")}
	if got := r.Attributes(); !slices.Equal(got, want) || r.DroppedAttributes() != 2 {
		t.Errorf("attributes %v, %d dropped; want %v, 2 dropped (gen_ai.operation.name and a)", got, r.DroppedAttributes(), want)
	}
	if st := r.Status(); st.Code != codes.Error || st.Description != message || r.Name() != "tools/call hello" {
		t.Errorf("span %q, status %v", r.Name(), st)
	}

	var got coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(new(spanEncoder).encodeRequest(nil, spans), &got); err != nil {
		t.Fatal(err)
	}
	span := got.GetResourceSpans()[0].GetScopeSpans()[0].GetSpans()[0]
	if a := spanAttrs(span); len(a) != 3 || a["mcp.method.name"] != "tool" || a["gen_ai.tool.name"] != "hell" || span.GetDroppedAttributesCount() != 2 {
		t.Errorf("encoded attributes %v, %d dropped", a, span.GetDroppedAttributesCount())
	}
}

// TestSpanShapeEncoding: a request span whose attributes are the server's
// only is encoded from its shape's bytes exactly as from its strings, and
// one with a tool's attribute too is encoded with all of them.
func TestSpanShapeEncoding(t *testing.T) {
	traceTo(t, newOTLPReceiver(t))
	tel := startTelemetry(t, "http")
	k := operationKey{method: "tools/call", tool: "hello_world", errorType: "-32602", protocol: "2025-11-25", transport: "tcp"}
	shape := tel.shapeOf(k)
	if shape.encoded == nil || shape.name != "tools/call hello_world" || shape.std.statusCode != "-32602" || tel.shapeOf(k) != shape {
		t.Fatalf("shape %+v: want it encoded, named after the tool, with the status code, made once", shape)
	}
	s := &requestSpan{}
	tel.tracer.start(context.Background(), s, "", time.Time{})
	s.finish(shape, "0123456789abcdef", "7", nil)

	var e spanEncoder
	fast := slices.Clone(e.encodeSpan(s))
	s.shape = &spanShape{name: shape.name, std: shape.std} // not encoded
	if got := e.encodeSpan(s); !bytes.Equal(fast, got) {
		t.Errorf("encoded from the shape:\n%x\nfrom the strings:\n%x", fast, got)
	}
	s.shape = shape
	var span tracepb.Span
	if err := proto.Unmarshal(fast, &span); err != nil {
		t.Fatal(err)
	}
	a := spanAttrs(&span)
	if len(a) != 9 || a["mcp.session.id"] != "0123456789abcdef" || a["jsonrpc.request.id"] != "7" || a["rpc.response.status_code"] != "-32602" {
		t.Errorf("attributes %v: want the nine of the shape and the request", a)
	}

	s.extras().attrs = []attribute.KeyValue{attribute.String("db.system.name", "postgresql")}
	if err := proto.Unmarshal(e.encodeSpan(s), &span); err != nil {
		t.Fatal(err)
	}
	if a := spanAttrs(&span); len(a) != 10 || a["db.system.name"] != "postgresql" || a["gen_ai.tool.name"] != "hello_world" {
		t.Errorf("attributes %v: want the server's nine and the tool's", a)
	}
}

func TestTracedOperationSize(t *testing.T) {
	if n := unsafe.Sizeof(tracedOperation{}); n > 512 {
		t.Errorf("an operation and its span take %d bytes, over 512: move what few spans use into spanExtras", n)
	}
}
