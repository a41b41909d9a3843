package httpserver

import (
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpforge/mcpforge/runtime/config"
	"github.com/mcpforge/mcpforge/runtime/envelope"
)

func TestAccessLogRedactsAndExcludes(t *testing.T) {
	f := newFixture(t, func(c *config.Config) {
		al := &c.Middleware.AccessLog
		al.ExcludeHeaders = []string{"X-Noise"}
		al.LogBody = true
		al.MaxBodyLogBytes = 16
	}, nil).start(t)

	secrets := map[string]string{
		"Authorization": "Bearer secret-token-111",
		"Cookie":        "session=secret-cookie-222",
		"X-Api-Key":     "secret-key-333",
		"X-Noise":       "secret-noise-444",
	}
	h := map[string]string{"X-Trace": "visible-trace", "Content-Type": "application/json"}
	for k, v := range secrets {
		h[k] = v
	}
	body := `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"secret-body-tail-555"}}`
	f.get(t, "POST", "/message?sessionId=secret-session-666", strings.NewReader(body), h)

	f.srv.accessOut.Flush()
	logs := f.logs.String()
	for _, s := range []string{"secret-token-111", "secret-cookie-222", "secret-key-333", "secret-noise-444", "secret-body-tail-555", "secret-session-666"} {
		if strings.Contains(logs, s) {
			t.Errorf("log contains %q:\n%s", s, logs)
		}
	}

	var line map[string]any
	for _, l := range f.logs.lines(t) {
		if l["msg"] == "http request" && l["path"] == "/message" {
			line = l
		}
	}
	if line == nil {
		t.Fatalf("no access log line for /message:\n%s", logs)
	}
	if line["method"] != "POST" || line["status"] == nil || line["duration"] == nil || line["remote"] == nil || line["bytes"] == nil {
		t.Errorf("access log line lacks fields: %v", line)
	}
	headers, _ := line["headers"].(map[string]any)
	for _, k := range []string{"Authorization", "Cookie", "X-Api-Key"} {
		if headers[k] != "[REDACTED]" {
			t.Errorf("header %s logged as %v, want [REDACTED]", k, headers[k])
		}
	}
	if _, ok := headers["X-Noise"]; ok {
		t.Errorf("excluded header X-Noise was logged")
	}
	if headers["X-Trace"] != "visible-trace" {
		t.Errorf("X-Trace = %v, want it logged as is", headers["X-Trace"])
	}
	if line["body"] != body[:16] || line["body_truncated"] != true {
		t.Errorf("body = %v (truncated %v), want the first 16 bytes", line["body"], line["body_truncated"])
	}
}

func TestAccessLogAlwaysRedactsAuthorization(t *testing.T) {
	f := newFixture(t, func(c *config.Config) {
		c.Middleware.AccessLog.RedactHeaders = nil // the owner emptied the list
	}, nil)
	f.do(t, "GET", "/", nil, map[string]string{
		"Authorization":       "Bearer raw-token-777",
		"Proxy-Authorization": "Basic raw-proxy-888",
	})
	f.srv.accessOut.Flush()
	logs := f.logs.String()
	if strings.Contains(logs, "raw-token-777") || strings.Contains(logs, "raw-proxy-888") {
		t.Fatalf("credentials logged with an empty redact list:\n%s", logs)
	}
	if !strings.Contains(logs, "[REDACTED]") {
		t.Fatalf("no redaction marker in:\n%s", logs)
	}
}

func TestAccessLogLevelsAndDisabling(t *testing.T) {
	f := newFixture(t, nil, nil)
	f.do(t, "GET", "/health", nil, nil)
	f.do(t, "GET", "/nope", nil, nil)
	f.srv.accessOut.Flush()
	levels := map[string]string{}
	for _, l := range f.logs.lines(t) {
		if l["msg"] == "http request" {
			levels[l["path"].(string)] = l["level"].(string)
		}
	}
	if levels["/health"] != "DEBUG" || levels["/nope"] != "INFO" {
		t.Errorf("levels = %v; probes at DEBUG, the rest at INFO", levels)
	}
	if n := len(levels); n != 2 {
		t.Errorf("%d request lines, want 2", n)
	}

	f = newFixture(t, func(c *config.Config) { c.Middleware.AccessLog.Enabled = false }, nil)
	f.do(t, "GET", "/", nil, nil)
	f.srv.accessOut.Flush()
	if strings.Contains(f.logs.String(), "http request") {
		t.Errorf("access log written while disabled")
	}
}

// accessLines returns the decoded access log records.
func accessLines(t *testing.T, logs *syncBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range logs.lines(t) {
		if l["msg"] == "http request" {
			out = append(out, l)
		}
	}
	return out
}

// waitAccessLine returns the first access log record for which match holds.
// The record is written once the response is complete, which may be just
// after the client has read it, so it polls for a while.
func waitAccessLine(t *testing.T, logs *syncBuffer, what string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, l := range accessLines(t, logs) {
			if match(l) {
				return l
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no access log record for %s in:\n%s", what, logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// lineFor returns the access log record of the response resp, found by the
// request id the response echoes.
func lineFor(t *testing.T, logs *syncBuffer, resp *http.Response) map[string]any {
	t.Helper()
	id := resp.Header.Get("X-Request-Id")
	if id == "" {
		t.Fatalf("response %d has no X-Request-Id", resp.StatusCode)
	}
	return waitAccessLine(t, logs, "request id "+id, func(l map[string]any) bool { return l["request_id"] == id })
}

func hasKey(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}

var generatedID = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestAccessLogLineCarriesEveryField(t *testing.T) {
	f := newFixture(t, nil, nil).start(t)
	before := time.Now()
	resp := f.get(t, "GET", "/?sessionId=query-secret-999&x=1", nil, map[string]string{"X-Trace": "t-1"})
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	line := lineFor(t, f.logs, resp)

	// Exactly one JSON line for the request.
	var n int
	for _, l := range strings.Split(strings.TrimSpace(f.logs.String()), "\n") {
		if strings.Contains(l, resp.Header.Get("X-Request-Id")) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d log lines for one request", n)
	}

	ts, err := time.Parse(time.RFC3339Nano, line["time"].(string))
	if err != nil || ts.Before(before.Add(-time.Second)) || ts.After(time.Now()) {
		t.Errorf("time = %v (%v), want the arrival of the request", line["time"], err)
	}
	want := map[string]any{
		"level":      "INFO",
		"method":     "GET",
		"path":       "/",
		"status":     float64(200),
		"bytes":      float64(len(body)),
		"request_id": resp.Header.Get("X-Request-Id"),
		"subject":    "",
		"mcp_method": "",
		"tool":       "",
	}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("%s = %#v, want %#v", k, line[k], v)
		}
	}
	if d, ok := line["duration"].(float64); !ok || d < 0 || d > 10_000 {
		t.Errorf("duration = %#v, want milliseconds as a number", line["duration"])
	}
	if r, _ := line["remote"].(string); !strings.HasPrefix(r, "127.0.0.1:") {
		t.Errorf("remote = %#v, want the peer address", line["remote"])
	}
	if h, _ := line["headers"].(map[string]any); h["X-Trace"] != "t-1" {
		t.Errorf("headers = %v", line["headers"])
	}
	for _, k := range []string{"body", "body_truncated", "batch"} {
		if hasKey(line, k) {
			t.Errorf("%s logged: %v", k, line[k])
		}
	}
	if s := f.logs.String(); strings.Contains(s, "query-secret-999") || strings.Contains(s, "x=1") {
		t.Errorf("query string logged:\n%s", s)
	}
}

func TestAccessLogTimeIsArrivalAndDurationIsMilliseconds(t *testing.T) {
	const pause = 200 * time.Millisecond
	f := newFixture(t, nil, func(o *Options) {
		o.Routes = map[string]http.Handler{"GET /slow": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			time.Sleep(pause)
		})}
	}).start(t)
	before := time.Now()
	resp := f.get(t, "GET", "/slow", nil, nil)
	after := time.Now()
	line := lineFor(t, f.logs, resp)
	ts, err := time.Parse(time.RFC3339Nano, line["time"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if ts.Before(before.Add(-50*time.Millisecond)) || ts.After(after.Add(-pause+50*time.Millisecond)) {
		t.Errorf("time = %s; want the arrival, between %s and %s", ts, before, after.Add(-pause))
	}
	d, _ := line["duration"].(float64)
	if d < float64(pause/time.Millisecond) || d > float64((after.Sub(before)+50*time.Millisecond)/time.Millisecond) {
		t.Errorf("duration = %v, want about %d (milliseconds)", line["duration"], pause/time.Millisecond)
	}
}

func TestRequestID(t *testing.T) {
	f := newFixture(t, func(c *config.Config) { c.Server.HTTP.MaxBodyBytes = 64 }, func(o *Options) {
		o.Guard = testGuard{authenticate: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				writeError(w, http.StatusUnauthorized, "no token")
			})
		}}
		o.Routes = map[string]http.Handler{
			"GET /echo-id": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, RequestID(r.Context()))
			}),
			"GET /panic": http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }),
		}
	}).start(t)

	t.Run("kept", func(t *testing.T) {
		const id = "req-42_A.b~c!#$%&'*+^`|"
		resp := f.get(t, "GET", "/echo-id", nil, map[string]string{"X-Request-Id": id})
		if got := resp.Header.Get("X-Request-Id"); got != id {
			t.Fatalf("echoed %q, want %q", got, id)
		}
		if b, _ := io.ReadAll(resp.Body); string(b) != id {
			t.Errorf("RequestID(ctx) in the handler = %q", b)
		}
		if l := lineFor(t, f.logs, resp); l["request_id"] != id {
			t.Errorf("logged request_id = %v", l["request_id"])
		}
	})

	t.Run("kept at 128 bytes", func(t *testing.T) {
		id := strings.Repeat("a", 128)
		if got := f.get(t, "GET", "/", nil, map[string]string{"X-Request-Id": id}).Header.Get("X-Request-Id"); got != id {
			t.Errorf("echoed %q", got)
		}
	})

	for name, bad := range map[string]string{
		"absent":      "",
		"too long":    strings.Repeat("a", 129),
		"space":       "a b",
		"quote":       `a"b`,
		"separator":   "a/b",
		"non-ASCII":   "réq",
		"log forgery": `x","status":200,"y":"`,
	} {
		t.Run("generated when "+name, func(t *testing.T) {
			h := map[string]string{}
			if bad != "" {
				h["X-Request-Id"] = bad
			}
			resp := f.get(t, "GET", "/echo-id", nil, h)
			got := resp.Header.Get("X-Request-Id")
			if !generatedID.MatchString(got) {
				t.Fatalf("echoed %q, want 32 hex digits", got)
			}
			if b, _ := io.ReadAll(resp.Body); string(b) != got {
				t.Errorf("RequestID(ctx) = %q, response header %q", b, got)
			}
			lineFor(t, f.logs, resp)
		})
	}

	t.Run("generated ids differ", func(t *testing.T) {
		a := f.get(t, "GET", "/", nil, nil).Header.Get("X-Request-Id")
		b := f.get(t, "GET", "/", nil, nil).Header.Get("X-Request-Id")
		if a == b {
			t.Errorf("two requests got the same id %q", a)
		}
	})

	t.Run("two ids sent", func(t *testing.T) {
		req, _ := http.NewRequest("GET", f.url+"/", nil)
		req.Header.Add("X-Request-Id", "one")
		req.Header.Add("X-Request-Id", "two")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("X-Request-Id"); !generatedID.MatchString(got) {
			t.Errorf("echoed %q, want a generated id", got)
		}
	})

	// Every response carries it, whichever middleware wrote the response.
	for _, c := range []struct {
		name, method, path string
		body               string
		header             map[string]string
		want               int
	}{
		{"Origin check", "POST", "/mcp", `{}`, map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"Host check", "GET", "/", "", map[string]string{"Host": "evil.example"}, http.StatusForbidden},
		{"Guard", "POST", "/mcp", `{}`, nil, http.StatusUnauthorized},
		{"router", "GET", "/nope", "", nil, http.StatusNotFound},
		{"method", "DELETE", "/health", "", nil, http.StatusMethodNotAllowed},
		{"body limit", "POST", "/mcp", strings.Repeat("x", 100), nil, http.StatusRequestEntityTooLarge},
		{"panic", "GET", "/panic", "", nil, http.StatusInternalServerError},
	} {
		t.Run("echoed on "+c.name, func(t *testing.T) {
			h := map[string]string{"X-Request-Id": "id-" + strings.ReplaceAll(c.name, " ", "-")}
			for k, v := range c.header {
				h[k] = v
			}
			var body io.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
			}
			resp := f.get(t, c.method, c.path, body, h)
			if resp.StatusCode != c.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, c.want)
			}
			if got := resp.Header.Get("X-Request-Id"); got != h["X-Request-Id"] {
				t.Fatalf("X-Request-Id = %q, want %q", got, h["X-Request-Id"])
			}
			l := lineFor(t, f.logs, resp)
			if l["status"] != float64(c.want) {
				t.Errorf("logged status %v, want %d", l["status"], c.want)
			}
		})
	}

	t.Run("echoed with the access log off", func(t *testing.T) {
		g := newFixture(t, func(c *config.Config) { c.Middleware.AccessLog.Enabled = false }, nil)
		resp := g.do(t, "GET", "/nope", nil, map[string]string{"X-Request-Id": "off-1"})
		if got := resp.Header.Get("X-Request-Id"); got != "off-1" {
			t.Errorf("X-Request-Id = %q", got)
		}
	})

	t.Run("refusals logged with it", func(t *testing.T) {
		resp := f.get(t, "GET", "/", nil, map[string]string{"Origin": "http://evil.example", "X-Request-Id": "refused-7"})
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d", resp.StatusCode)
		}
		waitAccessLine(t, f.logs, "refused-7", func(l map[string]any) bool { return l["request_id"] == "refused-7" })
		var warned bool
		for _, l := range f.logs.lines(t) {
			if l["msg"] == "refused request from a foreign Origin" && l["request_id"] == "refused-7" {
				warned = true
			}
		}
		if !warned {
			t.Errorf("the Origin refusal warning lacks the request id")
		}
	})
}

// subjectKey carries the subject a fake Guard established.
type subjectKey struct{}

// fakeAuth lets in "Bearer tok-<name>" as subject <name> and refuses the
// rest with 401.
func fakeAuth(o *Options) {
	o.Guard = testGuard{
		authenticate: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				sub, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer tok-")
				if !ok || sub == "" {
					writeError(w, http.StatusUnauthorized, "no valid token")
					return
				}
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), subjectKey{}, sub)))
			})
		},
		subject: func(ctx context.Context) string {
			s, _ := ctx.Value(subjectKey{}).(string)
			return s
		},
	}
}

func TestAccessLogSubject(t *testing.T) {
	f := newFixture(t, nil, fakeAuth).start(t)

	c := streamableClientWith(t, f.url, []transport.StreamableHTTPCOption{
		transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer tok-ada"})})
	connect(t, c)
	id := callText(t, c, "reqid", nil)
	line := waitAccessLine(t, f.logs, "the tools/call", func(l map[string]any) bool { return l["request_id"] == id })
	if line["subject"] != "ada" || line["path"] != "/mcp" || line["tool"] != "reqid" {
		t.Errorf("subject = %v, path %v, tool %v; want ada on /mcp calling reqid", line["subject"], line["path"], line["tool"])
	}
	if h, _ := line["headers"].(map[string]any); h["Authorization"] != "[REDACTED]" {
		t.Errorf("Authorization logged as %v", h["Authorization"])
	}

	// Refused by the Guard: logged, with an empty subject and without the
	// MCP method, since the body of an unauthenticated request is never
	// read.
	resp := f.get(t, "POST", "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`),
		map[string]string{"Authorization": "Bearer wrong", "Content-Type": "application/json"})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad token = %d", resp.StatusCode)
	}
	if l := lineFor(t, f.logs, resp); l["subject"] != "" || l["status"] != float64(401) || l["mcp_method"] != "" {
		t.Errorf("refused request logged as %v", l)
	}

	// Outside the Guard there is no subject, even with a valid token.
	resp = f.get(t, "GET", "/", nil, map[string]string{"Authorization": "Bearer tok-ada"})
	if l := lineFor(t, f.logs, resp); l["subject"] != "" {
		t.Errorf("GET / logged subject %v", l["subject"])
	}
	if strings.Contains(f.logs.String(), "tok-ada") {
		t.Errorf("the token was logged:\n%s", f.logs)
	}

	// The legacy SSE transport too.
	sc, err := client.NewSSEMCPClient(f.url+"/sse", transport.WithSSELogger(quiet),
		transport.WithHeaders(map[string]string{"Authorization": "Bearer tok-grace"}))
	if err != nil {
		t.Fatal(err)
	}
	connect(t, sc)
	callText(t, sc, "hello", map[string]any{"name": "x"})
	waitAccessLine(t, f.logs, "the SSE tools/call", func(l map[string]any) bool {
		return l["path"] == "/message" && l["tool"] == "hello" && l["subject"] == "grace"
	})

	// A Guard that names no subject: always "".
	g := newFixture(t, nil, func(o *Options) {
		fakeAuth(o)
		o.Guard = testGuard{authenticate: o.Guard.(testGuard).authenticate}
	})
	resp = g.do(t, "POST", "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`),
		map[string]string{"Authorization": "Bearer tok-ada", "Content-Type": "application/json", "Accept": "application/json, text/event-stream"})
	if l := lineFor(t, g.logs, resp); l["subject"] != "" || !hasKey(l, "subject") {
		t.Errorf("subject of a Guard naming none = %#v", l["subject"])
	}
}

func TestAccessLogMCPMethodAndTool(t *testing.T) {
	for _, era := range []struct {
		name    string
		opts    []client.ClientOption
		headers bool // the client sends Mcp-Method and Mcp-Name
	}{
		{"2026-07-28", nil, true},
		{"initialize handshake", []client.ClientOption{handshakeEra()}, false},
	} {
		t.Run(era.name, func(t *testing.T) {
			f := newFixture(t, nil, nil).start(t)
			c := streamableClient(t, f.url, era.opts...)
			connect(t, c)
			id := callText(t, c, "reqid", map[string]any{"secret_arg": "argument-value-123"})
			line := waitAccessLine(t, f.logs, "the tools/call", func(l map[string]any) bool { return l["request_id"] == id })
			if line["method"] != "POST" || line["path"] != "/mcp" || line["mcp_method"] != "tools/call" || line["tool"] != "reqid" {
				t.Errorf("tools/call logged as %v %v mcp_method=%v tool=%v", line["method"], line["path"], line["mcp_method"], line["tool"])
			}
			h, _ := line["headers"].(map[string]any)
			if sent := h["Mcp-Method"] == "tools/call" && h["Mcp-Name"] == "reqid"; sent != era.headers {
				t.Errorf("Mcp-Method/Mcp-Name headers = %v/%v; this era sends them: %v", h["Mcp-Method"], h["Mcp-Name"], era.headers)
			}

			if _, err := c.ListTools(context.Background(), mcp.ListToolsRequest{}); err != nil {
				t.Fatal(err)
			}
			waitAccessLine(t, f.logs, "tools/list", func(l map[string]any) bool {
				return l["mcp_method"] == "tools/list" && l["tool"] == ""
			})
			if strings.Contains(f.logs.String(), "argument-value-123") {
				t.Errorf("a tool argument was logged:\n%s", f.logs)
			}
		})
	}

	t.Run("legacy SSE", func(t *testing.T) {
		f := newFixture(t, nil, nil).start(t)
		c := sseClient(t, f.url)
		connect(t, c)
		callText(t, c, "hello", map[string]any{"name": "argument-value-456"})
		waitAccessLine(t, f.logs, "POST /message", func(l map[string]any) bool {
			return l["path"] == "/message" && l["mcp_method"] == "tools/call" && l["tool"] == "hello"
		})
		if strings.Contains(f.logs.String(), "argument-value-456") {
			t.Errorf("a tool argument was logged")
		}
	})

	t.Run("raw requests", func(t *testing.T) {
		f := newFixture(t, func(c *config.Config) { c.Server.HTTP.MaxBodyBytes = 512 }, nil)
		post := func(path, body string, h map[string]string) map[string]any {
			t.Helper()
			hdr := map[string]string{"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
			for k, v := range h {
				hdr[k] = v
			}
			return lineFor(t, f.logs, f.do(t, "POST", path, strings.NewReader(body), hdr))
		}
		call := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{"a":"argument-value-789"},"name":"hello"}}`

		l := post("/mcp", `[`+call+`,{"jsonrpc":"2.0","id":2,"method":"ping"}]`, nil)
		if l["mcp_method"] != "tools/call" || l["tool"] != "hello" || l["batch"] != float64(2) {
			t.Errorf("batch logged as mcp_method=%v tool=%v batch=%v", l["mcp_method"], l["tool"], l["batch"])
		}
		l = post("/mcp", `{"jsonrpc":"2.0","method":"notifications/initialized"}`, nil)
		if l["mcp_method"] != "notifications/initialized" || l["tool"] != "" || hasKey(l, "batch") {
			t.Errorf("notification logged as %v", l)
		}
		// The body decides: headers that disagree with it are not believed.
		l = post("/mcp", call, map[string]string{"Mcp-Method": "ping", "Mcp-Name": "other"})
		if l["mcp_method"] != "tools/call" || l["tool"] != "hello" {
			t.Errorf("forged headers logged as mcp_method=%v tool=%v", l["mcp_method"], l["tool"])
		}
		// Without a body to read (413), the headers tell, Base64 decoded.
		big := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hello","pad":"` + strings.Repeat("x", 600) + `"}}`
		l = post("/mcp", big, map[string]string{"Mcp-Method": "tools/call", "Mcp-Name": "=?base64?aMOpbGxv?="})
		if l["status"] != float64(413) || l["mcp_method"] != "tools/call" || l["tool"] != "héllo" {
			t.Errorf("413 logged as status=%v mcp_method=%v tool=%v", l["status"], l["mcp_method"], l["tool"])
		}
		// Only POST /mcp and POST /message are looked at.
		l = lineFor(t, f.logs, f.do(t, "POST", "/nope", strings.NewReader(call), nil))
		if l["mcp_method"] != "" || l["tool"] != "" {
			t.Errorf("POST /nope logged mcp_method=%v tool=%v", l["mcp_method"], l["tool"])
		}
		// Over-long names are cut.
		l = post("/mcp", `{"jsonrpc":"2.0","id":1,"method":"`+strings.Repeat("m", 300)+`"}`, nil)
		if m, _ := l["mcp_method"].(string); len(m) != 256 {
			t.Errorf("a 300-byte method logged with %d bytes", len(m))
		}
		if strings.Contains(f.logs.String(), "argument-value-789") {
			t.Errorf("a tool argument was logged")
		}
	})
}

func TestMCPCallOf(t *testing.T) {
	for _, c := range []struct {
		name, body     string
		method, tool   string
		batch, message int
	}{
		{"call", `{"method":"tools/call","params":{"name":"hello","arguments":{"x":1}}}`, "tools/call", "hello", 0, 0},
		{"leading space", " \n{\"method\":\"tools/list\"}", "tools/list", "", 0, 0},
		{"prompt name not a tool", `{"method":"prompts/get","params":{"name":"p"}}`, "prompts/get", "", 0, 0},
		{"name not a string", `{"method":"tools/call","params":{"name":7}}`, "tools/call", "", 0, 0},
		{"positional params", `{"method":"tools/call","params":["hello"]}`, "tools/call", "", 0, 0},
		{"method not a string", `{"method":5,"params":{"name":"x"}}`, "", "", 0, 0},
		{"not JSON", `{"method":"tools/call"`, "", "", 0, 0},
		{"batch", `[{"method":"ping"},{"method":"tools/call","params":{"name":"x"}}]`, "ping", "", 1, 2},
		{"empty batch", `[]`, "", "", 1, 0},
		{"empty", ``, "", "", 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, _ := http.NewRequest("POST", "http://x/mcp", nil)
			env := envelope.Parse([]byte(c.body))
			got := mcpCallOf(r, &env)
			want := mcpCall{method: c.method, tool: c.tool, batch: c.batch == 1, messages: c.message}
			if got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

func TestAccessLogHeaderRedactionIsCaseInsensitive(t *testing.T) {
	f := newFixture(t, func(c *config.Config) {
		c.Middleware.AccessLog.RedactHeaders = []string{"x-api-KEY", "x-custom-secret"}
		c.Middleware.AccessLog.ExcludeHeaders = []string{"x-NOISE", "user-agent"}
	}, nil)
	req, _ := http.NewRequest("GET", "http://127.0.0.1:8080/", nil)
	req.RemoteAddr = "127.0.0.1:50000"
	// Set directly, so the names stay as written (not canonicalized), as a
	// handler embedding this one might pass them.
	req.Header["X-Api-Key"] = []string{"secret-a-1", "secret-a-2"}
	req.Header["x-custom-secret"] = []string{"secret-b-3"}
	req.Header["AUTHORIZATION"] = []string{"Bearer secret-c-4"}
	req.Header["x-noise"] = []string{"secret-d-5"}
	req.Header["X-Visible"] = []string{"v1", "v2"}
	rec := newResponseRecorder()
	f.srv.Handler().ServeHTTP(rec, req)
	line := lineFor(t, f.logs, rec.result())

	headers, _ := line["headers"].(map[string]any)
	for _, k := range []string{"X-Api-Key", "x-custom-secret", "AUTHORIZATION"} {
		if headers[k] != "[REDACTED]" {
			t.Errorf("%s logged as %#v, want the whole value replaced by [REDACTED]", k, headers[k])
		}
	}
	if hasKey(headers, "x-noise") {
		t.Errorf("excluded header x-noise logged")
	}
	if headers["X-Visible"] != "v1, v2" {
		t.Errorf("X-Visible = %#v", headers["X-Visible"])
	}
	if s := f.logs.String(); strings.Contains(s, "secret-") {
		t.Errorf("a secret was logged:\n%s", s)
	}

	// Over a real connection, whatever case the client used.
	f = newFixture(t, func(c *config.Config) { c.Middleware.AccessLog.RedactHeaders = []string{"X-API-KEY"} }, nil).start(t)
	conn, err := net.Dial("tcp", f.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: secret-e-6\r\nx-request-id: raw-1\r\nConnection: close\r\n\r\n")
	_, _ = io.ReadAll(conn)
	line = waitAccessLine(t, f.logs, "raw-1", func(l map[string]any) bool { return l["request_id"] == "raw-1" })
	if h, _ := line["headers"].(map[string]any); h["X-Api-Key"] != "[REDACTED]" {
		t.Errorf("headers = %v", h)
	}
}

func TestAccessLogBody(t *testing.T) {
	body := `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"tail-of-the-body"}}`
	hdr := map[string]string{"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}

	// Off by default.
	f := newFixture(t, nil, nil)
	l := lineFor(t, f.logs, f.do(t, "POST", "/mcp", strings.NewReader(body), hdr))
	if hasKey(l, "body") || strings.Contains(f.logs.String(), "tail-of-the-body") {
		t.Errorf("body logged with log_body off: %v", l)
	}

	// On: capped, cut at a rune boundary.
	f = newFixture(t, func(c *config.Config) {
		c.Middleware.AccessLog.LogBody = true
		c.Middleware.AccessLog.MaxBodyLogBytes = 20
	}, nil)
	l = lineFor(t, f.logs, f.do(t, "POST", "/mcp", strings.NewReader(body), hdr))
	if l["body"] != body[:20] || l["body_truncated"] != true {
		t.Errorf("body = %#v, truncated %v; want the first 20 bytes", l["body"], l["body_truncated"])
	}
	utf := `{"x":"` + strings.Repeat("é", 10) + `"}`
	f = newFixture(t, func(c *config.Config) {
		c.Middleware.AccessLog.LogBody = true
		c.Middleware.AccessLog.MaxBodyLogBytes = 8 // "{"x":"" is 6 bytes, then é is 2, then half of the next
	}, nil)
	l = lineFor(t, f.logs, f.do(t, "POST", "/mcp", strings.NewReader(utf), hdr))
	if l["body"] != `{"x":"é` {
		t.Errorf("body = %#v", l["body"])
	}

	// A body within the cap is logged whole.
	f = newFixture(t, func(c *config.Config) { c.Middleware.AccessLog.LogBody = true }, nil)
	l = lineFor(t, f.logs, f.do(t, "POST", "/mcp", strings.NewReader(body), hdr))
	if l["body"] != body || hasKey(l, "body_truncated") {
		t.Errorf("body = %#v, truncated %v", l["body"], l["body_truncated"])
	}
}

func TestSaneRequestID(t *testing.T) {
	for id, want := range map[string]bool{
		"abc":                     true,
		"0f8fad5b-d9cb-469f-a165": true,
		strings.Repeat("z", 128):  true,
		strings.Repeat("z", 129):  false,
		"":                        false,
		"a\tb":                    false,
		"a\nb":                    false,
		"a=b":                     false,
		"a,b":                     false,
		"\x7f":                    false,
	} {
		if got := saneRequestID(id); got != want {
			t.Errorf("saneRequestID(%q) = %v, want %v", id, got, want)
		}
	}
}
