package telemetry

import (
	"context"
	"sync"
	"testing"
	"time"

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

func (e *recordingExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
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
	b, err := newSpanBatcher(exp, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
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

// TestSpanBatcherEnv: OTEL_BSP_* values that are not positive integers are
// refused, naming the variable.
func TestSpanBatcherEnv(t *testing.T) {
	for _, name := range []string{"OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_EXPORT_TIMEOUT", "OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE"} {
		for _, v := range []string{"0", "-1", "soon"} {
			if _, err := newSpanBatcher(&recordingExporter{}, func(k string) string {
				if k == name {
					return v
				}
				return ""
			}); err == nil {
				t.Errorf("%s=%s accepted", name, v)
			}
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
