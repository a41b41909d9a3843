package httpserver

import (
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// The access log is written by hand rather than through slog: one line per
// request is the hottest logging there is, and building an slog record with
// a group of headers costs a map, a sort and reflection per request. The
// lines look exactly like those of slog's JSON and text handlers, so log
// collectors see one format whichever wrote a line.

const (
	// accessFlushBytes is how much is buffered before the log is written
	// out at once.
	accessFlushBytes = 64 << 10
	// accessFlushDelay bounds how long a line waits in the buffer.
	accessFlushDelay = 100 * time.Millisecond
)

// accessWriter buffers access log lines and writes them out within
// accessFlushDelay or once accessFlushBytes have gathered, and on Flush at
// shutdown. No goroutine waits while nothing is buffered: the first line
// into an empty buffer arms a timer.
type accessWriter struct {
	out io.Writer

	mu    sync.Mutex
	buf   []byte
	armed bool
}

func newAccessWriter(out io.Writer) *accessWriter {
	return &accessWriter{out: out}
}

// write appends one line (ending in a newline).
func (w *accessWriter) write(line []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, line...)
	if len(w.buf) >= accessFlushBytes {
		w.flushLocked()
		return
	}
	if !w.armed {
		w.armed = true
		time.AfterFunc(accessFlushDelay, w.Flush)
	}
}

// Flush writes out everything buffered.
func (w *accessWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushLocked()
	w.armed = false
}

func (w *accessWriter) flushLocked() {
	if len(w.buf) > 0 {
		_, _ = w.out.Write(w.buf) // nowhere to report a failing stderr
		w.buf = w.buf[:0]
	}
}

// linePool recycles the buffers lines are built in.
var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// accessLine builds one access log line in the JSON or text form of slog's
// handlers.
type accessLine struct {
	b     []byte
	json  bool
	group string // prefix of keys in a text group ("headers.")
	first bool   // no attribute written yet at this JSON level
}

// key writes the key k of the next value. k is a literal of this package
// (a field name), which JSON holds as it is; a name from the request goes
// through escapedKey instead.
func (l *accessLine) key(k string) {
	if !l.json {
		l.textKey(k)
		return
	}
	l.comma()
	l.b = append(l.b, '"')
	l.b = append(l.b, k...)
	l.b = append(l.b, '"', ':')
}

// escapedKey writes a key that may need escaping: a header name.
func (l *accessLine) escapedKey(k string) {
	if !l.json {
		l.textKey(k)
		return
	}
	l.comma()
	l.b = appendJSONString(l.b, k)
	l.b = append(l.b, ':')
}

// comma separates a JSON member from the one before it, if any.
func (l *accessLine) comma() {
	if !l.first {
		l.b = append(l.b, ',')
	}
	l.first = false
}

func (l *accessLine) textKey(k string) {
	if len(l.b) > 0 {
		l.b = append(l.b, ' ')
	}
	l.b = appendTextString(l.b, l.group+k)
	l.b = append(l.b, '=')
}

func (l *accessLine) str(k, v string) {
	l.key(k)
	if l.json {
		l.b = appendJSONString(l.b, v)
	} else {
		l.b = appendTextString(l.b, v)
	}
}

func (l *accessLine) int(k string, v int64) {
	l.key(k)
	l.b = strconv.AppendInt(l.b, v, 10)
}

// float writes v as slog does: as encoding/json writes numbers in JSON
// (no exponent for the milliseconds this holds), with %g in text.
func (l *accessLine) float(k string, v float64) {
	l.key(k)
	if l.json {
		l.b = appendThousandths(l.b, v)
		return
	}
	l.b = strconv.AppendFloat(l.b, v, 'g', -1, 64)
}

// appendThousandths appends v as strconv.AppendFloat(b, v, 'f', -1, 64)
// does. A duration in milliseconds to the microsecond, the usual v, is a
// whole number of thousandths: its shortest form is that number's digits
// with the point put in, written without the float formatter. Anything
// else goes to the formatter.
func appendThousandths(b []byte, v float64) []byte {
	if !(v >= 0 && v < 1e12) {
		return strconv.AppendFloat(b, v, 'f', -1, 64)
	}
	k := int64(math.Round(v * 1000))
	if float64(k)/1000 != v {
		return strconv.AppendFloat(b, v, 'f', -1, 64)
	}
	b = strconv.AppendInt(b, k/1000, 10)
	if frac := k % 1000; frac != 0 {
		digits := [3]byte{byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
		n := 3
		for digits[n-1] == '0' {
			n--
		}
		b = append(b, '.')
		b = append(b, digits[:n]...)
	}
	return b
}

func (l *accessLine) bool(k string, v bool) {
	l.key(k)
	l.b = strconv.AppendBool(l.b, v)
}

func (l *accessLine) time(k string, t time.Time) {
	l.key(k)
	if l.json {
		l.b = append(l.b, '"')
		l.b = appendStamp(l.b, t, false)
		l.b = append(l.b, '"')
		return
	}
	l.b = appendStamp(l.b, t, true)
}

// stampSecond is a second formatted once for the lines of that second:
// "2006-01-02T15:04:05" and the zone, "Z07:00".
type stampSecond struct {
	unix       int64
	loc        *time.Location
	date, zone string
}

// lastStamp is the second of the latest line.
var lastStamp atomic.Pointer[stampSecond]

// appendStamp appends t as t.AppendFormat does with time.RFC3339Nano (as
// slog's JSON handler writes times) or, with millis, with
// "2006-01-02T15:04:05.000Z07:00" (its text handler). Everything but the
// fraction is the same for every line of a second, and is formatted once
// per second.
func appendStamp(b []byte, t time.Time, millis bool) []byte {
	unix, loc := t.Unix(), t.Location()
	st := lastStamp.Load()
	if st == nil || st.unix != unix || st.loc != loc {
		whole := t.Add(-time.Duration(t.Nanosecond())).Format(time.RFC3339)
		if y := t.Year(); y < 0 || y > 9999 || len(whole) < 20 {
			if millis {
				return t.AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
			}
			return t.AppendFormat(b, time.RFC3339Nano)
		}
		st = &stampSecond{unix: unix, loc: loc, date: whole[:19], zone: whole[19:]}
		lastStamp.Store(st)
	}
	b = append(b, st.date...)
	ns := t.Nanosecond()
	var digits [9]byte
	for i, n := 8, ns; i >= 0; i-- {
		digits[i] = byte('0' + n%10)
		n /= 10
	}
	switch {
	case millis:
		b = append(b, '.')
		b = append(b, digits[:3]...)
	case ns != 0:
		n := 9
		for digits[n-1] == '0' {
			n--
		}
		b = append(b, '.')
		b = append(b, digits[:n]...)
	}
	return append(b, st.zone...)
}

func (l *accessLine) openGroup(k string) {
	if l.json {
		l.key(k)
		l.b = append(l.b, '{')
		l.first = true
		return
	}
	l.group = k + "."
}

func (l *accessLine) closeGroup() {
	if l.json {
		l.b = append(l.b, '}')
		l.first = false
		return
	}
	l.group = ""
}

// headers writes the "headers" group: every header not excluded, sorted by
// name, its values joined with ", ", a redacted one as "[REDACTED]".
func (l *accessLine) headers(h http.Header, f headerFilter) {
	type entry struct {
		name   string
		vals   []string
		redact bool
		plain  bool // see plainName
	}
	var stack [16]entry
	names := stack[:0]
	for name, vals := range h {
		plain, canonical := plainName(name), name
		if !plain {
			canonical = http.CanonicalHeaderKey(name)
		}
		switch f.of(canonical) {
		case headerExcluded:
		case headerRedacted:
			names = append(names, entry{name, vals, true, plain})
		default:
			names = append(names, entry{name, vals, false, plain})
		}
	}
	// By name, so that a line does not depend on map order: the few
	// headers of a usual request by insertion, without the generic sort's
	// calls; a request with many, in O(n log n).
	if len(names) > len(stack) {
		slices.SortFunc(names, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	} else {
		for i := 1; i < len(names); i++ {
			for j := i; j > 0 && names[j].name < names[j-1].name; j-- {
				names[j], names[j-1] = names[j-1], names[j]
			}
		}
	}
	l.openGroup("headers")
	for _, e := range names {
		if e.plain {
			l.key(e.name)
		} else {
			l.escapedKey(e.name)
		}
		switch {
		case e.redact:
			l.value(redacted)
		case len(e.vals) == 1:
			l.value(e.vals[0])
		default:
			l.joined(e.vals)
		}
	}
	l.closeGroup()
}

// plainName reports whether name is in canonical form (as
// http.CanonicalHeaderKey writes it) and made of letters, digits and
// hyphens only, as the names of parsed requests nearly always are: the
// header filter looks it up as it is, and it is written without escaping,
// in one scan instead of the two those would take.
func plainName(name string) bool {
	upper := true // the next letter starts a word
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z':
			if upper {
				return false
			}
		case 'A' <= c && c <= 'Z':
			if !upper {
				return false
			}
		case '0' <= c && c <= '9', c == '-':
		default:
			return false
		}
		upper = name[i] == '-'
	}
	return name != ""
}

func (l *accessLine) value(v string) {
	if l.json {
		l.b = appendJSONString(l.b, v)
	} else {
		l.b = appendTextString(l.b, v)
	}
}

// joined writes values joined with ", " without building the joined string
// (in text form it must be quoted as a whole, so it is built there).
func (l *accessLine) joined(vals []string) {
	if !l.json {
		n := 0
		for _, v := range vals {
			n += len(v) + 2
		}
		s := make([]byte, 0, n)
		for i, v := range vals {
			if i > 0 {
				s = append(s, ", "...)
			}
			s = append(s, v...)
		}
		l.b = appendTextString(l.b, string(s))
		return
	}
	l.b = append(l.b, '"')
	for i, v := range vals {
		if i > 0 {
			l.b = append(l.b, ", "...)
		}
		l.b = appendJSONContent(l.b, v)
	}
	l.b = append(l.b, '"')
}

// appendJSONString appends s as a JSON string, as encoding/json and slog
// write it: invalid UTF-8 becomes U+FFFD, U+2028 and U+2029 are escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendJSONContent(b, s)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// safeWords returns how many bytes at the start of s, in whole words of
// eight, a JSON string holds as they are: ASCII from 0x20 up, but for '"'
// and '\\'. Log lines are mostly such bytes; eight are checked at once.
func safeWords(s string) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	n := 0
	for ; n+8 <= len(s); n += 8 {
		x := uint64(s[n]) | uint64(s[n+1])<<8 | uint64(s[n+2])<<16 | uint64(s[n+3])<<24 |
			uint64(s[n+4])<<32 | uint64(s[n+5])<<40 | uint64(s[n+6])<<48 | uint64(s[n+7])<<56
		q, bs := x^(lo*'"'), x^(lo*'\\')
		// A byte below 0x20, a zero byte of q or bs (a '"' or '\\' in x), or
		// one from 0x80 up (the high bit of x): the tests are exact as to
		// whether the word has one, not as to where.
		if ((x-lo*0x20)&^x|(q-lo)&^q|(bs-lo)&^bs|x)&hi != 0 {
			break
		}
	}
	return n
}

// jsonSafe marks the ASCII bytes a JSON string holds as they are.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func appendJSONContent(b []byte, s string) []byte {
	start, next := 0, 0
	for i := 0; i < len(s); {
		if i >= next {
			// Whole words that need no escaping, then byte by byte
			// through the word (or the tail) that ended the run.
			i += safeWords(s[i:])
			next = i + 8
			if i >= len(s) {
				break
			}
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}

// appendTextString appends s as slog's text handler does: bare when it is
// a non-empty run of printable characters other than space, '=' and '"',
// quoted otherwise.
func appendTextString(b []byte, s string) []byte {
	if needsQuoting(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

func needsQuoting(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c <= ' ' || c == '=' || c == '"' || c == 0x7f {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || !strconv.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}
