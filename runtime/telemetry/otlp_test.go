package telemetry

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestOTLPExporterConfig(t *testing.T) {
	e, err := newOTLPExporter(envOf(map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":    "http://collector:4318/",
		"OTEL_EXPORTER_OTLP_HEADERS":     "x-a=1, authorization=Bearer%20t",
		"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
		"OTEL_EXPORTER_OTLP_TIMEOUT":     "2500",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if e.url != "http://collector:4318/v1/traces" || e.headers.Get("Authorization") != "Bearer t" || e.headers.Get("X-A") != "1" || !e.gzip || e.client.Timeout != 2500*time.Millisecond {
		t.Errorf("exporter %+v", e)
	}
	e, err = newOTLPExporter(envOf(map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":        "http://ignored:4318",
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://traces.example/otlp",
	}))
	if err != nil || e.url != "https://traces.example/otlp" {
		t.Errorf("the traces endpoint is taken as is: %v, %+v", err, e)
	}
	for _, env := range []map[string]string{
		{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_TIMEOUT": "soon"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_HEADERS": "novalue"},
	} {
		if _, err := newOTLPExporter(envOf(env)); err == nil {
			t.Errorf("%v accepted", env)
		}
	}
	_, err = newServerSpans(context.Background(), Options{Getenv: envOf(map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
	})})
	if err == nil || !strings.Contains(err.Error(), "use http/protobuf or grpc") {
		t.Errorf("protocol http/json: %v, want a refusal naming http/protobuf and grpc", err)
	}
}

// TestOTLPEncoding: what the exporter sends decodes, with OpenTelemetry's
// own protobuf types, to the spans it was given, gzipped or not.
func TestOTLPEncoding(t *testing.T) {
	for _, gz := range []bool{false, true} {
		var got coltracepb.ExportTraceServiceRequest
		var headers http.Header
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			headers = r.Header.Clone()
			var body io.Reader = r.Body
			if r.Header.Get("Content-Encoding") == "gzip" {
				zr, err := gzip.NewReader(r.Body)
				if err != nil {
					t.Error(err)
					return
				}
				body = zr
			}
			data, _ := io.ReadAll(body)
			if err := proto.Unmarshal(data, &got); err != nil {
				t.Errorf("not an ExportTraceServiceRequest: %v", err)
			}
		}))
		env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL, "OTEL_EXPORTER_OTLP_HEADERS": "x-tenant=acme"}
		if gz {
			env["OTEL_EXPORTER_OTLP_COMPRESSION"] = "gzip"
		}
		e, err := newOTLPExporter(envOf(env))
		if err != nil {
			t.Fatal(err)
		}
		tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
		sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
		pid, _ := trace.SpanIDFromHex("b7ad6b7169203331")
		start := time.Unix(1700000000, 5)
		stub := tracetest.SpanStub{
			Name:        "tools/call hello_world",
			SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}),
			Parent:      trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: pid, Remote: true}),
			SpanKind:    trace.SpanKindServer,
			StartTime:   start,
			EndTime:     start.Add(time.Millisecond),
			Attributes: []attribute.KeyValue{
				attribute.String("gen_ai.tool.name", "hello_world"),
				attribute.Int("n", -3),
				attribute.Bool("b", true),
				attribute.Float64("f", 0.5),
				attribute.StringSlice("s", []string{"x", "y"}),
			},
			Events:            []sdktrace.Event{{Name: "exception", Time: start, Attributes: []attribute.KeyValue{attribute.String("exception.message", "boom")}, DroppedAttributeCount: 2}},
			Links:             []sdktrace.Link{{SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: pid}), DroppedAttributeCount: 3}},
			Status:            sdktrace.Status{Code: codes.Error, Description: "tool_error"},
			DroppedAttributes: 4,
			DroppedEvents:     5,
			DroppedLinks:      6,
		}
		if err := e.ExportSpans(context.Background(), records(tracetest.SpanStubs{stub})); err != nil {
			t.Fatal(err)
		}
		srv.Close()
		if headers.Get("X-Tenant") != "acme" || headers.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("headers %v", headers)
		}
		rs := got.GetResourceSpans()
		if len(rs) != 1 || len(rs[0].GetScopeSpans()) != 1 || len(rs[0].GetScopeSpans()[0].GetSpans()) != 1 {
			t.Fatalf("gzip %v: request %v", gz, &got)
		}
		s := rs[0].GetScopeSpans()[0].GetSpans()[0]
		if s.GetName() != stub.Name || hex.EncodeToString(s.GetTraceId()) != tid.String() || hex.EncodeToString(s.GetSpanId()) != sid.String() ||
			hex.EncodeToString(s.GetParentSpanId()) != pid.String() || s.GetKind() != tracepb.Span_SPAN_KIND_SERVER ||
			s.GetStartTimeUnixNano() != uint64(start.UnixNano()) || s.GetEndTimeUnixNano() != uint64(start.Add(time.Millisecond).UnixNano()) ||
			s.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_ERROR || s.GetStatus().GetMessage() != "tool_error" || s.GetFlags()&0xff != 1 {
			t.Errorf("gzip %v: span %v", gz, s)
		}
		var attrs []string
		for _, kv := range s.GetAttributes() {
			attrs = append(attrs, kv.GetKey()+"="+kv.GetValue().String())
		}
		want := `gen_ai.tool.name=string_value:"hello_world" n=int_value:-3 b=bool_value:true f=double_value:0.5 s=array_value:{values:{string_value:"x"} values:{string_value:"y"}}`
		if got := strings.Join(attrs, " "); strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(want), " ") {
			t.Errorf("attributes\n got %s\nwant %s", got, want)
		}
		if len(s.GetEvents()) != 1 || s.GetEvents()[0].GetName() != "exception" || len(s.GetLinks()) != 1 {
			t.Errorf("events %v, links %v", s.GetEvents(), s.GetLinks())
		}
		if s.GetDroppedAttributesCount() != 4 || s.GetDroppedEventsCount() != 5 || s.GetDroppedLinksCount() != 6 ||
			s.GetEvents()[0].GetDroppedAttributesCount() != 2 || s.GetLinks()[0].GetDroppedAttributesCount() != 3 {
			t.Errorf("gzip %v: the counts of what the limits dropped are not those of the span: %v", gz, s)
		}
	}
}

// TestOTLPEncodingBatch: spans of different sizes in one request, each
// with its own attributes, empty strings included.
func TestOTLPEncodingBatch(t *testing.T) {
	var stubs tracetest.SpanStubs
	for i, n := range []int{0, 1, 40, 3} {
		stub := tracetest.SpanStub{Name: fmt.Sprintf("span-%d", i), SpanKind: trace.SpanKindServer}
		for j := range n {
			stub.Attributes = append(stub.Attributes, attribute.String(fmt.Sprintf("k%d", j), strings.Repeat("v", j)))
		}
		stubs = append(stubs, stub)
	}
	var got coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(new(spanEncoder).encodeRequest(nil, records(stubs)), &got); err != nil {
		t.Fatalf("not an ExportTraceServiceRequest: %v", err)
	}
	spans := got.GetResourceSpans()[0].GetScopeSpans()[0].GetSpans()
	if len(spans) != len(stubs) {
		t.Fatalf("%d spans, want %d", len(spans), len(stubs))
	}
	for i, s := range spans {
		if s.GetName() != stubs[i].Name || len(s.GetAttributes()) != len(stubs[i].Attributes) {
			t.Errorf("span %d: %s with %d attributes, want %s with %d", i, s.GetName(), len(s.GetAttributes()), stubs[i].Name, len(stubs[i].Attributes))
			continue
		}
		for j, kv := range s.GetAttributes() {
			v, ok := kv.GetValue().GetValue().(*commonpb.AnyValue_StringValue)
			if kv.GetKey() != fmt.Sprintf("k%d", j) || !ok || v.StringValue != strings.Repeat("v", j) {
				t.Errorf("span %d attribute %d: %v", i, j, kv)
			}
		}
	}
}

// TestOTLPExportFailure: an endpoint answering an error is an error.
func TestOTLPExportFailure(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "nope", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	e, err := newOTLPExporter(envOf(map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": srv.URL + "/v1/traces"}))
	if err != nil {
		t.Fatal(err)
	}
	err = e.ExportSpans(context.Background(), records(tracetest.SpanStubs{{Name: "x"}}))
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("export to a failing endpoint: %v", err)
	}
	_ = e.Shutdown(context.Background())
	if err := e.ExportSpans(context.Background(), records(tracetest.SpanStubs{{Name: "x"}})); err != nil {
		t.Errorf("export after Shutdown: %v, want nothing done", err)
	}
}

// TestOTLPExportReusesBuffer: once the transport is done with a request's
// body, the next export encodes into the same buffer, and each request
// carries its own spans; a redirect to the endpoint sends the same body
// again.
func TestOTLPExportReusesBuffer(t *testing.T) {
	recv := newOTLPReceiver(t)
	redirect := httptest.NewServer(http.RedirectHandler(recv.srv.URL+"/v1/traces", http.StatusTemporaryRedirect))
	defer redirect.Close()
	e, err := newOTLPExporter(envOf(map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": redirect.URL + "/v1/traces"}))
	if err != nil {
		t.Fatal(err)
	}
	var first *byte
	for _, name := range []string{"first", "second", "third"} {
		if err := e.ExportSpans(context.Background(), records(tracetest.SpanStubs{{Name: name}, {Name: name}})); err != nil {
			t.Fatal(err)
		}
		if cap(e.spare) == 0 {
			t.Fatalf("after the %s export, no buffer is kept for the next", name)
		}
		if first == nil {
			first = &e.spare[:1][0]
		} else if &e.spare[:1][0] != first {
			t.Errorf("the %s export encoded into a new buffer", name)
		}
	}
	var names []string
	for _, s := range recv.received() {
		names = append(names, s.GetName())
	}
	if want := []string{"first", "first", "second", "second", "third", "third"}; !slices.Equal(names, want) {
		t.Errorf("received %v, want %v", names, want)
	}
}

// BenchmarkEncodeSpans is the encoding of one export batch (the batch
// processor's default size) by an exporter's encoder, as it is reused from
// batch to batch: of spans the SDK recorded (a tool's), and of the
// requests' SERVER spans.
func BenchmarkEncodeSpans(b *testing.B) {
	bench := func(b *testing.B, spans []spanRecord) {
		var e spanEncoder
		var out []byte
		b.ReportAllocs()
		for b.Loop() {
			out = e.encodeRequest(out[:0], spans)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(spans)), "ns/span")
	}
	b.Run("sdk", func(b *testing.B) {
		stub := tracetest.SpanStub{
			Name:     "tools/call hello_world",
			SpanKind: trace.SpanKindServer,
			Attributes: []attribute.KeyValue{
				attribute.String("mcp.method.name", "tools/call"), attribute.String("network.transport", "tcp"),
				attribute.String("mcp.protocol.version", "2025-11-25"), attribute.String("mcp.session.id", "0123456789abcdef0123456789abcdef"),
				attribute.String("jsonrpc.request.id", "42"), attribute.String("gen_ai.tool.name", "hello_world"),
				attribute.String("gen_ai.operation.name", "execute_tool"),
			},
		}
		stubs := make(tracetest.SpanStubs, 512)
		for i := range stubs {
			stubs[i] = stub
		}
		bench(b, records(stubs))
	})
	b.Run("request", func(b *testing.B) {
		sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
		}))
		defer sink.Close()
		env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": sink.URL, "OTEL_TRACES_SAMPLER": "always_on"}
		tel := Start(context.Background(), Options{Service: "bench", Version: "1", Transport: "http", Logger: slog.New(slog.DiscardHandler), Getenv: func(k string) string { return env[k] }})
		defer tel.Shutdown(context.Background())
		shape := tel.shapeOf(operationKey{method: "tools/call", tool: "hello_world", protocol: "2025-11-25", transport: "tcp"})
		spans := make([]spanRecord, 512)
		for i := range spans {
			s := &requestSpan{}
			tel.tracer.start(context.Background(), s, "", time.Time{})
			s.finish(shape, "0123456789abcdef0123456789abcdef", strconv.Itoa(i), nil)
			spans[i] = s
		}
		bench(b, spans)
	})
}
