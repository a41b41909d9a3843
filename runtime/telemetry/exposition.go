package telemetry

import (
	"bytes"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
)

// The metrics are kept by this small registry and written in the
// Prometheus text format 0.0.4 rather than by the Prometheus client
// library: the library, its protobuf model and its collectors cost an idle
// server megabytes of resident memory (issue 11's budget), for what a few
// counters and histograms need.

// contentType is that of the Prometheus text format.
const contentType = "text/plain; version=0.0.4; charset=utf-8"

// The types of metric families, as the # TYPE line names them.
const (
	kindCounter   = "counter"
	kindGauge     = "gauge"
	kindHistogram = "histogram"
	kindSummary   = "summary"
)

// maxLabels is the most labels a family has (the operation histogram's).
const maxLabels = 6

// labelValues are the label values of one series, in the order of its
// family's label names; unused entries are "". An array, so that looking a
// series up allocates nothing.
type labelValues [maxLabels]string

// family is a metric family: its series, one per label combination seen.
// It has at most maxLabels labels.
type family struct {
	name, help, kind string
	labels           []string  // names, in the order of labelValues
	order            []int     // indexes of labels sorted by name, the order they are written in
	upper            []float64 // a histogram's bucket upper bounds, +Inf excluded

	series lastMap[labelValues, *metricSeries]
}

func newFamily(name, help, kind string, labels []string, upper []float64) *family {
	order := make([]int, len(labels))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(labels[a], labels[b]) })
	return &family{name: name, help: help, kind: kind, labels: labels, order: order, upper: upper}
}

// with returns the series of the label values v, created the first time.
func (f *family) with(v labelValues) *metricSeries {
	return f.series.get(v, f.newSeries)
}

// newSeries is a new series of the label values v.
func (f *family) newSeries(v labelValues) *metricSeries {
	s := &metricSeries{values: v}
	if f.kind == kindHistogram {
		s.upper, s.buckets = f.upper, make([]atomic.Uint64, len(f.upper)+1)
	}
	return s
}

// metricSeries is one label combination of a family: a counter's count, a
// gauge's value or a histogram's buckets.
type metricSeries struct {
	values labelValues

	value atomic.Uint64 // a counter's count; a gauge's math.Float64bits

	// A histogram's bucket bounds (its family's), observations by bucket
	// (not cumulative; the last is +Inf) and the float64 bits of their sum.
	upper   []float64
	buckets []atomic.Uint64
	sum     atomic.Uint64
}

// inc adds one to a counter.
func (s *metricSeries) inc() { s.value.Add(1) }

// set sets a gauge.
func (s *metricSeries) set(v float64) { s.value.Store(math.Float64bits(v)) }

// observe records v in a histogram.
func (s *metricSeries) observe(v float64) {
	i := 0
	for i < len(s.upper) && v > s.upper[i] {
		i++
	}
	s.buckets[i].Add(1)
	for {
		old := s.sum.Load()
		if s.sum.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

// registry is the metrics of one Telemetry: its families and the
// functions that write, at each scrape, what is read rather than recorded
// (the Go runtime's and the process's).
type registry struct {
	families []*family
	collect  []func(*textWriter)
}

// add registers families.
func (r *registry) add(fs ...*family) { r.families = append(r.families, fs...) }

// write writes every metric in the text format.
func (r *registry) write(b *bytes.Buffer) {
	w := &textWriter{b: b}
	for _, f := range r.families {
		w.family(f)
	}
	for _, c := range r.collect {
		c(w)
	}
}

// handler serves the registry in the text format.
func (r *registry) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		var b bytes.Buffer
		r.write(&b)
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
		_, _ = w.Write(b.Bytes())
	})
}

// textWriter writes metric families in the Prometheus text format 0.0.4.
type textWriter struct{ b *bytes.Buffer }

// header writes the # HELP and # TYPE lines of a family.
func (w *textWriter) header(name, help, kind string) {
	w.b.WriteString("# HELP ")
	w.b.WriteString(name)
	w.b.WriteByte(' ')
	escapeTo(w.b, help, false)
	w.b.WriteString("\n# TYPE ")
	w.b.WriteString(name)
	w.b.WriteByte(' ')
	w.b.WriteString(kind)
	w.b.WriteByte('\n')
}

// sample writes one sample line: name{labels} value. names and values are
// the label pairs, in order; extraName, when not "", one more pair (a
// histogram's le, a summary's quantile).
func (w *textWriter) sample(name string, names, values []string, extraName, extraValue, value string) {
	w.b.WriteString(name)
	if len(names) > 0 || extraName != "" {
		w.b.WriteByte('{')
		sep := false
		pair := func(n, v string) {
			if sep {
				w.b.WriteByte(',')
			}
			sep = true
			w.b.WriteString(n)
			w.b.WriteString(`="`)
			escapeTo(w.b, v, true)
			w.b.WriteByte('"')
		}
		for i, n := range names {
			pair(n, values[i])
		}
		if extraName != "" {
			pair(extraName, extraValue)
		}
		w.b.WriteByte('}')
	}
	w.b.WriteByte(' ')
	w.b.WriteString(value)
	w.b.WriteByte('\n')
}

// single writes a family of one unlabelled sample.
func (w *textWriter) single(name, help, kind string, v float64) {
	w.header(name, help, kind)
	w.sample(name, nil, nil, "", "", formatFloat(v))
}

// family writes a registered family, its series ordered by label values.
func (w *textWriter) family(f *family) {
	all := f.series.values()
	slices.SortFunc(all, func(a, b *metricSeries) int {
		for _, i := range f.order {
			if c := strings.Compare(a.values[i], b.values[i]); c != 0 {
				return c
			}
		}
		return 0
	})
	names := make([]string, len(f.order))
	for j, i := range f.order {
		names[j] = f.labels[i]
	}
	values := make([]string, len(f.order))

	w.header(f.name, f.help, f.kind)
	for _, s := range all {
		for j, i := range f.order {
			values[j] = s.values[i]
		}
		switch f.kind {
		case kindCounter:
			w.sample(f.name, names, values, "", "", strconv.FormatUint(s.value.Load(), 10))
		case kindGauge:
			w.sample(f.name, names, values, "", "", formatFloat(math.Float64frombits(s.value.Load())))
		case kindHistogram:
			// The count is the buckets' total, so that it equals the +Inf
			// bucket even while observations are being recorded.
			var cumulative uint64
			for i := range s.buckets {
				cumulative += s.buckets[i].Load()
				le := "+Inf"
				if i < len(f.upper) {
					le = formatFloat(f.upper[i])
				}
				w.sample(f.name+"_bucket", names, values, "le", le, strconv.FormatUint(cumulative, 10))
			}
			w.sample(f.name+"_sum", names, values, "", "", formatFloat(math.Float64frombits(s.sum.Load())))
			w.sample(f.name+"_count", names, values, "", "", strconv.FormatUint(cumulative, 10))
		}
	}
}

// formatFloat writes a sample value or bound as the text format does.
func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// escapeTo writes s escaped as the text format says: backslash and line
// feed in help text, and the double quote too in label values.
func escapeTo(b *bytes.Buffer, s string, quote bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '"' && quote:
			b.WriteString(`\"`)
		default:
			b.WriteByte(c)
		}
	}
}
