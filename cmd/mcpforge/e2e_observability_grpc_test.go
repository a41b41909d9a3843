package main

import (
	"context"
	"encoding/hex"
	"net"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	mcpsdk "github.com/modelcontextprotocol/go-sdk/mcp"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	_ "google.golang.org/grpc/encoding/gzip" // the collector reads gzipped requests
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
)

func init() {
	registerHardening(hardeningCheck{
		name:    "observability-grpc",
		applies: observes,
		run:     checkObservabilityGRPC,
	})
}

// grpcTraceService is OpenTelemetry's OTLP trace service on a real gRPC
// server, as a collector runs it: what a server's own exporter must
// satisfy.
type grpcTraceService struct {
	coltracepb.UnimplementedTraceServiceServer
	recv *otlpReceiver

	mu          sync.Mutex
	md          metadata.MD // of the last call
	compression string      // of the last call's request
}

// TagRPC, HandleRPC, TagConn and HandleConn make the service the gRPC
// server's stats.Handler too, which alone sees the request's compression
// (grpc-encoding is not among the metadata).
func (s *grpcTraceService) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context {
	return ctx
}

func (s *grpcTraceService) HandleRPC(_ context.Context, st stats.RPCStats) {
	if h, ok := st.(*stats.InHeader); ok {
		s.mu.Lock()
		s.compression = h.Compression
		s.mu.Unlock()
	}
}

func (s *grpcTraceService) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}

func (s *grpcTraceService) HandleConn(context.Context, stats.ConnStats) {}

func (s *grpcTraceService) Export(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	s.mu.Lock()
	s.md = md
	s.mu.Unlock()
	s.recv.add(req)
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// last is the metadata and the compression of the last call.
func (s *grpcTraceService) last() (metadata.MD, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.md.Copy(), s.compression
}

// newGRPCReceiver serves the OTLP trace service over gRPC (plain text) on
// a free port.
func newGRPCReceiver(t *testing.T) (*otlpReceiver, *grpcTraceService) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &otlpReceiver{url: "http://" + ln.Addr().String(), protocol: "grpc"}
	svc := &grpcTraceService{recv: r}
	srv := grpc.NewServer(grpc.StatsHandler(svc))
	coltracepb.RegisterTraceServiceServer(srv, svc)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return r, svc
}

// checkObservabilityGRPC: a server started with
// OTEL_EXPORTER_OTLP_PROTOCOL=grpc delivers its spans, gzipped and with
// the configured headers, to a real gRPC collector, and its binary links
// no gRPC module to do so.
func checkObservabilityGRPC(t *testing.T, bin string, sec *security, _ variantAnswers, transport string) {
	if mods := binaryModules(t, bin); strings.Contains(mods, "google.golang.org/grpc") {
		t.Errorf("the binary of a server with observability contains google.golang.org/grpc:\n%s", mods)
	} else if !strings.Contains(mods, "go.opentelemetry.io/otel/sdk") {
		t.Errorf("go version -m lists no OpenTelemetry SDK in the binary of a server with observability, so it cannot tell whether gRPC is there:\n%s", mods)
	}

	recv, svc := newGRPCReceiver(t)
	withOTel := *sec
	withOTel.env = append(slices.Clone(sec.env), recv.env(sec.envPrefix)...)
	withOTel.env = append(withOTel.env, "OTEL_EXPORTER_OTLP_COMPRESSION=gzip", "OTEL_EXPORTER_OTLP_HEADERS=x-tenant=e2e")
	p := startServer(t, bin, &withOTel, "--transport", transport)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess := connectTraced(ctx, t, p, sec, transport, nil)
	if _, err := sess.CallTool(ctx, &mcpsdk.CallToolParams{Name: "hello_world", Arguments: map[string]any{"name": "Ada"}}); err != nil {
		t.Fatalf("hello_world: %v", err)
	}
	callWithMetaTrace(ctx, t, sess)
	_ = sess.Close()

	// Some spans go out while the server runs, the rest at SIGTERM.
	recv.waitFor(t, func(s []*tracepb.Span) bool { return len(s) > 0 })
	if err := p.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("server exit after SIGTERM: %v", err)
	}
	spans := recv.waitFor(t, func(s []*tracepb.Span) bool { return len(spansNamed(s, "tools/call hello_world")) >= 2 })
	var fromMeta, fromHeader int
	for _, s := range spans {
		if s.GetKind() != tracepb.Span_SPAN_KIND_SERVER {
			t.Errorf("span %q has kind %v, want SERVER", s.GetName(), s.GetKind())
		}
	}
	for _, s := range spansNamed(spans, "tools/call hello_world") {
		if attrs := spanAttributes(s); attrs["gen_ai.tool.name"] != "hello_world" || attrs["network.transport"] != "tcp" {
			t.Errorf("span attributes %v, want hello_world over tcp", attrs)
		}
		switch hex.EncodeToString(s.GetTraceId()) {
		case metaTraceID:
			fromMeta++
		case headerTraceID:
			fromHeader++
		}
	}
	if fromMeta != 1 || fromHeader != 1 {
		t.Errorf("tools/call spans continuing the _meta traceparent: %d, the HTTP header's: %d; want 1 and 1", fromMeta, fromHeader)
	}
	md, compression := svc.last()
	if got := md.Get("x-tenant"); !slices.Equal(got, []string{"e2e"}) {
		t.Errorf("metadata x-tenant %v, want [e2e] from OTEL_EXPORTER_OTLP_HEADERS (all: %v)", got, md)
	}
	if compression != "gzip" {
		t.Errorf("request compression %q, want gzip from OTEL_EXPORTER_OTLP_COMPRESSION", compression)
	}
	if log := p.stderr.String(); strings.Contains(log, "OTLP/gRPC export") {
		t.Errorf("the server logged export failures:\n%s", log)
	}
}
