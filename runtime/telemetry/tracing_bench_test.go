package telemetry

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"slices"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// BenchmarkObservabilityCost is what observability adds to a tools/call
// handled by mcp-go, measured so that a noisy machine does not decide it:
// the servers (observability off; metrics only, timed by mcp-go's hooks as
// on HTTP; metrics and every call traced with always_on to an OTLP/HTTP
// endpoint, as on HTTP: spanStarter opens the spans and the hooks end them;
// metrics timed by mcp-go's tracer without spans, as on stdio)
// take turns in blocks of calls within one loop, so that whatever else the
// machine does falls on all of them alike. It reports each one's median
// ns/call and allocs/call and the medians of the ratios to off per round.
// The calls go to HandleMessage directly: without a transport's share of
// each call, the same costs weigh about twice what they weigh in a
// server's throughput (BenchmarkVersusMCPGo measures that). The
// exporter's encoding runs on another goroutine; BenchmarkEncodeSpans
// measures it.
func BenchmarkObservabilityCost(b *testing.B) {
	msg := []byte(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"hello_world","_meta":{"traceparent":"` + traceparent(callerTraceID, callerSpanID) + `"}}}`)
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer sink.Close()
	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": sink.URL, "OTEL_TRACES_SAMPLER": "always_on"}
	quiet := slog.New(slog.DiscardHandler)

	off := server.NewMCPServer("bench", "1", server.WithToolCapabilities(false))
	off.AddTool(mcp.NewTool("hello_world"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("hello"), nil
	})
	// Metrics as a generated HTTP server records them without tracing:
	// from mcp-go's request hooks, timed from the request's arrival.
	arrived := time.Now()
	metricsOnly := Start(context.Background(), Options{Service: "bench", Version: "1", Transport: "http", Logger: quiet, Getenv: func(string) string { return "" },
		Received: func(context.Context) time.Time { return arrived }})
	defer metricsOnly.Shutdown(context.Background())
	// Traced as a generated HTTP server traces: its spans start at the
	// request's arrival.
	traced := Start(context.Background(), Options{Service: "bench", Version: "1", Transport: "http", Logger: quiet, Getenv: func(k string) string { return env[k] },
		Received: func(context.Context) time.Time { return arrived }})
	defer traced.Shutdown(context.Background())
	if traced.tracer == nil {
		b.Fatal("tracing is off with an OTLP endpoint")
	}
	// Timed by mcp-go's tracer, as a stdio server is untraced: what its
	// middleware and span objects cost over the hooks.
	tracerTimed := Start(context.Background(), Options{Service: "bench", Version: "1", Transport: "http", Logger: quiet, Getenv: func(string) string { return "" }})
	defer tracerTimed.Shutdown(context.Background())
	if tracerTimed.fromHooks() || tracerTimed.tracer != nil {
		b.Fatal("the server without Received is timed by hooks, or traced")
	}
	servers := []*server.MCPServer{off, newTestServer(metricsOnly), newTestServer(traced), newTestServer(tracerTimed)}

	ctx := context.Background()
	call := func(s *server.MCPServer) {
		if s.HandleMessage(ctx, msg) == nil {
			b.Fatal("no response")
		}
	}
	names := []string{"off", "metrics", "traced", "tracer"}
	labels := make([]context.Context, len(names))
	for i, name := range names {
		labels[i] = pprof.WithLabels(ctx, pprof.Labels("server", name))
	}
	defer pprof.SetGoroutineLabels(ctx)
	const block = 64
	// Per round, each server's time for one block: the medians of their
	// ratios leave out the rounds something else on the machine disturbed.
	var rounds [][4]time.Duration
	for b.Loop() {
		var round [4]time.Duration
		// The order turns too, so that no server always follows another.
		for i := range servers {
			n := (i + len(rounds)) % len(servers)
			// Labelled, so that a CPU profile tells the servers apart
			// (go tool pprof -tagfocus server=traced).
			pprof.SetGoroutineLabels(labels[n])
			start := time.Now()
			for range block {
				call(servers[n])
			}
			round[n] = time.Since(start)
		}
		rounds = append(rounds, round)
	}
	b.StopTimer()
	median := func(f func(r [4]time.Duration) float64) float64 {
		xs := make([]float64, len(rounds))
		for i, r := range rounds {
			xs[i] = f(r)
		}
		slices.Sort(xs)
		return xs[len(xs)/2]
	}
	for i, name := range names {
		b.ReportMetric(median(func(r [4]time.Duration) float64 { return float64(r[i].Nanoseconds()) / block }), name+"-ns/call")
		b.ReportMetric(testing.AllocsPerRun(200, func() { call(servers[i]) }), name+"-allocs/call")
	}
	for i, name := range names[1:] {
		b.ReportMetric(median(func(r [4]time.Duration) float64 { return float64(r[i+1]) / float64(r[0]) }), name+"/off")
	}
	b.ReportMetric(0, "ns/op") // a loop is three blocks: its time means nothing
}
