package telemetry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// spanBatcher hands ended spans to the exporter in batches, on a goroutine
// of its own (sdktrace.SpanProcessor). It replaces the SDK's batch span
// processor, which sends every span down a channel to a goroutine that
// wakes up for each one: on a server traced with always_on that wakeup was
// most of what tracing cost a call. Here ending a span appends it to a
// slice under a mutex, and the goroutine wakes up only when a batch is full
// or the schedule delay has passed. The OTEL_BSP_* variables configure it
// as they would the SDK's.
type spanBatcher struct {
	exporter spanExporter
	delay    time.Duration // OTEL_BSP_SCHEDULE_DELAY
	timeout  time.Duration // OTEL_BSP_EXPORT_TIMEOUT, of one export
	maxQueue int           // OTEL_BSP_MAX_QUEUE_SIZE
	maxBatch int           // OTEL_BSP_MAX_EXPORT_BATCH_SIZE

	mu      sync.Mutex
	queue   []spanRecord
	spare   []spanRecord // the last exported queue, for reuse
	dropped int          // spans dropped since the last export
	stopped bool

	exporting sync.Mutex    // one export at a time, in the order spans ended
	wake      chan struct{} // a full batch is waiting
	done      chan struct{} // closed by Shutdown
	exited    chan struct{} // closed when the goroutine has returned
	stopOnce  sync.Once
}

// spanExporter sends spans to a collector: otlpExporter or
// otlpGRPCExporter.
type spanExporter interface {
	// ExportSpans sends spans, within ctx.
	ExportSpans(ctx context.Context, spans []spanRecord) error
	// Shutdown makes later exports do nothing.
	Shutdown(ctx context.Context) error
}

// The OpenTelemetry specification's defaults for the OTEL_BSP_* variables.
const (
	defaultBSPDelay    = 5 * time.Second
	defaultBSPTimeout  = 30 * time.Second
	defaultBSPMaxQueue = 2048
	defaultBSPMaxBatch = 512
)

// newSpanBatcher starts the batcher of exporter, configured by the
// OTEL_BSP_* variables env reads. A value that is not a positive integer
// is reported (otel.Handle) and leaves the default, as the SDK would.
func newSpanBatcher(exporter spanExporter, env func(string) string) *spanBatcher {
	b := &spanBatcher{
		exporter: exporter,
		delay:    defaultBSPDelay,
		timeout:  defaultBSPTimeout,
		maxQueue: defaultBSPMaxQueue,
		maxBatch: defaultBSPMaxBatch,
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		exited:   make(chan struct{}),
	}
	positive := func(name string, set func(int)) {
		v := strings.TrimSpace(env(name))
		if v == "" {
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			otel.Handle(fmt.Errorf("%s %q is not a positive integer; using the default instead", name, v))
			return
		}
		set(n)
	}
	positive("OTEL_BSP_SCHEDULE_DELAY", func(ms int) { b.delay = time.Duration(ms) * time.Millisecond })
	positive("OTEL_BSP_EXPORT_TIMEOUT", func(ms int) { b.timeout = time.Duration(ms) * time.Millisecond })
	positive("OTEL_BSP_MAX_QUEUE_SIZE", func(n int) { b.maxQueue = n })
	positive("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", func(n int) { b.maxBatch = n })
	// As the specification says: a batch larger than the queue is the queue.
	b.maxBatch = min(b.maxBatch, b.maxQueue)
	b.queue = make([]spanRecord, 0, b.maxBatch)
	go b.run()
	return b
}

// OnStart does nothing: spans are exported when they end.
func (*spanBatcher) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd queues a sampled span the SDK recorded.
func (b *spanBatcher) OnEnd(s sdktrace.ReadOnlySpan) {
	if s.SpanContext().IsSampled() {
		b.enqueue(s)
	}
}

// enqueue queues an ended span, or drops it when the queue is full.
func (b *spanBatcher) enqueue(s spanRecord) {
	b.mu.Lock()
	if b.stopped || len(b.queue) >= b.maxQueue {
		if !b.stopped {
			b.dropped++
		}
		b.mu.Unlock()
		return
	}
	b.queue = append(b.queue, s)
	full := len(b.queue) == b.maxBatch
	b.mu.Unlock()
	if full {
		select {
		case b.wake <- struct{}{}:
		default: // already woken
		}
	}
}

// run exports the queue when a batch is full or the delay has passed,
// until Shutdown.
func (b *spanBatcher) run() {
	defer close(b.exited)
	timer := time.NewTimer(b.delay)
	defer timer.Stop()
	for {
		select {
		case <-b.done:
			return
		case <-b.wake:
		case <-timer.C:
		}
		b.export(context.Background())
		timer.Reset(b.delay)
	}
}

// export sends what is queued, in batches of at most maxBatch spans, each
// within the export timeout and ctx.
func (b *spanBatcher) export(ctx context.Context) error {
	b.exporting.Lock()
	defer b.exporting.Unlock()
	b.mu.Lock()
	spans, dropped := b.queue, b.dropped
	b.queue, b.spare, b.dropped = b.spare[:0], nil, 0
	b.mu.Unlock()

	var errs []error
	if dropped > 0 {
		otel.Handle(fmt.Errorf("%d spans dropped: the export queue was full; raise OTEL_BSP_MAX_QUEUE_SIZE or sample fewer traces (OTEL_TRACES_SAMPLER)", dropped))
	}
	for batch := range slices.Chunk(spans, b.maxBatch) {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		ectx, cancel := context.WithTimeout(ctx, b.timeout)
		if err := b.exporter.ExportSpans(ectx, batch); err != nil {
			otel.Handle(err)
			errs = append(errs, err)
		}
		cancel()
	}
	// The spans are exported (or lost): their slice takes turns with the
	// queue, so that batching allocates nothing in steady state.
	clear(spans)
	b.mu.Lock()
	if b.spare == nil && cap(spans) <= 2*b.maxQueue {
		b.spare = spans[:0]
	}
	b.mu.Unlock()
	return errors.Join(errs...)
}

// ForceFlush exports every span ended so far, within ctx.
func (b *spanBatcher) ForceFlush(ctx context.Context) error {
	return b.export(ctx)
}

// Shutdown stops the goroutine, exports what is queued and shuts the
// exporter down, within ctx. Spans ending later are dropped.
func (b *spanBatcher) Shutdown(ctx context.Context) error {
	var err error
	b.stopOnce.Do(func() {
		b.mu.Lock()
		b.stopped = true
		b.mu.Unlock()
		close(b.done)
		select {
		case <-b.exited:
		case <-ctx.Done():
			err = ctx.Err()
			return
		}
		err = errors.Join(b.export(ctx), b.exporter.Shutdown(ctx))
	})
	return err
}
