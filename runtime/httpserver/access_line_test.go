package httpserver

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpforge/mcpforge/runtime/config"
	"github.com/mcpforge/mcpforge/runtime/envelope"
)

// The hand-written access log line is byte for byte what slog's handlers
// would write for the same record, in both formats, whatever the values.
func TestAccessLineMatchesSlog(t *testing.T) {
	start := time.Date(2026, 11, 30, 13, 4, 5, 123456789, time.FixedZone("x", 3600))
	header := http.Header{
		"Accept":        {"application/json, text/event-stream"},
		"Authorization": {"Bearer secret"},
		"X-Multi":       {"a", "b=c"},
		"X-Odd":         {"quote \" back\\slash \t tab \x01 ctl \u2028 ls \xff bad é"},
		"X-Empty":       {""},
		"X-Noise":       {"dropped"},
		// Not a name net/http accepts, but one a handler could set: it is
		// escaped like any other string.
		"X-\"Odd\\Name\x01": {"v"},
	}
	filter := newHeaderFilter(nil, []string{"x-noise"})
	for _, format := range []string{"json", "text"} {
		for _, v := range []struct {
			method, path, subject, tool, body string
			status                            int
			duration                          float64
			batch                             int
		}{
			{"POST", "/mcp", "alice", "hello_world", "", 200, 0.125, 0},
			{"GET", "/a b=c", "", "", "", 404, 12345678.901, 0},
			{"POST", "/message", "名前 with space", "t\"x", `{"pad":"é\n"}`, 500, 0.001, 3},
		} {
			l := accessLine{json: format == "json", first: true}
			if l.json {
				l.b = append(l.b, '{')
			}
			l.time(slog.TimeKey, start)
			l.str(slog.LevelKey, slog.LevelInfo.String())
			l.str(slog.MessageKey, "http request")
			l.str("method", v.method)
			l.str("path", v.path)
			l.int("status", int64(v.status))
			l.float("duration", v.duration)
			l.str("subject", v.subject)
			l.str("tool", v.tool)
			if v.batch > 0 {
				l.int("batch", int64(v.batch))
			}
			l.headers(header, filter)
			if v.body != "" {
				l.str("body", v.body)
				l.bool("body_truncated", true)
			}
			if l.json {
				l.b = append(l.b, '}')
			}
			l.b = append(l.b, '\n')

			var want bytes.Buffer
			var h slog.Handler = slog.NewTextHandler(&want, nil)
			if l.json {
				h = slog.NewJSONHandler(&want, nil)
			}
			rec := slog.NewRecord(start, slog.LevelInfo, "http request", 0)
			rec.AddAttrs(slog.String("method", v.method), slog.String("path", v.path), slog.Int("status", v.status),
				slog.Float64("duration", v.duration), slog.String("subject", v.subject), slog.String("tool", v.tool))
			if v.batch > 0 {
				rec.AddAttrs(slog.Int("batch", v.batch))
			}
			var hdrs []slog.Attr
			for _, name := range []string{"Accept", "Authorization", "X-\"Odd\\Name\x01", "X-Empty", "X-Multi", "X-Odd"} {
				value := strings.Join(header[name], ", ")
				if name == "Authorization" {
					value = redacted
				}
				hdrs = append(hdrs, slog.String(name, value))
			}
			rec.AddAttrs(slog.Attr{Key: "headers", Value: slog.GroupValue(hdrs...)})
			if v.body != "" {
				rec.AddAttrs(slog.String("body", v.body), slog.Bool("body_truncated", true))
			}
			if err := h.Handle(context.Background(), rec); err != nil {
				t.Fatal(err)
			}
			if got := string(l.b); got != want.String() {
				t.Errorf("%s line\n got %s\nwant %s", format, got, want.String())
			}
		}
	}
}

// Strings are escaped as slog escapes them whatever byte stands wherever
// in the words appendJSONContent checks eight bytes at a time.
func TestAppendJSONContentMatchesSlog(t *testing.T) {
	var want bytes.Buffer
	h := slog.NewJSONHandler(&want, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key != "v" {
			return slog.Attr{}
		}
		return a
	}})
	check := func(s string) {
		t.Helper()
		want.Reset()
		rec := slog.NewRecord(time.Time{}, slog.LevelInfo, "", 0)
		rec.AddAttrs(slog.String("v", s))
		if err := h.Handle(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
		if got := `{"v":` + string(appendJSONString(nil, s)) + "}\n"; got != want.String() {
			t.Fatalf("%q: got %s, want %s", s, got, want.String())
		}
	}
	base := "abcdefghijklmnopqrstuvwx" // three words of safe bytes
	for c := range 256 {
		for i := range len(base) {
			check(base[:i] + string(rune(c))[:1] + base[i+1:])
			check(base[:i] + string([]byte{byte(c)}) + base[i+1:])
		}
	}
	for _, s := range []string{"", "\u2028", "é", "ascii then é", "\xff\xfe", "0123456789abcdef\u2029", `""""""""\\\\`,
		"ab\"cd\\ef\x01gh\"ijklmnop\n", "abcdefgé\u2028xyz0123456789", "abcdef\u2029\xffghijklmnopq"} {
		check(s)
	}
}

// Lines are written out within accessFlushDelay without anything asking
// for it, and every line of every request answered is written by the time
// Serve returns from a graceful shutdown.
func TestAccessLogIsBufferedAndFlushedOnShutdown(t *testing.T) {
	f := newFixture(t, nil, nil).start(t)
	resp := f.get(t, "GET", "/", nil, nil)
	id := resp.Header.Get("X-Request-Id")
	deadline := time.Now().Add(accessFlushDelay + 2*time.Second)
	for !strings.Contains(f.logs.String(), id) {
		if time.Now().After(deadline) {
			t.Fatalf("the line of request %s was not written within %s", id, accessFlushDelay)
		}
		time.Sleep(5 * time.Millisecond)
	}

	var wg sync.WaitGroup
	ids := make(chan string, 200)
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(f.url + "/")
			if err != nil {
				return
			}
			resp.Body.Close()
			ids <- resp.Header.Get("X-Request-Id")
		}()
	}
	wg.Wait()
	close(ids)
	if err := f.shutdown(t, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	logs := f.logs.String()
	n := 0
	for id := range ids {
		n++
		if !strings.Contains(logs, `"request_id":"`+id+`"`) {
			t.Fatalf("request %s was answered but its access log line was lost", id)
		}
	}
	if n == 0 {
		t.Fatal("no request was answered")
	}
}

func TestAccessLogTextFormat(t *testing.T) {
	f := newFixture(t, func(c *config.Config) { c.Log.Format = "text" }, nil)
	resp := f.do(t, "GET", "/nope?sessionId=secret", nil, map[string]string{"Authorization": "Bearer tok-secret"})
	f.srv.accessOut.Flush()
	logs := f.logs.String()
	want := []string{"level=INFO", `msg="http request"`, "method=GET", "path=/nope", "status=404", "request_id=" + resp.Header.Get("X-Request-Id"), "headers.Authorization=[REDACTED]"}
	for _, w := range want {
		if !strings.Contains(logs, w) {
			t.Errorf("text access log lacks %q:\n%s", w, logs)
		}
	}
	if strings.Contains(logs, "secret") {
		t.Errorf("text access log holds a secret:\n%s", logs)
	}
}

// BenchmarkAccessLine measures building and buffering one JSON line.
func BenchmarkAccessLine(b *testing.B) {
	f := newFixture(b, nil, nil)
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/mcp", nil)
	req.Header = http.Header{"Accept": {"application/json, text/event-stream"}, "Content-Type": {"application/json"},
		"Authorization": {"Bearer x"}, "Mcp-Session-Id": {"0123"}, "Mcp-Protocol-Version": {"2025-11-25"}, "User-Agent": {"bench"}}
	req.RemoteAddr = "127.0.0.1:5000"
	st := &requestState{requestID: "0123456789abcdef0123456789abcdef",
		env: envelope.Parse([]byte(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"hello_world","arguments":{"name":"Ada"}}}`))}
	al := f.srv.cfg.Middleware.AccessLog
	filter := newHeaderFilter(al.RedactHeaders, al.ExcludeHeaders)
	rec := &recorder{status: 200, bytes: 120}
	f.srv.accessOut.out = discardWriter{}
	b.ReportAllocs()
	for b.Loop() {
		f.srv.logRequest(req, rec, st, time.Now(), time.Millisecond, filter)
	}
}

// TestAccessLineHeadersSorted: headers appear by name whatever their
// number, both below the insertion sort's bound and beyond it.
func TestAccessLineHeadersSorted(t *testing.T) {
	for _, n := range []int{2, 7, 16, 17, 100} {
		h := http.Header{}
		var names []string
		for i := range n {
			name := fmt.Sprintf("X-H%03d", (i*37)%n) // not in order as made
			h[name] = []string{"v"}
			names = append(names, name)
		}
		slices.Sort(names)
		l := accessLine{json: true, first: true}
		l.headers(h, newHeaderFilter(nil, nil))
		last := -1
		for _, name := range names {
			at := strings.Index(string(l.b), `"`+name+`"`)
			if at <= last {
				t.Fatalf("%d headers: %s at %d, after the previous at %d:\n%s", n, name, at, last, l.b)
			}
			last = at
		}
	}
}

// TestPlainName: a name plainName accepts is its own canonical form and
// needs no escaping; the usual names are accepted; and a name it refuses
// is still matched by the filter case-insensitively.
func TestPlainName(t *testing.T) {
	for _, name := range []string{"Accept", "Content-Type", "Mcp-Session-Id", "X-B3-Traceid", "X-2fa", "A", "A-", "-A"} {
		if !plainName(name) {
			t.Errorf("plainName(%q) = false, want true", name)
		}
	}
	for _, name := range []string{"", "content-type", "Content-type", "X_Y", "X-\"Odd\\Name\x01", "Äb", "X.Y", "X Y", "MCP-Session-Id"} {
		if plainName(name) {
			t.Errorf("plainName(%q) = true, want false", name)
		}
	}
	for c := range 256 {
		for _, name := range []string{string(rune(c)), "X" + string([]byte{byte(c)}) + "y", "X-" + string([]byte{byte(c)}) + "b"} {
			if plainName(name) && (http.CanonicalHeaderKey(name) != name || string(appendJSONString(nil, name)) != `"`+name+`"`) {
				t.Errorf("plainName(%q) = true, but it is not canonical or needs escaping", name)
			}
		}
	}
	l := accessLine{json: true, first: true}
	l.headers(http.Header{"authorization": {"Bearer secret"}, "x-noise": {"dropped"}}, newHeaderFilter(nil, []string{"X-Noise"}))
	if got := string(l.b); got != `"headers":{"authorization":"[REDACTED]"}` {
		t.Errorf("non-canonical names: %s", got)
	}
}

// TestAppendStamp: the per-second stamp writes what time.AppendFormat
// writes, in every zone, whatever the fraction, across seconds and zones
// in turn.
func TestAppendStamp(t *testing.T) {
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("x", 3600), time.FixedZone("y", -(9*3600 + 30*60)), time.FixedZone("z", 45)}
	base := time.Date(2026, 11, 30, 23, 59, 58, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 {
		tm := base.Add(time.Duration(rng.Int64N(int64(4 * time.Second)))).In(zones[i%len(zones)])
		switch i % 7 {
		case 0:
			tm = tm.Truncate(time.Second) // no fraction
		case 1:
			tm = tm.Truncate(time.Millisecond)
		}
		if got, want := string(appendStamp(nil, tm, false)), tm.Format(time.RFC3339Nano); got != want {
			t.Fatalf("%v: got %s, want %s", tm, got, want)
		}
		if got, want := string(appendStamp(nil, tm, true)), tm.Format("2006-01-02T15:04:05.000Z07:00"); got != want {
			t.Fatalf("%v with millis: got %s, want %s", tm, got, want)
		}
	}
	for _, tm := range []time.Time{time.Date(10000, 1, 1, 0, 0, 0, 5, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), {}} {
		if got, want := string(appendStamp(nil, tm, false)), tm.Format(time.RFC3339Nano); got != want {
			t.Errorf("%v: got %s, want %s", tm, got, want)
		}
	}
}

// TestAppendThousandths: what strconv writes, for durations to the
// microsecond and for any other number.
func TestAppendThousandths(t *testing.T) {
	check := func(v float64) {
		t.Helper()
		if got, want := string(appendThousandths(nil, v)), strconv.FormatFloat(v, 'f', -1, 64); got != want {
			t.Fatalf("%v: got %s, want %s", v, got, want)
		}
	}
	for us := range int64(200000) {
		check(milliseconds(time.Duration(us) * time.Microsecond))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		check(milliseconds(time.Duration(rng.Int64N(int64(1 << 62)))))
		check(rng.Float64() * 1e6)
	}
	for _, v := range []float64{0, 0.001, 0.1, 0.125, 1, 12345678.901, 999999999999.999, 1e12, 1e15, 1e21, -1, math.Inf(1), math.NaN(), 5e-324} {
		check(v)
	}
}
