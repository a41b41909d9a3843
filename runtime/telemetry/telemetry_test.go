package telemetry

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/mcpforge/mcpforge/runtime/envelope"
	"github.com/mcpforge/mcpforge/runtime/promptargs"
)

// TestOperationMetrics: real calls by a real client, a failing one among
// them, show up in the histogram with the convention's labels and buckets,
// and nothing a client names that the server does not know becomes a label;
// the same whether mcp-go's tracer times the requests (stdio) or its
// request hooks do (HTTP, where the transport says when each request
// arrived), traced or not.
func TestOperationMetrics(t *testing.T) {
	t.Run("tracer", func(t *testing.T) {
		tel := startTelemetry(t, "http")
		if tel.fromHooks() {
			t.Fatal("requests are timed by hooks without Options.Received")
		}
		testOperationMetrics(t, tel)
	})
	t.Run("hooks", func(t *testing.T) {
		tel := Start(context.Background(), Options{Service: "test", Version: "1.0.0", Transport: "http", Logger: testLogger(t),
			Getenv:   func(string) string { return "" },
			Received: func(context.Context) time.Time { return time.Now().Add(-time.Millisecond) }})
		t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
		if !tel.fromHooks() {
			t.Fatal("requests are not timed by hooks with Options.Received, tracing off")
		}
		testOperationMetrics(t, tel)
	})
	// Tracing on: the tracer's spans, or the spans spanStarter opens and
	// the hooks end, carry the metrics' labels; and with no request
	// sampled, the spans record nothing and the metrics count every
	// request all the same.
	for _, timing := range []string{"tracer", "hooks"} {
		for _, sampler := range []string{"always_on", "always_off"} {
			t.Run("traced/"+timing+"/"+sampler, func(t *testing.T) {
				recv := newOTLPReceiver(t)
				traceTo(t, recv)
				t.Setenv("OTEL_TRACES_SAMPLER", sampler)
				tel := startTelemetry(t, "http")
				if timing == "hooks" {
					tel = startReceived(t)
				}
				if tel.tracer == nil {
					t.Fatal("tracing is off with an OTLP endpoint")
				}
				testOperationMetrics(t, tel)
				if err := tel.Shutdown(context.Background()); err != nil {
					t.Fatal(err)
				}
				n := len(recv.received())
				if sampler == "always_off" && n != 0 {
					t.Errorf("%d spans exported with always_off", n)
				}
				// initialize, 3 hello_world, broken, 2 unknown tools, 2
				// prompts/get, the unknown method and the refused prompt.
				if sampler == "always_on" && n != 11 {
					t.Errorf("%d spans exported with always_on, want one per request, 11", n)
				}
			})
		}
	}
}

func testOperationMetrics(t *testing.T, tel *Telemetry) {
	s := newTestServer(tel)
	c := connect(t, s, nil)

	for range 3 {
		if _, err := callTool(c, "hello_world", nil); err != nil {
			t.Fatal(err)
		}
	}
	res, err := callTool(c, "broken", nil)
	if err != nil || !res.IsError {
		t.Fatalf("broken: %v, %+v; want a result with isError", err, res)
	}
	if _, err := callTool(c, "no-such-tool-1", nil); err == nil {
		t.Fatal("calling an unknown tool succeeded")
	}
	if _, err := callTool(c, "no-such-tool-2", nil); err == nil {
		t.Fatal("calling an unknown tool succeeded")
	}
	get := mcp.GetPromptRequest{}
	get.Params.Name = "greeting"
	if _, err := c.GetPrompt(context.Background(), get); err != nil {
		t.Fatal(err)
	}
	get.Params.Name = "no-such-prompt"
	if _, err := c.GetPrompt(context.Background(), get); err == nil {
		t.Fatal("getting an unknown prompt succeeded")
	}
	// A method mcp-go does not have: answered without a hook. Its envelope
	// is in the context, as the HTTP server puts it there.
	unknown := []byte(`{"jsonrpc":"2.0","id":9,"method":"no/such-method","params":{}}`)
	env := envelope.Parse(unknown)
	if resp, ok := s.HandleMessage(envelope.WithHolder(context.Background(), &env), unknown).(mcp.JSONRPCError); !ok || resp.Error.Code != mcp.METHOD_NOT_FOUND {
		t.Fatalf("no/such-method answered %+v, want -32601", resp)
	}
	// A prompts/get the argument checker answered before mcp-go saw it.
	tel.PromptRefused(promptargs.Refusal{Prompt: "greeting", Protocol: mcp.LATEST_LEGACY_PROTOCOL_VERSION, Code: mcp.INVALID_PARAMS, Start: time.Now().Add(-time.Millisecond)})

	mfs := scrape(t, tel)
	base := map[string]string{"mcp_protocol_version": mcp.LATEST_LEGACY_PROTOCOL_VERSION, "network_transport": "tcp"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tt := range []struct {
		labels map[string]string
		count  uint64
	}{
		{with("mcp_method_name", "tools/call", "gen_ai_tool_name", "hello_world", "error_type", ""), 3},
		{with("mcp_method_name", "tools/call", "gen_ai_tool_name", "broken", "error_type", ToolError), 1},
		// Both unknown tools share one series: their names are not labels.
		{with("mcp_method_name", "tools/call", "gen_ai_tool_name", Other, "error_type", fmt.Sprint(mcp.INVALID_PARAMS)), 2},
		{with("mcp_method_name", "prompts/get", "gen_ai_prompt_name", "greeting", "error_type", ""), 1},
		{with("mcp_method_name", "prompts/get", "gen_ai_prompt_name", "greeting", "error_type", fmt.Sprint(mcp.INVALID_PARAMS)), 1},
		{with("mcp_method_name", "prompts/get", "gen_ai_prompt_name", Other), 1},
		{with("mcp_method_name", "initialize", "error_type", ""), 1},
		{map[string]string{"mcp_method_name": Other, "error_type": fmt.Sprint(mcp.METHOD_NOT_FOUND), "network_transport": "tcp"}, 1},
	} {
		m := series(mfs, MetricOperationDuration, tt.labels)
		if m == nil {
			t.Errorf("no %s series with %v; have:\n%s", MetricOperationDuration, tt.labels, dump(mfs[MetricOperationDuration].GetMetric()))
			continue
		}
		if got := m.GetHistogram().GetSampleCount(); got != tt.count {
			t.Errorf("%v: count %d, want %d", tt.labels, got, tt.count)
		}
	}
	for _, m := range mfs[MetricOperationDuration].GetMetric() {
		for _, l := range m.GetLabel() {
			if strings.Contains(l.GetValue(), "no-such") {
				t.Errorf("label %s=%q: a name the client made up became a label value", l.GetName(), l.GetValue())
			}
		}
		var bounds []float64
		for _, b := range m.GetHistogram().GetBucket() {
			bounds = append(bounds, b.GetUpperBound())
		}
		if !slices.Equal(bounds, append(slices.Clone(durationBuckets), math.Inf(1))) {
			t.Errorf("buckets %v, want the convention's %v", bounds, durationBuckets)
		}
	}
	var names []string
	for _, l := range mfs[MetricOperationDuration].GetMetric()[0].GetLabel() {
		names = append(names, l.GetName())
	}
	if want := slices.Sorted(slices.Values(operationLabels)); !slices.Equal(names, want) {
		t.Errorf("labels %v, want %v", names, want)
	}
	if series(mfs, MetricBuildInfo, map[string]string{"service_name": "test", "service_version": "1.0.0"}).GetGauge().GetValue() != 1 {
		t.Errorf("%s{service_name=test,service_version=1.0.0} is not 1", MetricBuildInfo)
	}
	if mfs["go_goroutines"] == nil || mfs["process_cpu_seconds_total"] == nil {
		t.Error("Go runtime or process metrics are missing")
	}
}

func dump[T fmt.Stringer](ms []T) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString(m.String() + "\n")
	}
	return b.String()
}

// TestSessionDuration: a session that ends is recorded once.
func TestSessionDuration(t *testing.T) {
	tel := startTelemetry(t, "http")
	c := connect(t, newTestServer(tel), nil)
	if series(scrape(t, tel), MetricSessionDuration, nil) != nil {
		t.Fatal("a session duration was recorded while the session is open")
	}
	if err := c.Close(); err != nil { // DELETE ends the session
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		m := series(scrape(t, tel), MetricSessionDuration, map[string]string{"network_transport": "tcp", "mcp_protocol_version": mcp.LATEST_LEGACY_PROTOCOL_VERSION})
		if m != nil && m.GetHistogram().GetSampleCount() == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no session duration after the session ended: %v", m)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestObservers: what auth, oauth and httpserver report is counted, with
// unknown values folded into _OTHER.
func TestObservers(t *testing.T) {
	tel := startTelemetry(t, "http")
	tel.AuthFailed("expired")
	tel.AuthFailed("expired")
	tel.AuthFailed("made-up")
	tel.JWKSFetched(nil)
	tel.JWKSFetched(errors.New("down"))
	tel.RelayFetched(errors.New("down"))
	tel.HTTPRequest("POST", "/mcp", 200, 3*time.Millisecond)
	tel.HTTPRequest("BREW", "", 418, time.Millisecond)

	mfs := scrape(t, tel)
	for _, tt := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{MetricAuthFailures, map[string]string{"reason": "expired"}, 2},
		{MetricAuthFailures, map[string]string{"reason": Other}, 1},
		{MetricAuthFailures, map[string]string{"reason": "signature"}, 0},
		{MetricJWKSFetches, map[string]string{"result": "ok"}, 1},
		{MetricJWKSFetches, map[string]string{"result": "error"}, 1},
		{MetricRelayFetches, map[string]string{"result": "error"}, 1},
		{MetricRelayFetches, map[string]string{"result": "ok"}, 0},
	} {
		m := series(mfs, tt.name, tt.labels)
		if m == nil || m.GetCounter().GetValue() != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, m, tt.want)
		}
	}
	if m := series(mfs, MetricHTTPDuration, map[string]string{"http_request_method": "POST", "http_route": "/mcp", "http_response_status_code": "200"}); m.GetHistogram().GetSampleCount() != 1 {
		t.Errorf("POST /mcp 200 not recorded: %v", m)
	}
	if m := series(mfs, MetricHTTPDuration, map[string]string{"http_request_method": Other, "http_route": Other, "http_response_status_code": "418"}); m.GetHistogram().GetSampleCount() != 1 {
		t.Errorf("an unknown method and route are not _OTHER: %v", m)
	}
}

// TestRecordingAllocatesNothing: once a label combination has been seen,
// recording a call allocates nothing.
func TestRecordingAllocatesNothing(t *testing.T) {
	tel := startTelemetry(t, "http")
	op := &operation{t: tel, start: time.Now(), method: "tools/call", tool: "hello_world", protocol: mcp.LATEST_LEGACY_PROTOCOL_VERSION}
	op.End()
	if n := testing.AllocsPerRun(1000, op.End); n != 0 {
		t.Errorf("recording a tools/call allocates %v times, want 0", n)
	}
	failed := &operation{t: tel, start: time.Now(), method: "tools/call", tool: "nope", unknown: true, errSet: true, errCode: mcp.INVALID_PARAMS}
	failed.End()
	if n := testing.AllocsPerRun(1000, failed.End); n != 0 {
		t.Errorf("recording a failed tools/call allocates %v times, want 0", n)
	}

	// Timed by the request hooks (fromHooks).
	arrived := time.Now()
	hooked := Start(context.Background(), Options{Service: "test", Version: "1.0.0", Transport: "http", Logger: testLogger(t),
		Getenv: func(string) string { return "" }, Received: func(context.Context) time.Time { return arrived }})
	t.Cleanup(func() { _ = hooked.Shutdown(context.Background()) })
	var req mcp.CallToolRequest
	req.Params.Name = "hello_world"
	var message, result any = &req, mcp.NewToolResultText("hi")
	ctx := context.Background()
	answer := func() { hooked.answered(ctx, float64(1), mcp.MethodToolsCall, message, result, nil) }
	answer()
	if n := testing.AllocsPerRun(1000, answer); n != 0 {
		t.Errorf("recording a tools/call from the hooks allocates %v times, want 0", n)
	}
}

// BenchmarkRecordOperation is the cost of recording one call.
func BenchmarkRecordOperation(b *testing.B) {
	tel := Start(context.Background(), Options{Service: "bench", Version: "1", Transport: "http", Logger: slog.New(slog.DiscardHandler)})
	defer tel.Shutdown(context.Background())
	op := &operation{t: tel, start: time.Now(), method: "tools/call", tool: "hello_world"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			op.End()
		}
	})
}

// TestMetricsListener: the endpoint serves /metrics on its own address,
// and one that cannot bind is logged and leaves the rest working.
func TestMetricsListener(t *testing.T) {
	tel := Start(context.Background(), Options{Service: "test", Version: "1", Transport: "http", MetricsAddr: "127.0.0.1:0", Logger: testLogger(t)})
	defer tel.Shutdown(context.Background())
	addr := tel.MetricsAddr()
	if addr == "" {
		t.Fatal("no metrics listener")
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	mfs := parseMetrics(t, resp.Body)
	resp.Body.Close()
	if mfs[MetricBuildInfo] == nil {
		t.Errorf("GET /metrics lacks %s", MetricBuildInfo)
	}

	var log bytes.Buffer
	busy := Start(context.Background(), Options{Service: "test", Version: "1", Transport: "http", MetricsAddr: addr, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	defer busy.Shutdown(context.Background())
	if busy.MetricsAddr() != "" {
		t.Error("a second listener bound an address in use")
	}
	if !strings.Contains(log.String(), "level=ERROR") || !strings.Contains(log.String(), "metrics_addr") {
		t.Errorf("a listener that cannot bind is not logged as an error naming the key: %s", log.String())
	}
	busy.AuthFailed("missing") // still records
}

// TestShutdownClosesListener: after Shutdown the metrics port is free.
func TestShutdownClosesListener(t *testing.T) {
	tel := Start(context.Background(), Options{Service: "test", Version: "1", Transport: "http", MetricsAddr: "127.0.0.1:0", Logger: testLogger(t)})
	addr := tel.MetricsAddr()
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("metrics address still in use after Shutdown: %v", err)
	}
	ln.Close()
}

const (
	callerTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpanID  = "00f067aa0ba902b7"
	headerTraceID = "0af7651916cd43dd8448eb211c80319c"
	headerSpanID  = "b7ad6b7169203331"
)

func traceparent(traceID, spanID string) string { return "00-" + traceID + "-" + spanID + "-01" }

// TestSpans: each request is one SERVER span named after its method and
// target, parented by the caller's _meta.traceparent, else by the HTTP
// traceparent header, and flushed on Shutdown; whether mcp-go's tracer
// opens it (stdio) or spanStarter does and the hooks end it (HTTP).
func TestSpans(t *testing.T) {
	t.Run("tracer", func(t *testing.T) { testRequestSpans(t, false) })
	t.Run("hooks", func(t *testing.T) { testRequestSpans(t, true) })
}

// TestSpansWithoutSessionHeaders: a traced request that carries neither
// Mcp-Session-Id nor MCP-Protocol-Version, as on the legacy SSE transport
// whose session is in the query, gets both from its context.
func TestSpansWithoutSessionHeaders(t *testing.T) {
	recv := newOTLPReceiver(t)
	traceTo(t, recv)
	tel := startReceived(t)
	hs := httptest.NewServer(server.NewSSEServer(newTestServer(tel)))
	t.Cleanup(hs.Close)
	c, err := client.NewSSEMCPClient(hs.URL + "/sse")
	if err != nil {
		t.Fatal(err)
	}
	initialize(t, c)
	if _, err := callTool(c, "hello_world", nil); err != nil {
		t.Fatal(err)
	}
	sse, ok := c.GetTransport().(*transport.SSE)
	if !ok {
		t.Fatalf("the SSE client's transport is a %T", c.GetTransport())
	}
	session := sse.GetEndpoint().Query().Get("sessionId")
	if session == "" {
		t.Fatalf("the SSE endpoint %s has no session id", sse.GetEndpoint())
	}
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	a := spanAttrs(spanNamed(t, recv, "tools/call hello_world"))
	if a["mcp.session.id"] != session || a["mcp.protocol.version"] != mcp.LATEST_LEGACY_PROTOCOL_VERSION {
		t.Errorf("hello_world span over SSE: mcp.session.id %q, mcp.protocol.version %q; want %q and %q",
			a["mcp.session.id"], a["mcp.protocol.version"], session, mcp.LATEST_LEGACY_PROTOCOL_VERSION)
	}
}

func testRequestSpans(t *testing.T, hooks bool) {
	recv := newOTLPReceiver(t)
	traceTo(t, recv)
	tel := startTelemetry(t, "http")
	if hooks {
		tel = startReceived(t)
	}
	if tel.tracer == nil {
		t.Fatal("tracing is off with OTEL_EXPORTER_OTLP_ENDPOINT set")
	}
	s := newTestServer(tel)
	c := connect(t, s, map[string]string{"traceparent": traceparent(headerTraceID, headerSpanID)})

	if _, err := callTool(c, "hello_world", map[string]any{"traceparent": traceparent(callerTraceID, callerSpanID)}); err != nil {
		t.Fatal(err)
	}
	if _, err := callTool(c, "broken", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := callTool(c, "no-such-tool", nil); err == nil {
		t.Fatal("calling an unknown tool succeeded")
	}
	// A method mcp-go does not have, answered without a hook; its envelope
	// is in the context, as the HTTP server puts it there.
	unknown := []byte(`{"jsonrpc":"2.0","id":"u-1","method":"no/such-method","params":{"_meta":{"traceparent":"` + traceparent(callerTraceID, callerSpanID) + `"}}}`)
	env := envelope.Parse(unknown)
	if resp, ok := s.HandleMessage(envelope.WithHolder(context.Background(), &env), unknown).(mcp.JSONRPCError); !ok || resp.Error.Code != mcp.METHOD_NOT_FOUND {
		t.Fatalf("no/such-method answered %+v, want -32601", resp)
	}
	// A prompts/get the argument checker refused, which mcp-go never saw:
	// one with the caller's trace context in _meta and the header, one with
	// the header only.
	refused := promptargs.Refusal{
		Prompt: "greeting", Protocol: mcp.LATEST_LEGACY_PROTOCOL_VERSION, ID: float64(41),
		Code: mcp.INVALID_PARAMS, Message: "missing required argument", SessionID: "s-1",
		Meta:   &mcp.Meta{AdditionalFields: map[string]any{"traceparent": traceparent(callerTraceID, callerSpanID)}},
		Header: http.Header{"Traceparent": {traceparent(headerTraceID, headerSpanID)}},
		Start:  time.Now().Add(-time.Millisecond),
	}
	tel.PromptRefused(refused)
	refused.Meta = nil
	tel.PromptRefused(refused)
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	var prompts []*tracepb.Span
	byName := map[string]*tracepb.Span{}
	for _, s := range recv.received() {
		if s.GetKind() != tracepb.Span_SPAN_KIND_SERVER {
			t.Errorf("span %q has kind %v, want SERVER only", s.GetName(), s.GetKind())
		}
		byName[s.GetName()] = s
		if s.GetName() == "prompts/get greeting" {
			prompts = append(prompts, s)
		}
	}
	if len(prompts) != 2 {
		t.Fatalf("%d spans \"prompts/get greeting\", want 2 (the refused requests); got %v", len(prompts), keys(byName))
	}
	for i, want := range []string{callerTraceID, headerTraceID} {
		p := prompts[i]
		if got := hex.EncodeToString(p.GetTraceId()); got != want {
			t.Errorf("refused prompts/get %d: trace id %s, want %s", i, got, want)
		}
		a := spanAttrs(p)
		for k, v := range map[string]string{
			"mcp.method.name": "prompts/get", "gen_ai.prompt.name": "greeting", "error.type": "-32602",
			"rpc.response.status_code": "-32602", "jsonrpc.request.id": "41", "mcp.session.id": "s-1",
			"network.transport": "tcp", "mcp.protocol.version": mcp.LATEST_LEGACY_PROTOCOL_VERSION,
		} {
			if a[k] != v {
				t.Errorf("refused prompts/get %d: %s = %q, want %q", i, k, a[k], v)
			}
		}
		if p.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_ERROR || p.GetStatus().GetMessage() != "missing required argument" {
			t.Errorf("refused prompts/get %d: status %v, want ERROR with the message", i, p.GetStatus())
		}
		if d := time.Duration(p.GetEndTimeUnixNano() - p.GetStartTimeUnixNano()); d < time.Millisecond {
			t.Errorf("refused prompts/get %d lasted %v, want from the check's start (1ms before)", i, d)
		}
	}
	hello := byName["tools/call hello_world"]
	if hello == nil {
		t.Fatalf("no span \"tools/call hello_world\"; got %v", keys(byName))
	}
	if got := hex.EncodeToString(hello.GetTraceId()); got != callerTraceID {
		t.Errorf("hello_world span: trace id %s, want the _meta traceparent's %s", got, callerTraceID)
	}
	if got := hex.EncodeToString(hello.GetParentSpanId()); got != callerSpanID {
		t.Errorf("hello_world span: parent %s, want %s", got, callerSpanID)
	}
	a := spanAttrs(hello)
	for k, v := range map[string]string{
		"mcp.method.name": "tools/call", "gen_ai.tool.name": "hello_world", "gen_ai.operation.name": "execute_tool",
		"network.transport": "tcp", "mcp.protocol.version": mcp.LATEST_LEGACY_PROTOCOL_VERSION,
	} {
		if a[k] != v {
			t.Errorf("hello_world span: %s = %q, want %q", k, a[k], v)
		}
	}
	if a["mcp.session.id"] == "" || a["jsonrpc.request.id"] == "" {
		t.Errorf("hello_world span lacks mcp.session.id or jsonrpc.request.id: %v", a)
	}

	broken := byName["tools/call broken"]
	if broken == nil {
		t.Fatalf("no span \"tools/call broken\"; got %v", keys(byName))
	}
	if got := hex.EncodeToString(broken.GetTraceId()); got != headerTraceID {
		t.Errorf("broken span: trace id %s, want the HTTP header's %s", got, headerTraceID)
	}
	if spanAttrs(broken)["error.type"] != ToolError || broken.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_ERROR {
		t.Errorf("broken span: error.type %q, status %v; want tool_error and ERROR", spanAttrs(broken)["error.type"], broken.GetStatus())
	}
	if byName["initialize"] == nil {
		t.Errorf("no initialize span; got %v", keys(byName))
	}
	unknownTool := byName["tools/call"]
	if unknownTool == nil {
		t.Fatalf("no span \"tools/call\" (a tool the server does not have is no target); got %v", keys(byName))
	}
	a = spanAttrs(unknownTool)
	if a["gen_ai.tool.name"] != Other || a["error.type"] != fmt.Sprint(mcp.INVALID_PARAMS) || a["rpc.response.status_code"] != fmt.Sprint(mcp.INVALID_PARAMS) ||
		unknownTool.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_ERROR || !strings.Contains(unknownTool.GetStatus().GetMessage(), "no-such-tool") {
		t.Errorf("span of an unknown tool: attributes %v, status %v; want _OTHER, -32602 and ERROR with the response's message", a, unknownTool.GetStatus())
	}
	method := byName[Other]
	if method == nil {
		t.Fatalf("no span %q of the unknown method; got %v", Other, keys(byName))
	}
	a = spanAttrs(method)
	// mcp-go's tracer does not say the request's id, which the hooks read
	// from the envelope.
	if got := hex.EncodeToString(method.GetTraceId()); got != callerTraceID || a["mcp.method.name"] != Other || a["error.type"] != fmt.Sprint(mcp.METHOD_NOT_FOUND) ||
		(hooks && a["jsonrpc.request.id"] != "u-1") || method.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_ERROR {
		t.Errorf("span of the unknown method: trace id %s, attributes %v, status %v; want the _meta's trace, _OTHER, -32601, the id and ERROR", got, a, method.GetStatus())
	}
}

func keys[V any](m map[string]V) []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
}

// TestStdioSpans: on stdio the _meta traceparent is the parent too, the
// transport is pipe, and the tool's context carries the span, which log
// records made with it name.
func TestStdioSpans(t *testing.T) {
	recv := newOTLPReceiver(t)
	traceTo(t, recv)
	tel := startTelemetry(t, "stdio")
	s := newTestServer(tel)
	records := make(recordsTo, 1)
	logger := slog.New(LogHandler(records))
	s.AddTool(mcp.NewTool("logs"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		logger.InfoContext(ctx, "inside the tool")
		return mcp.NewToolResultText("ok"), nil
	})

	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.NewStdioServer(s).Listen(ctx, inR, outW) }()
	go func() { _, _ = io.Copy(io.Discard, outR) }()

	msgs := []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"logs","_meta":{"traceparent":"` + traceparent(callerTraceID, callerSpanID) + `"}}}`,
	}
	for _, m := range msgs {
		if _, err := io.WriteString(inW, m+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	var logged slog.Record
	select {
	case logged = <-records:
	case <-time.After(5 * time.Second):
		t.Fatal("the tool did not run")
	}
	time.Sleep(50 * time.Millisecond) // the span ends once the response is written
	cancel()
	inW.Close()
	<-done
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	span := spanNamed(t, recv, "tools/call logs")
	if got := hex.EncodeToString(span.GetTraceId()); got != callerTraceID {
		t.Errorf("stdio span: trace id %s, want %s", got, callerTraceID)
	}
	if spanAttrs(span)["network.transport"] != "pipe" {
		t.Errorf("stdio span: network.transport %q, want pipe", spanAttrs(span)["network.transport"])
	}
	if a := attrsOf(logged); a["trace_id"] != callerTraceID || a["span_id"] != hex.EncodeToString(span.GetSpanId()) {
		t.Errorf("the tool's log record has trace_id %q and span_id %q, want its span's %s and %x", a["trace_id"], a["span_id"], callerTraceID, span.GetSpanId())
	}
}

// TestTracingOff: without an endpoint, no tracer is set up.
func TestTracingOff(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	if tel := startTelemetry(t, "http"); tel.tracer != nil {
		t.Error("tracing is on without an OTLP endpoint")
	}
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
	t.Setenv("OTEL_SDK_DISABLED", "true")
	if tel := startTelemetry(t, "http"); tel.tracer != nil {
		t.Error("tracing is on with OTEL_SDK_DISABLED=true")
	}
}

// BenchmarkHandleMessage is the cost of one tools/call through mcp-go
// without telemetry, with metrics, and with metrics and every call traced
// to an OTLP endpoint: the CPU observability adds to a call, without the
// HTTP around it.
func BenchmarkHandleMessage(b *testing.B) {
	msg := []byte(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"hello_world","_meta":{"traceparent":"` + traceparent(callerTraceID, callerSpanID) + `"}}}`)
	run := func(b *testing.B, s *server.MCPServer) {
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if resp := s.HandleMessage(ctx, msg); resp == nil {
				b.Fatal("no response")
			}
		}
	}
	b.Run("off", func(b *testing.B) {
		s := server.NewMCPServer("bench", "1", server.WithToolCapabilities(false))
		s.AddTool(mcp.NewTool("hello_world"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText("hello"), nil
		})
		run(b, s)
	})
	b.Run("metrics", func(b *testing.B) {
		tel := Start(context.Background(), Options{Service: "bench", Version: "1", Transport: "http", Logger: slog.New(slog.DiscardHandler), Getenv: func(string) string { return "" }})
		defer tel.Shutdown(context.Background())
		run(b, newTestServer(tel))
	})
	// As generated HTTP servers record them: timed from the request's
	// arrival by mcp-go's request hooks, without its tracer.
	b.Run("metrics-hooks", func(b *testing.B) {
		arrived := time.Now()
		tel := Start(context.Background(), Options{Service: "bench", Version: "1", Transport: "http", Logger: slog.New(slog.DiscardHandler), Getenv: func(string) string { return "" },
			Received: func(context.Context) time.Time { return arrived }})
		defer tel.Shutdown(context.Background())
		run(b, newTestServer(tel))
	})
	b.Run("traced", func(b *testing.B) {
		sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/x-protobuf")
		}))
		defer sink.Close()
		b.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", sink.URL)
		b.Setenv("OTEL_TRACES_SAMPLER", "always_on")
		tel := Start(context.Background(), Options{Service: "bench", Version: "1", Transport: "http", Logger: slog.New(slog.DiscardHandler)})
		defer tel.Shutdown(context.Background())
		run(b, newTestServer(tel))
	})
}

// TestReceivedStartsTheDuration: with Options.Received, a request's
// duration counts from when the transport received it, traced or not;
// without a time from it (zero), from when mcp-go began the request.
func TestReceivedStartsTheDuration(t *testing.T) {
	t.Run("hooks", func(t *testing.T) {
		testReceivedStartsTheDuration(t, func(string) string { return "" }, nil)
	})
	t.Run("traced", func(t *testing.T) {
		r := newOTLPReceiver(t)
		traceTo(t, r)
		testReceivedStartsTheDuration(t, nil, r)
	})
}

// testReceivedStartsTheDuration checks the durations recorded and, with
// spans (tracing on), the spans exported.
func testReceivedStartsTheDuration(t *testing.T, getenv func(string) string, spans *otlpReceiver) {
	type arrival struct{}
	tel := Start(context.Background(), Options{Service: "test", Version: "1.0.0", Transport: "http", Logger: testLogger(t),
		Getenv: getenv,
		Received: func(ctx context.Context) time.Time {
			at, _ := ctx.Value(arrival{}).(time.Time)
			return at
		}})
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	if traced := getenv == nil; (tel.tracer != nil) != traced || !tel.fromHooks() {
		t.Fatalf("tracing %v (want %v), timed by hooks %v", tel.tracer != nil, traced, tel.fromHooks())
	}
	s := newTestServer(tel)
	call := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hello_world"}}`)
	s.HandleMessage(context.WithValue(context.Background(), arrival{}, time.Now().Add(-3*time.Second)), call)
	s.HandleMessage(context.Background(), call)

	m := series(scrape(t, tel), MetricOperationDuration, map[string]string{"gen_ai_tool_name": "hello_world"})
	if m == nil {
		t.Fatal("no series of the tools/call")
	}
	h := m.GetHistogram()
	if h.GetSampleCount() != 2 || h.GetSampleSum() < 3 || h.GetSampleSum() > 4 {
		t.Errorf("2 calls, one received 3 s before it ran: count %d, sum %g s", h.GetSampleCount(), h.GetSampleSum())
	}
	if spans == nil {
		return
	}
	// The spans too: the first from its arrival, the second from when
	// mcp-go began it.
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	var took []time.Duration
	for _, s := range spans.received() {
		took = append(took, time.Duration(s.GetEndTimeUnixNano()-s.GetStartTimeUnixNano()))
	}
	if len(took) != 2 || took[0] < 3*time.Second || took[0] > 4*time.Second || took[1] > time.Second {
		t.Errorf("spans of a call received 3 s before it ran and of another: durations %v", took)
	}
}
