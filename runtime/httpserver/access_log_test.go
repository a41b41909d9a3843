package httpserver

import (
	"strings"
	"testing"

	"github.com/mcpforge/mcpforge/runtime/config"
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
	if strings.Contains(f.logs.String(), "http request") {
		t.Errorf("access log written while disabled")
	}
}
