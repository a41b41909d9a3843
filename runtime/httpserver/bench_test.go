package httpserver

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpforge/mcpforge/runtime/config"
)

// BenchmarkToolsCall serves tools/call hello in an initialized 2025-11-25
// session, in process and without a network, through mcp-go's bare
// streamable HTTP handler (mcp-go, the baseline) and through the whole
// Handler of a Server with its defaults (httpserver: access log, checks,
// body limits, session registry). Compare ns/op and allocs/op of the two:
// the difference is what this package costs per call.
func BenchmarkToolsCall(b *testing.B) {
	call := []byte(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"hello","arguments":{"name":"Ada"}}}`)
	b.Run("mcp-go", func(b *testing.B) {
		benchCalls(b, server.NewStreamableHTTPServer(newMCP(nil)), call)
	})
	b.Run("httpserver", func(b *testing.B) {
		f := newFixture(b, func(c *config.Config) { c.Server.Transport = "http" }, nil)
		f.srv.accessOut.out = io.Discard
		benchCalls(b, f.srv.Handler(), call)
	})
}

// benchCalls opens a session on h and then serves body in it b.N times.
func benchCalls(b *testing.B, h http.Handler, body []byte) {
	serve := func(body []byte, session string) *responseRecorder {
		req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:8080/mcp", bytes.NewReader(body))
		req.RemoteAddr = "127.0.0.1:50000"
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
		req.Header.Set("User-Agent", "bench")
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
		}
		rec := newResponseRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	init := serve([]byte(initializeRequest), "")
	session := init.header.Get("Mcp-Session-Id")
	if init.code != http.StatusOK || session == "" {
		b.Fatalf("initialize: %d %s", init.code, init.body.String())
	}
	if rec := serve([]byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`), session); rec.code != http.StatusAccepted {
		b.Fatalf("notifications/initialized: %d", rec.code)
	}
	b.ReportAllocs()
	for b.Loop() {
		rec := serve(body, session)
		if rec.code != http.StatusOK || !strings.Contains(rec.body.String(), "Hello, Ada!") {
			b.Fatalf("tools/call: %d %s", rec.code, rec.body.String())
		}
	}
}
