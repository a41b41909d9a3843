package telemetry

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// recordingExporter keeps the batches it is given.
type recordingExporter struct {
	mu      sync.Mutex
	batches [][]string // span names
	stopped bool
}

func (e *recordingExporter) ExportSpans(_ context.Context, spans []spanRecord) error {
	names := make([]string, len(spans))
	for i, s := range spans {
		names[i] = s.Name()
	}
	e.mu.Lock()
	e.batches = append(e.batches, names)
	e.mu.Unlock()
	return nil
}

func (e *recordingExporter) Shutdown(context.Context) error {
	e.mu.Lock()
	e.stopped = true
	e.mu.Unlock()
	return nil
}

func (e *recordingExporter) exported() (batches [][]string, spans int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, b := range e.batches {
		spans += len(b)
	}
	return append([][]string(nil), e.batches...), spans
}

// TestSpanBatcher: a full batch leaves without waiting for the delay,
// Shutdown exports the rest in batches of at most the batch size and stops
// the exporter.
func TestSpanBatcher(t *testing.T) {
	exp := &recordingExporter{}
	env := map[string]string{"OTEL_BSP_SCHEDULE_DELAY": "3600000", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "2"}
	b := newSpanBatcher(exp, func(k string) string { return env[k] })
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(b))
	tr := tp.Tracer("test")
	end := func(n int) {
		for range n {
			_, s := tr.Start(context.Background(), "op")
			s.End()
		}
	}

	end(2)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, n := exp.exported(); n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a full batch was not exported before the schedule delay")
		}
	}

	end(3)
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	batches, n := exp.exported()
	if n != 5 {
		t.Errorf("%d spans exported after Shutdown, want 5", n)
	}
	for _, batch := range batches {
		if len(batch) > 2 {
			t.Errorf("a batch of %d spans, more than OTEL_BSP_MAX_EXPORT_BATCH_SIZE=2", len(batch))
		}
	}
	if !exp.stopped {
		t.Error("Shutdown did not shut the exporter down")
	}
}

// TestSpanBatcherEnv: the OTEL_BSP_* variables set the batching, and
// values that are not positive integers are reported and leave the
// defaults.
func TestSpanBatcherEnv(t *testing.T) {
	env := map[string]string{"OTEL_BSP_SCHEDULE_DELAY": "250", "OTEL_BSP_EXPORT_TIMEOUT": "1000", "OTEL_BSP_MAX_QUEUE_SIZE": "100", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "200"}
	b := newSpanBatcher(&recordingExporter{}, func(k string) string { return env[k] })
	_ = b.Shutdown(context.Background())
	if b.delay != 250*time.Millisecond || b.timeout != time.Second || b.maxQueue != 100 || b.maxBatch != 100 {
		t.Errorf("delay %v, timeout %v, queue %d, batch %d; want 250ms, 1s, 100 and the queue's 100", b.delay, b.timeout, b.maxQueue, b.maxBatch)
	}
	var reported []string
	defer otel.SetErrorHandler(otel.GetErrorHandler())
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { reported = append(reported, err.Error()) }))
	for _, v := range []string{"0", "-1", "soon"} {
		reported = nil
		b := newSpanBatcher(&recordingExporter{}, func(k string) string {
			if strings.HasPrefix(k, "OTEL_BSP_") {
				return v
			}
			return ""
		})
		_ = b.Shutdown(context.Background())
		if b.delay != defaultBSPDelay || b.timeout != defaultBSPTimeout || b.maxQueue != defaultBSPMaxQueue || b.maxBatch != defaultBSPMaxBatch {
			t.Errorf("OTEL_BSP_*=%s: delay %v, timeout %v, queue %d, batch %d; want the defaults", v, b.delay, b.timeout, b.maxQueue, b.maxBatch)
		}
		if all := strings.Join(reported, "\n"); strings.Count(all, "OTEL_BSP_") != 4 {
			t.Errorf("OTEL_BSP_*=%s: reported %q, want each of the 4 variables named", v, all)
		}
	}
}

// TestParseTraceparent: the fast path reads what the W3C propagator reads,
// and leaves to it whatever is not a plain version 00 traceparent.
func TestParseTraceparent(t *testing.T) {
	for _, tc := range []struct {
		header string
		ok     bool
	}{
		{traceparent(callerTraceID, callerSpanID), true},
		{"00-" + callerTraceID + "-" + callerSpanID + "-00", true},
		{"00-" + callerTraceID + "-" + callerSpanID + "-03", true},
		{"00-4BF92F3577B34DA6A3CE929D0E0E4736-" + callerSpanID + "-01", false},
		{"00-00000000000000000000000000000000-" + callerSpanID + "-01", false},
		{"00-" + callerTraceID + "-0000000000000000-01", false},
		{"01-" + callerTraceID + "-" + callerSpanID + "-01", false},
		{"00-" + callerTraceID + "-" + callerSpanID + "-0x", false},
		{"00-" + callerTraceID + "-" + callerSpanID + "-01-", false},
		{"00_" + callerTraceID + "-" + callerSpanID + "-01", false},
	} {
		sc, ok := parseTraceparent(tc.header)
		if ok != tc.ok {
			t.Errorf("parseTraceparent(%q): ok %v, want %v", tc.header, ok, tc.ok)
			continue
		}
		want := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier{"traceparent": tc.header}))
		if ok && !sc.Equal(want) {
			t.Errorf("parseTraceparent(%q) = %v, the propagator reads %v", tc.header, sc, want)
		}
	}
}
