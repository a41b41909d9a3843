package telemetry

import (
	"bytes"
	"math"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestExpositionParses: what the registry writes is the Prometheus text
// format as Prometheus's own parser reads it, label values and help text
// with backslashes, quotes and line feeds included, histograms with
// cumulative buckets, their +Inf bucket equal to the count, and the sum.
func TestExpositionParses(t *testing.T) {
	h := newFamily("test_seconds", "Help with a \\ backslash,\na line feed and \"quotes\".", kindHistogram, []string{"b", "a"}, []float64{0.1, 1})
	c := newFamily("test_total", "A counter.", kindCounter, []string{"path"}, nil)
	g := newFamily("test_gauge", "A gauge.", kindGauge, nil, nil)
	reg := &registry{}
	reg.add(h, c, g)

	odd := "C:\\dir \"quoted\"\nnext line"
	for _, v := range []float64{0.05, 0.1, 0.5, 3} {
		h.with(labelValues{"x", odd}).observe(v)
	}
	c.with(labelValues{odd}).inc()
	c.with(labelValues{odd}).inc()
	c.with(labelValues{"plain"})
	g.with(labelValues{}).set(-2.5)

	var b bytes.Buffer
	reg.write(&b)
	mfs := parseMetrics(t, &b)

	if got := mfs["test_seconds"].GetHelp(); got != "Help with a \\ backslash,\na line feed and \"quotes\"." {
		t.Errorf("help read back as %q", got)
	}
	m := series(mfs, "test_seconds", map[string]string{"a": odd, "b": "x"})
	if m == nil {
		t.Fatalf("no histogram series with a=%q b=x; have %v", odd, mfs["test_seconds"])
	}
	var names []string
	for _, l := range m.GetLabel() {
		names = append(names, l.GetName())
	}
	if !slices.Equal(names, []string{"a", "b"}) {
		t.Errorf("labels written in the order %v, want sorted by name", names)
	}
	hist := m.GetHistogram()
	var bounds []float64
	var counts []uint64
	for _, bk := range hist.GetBucket() {
		bounds = append(bounds, bk.GetUpperBound())
		counts = append(counts, bk.GetCumulativeCount())
	}
	if !slices.Equal(bounds, []float64{0.1, 1, math.Inf(1)}) || !slices.Equal(counts, []uint64{2, 3, 4}) {
		t.Errorf("buckets %v with counts %v, want [0.1 1 +Inf] with [2 3 4] (0.1 falls in le=0.1)", bounds, counts)
	}
	if hist.GetSampleCount() != 4 || math.Abs(hist.GetSampleSum()-3.65) > 1e-9 {
		t.Errorf("count %d, sum %v; want 4 and 3.65", hist.GetSampleCount(), hist.GetSampleSum())
	}
	if got := series(mfs, "test_total", map[string]string{"path": odd}).GetCounter().GetValue(); got != 2 {
		t.Errorf("counter with an escaped label value = %v, want 2", got)
	}
	if series(mfs, "test_total", map[string]string{"path": "plain"}) == nil {
		t.Error("a series resolved but never incremented is not written at 0")
	}
	if got := series(mfs, "test_gauge", nil).GetGauge().GetValue(); got != -2.5 {
		t.Errorf("gauge = %v, want -2.5", got)
	}
}

// TestHistogramConcurrent: observations recorded from many goroutines at
// once are all counted, and their sum is exact.
func TestHistogramConcurrent(t *testing.T) {
	f := newFamily("test_seconds", "h", kindHistogram, []string{"k"}, durationBuckets)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				f.with(labelValues{"same"}).observe(0.5)
			}
		})
	}
	wg.Wait()
	s := f.with(labelValues{"same"})
	var n uint64
	for i := range s.buckets {
		n += s.buckets[i].Load()
	}
	if sum := math.Float64frombits(s.sum.Load()); n != 8000 || sum != 4000 {
		t.Errorf("%d observations summing to %v, want 8000 and 4000", n, sum)
	}
	if n := len(f.series.values()); n != 1 {
		t.Errorf("%d series for one label combination", n)
	}
}

// TestRuntimeAndProcessMetrics: the Go runtime's metrics are there with
// plausible values, and on Linux the process's, read from /proc.
func TestRuntimeAndProcessMetrics(t *testing.T) {
	mfs := scrape(t, startTelemetry(t, "http"))
	for _, name := range []string{"go_goroutines", "go_threads", "go_memstats_heap_alloc_bytes", "go_memstats_sys_bytes", "go_memstats_next_gc_bytes"} {
		if v := series(mfs, name, nil).GetGauge().GetValue(); v <= 0 {
			t.Errorf("%s = %v, want > 0", name, v)
		}
	}
	if series(mfs, "go_info", map[string]string{"version": runtime.Version()}) == nil {
		t.Errorf("no go_info{version=%q}", runtime.Version())
	}
	if mfs["go_gc_duration_seconds"].GetMetric()[0].GetSummary() == nil {
		t.Error("go_gc_duration_seconds is not a summary")
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		for name := range mfs {
			if len(name) > 8 && name[:8] == "process_" {
				t.Errorf("%s without /proc", name)
			}
		}
		return
	}
	if v := series(mfs, "process_resident_memory_bytes", nil).GetGauge().GetValue(); v < 1<<20 {
		t.Errorf("process_resident_memory_bytes = %v, want at least 1 MiB", v)
	}
	if v := series(mfs, "process_open_fds", nil).GetGauge().GetValue(); v < 3 {
		t.Errorf("process_open_fds = %v, want at least stdin, stdout and stderr", v)
	}
	start := time.Unix(int64(series(mfs, "process_start_time_seconds", nil).GetGauge().GetValue()), 0)
	if age := time.Since(start); age < 0 || age > time.Hour {
		t.Errorf("process_start_time_seconds is %v ago, want this test's process", age)
	}
	if series(mfs, "process_cpu_seconds_total", nil) == nil || series(mfs, "process_max_fds", nil) == nil {
		t.Error("process_cpu_seconds_total or process_max_fds is missing")
	}
}
