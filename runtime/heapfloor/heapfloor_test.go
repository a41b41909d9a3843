package heapfloor

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPercentFor(t *testing.T) {
	for _, c := range []struct {
		live, roots uint64
		want        int
	}{
		{0, 0, 100},
		{1 << 20, 0, 800},       // 1 MiB live: 32 MiB, by Go's minimum (4 MiB × 8)
		{1 << 20, 1 << 20, 800}, // the same, roots or not
		{6 << 20, 0, 433},       // 6 MiB live: 6 + 6 × 4.33 = 32 MiB
		{6 << 20, 2 << 20, 325}, // the roots count towards Go's goal too
		{12 << 20, 0, 166},      // 12 MiB live: 12 + 12 × 1.66 = 32 MiB
		{Floor / 2, 0, 100},     // from here on, Go's default
		{64 << 20, 0, 100},
		{1 << 20, 100 << 20, 100}, // never below the default
	} {
		if got := percentFor(c.live, c.roots); got != c.want {
			t.Errorf("percentFor(%d, %d) = %d, want %d", c.live, c.roots, got, c.want)
		}
	}
}

var sink []byte

// stopAfter stops the tuner a test started, so that the next test (or the
// next -count round) starts from Go's defaults.
func stopAfter(t *testing.T) {
	t.Cleanup(func() {
		active.Store(false)
		runtime.GC()
		debug.SetGCPercent(100)
	})
}

// startTuner arms the tuner from Go's defaults (GOGC unset, 100) after a
// collection, and puts everything back when the test ends.
func startTuner(t *testing.T) {
	t.Helper()
	t.Setenv("GOGC", "")
	old := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(old) })
	stopAfter(t)
	Set()
	runtime.GC()
}

// An operator's GOGC stands. (Runs before the test that arms the tuner
// for the rest of the process.)
func TestSetLeavesGOGCAlone(t *testing.T) {
	t.Setenv("GOGC", "50")
	old := debug.SetGCPercent(50)
	defer debug.SetGCPercent(old)
	Set()
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	if pct := debug.SetGCPercent(50); pct != 50 {
		t.Fatalf("GOGC is %d with GOGC=50 in the environment, want 50", pct)
	}
}

// After a collection the collector's setting follows the live heap.
func TestSetTunesAfterEachCollection(t *testing.T) {
	startTuner(t)
	deadline := time.Now().Add(5 * time.Second)
	for {
		pct := debug.SetGCPercent(-1) // read it...
		debug.SetGCPercent(pct)       // ...and put it back
		if pct > 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GOGC is %d after a collection with a small live heap, want above 100", pct)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

// With the floor, a small live heap is collected once the heap nears the
// floor: not all the time, and not never. What the tuner decides is the
// heap goal after a collection, asserted exactly after one the test makes.
// How far the heap overshoots its goal while a collection runs depends on
// the CPU the collector gets, which a busy machine (or the race detector,
// or coverage counters) takes away; it is not asserted.
func TestHeapStaysNearTheFloor(t *testing.T) {
	startTuner(t)
	runtime.GC()
	time.Sleep(10 * time.Millisecond) // the cleanup has run
	sample := []metrics.Sample{
		{Name: "/gc/heap/goal:bytes"}, {Name: "/gc/heap/live:bytes"},
		{Name: "/gc/scan/globals:bytes"}, {Name: "/gc/scan/stack:bytes"},
	}
	metrics.Read(sample)
	goal, live := sample[0].Value.Uint64(), sample[1].Value.Uint64()
	roots := sample[2].Value.Uint64() + sample[3].Value.Uint64()
	// The floor; or Go's own goal, live + (live + roots), when large roots
	// (coverage counters are globals) put it above the floor, which then
	// changes nothing. Without the floor's care for Go's minimum heap the
	// goal was four times the floor.
	low, high := uint64(Floor)*9/10, max(uint64(Floor)*11/10, 2*live+roots+1<<20)
	if goal < low || goal > high {
		t.Errorf("heap goal %d MiB after a collection (live %d KiB, roots %d KiB), want %d to %d MiB",
			goal>>20, live>>10, roots>>10, low>>20, high>>20)
	}

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 3000 {
		sink = make([]byte, 128<<10)
	}
	runtime.ReadMemStats(&after)
	// About one per 32 MiB on an idle machine; on a busy one the loop can
	// outrun the collector's cycles, and only "not never" holds.
	if gcs := after.NumGC - before.NumGC; gcs < 1 || gcs > 60 {
		t.Errorf("%d collections for 375 MiB of garbage, want about one per %d MiB", gcs, Floor>>20)
	}
}
