package telemetry

import (
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"strconv"
	"time"
)

// goGauges are the Go runtime metrics exported under the names the
// Prometheus client's Go collector gives them, each the sum of the
// runtime/metrics values it lists.
var goGauges = []struct {
	name, help string
	from       []string
	kind       string
}{
	{"go_goroutines", "Number of goroutines that currently exist.", []string{"/sched/goroutines:goroutines"}, kindGauge},
	{"go_threads", "Number of OS threads created.", []string{"/sched/threads/total:threads"}, kindGauge},
	{"go_sched_gomaxprocs_threads", "The current runtime.GOMAXPROCS setting.", []string{"/sched/gomaxprocs:threads"}, kindGauge},
	{"go_gc_gogc_percent", "Heap size target percentage configured by the user (GOGC).", []string{"/gc/gogc:percent"}, kindGauge},
	{"go_gc_gomemlimit_bytes", "Go runtime memory limit configured by the user (GOMEMLIMIT).", []string{"/gc/gomemlimit:bytes"}, kindGauge},
	{"go_memstats_alloc_bytes", "Number of bytes allocated in heap and currently in use.", []string{"/memory/classes/heap/objects:bytes"}, kindGauge},
	{"go_memstats_alloc_bytes_total", "Total number of bytes allocated in heap until now, even if released already.", []string{"/gc/heap/allocs:bytes"}, kindCounter},
	{"go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and currently in use.", []string{"/memory/classes/heap/objects:bytes"}, kindGauge},
	{"go_memstats_heap_inuse_bytes", "Number of heap bytes that are in use.", []string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes"}, kindGauge},
	{"go_memstats_heap_idle_bytes", "Number of heap bytes waiting to be used.", []string{"/memory/classes/heap/released:bytes", "/memory/classes/heap/free:bytes"}, kindGauge},
	{"go_memstats_heap_released_bytes", "Number of heap bytes released to OS.", []string{"/memory/classes/heap/released:bytes"}, kindGauge},
	{"go_memstats_heap_objects", "Number of currently allocated objects.", []string{"/gc/heap/objects:objects"}, kindGauge},
	{"go_memstats_stack_inuse_bytes", "Number of bytes obtained from system for stack allocator.", []string{"/memory/classes/heap/stacks:bytes"}, kindGauge},
	{"go_memstats_next_gc_bytes", "Number of heap bytes when next garbage collection will take place.", []string{"/gc/heap/goal:bytes"}, kindGauge},
	{"go_memstats_sys_bytes", "Number of bytes obtained from system.", []string{"/memory/classes/total:bytes"}, kindGauge},
}

// writeGoMetrics writes the Go runtime's metrics, read now: go_info, the
// gauges above and go_gc_duration_seconds, the GC pauses' summary.
func writeGoMetrics(w *textWriter) {
	w.header("go_info", "Information about the Go environment.", kindGauge)
	w.sample("go_info", []string{"version"}, []string{runtime.Version()}, "", "", "1")

	var samples []rtmetrics.Sample
	for _, g := range goGauges {
		for _, name := range g.from {
			samples = append(samples, rtmetrics.Sample{Name: name})
		}
	}
	rtmetrics.Read(samples)
	for _, g := range goGauges {
		var sum float64
		known := true
		for range g.from {
			switch v := samples[0].Value; v.Kind() {
			case rtmetrics.KindUint64:
				sum += float64(v.Uint64())
			case rtmetrics.KindFloat64:
				sum += v.Float64()
			default: // not in this Go version
				known = false
			}
			samples = samples[1:]
		}
		if known {
			w.single(g.name, g.help, g.kind, sum)
		}
	}

	stats := debug.GCStats{PauseQuantiles: make([]time.Duration, 5)}
	debug.ReadGCStats(&stats)
	const name = "go_gc_duration_seconds"
	w.header(name, "A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles.", kindSummary)
	for i, q := range []string{"0", "0.25", "0.5", "0.75", "1"} {
		w.sample(name, nil, nil, "quantile", q, formatFloat(stats.PauseQuantiles[i].Seconds()))
	}
	w.sample(name+"_sum", nil, nil, "", "", formatFloat(stats.PauseTotal.Seconds()))
	w.sample(name+"_count", nil, nil, "", "", strconv.FormatInt(stats.NumGC, 10))
}

// writeProcessMetrics writes the process metrics of the Prometheus client's
// process collector, read from /proc: on systems without it, none.
func writeProcessMetrics(w *textWriter) {
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return
	}
	// The fields after the command, which is in parentheses and may hold
	// spaces: state is field 3 of proc(5), fields[0] here.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 {
		stat = stat[i+1:]
	}
	fields := bytes.Fields(stat)
	if len(fields) < 22 {
		return
	}
	num := func(i int) float64 {
		v, _ := strconv.ParseFloat(string(fields[i]), 64)
		return v
	}
	// Clock ticks: USER_HZ, 100 on every Linux the server runs on.
	const userHZ = 100
	utime, stime, start, vsize, rss := num(11), num(12), num(19), num(20), num(21)

	w.single("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", kindCounter, (utime+stime)/userHZ)
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		w.single("process_open_fds", "Number of open file descriptors.", kindGauge, float64(len(fds)))
	}
	if limit, ok := maxFDs(); ok {
		w.single("process_max_fds", "Maximum number of open file descriptors.", kindGauge, limit)
	}
	w.single("process_virtual_memory_bytes", "Virtual memory size in bytes.", kindGauge, vsize)
	w.single("process_resident_memory_bytes", "Resident memory size in bytes.", kindGauge, rss*float64(os.Getpagesize()))
	if boot, ok := bootTime(); ok {
		w.single("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", kindGauge, boot+start/userHZ)
	}
}

// bootTime is the btime of /proc/stat: when the system booted, in seconds
// since the epoch.
func bootTime() (float64, bool) {
	return procValue("/proc/stat", "btime")
}

// maxFDs is the soft limit of open files in /proc/self/limits.
func maxFDs() (float64, bool) {
	// "Max open files            1024                 1048576              files"
	return procValue("/proc/self/limits", "Max open files")
}

// procValue is the first number after prefix on the line of file that
// starts with prefix.
func procValue(file, prefix string) (float64, bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, false
	}
	for line := range bytes.Lines(data) {
		if rest, ok := bytes.CutPrefix(line, []byte(prefix)); ok {
			f := bytes.Fields(rest)
			if len(f) == 0 {
				return 0, false
			}
			v, err := strconv.ParseFloat(string(f[0]), 64)
			return v, err == nil
		}
	}
	return 0, false
}
