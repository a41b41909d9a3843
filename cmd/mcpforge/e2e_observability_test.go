package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	mcpsdk "github.com/modelcontextprotocol/go-sdk/mcp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

func init() {
	registerHardening(hardeningCheck{
		name:    "observability",
		applies: observes,
		run:     checkObservability,
	})
	registerHardening(hardeningCheck{
		name:    "no-observability",
		applies: func(a variantAnswers) bool { return !observes(a) },
		run:     checkNoObservability,
	})
}

// observes reports whether a variant was generated with observability (the
// default).
func observes(a variantAnswers) bool { return a.Observability == nil || *a.Observability }

// The caller's trace contexts: one sent in the request's _meta, one in the
// HTTP traceparent header.
const (
	metaTraceID   = "4bf92f3577b34da6a3ce929d0e0e4736"
	metaSpanID    = "00f067aa0ba902b7"
	headerTraceID = "0af7651916cd43dd8448eb211c80319c"
	headerSpanID  = "b7ad6b7169203331"
)

func traceparent(traceID, spanID string) string { return "00-" + traceID + "-" + spanID + "-01" }

// conventionBuckets are the bucket boundaries the MCP semantic conventions
// give mcp.server.operation.duration, and Prometheus' +Inf.
var conventionBuckets = []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, math.Inf(1)}

// checkObservability calls the server with a real client (a failing call
// among the calls), scrapes its metrics endpoint and parses what it serves
// as Prometheus does; receives its spans on an OTLP/HTTP endpoint; and
// checks that the chart's dashboard asks only for metrics that exist. With
// stdio it checks the spans of a stdio server too.
func checkObservability(t *testing.T, bin string, sec *security, a variantAnswers, transport string) {
	recv := newOTLPReceiver(t)
	withOTel := *sec
	withOTel.env = append(slices.Clone(sec.env), recv.env(sec.envPrefix)...)
	p, mfs := exerciseMetrics(t, bin, &withOTel, a, transport)
	checkOperationMetrics(t, mfs, a)

	// Spans are flushed when the server stops.
	if err := p.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("server exit after SIGTERM: %v", err)
	}
	spans := recv.waitFor(t, func(s []*tracepb.Span) bool { return len(spansNamed(s, "tools/call hello_world")) >= 3 })
	calls := spansNamed(spans, "tools/call hello_world")
	var fromMeta, fromHeader int
	for _, s := range calls {
		if s.GetKind() != tracepb.Span_SPAN_KIND_SERVER {
			t.Errorf("span %q has kind %v, want SERVER", s.GetName(), s.GetKind())
		}
		attrs := spanAttributes(s)
		if attrs["mcp.method.name"] != "tools/call" || attrs["gen_ai.tool.name"] != "hello_world" || attrs["network.transport"] != "tcp" || attrs["mcp.protocol.version"] != metricsVersion {
			t.Errorf("span attributes %v, want tools/call, hello_world, tcp, %s", attrs, metricsVersion)
		}
		switch hex.EncodeToString(s.GetTraceId()) {
		case metaTraceID:
			fromMeta++
		case headerTraceID:
			fromHeader++
		}
	}
	if fromMeta != 1 {
		t.Errorf("%d tools/call spans continue the _meta traceparent's trace, want 1", fromMeta)
	}
	if fromHeader != 2 {
		t.Errorf("%d tools/call spans continue the HTTP traceparent header's trace, want 2 (the _meta one wins over it)", fromHeader)
	}
	if len(spansNamed(spans, "tools/call")) == 0 {
		t.Error("no span for the call of an unknown tool (named tools/call, without target)")
	}

	// Without an OTLP endpoint, no span is opened: the same metrics.
	t.Run("untraced", func(t *testing.T) {
		p, mfs := exerciseMetrics(t, bin, sec, a, transport)
		checkOperationMetrics(t, mfs, a)
		if err := p.stop(t, syscall.SIGTERM); err != nil {
			t.Errorf("server exit after SIGTERM: %v", err)
		}
	})

	if slices.Contains(a.Transports, "stdio") {
		t.Run("stdio", func(t *testing.T) { checkStdioSpans(t, bin, sec) })
	}
}

// exerciseMetrics starts the server bin, makes real calls to it over
// transport (among them a failing one) and returns the server and what its
// metrics endpoint serves once the session's end is recorded.
func exerciseMetrics(t *testing.T, bin string, sec *security, a variantAnswers, transport string) (*serverProcess, map[string]*dto.MetricFamily) {
	t.Helper()
	p := startServer(t, bin, sec, "--transport", transport)
	metricsURL := waitMetricsURL(t, p)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess := connectTraced(ctx, t, p, sec, transport, &mcpsdk.ClientSessionOptions{ProtocolVersion: metricsVersion})
	for range 2 {
		if _, err := sess.CallTool(ctx, &mcpsdk.CallToolParams{Name: "hello_world", Arguments: map[string]any{"name": "Ada"}}); err != nil {
			t.Fatalf("hello_world: %v", err)
		}
	}
	callWithMetaTrace(ctx, t, sess)
	if _, err := sess.CallTool(ctx, &mcpsdk.CallToolParams{Name: "no_such_tool_e2e", Arguments: map[string]any{}}); err == nil {
		t.Fatal("calling a tool the server does not have succeeded")
	}
	if err := sess.Close(); err != nil {
		t.Logf("close session: %v", err)
	}
	if hasAuth(a) {
		// One refused request, without credentials.
		resp, err := http.Post(p.base+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}

	var mfs map[string]*dto.MetricFamily
	deadline := time.Now().Add(10 * time.Second)
	for {
		mfs = scrapeMetrics(t, metricsURL)
		// The session's duration is recorded once the server has seen its end.
		if mfs["mcp_server_session_duration_seconds"] != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return p, mfs
}

// metricsVersion is the protocol of exerciseMetrics' session, whose end is
// recorded.
const metricsVersion = "2025-11-25"

// checkOperationMetrics checks what exerciseMetrics' calls left in the
// scrape mfs.
func checkOperationMetrics(t *testing.T, mfs map[string]*dto.MetricFamily, a variantAnswers) {
	t.Helper()
	labels := map[string]string{"mcp_protocol_version": metricsVersion, "network_transport": "tcp", "mcp_method_name": "tools/call"}
	with := func(kv ...string) map[string]string {
		m := maps.Clone(labels)
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, c := range []struct {
		labels map[string]string
		count  uint64
	}{
		{with("gen_ai_tool_name", "hello_world", "error_type", ""), 3},
		{with("gen_ai_tool_name", "_OTHER", "error_type", "-32602"), 1},
	} {
		m := findSeries(mfs, "mcp_server_operation_duration_seconds", c.labels)
		if m == nil {
			t.Errorf("no mcp_server_operation_duration_seconds series with %v in the scrape:\n%s", c.labels, familyText(mfs["mcp_server_operation_duration_seconds"]))
			continue
		}
		if got := m.GetHistogram().GetSampleCount(); got != c.count {
			t.Errorf("%v: count %d, want %d", c.labels, got, c.count)
		}
		var bounds []float64
		for _, b := range m.GetHistogram().GetBucket() {
			bounds = append(bounds, b.GetUpperBound())
		}
		if !slices.Equal(bounds, conventionBuckets) {
			t.Errorf("%v: buckets %v, want the convention's %v", c.labels, bounds, conventionBuckets)
		}
	}
	for _, m := range mfs["mcp_server_operation_duration_seconds"].GetMetric() {
		for _, l := range m.GetLabel() {
			if strings.Contains(l.GetValue(), "no_such_tool") {
				t.Errorf("the name of a tool the server does not have became a label value: %s", l)
			}
		}
	}
	if m := findSeries(mfs, "mcp_server_session_duration_seconds", map[string]string{"network_transport": "tcp", "mcp_protocol_version": metricsVersion}); m.GetHistogram().GetSampleCount() == 0 {
		t.Errorf("no session duration recorded after the session ended:\n%s", familyText(mfs["mcp_server_session_duration_seconds"]))
	}
	if findSeries(mfs, "mcp_server_build_info", map[string]string{"service_name": a.Name}) == nil {
		t.Errorf("no mcp_server_build_info{service_name=%q}", a.Name)
	}
	if hasAuth(a) {
		if m := findSeries(mfs, "mcp_server_auth_failures_total", map[string]string{"reason": "missing"}); m.GetCounter().GetValue() < 1 {
			t.Errorf("the request without credentials is not counted as reason missing:\n%s", familyText(mfs["mcp_server_auth_failures_total"]))
		}
	}
	checkDashboardMetrics(t, mfs)
}

// checkStdioSpans: a stdio server also continues the _meta traceparent,
// with network.transport pipe, and flushes its spans when stdin closes.
func checkStdioSpans(t *testing.T, bin string, sec *security) {
	recv := newOTLPReceiver(t)
	cmd := exec.Command(bin, "--transport", "stdio")
	cmd.Env = append(append(os.Environ(), sec.env...), recv.env(sec.envPrefix)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess, err := newSDKClient().Connect(ctx, &mcpsdk.IOTransport{Reader: stdout, Writer: stdin}, nil)
	if err != nil {
		t.Fatalf("connect over stdio: %v\n%s", err, stderr.String())
	}
	if _, err := sess.CallTool(ctx, &mcpsdk.CallToolParams{
		Meta:      mcpsdk.Meta{"traceparent": traceparent(metaTraceID, metaSpanID)},
		Name:      "hello_world",
		Arguments: map[string]any{"name": "Pipe"},
	}); err != nil {
		t.Fatalf("hello_world over stdio: %v", err)
	}
	_ = sess.Close()
	if err := cmd.Wait(); err != nil {
		t.Errorf("stdio server exit: %v\n%s", err, stderr.String())
	}
	spans := recv.waitFor(t, func(s []*tracepb.Span) bool { return len(spansNamed(s, "tools/call hello_world")) > 0 })
	s := spansNamed(spans, "tools/call hello_world")[0]
	if got := hex.EncodeToString(s.GetTraceId()); got != metaTraceID {
		t.Errorf("stdio span: trace id %s, want the _meta traceparent's %s", got, metaTraceID)
	}
	if got := spanAttributes(s)["network.transport"]; got != "pipe" {
		t.Errorf("stdio span: network.transport %q, want pipe", got)
	}
}

// checkNoObservability: a server generated without observability has no
// OpenTelemetry or Prometheus code in its binary and refuses a metrics
// address rather than ignoring it.
func checkNoObservability(t *testing.T, bin string, sec *security, _ variantAnswers, transport string) {
	mods := binaryModules(t, bin)
	for _, mod := range []string{"go.opentelemetry.io/", "github.com/prometheus/"} {
		if strings.Contains(mods, mod) {
			t.Errorf("the binary of a server without observability contains %s modules:\n%s", mod, mods)
		}
	}
	cmd := exec.Command(bin, "--transport", transport, "--check")
	cmd.Env = append(append(os.Environ(), sec.env...), sec.envPrefix+"_TELEMETRY_METRICS_ADDR=127.0.0.1:0")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "generated without observability") {
		t.Errorf("a metrics address on a server without observability: %v, %s; want a refusal that says so", err, out)
	}
}

// binaryModules is what go version -m says of the modules built into bin.
func binaryModules(t *testing.T, bin string) string {
	t.Helper()
	out, err := exec.Command("go", "version", "-m", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, out)
	}
	return string(out)
}

// metricsLine finds the metrics URL in the start-up log, text or JSON.
var metricsLine = regexp.MustCompile(`"?metrics"?[=:]"?(http://127\.0\.0\.1:\d+/metrics)`)

func waitMetricsURL(t *testing.T, p *serverProcess) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := metricsLine.FindStringSubmatch(p.stderr.String()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not log its metrics endpoint:\n%s", p.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func scrapeMetrics(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the metrics endpoint does not serve the Prometheus text format: %v", err)
	}
	return mfs
}

// findSeries returns the metric of family name whose labels include want.
func findSeries(mfs map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
next:
	for _, m := range mfs[name].GetMetric() {
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

func familyText(mf *dto.MetricFamily) string {
	if mf == nil {
		return "(no such family)"
	}
	var b strings.Builder
	for _, m := range mf.GetMetric() {
		b.WriteString(m.String() + "\n")
	}
	return b.String()
}

// metricName matches the metric names of PromQL expressions: a name
// followed by a label selector or a range; labelValuesOf the metric of a
// label_values() variable query.
var (
	metricName    = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[{\[]`)
	labelValuesOf = regexp.MustCompile(`label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)`)
)

// checkDashboardMetrics checks every metric the chart's Grafana dashboard
// queries against a real scrape.
func checkDashboardMetrics(t *testing.T, mfs map[string]*dto.MetricFamily) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "templates", "repo", "chart", "__name__", "dashboards", "mcp-server.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	var names []string
	targets := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			targets++
			for _, m := range metricName.FindAllStringSubmatch(tg.Expr, -1) {
				names = append(names, m[1])
			}
		}
	}
	for _, v := range dash.Templating.List {
		for _, m := range labelValuesOf.FindAllStringSubmatch(v.Definition, -1) {
			names = append(names, m[1])
		}
	}
	if targets == 0 || len(names) < targets {
		t.Fatalf("%d metric names in %d queries: the dashboard's expressions were not understood", len(names), targets)
	}
	exists := func(name string) bool {
		if mfs[name] != nil {
			return true
		}
		for _, suffix := range []string{"_bucket", "_count", "_sum"} {
			if base, ok := strings.CutSuffix(name, suffix); ok && mfs[base].GetType() == dto.MetricType_HISTOGRAM {
				return true
			}
		}
		return false
	}
	for _, name := range names {
		if !exists(name) {
			t.Errorf("the dashboard queries %s, which the server does not export", name)
		}
	}
}

// connectTraced connects a real client to the server p over transport
// ("http" or "sse"), sending the HTTP traceparent header (headerTraceID)
// with every request.
func connectTraced(ctx context.Context, t *testing.T, p *serverProcess, sec *security, transport string, opts *mcpsdk.ClientSessionOptions) *mcpsdk.ClientSession {
	t.Helper()
	hc := sec.client(p.base, sec.fullAccess)
	hc.Transport = headerTrace{next: hc.Transport}
	var tr mcpsdk.Transport = &mcpsdk.StreamableClientTransport{Endpoint: p.base + "/mcp", HTTPClient: hc, MaxRetries: -1}
	if transport == "sse" {
		tr = &mcpsdk.SSEClientTransport{Endpoint: p.base + "/sse", HTTPClient: hc}
	}
	sess, err := newSDKClient().Connect(ctx, tr, opts)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	return sess
}

// callWithMetaTrace calls hello_world with a traceparent (metaTraceID) in
// the request's _meta, which wins over the HTTP header's.
func callWithMetaTrace(ctx context.Context, t *testing.T, sess *mcpsdk.ClientSession) {
	t.Helper()
	if _, err := sess.CallTool(ctx, &mcpsdk.CallToolParams{
		Meta:      mcpsdk.Meta{"traceparent": traceparent(metaTraceID, metaSpanID)},
		Name:      "hello_world",
		Arguments: map[string]any{"name": "Meta"},
	}); err != nil {
		t.Fatalf("hello_world with _meta.traceparent: %v", err)
	}
}

// headerTrace sends the HTTP traceparent header with every request.
type headerTrace struct{ next http.RoundTripper }

func (h headerTrace) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("traceparent", traceparent(headerTraceID, headerSpanID))
	next := h.next
	if next == nil {
		next = http.DefaultTransport
	}
	return next.RoundTrip(req)
}

// otlpReceiver is an OTLP trace endpoint that decodes the protobuf it
// receives: OTLP/HTTP here, OTLP/gRPC with newGRPCReceiver.
type otlpReceiver struct {
	url      string
	protocol string // the OTEL_EXPORTER_OTLP_PROTOCOL that reaches it
	mu       sync.Mutex
	spans    []*tracepb.Span
}

// add keeps the spans of msg.
func (r *otlpReceiver) add(msg *coltracepb.ExportTraceServiceRequest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range msg.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			r.spans = append(r.spans, ss.GetSpans()...)
		}
	}
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	r := &otlpReceiver{protocol: "http/protobuf"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil || req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("OTLP export: %s %s, Content-Type %q, %v", req.Method, req.URL.Path, req.Header.Get("Content-Type"), err)
			http.Error(w, "unexpected", http.StatusBadRequest)
			return
		}
		var msg coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &msg); err != nil {
			t.Errorf("OTLP body is not an ExportTraceServiceRequest: %v", err)
			http.Error(w, "bad protobuf", http.StatusBadRequest)
			return
		}
		r.add(&msg)
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL
	return r
}

// env is what points a server at r: every span sampled, exported soon, and
// the metrics endpoint on a free port.
func (r *otlpReceiver) env(prefix string) []string {
	return []string{
		"OTEL_EXPORTER_OTLP_ENDPOINT=" + r.url,
		"OTEL_EXPORTER_OTLP_PROTOCOL=" + r.protocol,
		"OTEL_TRACES_SAMPLER=always_on",
		"OTEL_BSP_SCHEDULE_DELAY=100",
		prefix + "_TELEMETRY_METRICS_ADDR=127.0.0.1:0",
	}
}

// waitFor returns the spans received once ok holds, or fails after 10s.
func (r *otlpReceiver) waitFor(t *testing.T, ok func([]*tracepb.Span) bool) []*tracepb.Span {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.mu.Lock()
		spans := slices.Clone(r.spans)
		r.mu.Unlock()
		if ok(spans) {
			return spans
		}
		if time.Now().After(deadline) {
			var names []string
			for _, s := range spans {
				names = append(names, fmt.Sprintf("%s (%v)", s.GetName(), s.GetKind()))
			}
			t.Fatalf("spans received: %v", names)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func spansNamed(spans []*tracepb.Span, name string) []*tracepb.Span {
	var out []*tracepb.Span
	for _, s := range spans {
		if s.GetName() == name {
			out = append(out, s)
		}
	}
	return out
}

func spanAttributes(s *tracepb.Span) map[string]string {
	out := map[string]string{}
	for _, kv := range s.GetAttributes() {
		out[kv.GetKey()] = kv.GetValue().GetStringValue()
	}
	return out
}
