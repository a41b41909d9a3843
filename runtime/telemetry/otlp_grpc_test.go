package telemetry

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// grpcCollector is an OTLP/gRPC trace endpoint served by net/http's HTTP/2
// (h2c, or TLS with ALPN h2), which checks the framing of what it receives
// and answers as answer says.
type grpcCollector struct {
	srv   *httptest.Server
	calls atomic.Int32
	// answer writes the reply to call number n (from 1) of req, after
	// the headers the collector always sets.
	answer func(n int, w http.ResponseWriter, req *coltracepb.ExportTraceServiceRequest)

	mu      sync.Mutex
	header  http.Header                           // of the last call
	request *coltracepb.ExportTraceServiceRequest // of the last call
}

// last is the headers and the request of the last call.
func (c *grpcCollector) last() (http.Header, *coltracepb.ExportTraceServiceRequest) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.header, c.request
}

func newGRPCCollector(t *testing.T, tls bool) *grpcCollector {
	t.Helper()
	c := &grpcCollector{answer: func(_ int, w http.ResponseWriter, _ *coltracepb.ExportTraceServiceRequest) {
		writeGRPCReply(w, &coltracepb.ExportTraceServiceResponse{}, false)
		w.Header().Set("Grpc-Status", "0")
	}}
	c.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(c.calls.Add(1))
		if r.ProtoMajor != 2 || r.Method != http.MethodPost || r.URL.Path != otlpGRPCMethod ||
			r.Header.Get("Content-Type") != "application/grpc" || r.Header.Get("Te") != "trailers" {
			t.Errorf("gRPC call: %s %s %s, headers %v", r.Proto, r.Method, r.URL.Path, r.Header)
		}
		body, err := io.ReadAll(r.Body)
		if err != nil || len(body) < 5 || int(binary.BigEndian.Uint32(body[1:5])) != len(body)-5 {
			t.Errorf("gRPC request body of %d bytes is not one length-prefixed message: %v", len(body), err)
			return
		}
		msg := body[5:]
		if compressed := body[0] == 1; compressed != (r.Header.Get("Grpc-Encoding") == "gzip") {
			t.Errorf("compressed flag %d with grpc-encoding %q", body[0], r.Header.Get("Grpc-Encoding"))
		} else if compressed {
			zr, err := gzip.NewReader(bytes.NewReader(msg))
			if err != nil {
				t.Error(err)
				return
			}
			msg, _ = io.ReadAll(zr)
		}
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(msg, &req); err != nil {
			t.Errorf("not an ExportTraceServiceRequest: %v", err)
		}
		c.mu.Lock()
		c.header, c.request = r.Header.Clone(), &req
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/grpc")
		w.Header().Set("Trailer", "Grpc-Status, Grpc-Message, Grpc-Status-Details-Bin")
		c.answer(n, w, &req)
	}))
	if tls {
		c.srv.EnableHTTP2 = true
		c.srv.StartTLS()
	} else {
		c.srv.Config.Protocols = new(http.Protocols)
		c.srv.Config.Protocols.SetUnencryptedHTTP2(true)
		c.srv.Start()
	}
	t.Cleanup(c.srv.Close)
	return c
}

// exporter is an exporter to c configured by env besides the endpoint,
// trusting c's certificate.
func (c *grpcCollector) exporter(t *testing.T, env map[string]string) *otlpGRPCExporter {
	t.Helper()
	full := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": c.srv.URL}
	for k, v := range env {
		full[k] = v
	}
	e, err := newOTLPGRPCExporter(envOf(full))
	if err != nil {
		t.Fatal(err)
	}
	if c.srv.TLS != nil {
		e.client.Transport.(*http.Transport).TLSClientConfig = c.srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	}
	return e
}

// writeGRPCReply writes msg as the length-prefixed reply body, gzipped when
// gz (the caller sets the trailers).
func writeGRPCReply(w http.ResponseWriter, msg proto.Message, gz bool) {
	b, _ := proto.Marshal(msg)
	flag := byte(0)
	if gz {
		b, flag = gzipped(b), 1
		w.Header().Set("Grpc-Encoding", "gzip")
	}
	frame := append([]byte{flag, 0, 0, 0, 0}, b...)
	binary.BigEndian.PutUint32(frame[1:5], uint32(len(b)))
	_, _ = w.Write(frame)
}

// trailersOnly answers with the status in the headers and no body, as
// gRPC servers answer a call they refuse outright.
func trailersOnly(status, message string) func(int, http.ResponseWriter, *coltracepb.ExportTraceServiceRequest) {
	return func(_ int, w http.ResponseWriter, _ *coltracepb.ExportTraceServiceRequest) {
		w.Header().Del("Trailer")
		w.Header().Set("Grpc-Status", status)
		w.Header().Set("Grpc-Message", message)
		w.WriteHeader(http.StatusOK)
	}
}

// testSpans is one span of a known trace.
func testSpans() tracetest.SpanStubs {
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	return tracetest.SpanStubs{{
		Name:        "tools/call hello_world",
		SpanKind:    trace.SpanKindServer,
		SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}),
	}}
}

// TestOTLPGRPCExport: spans reach a gRPC endpoint over h2c and TLS,
// gzipped or not, with the configured headers and a gzipped reply read.
func TestOTLPGRPCExport(t *testing.T) {
	for _, tls := range []bool{false, true} {
		for _, gz := range []bool{false, true} {
			c := newGRPCCollector(t, tls)
			c.answer = func(_ int, w http.ResponseWriter, _ *coltracepb.ExportTraceServiceRequest) {
				writeGRPCReply(w, &coltracepb.ExportTraceServiceResponse{}, gz)
				w.Header().Set("Grpc-Status", "0")
			}
			env := map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "X-Tenant=acme,authorization=Bearer%20t"}
			if gz {
				env["OTEL_EXPORTER_OTLP_TRACES_COMPRESSION"] = "gzip"
			}
			e := c.exporter(t, env)
			if err := e.ExportSpans(context.Background(), records(testSpans())); err != nil {
				t.Fatalf("tls %v, gzip %v: %v", tls, gz, err)
			}
			header, request := c.last()
			if header.Get("X-Tenant") != "acme" || header.Get("Authorization") != "Bearer t" || header.Get("Grpc-Timeout") == "" {
				t.Errorf("tls %v, gzip %v: headers %v", tls, gz, header)
			}
			rs := request.GetResourceSpans()
			if len(rs) != 1 || len(rs[0].GetScopeSpans()) != 1 || len(rs[0].GetScopeSpans()[0].GetSpans()) != 1 {
				t.Fatalf("tls %v, gzip %v: request %v", tls, gz, request)
			}
			s := rs[0].GetScopeSpans()[0].GetSpans()[0]
			if s.GetName() != "tools/call hello_world" || s.GetKind() != tracepb.Span_SPAN_KIND_SERVER || hex.EncodeToString(s.GetTraceId()) != "4bf92f3577b34da6a3ce929d0e0e4736" {
				t.Errorf("tls %v, gzip %v: span %v", tls, gz, s)
			}
			_ = e.Shutdown(context.Background())
			if err := e.ExportSpans(context.Background(), records(testSpans())); err != nil || c.calls.Load() != 1 {
				t.Errorf("export after Shutdown: %v, %d calls; want nothing done", err, c.calls.Load())
			}
		}
	}
}

// statusDetails is a google.rpc.Status holding a RetryInfo of delay, as
// grpc-status-details-bin carries it.
func statusDetails(code int, delay time.Duration) string {
	var d []byte
	d = protowire.AppendTag(d, fieldDurationSeconds, protowire.VarintType)
	d = protowire.AppendVarint(d, uint64(delay/time.Second))
	d = protowire.AppendTag(d, fieldDurationNanos, protowire.VarintType)
	d = protowire.AppendVarint(d, uint64(delay%time.Second))
	ri := appendMessage(nil, fieldRetryInfoDelay, d)
	var anyMsg []byte
	anyMsg = appendString(anyMsg, fieldAnyTypeURL, "type.googleapis.com/google.rpc.RetryInfo")
	anyMsg = appendMessage(anyMsg, fieldAnyValue, ri)
	var st []byte
	st = protowire.AppendTag(st, 1, protowire.VarintType) // code
	st = protowire.AppendVarint(st, uint64(code))
	st = appendMessage(st, fieldStatusDetails, anyMsg)
	return base64.RawStdEncoding.EncodeToString(st)
}

// TestOTLPGRPCStatus: the gRPC status of a reply, in its trailers or its
// headers, decides between success, a retry and an error, as the OTLP
// specification says.
func TestOTLPGRPCStatus(t *testing.T) {
	inTrailers := func(status, message, details string) func(int, http.ResponseWriter, *coltracepb.ExportTraceServiceRequest) {
		return func(_ int, w http.ResponseWriter, _ *coltracepb.ExportTraceServiceRequest) {
			writeGRPCReply(w, &coltracepb.ExportTraceServiceResponse{}, false)
			w.Header().Set("Grpc-Status", status)
			w.Header().Set("Grpc-Message", message)
			if details != "" {
				w.Header().Set("Grpc-Status-Details-Bin", details)
			}
		}
	}
	// failFirst answers the first call with first, the others with OK.
	failFirst := func(first func(int, http.ResponseWriter, *coltracepb.ExportTraceServiceRequest)) func(int, http.ResponseWriter, *coltracepb.ExportTraceServiceRequest) {
		return func(n int, w http.ResponseWriter, req *coltracepb.ExportTraceServiceRequest) {
			if n == 1 {
				first(n, w, req)
				return
			}
			inTrailers("0", "", "")(n, w, req)
		}
	}
	for _, tc := range []struct {
		name    string
		answer  func(int, http.ResponseWriter, *coltracepb.ExportTraceServiceRequest)
		calls   int32
		wantErr string // "" for success
	}{
		{"ok", inTrailers("0", "", ""), 1, ""},
		{"invalid argument", inTrailers("3", "bad%20span", ""), 1, "INVALID_ARGUMENT: bad span"},
		{"unauthenticated trailers-only", trailersOnly("16", "no token"), 1, "UNAUTHENTICATED: no token"},
		{"unavailable then ok", failFirst(trailersOnly("14", "starting")), 2, ""},
		{"resource exhausted", inTrailers("8", "memory limit", ""), 1, "RESOURCE_EXHAUSTED: memory limit"},
		{"resource exhausted with retry info", failFirst(inTrailers("8", "later", statusDetails(8, 30*time.Millisecond))), 2, ""},
		{"always unavailable", trailersOnly("14", "down"), 0, "UNAVAILABLE: down"},
		{"no status", func(_ int, w http.ResponseWriter, _ *coltracepb.ExportTraceServiceRequest) {
			writeGRPCReply(w, &coltracepb.ExportTraceServiceResponse{}, false)
		}, 1, "no grpc-status"},
		{"not grpc", func(_ int, w http.ResponseWriter, _ *coltracepb.ExportTraceServiceRequest) {
			w.Header().Del("Trailer")
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusOK)
		}, 1, "not application/grpc"},
		{"http 404", func(_ int, w http.ResponseWriter, _ *coltracepb.ExportTraceServiceRequest) {
			w.Header().Del("Trailer")
			http.NotFound(w, nil)
		}, 1, "UNIMPLEMENTED: HTTP status 404"},
		{"partial success", func(_ int, w http.ResponseWriter, _ *coltracepb.ExportTraceServiceRequest) {
			writeGRPCReply(w, &coltracepb.ExportTraceServiceResponse{PartialSuccess: &coltracepb.ExportTracePartialSuccess{RejectedSpans: 2, ErrorMessage: "too old"}}, false)
			w.Header().Set("Grpc-Status", "0")
		}, 1, "rejected 2 spans: too old"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newGRPCCollector(t, false)
			c.answer = tc.answer
			e := c.exporter(t, map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "1500"})
			err := e.ExportSpans(context.Background(), records(testSpans()))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("export: %v, want success", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("export: %v, want an error saying %q", err, tc.wantErr)
			}
			if n := c.calls.Load(); tc.calls > 0 && n != tc.calls {
				t.Errorf("%d calls, want %d", n, tc.calls)
			} else if tc.calls == 0 && n < 3 {
				t.Errorf("%d calls of an endpoint always unavailable within the timeout, want retries", n)
			}
		})
	}
}

// TestOTLPGRPCTimeout: a collector that does not answer makes the export
// fail once OTEL_EXPORTER_OTLP_TIMEOUT has passed.
func TestOTLPGRPCTimeout(t *testing.T) {
	c := newGRPCCollector(t, false)
	release := make(chan struct{})
	defer close(release)
	c.answer = func(int, http.ResponseWriter, *coltracepb.ExportTraceServiceRequest) { <-release }
	e := c.exporter(t, map[string]string{"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "300"})
	start := time.Now()
	err := e.ExportSpans(context.Background(), records(testSpans()))
	if took := time.Since(start); err == nil || !strings.Contains(err.Error(), "DEADLINE_EXCEEDED") || took > 3*time.Second {
		t.Errorf("export to a collector that does not answer: %v after %v, want DEADLINE_EXCEEDED after 300ms", err, took)
	}
	header, _ := c.last()
	got := header.Get("Grpc-Timeout")
	if ms, err := strconv.Atoi(strings.TrimSuffix(got, "m")); err != nil || !strings.HasSuffix(got, "m") || ms <= 0 || ms > 300 {
		t.Errorf("grpc-timeout %q, want at most 300m", got)
	}
}

// TestOTLPGRPCConfig: the endpoint is a host and port, plain text with
// http:// or OTEL_EXPORTER_OTLP_INSECURE, TLS otherwise; tracing takes
// protocol grpc.
func TestOTLPGRPCConfig(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string // the call's URL, "" for a refusal
	}{
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"}, "http://collector:4317" + otlpGRPCMethod},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector:4317/"}, "https://collector:4317" + otlpGRPCMethod},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317"}, "https://collector:4317" + otlpGRPCMethod},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317", "OTEL_EXPORTER_OTLP_INSECURE": "true"}, "http://collector:4317" + otlpGRPCMethod},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://ignored:4317", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://traces:4317"}, "http://traces:4317" + otlpGRPCMethod},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/v1/traces"}, ""},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317", "OTEL_EXPORTER_OTLP_INSECURE": "yes"}, ""},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "ftp://collector:4317"}, ""},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"}, ""},
	} {
		e, err := newOTLPGRPCExporter(envOf(tc.env))
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("%v accepted", tc.env)
		case tc.want != "" && err != nil:
			t.Errorf("%v: %v", tc.env, err)
		case tc.want != "" && e.url != tc.want:
			t.Errorf("%v: calls %s, want %s", tc.env, e.url, tc.want)
		}
	}
	spans, err := newServerSpans(context.Background(), Options{Getenv: envOf(map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
	})})
	if err != nil || spans == nil {
		t.Fatalf("protocol grpc: %v, %v", spans, err)
	}
	if _, ok := spans.batcher.exporter.(*otlpGRPCExporter); !ok {
		t.Errorf("protocol grpc exports with %T", spans.batcher.exporter)
	}
	_ = spans.provider.Shutdown(context.Background())
}
