package telemetry

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// records are the snapshots of stubs as the exporters take them.
func records(stubs tracetest.SpanStubs) []spanRecord {
	snaps := stubs.Snapshots()
	out := make([]spanRecord, len(snaps))
	for i, s := range snaps {
		out[i] = s
	}
	return out
}

// newTestServer is an MCP server observed by tel, with a tool that works,
// one that fails with isError, and a prompt.
func newTestServer(tel *Telemetry) *server.MCPServer {
	s := server.NewMCPServer("test", "1.0.0", append(tel.ServerOptions(), server.WithToolCapabilities(false))...)
	s.AddTool(mcp.NewTool("hello_world"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("hello"), nil
	})
	s.AddTool(mcp.NewTool("broken"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultError("it broke"), nil
	})
	s.AddPrompt(mcp.NewPrompt("greeting"), func(context.Context, mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		return mcp.NewGetPromptResult("hi", []mcp.PromptMessage{mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent("hi"))}), nil
	})
	return s
}

// startTelemetry starts telemetry without a metrics listener, logging to
// the test, and shuts it down at the end.
func startTelemetry(t *testing.T, transport string) *Telemetry {
	t.Helper()
	tel := Start(context.Background(), Options{Service: "test", Version: "1.0.0", Transport: transport, Logger: testLogger(t)})
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return tel
}

// startReceived starts telemetry as a generated HTTP server does: the
// transport says when each request arrived (a millisecond ago), so that
// mcp-go's hooks time the requests (fromHooks).
func startReceived(t *testing.T) *Telemetry {
	t.Helper()
	tel := Start(context.Background(), Options{Service: "test", Version: "1.0.0", Transport: "http", Logger: testLogger(t),
		Received: func(context.Context) time.Time { return time.Now().Add(-time.Millisecond) }})
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	if !tel.fromHooks() {
		t.Fatal("requests are not timed by hooks with Options.Received on HTTP")
	}
	return tel
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// connect serves s over streamable HTTP and returns an initialized mcp-go
// client sending headers with every request.
func connect(t *testing.T, s *server.MCPServer, headers map[string]string) *client.Client {
	t.Helper()
	hs := httptest.NewServer(server.NewStreamableHTTPServer(s))
	t.Cleanup(hs.Close)
	c, err := client.NewStreamableHttpClient(hs.URL, transport.WithHTTPHeaders(headers))
	if err != nil {
		t.Fatal(err)
	}
	initialize(t, c)
	return c
}

// initialize starts c and initializes its session with the latest legacy
// protocol version; c is closed when the test ends.
func initialize(t *testing.T, c *client.Client) {
	t.Helper()
	t.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "telemetry-test", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
}

// spanNamed is the last span named name that r received.
func spanNamed(t *testing.T, r *otlpReceiver, name string) *tracepb.Span {
	t.Helper()
	var span *tracepb.Span
	for _, s := range r.received() {
		if s.GetName() == name {
			span = s
		}
	}
	if span == nil {
		t.Fatalf("no span %q", name)
	}
	return span
}

func callTool(c *client.Client, name string, meta map[string]any) (*mcp.CallToolResult, error) {
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	if meta != nil {
		req.Params.Meta = &mcp.Meta{AdditionalFields: meta}
	}
	return c.CallTool(context.Background(), req)
}

// scrape reads the metrics of tel as Prometheus would, and parses them.
func scrape(t *testing.T, tel *Telemetry) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "text/plain")
	tel.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	return parseMetrics(t, rec.Body)
}

func parseMetrics(t *testing.T, r io.Reader) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("metrics are not in the Prometheus text format: %v", err)
	}
	return mfs
}

// series returns the metric of family name whose labels include want, nil
// when there is none.
func series(mfs map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	mf := mfs[name]
	if mf == nil {
		return nil
	}
next:
	for _, m := range mf.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue next
			}
		}
		return m
	}
	return nil
}

// otlpReceiver is an OTLP/HTTP trace endpoint that decodes what it
// receives.
type otlpReceiver struct {
	srv *httptest.Server

	mu    sync.Mutex
	spans []*tracepb.Span
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	r := &otlpReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("OTLP export to %s with Content-Type %q, want /v1/traces and protobuf", req.URL.Path, req.Header.Get("Content-Type"))
			http.Error(w, "unexpected", http.StatusBadRequest)
			return
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			t.Error(err)
			return
		}
		var msg coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &msg); err != nil {
			t.Errorf("OTLP body is not an ExportTraceServiceRequest: %v", err)
			return
		}
		r.mu.Lock()
		for _, rs := range msg.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				r.spans = append(r.spans, ss.GetSpans()...)
			}
		}
		r.mu.Unlock()
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *otlpReceiver) received() []*tracepb.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*tracepb.Span(nil), r.spans...)
}

// traceTo points the OTLP exporter at r, sampling every span.
func traceTo(t *testing.T, r *otlpReceiver) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", r.srv.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_TRACES_SAMPLER", "always_on")
	t.Setenv("OTEL_SERVICE_NAME", "")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "")
}

func spanAttrs(s *tracepb.Span) map[string]string {
	out := map[string]string{}
	for _, kv := range s.GetAttributes() {
		out[kv.GetKey()] = kv.GetValue().GetStringValue()
	}
	return out
}

// recordsTo is a slog.Handler that sends every record to a channel.
type recordsTo chan slog.Record

func (c recordsTo) Enabled(context.Context, slog.Level) bool { return true }

func (c recordsTo) Handle(_ context.Context, r slog.Record) error {
	c <- r.Clone()
	return nil
}

func (c recordsTo) WithAttrs([]slog.Attr) slog.Handler { return c }

func (c recordsTo) WithGroup(string) slog.Handler { return c }

// attrsOf returns the attributes of r as strings.
func attrsOf(r slog.Record) map[string]string {
	out := map[string]string{}
	r.Attrs(func(a slog.Attr) bool {
		out[a.Key] = a.Value.String()
		return true
	})
	return out
}
