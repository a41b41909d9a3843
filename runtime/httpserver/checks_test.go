package httpserver

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mcpforge/mcpforge/runtime/envelope"
)

// refusePrompts is a Check that answers every prompts/get with an error
// carrying id 9, and lets everything else through.
func refusePrompts(_ http.Header, _ []byte, e *envelope.Envelope) []byte {
	if e.Method != "prompts/get" {
		return nil
	}
	return []byte(`{"jsonrpc":"2.0","id":9,"error":{"code":-32602,"message":"refused by the check"}}`)
}

const refusedResponse = `{"jsonrpc":"2.0","id":9,"error":{"code":-32602,"message":"refused by the check"}}`

func withChecks(o *Options) { fakeAuth(o); o.Checks = []Check{refusePrompts} }

// TestChecksStreamable: a refused request is answered with the check's
// JSON-RPC message and HTTP 200, as mcp-go answers a JSON-RPC error, and
// other requests still reach mcp-go.
func TestChecksStreamable(t *testing.T) {
	f := newFixture(t, nil, withChecks).start(t)
	id := openStreamable(t, f, "tok-alice")
	hdr := map[string]string{"Authorization": "Bearer tok-alice", "Mcp-Session-Id": id}
	resp, body := rawPost(t, f, PathMCP, `{"jsonrpc":"2.0","id":9,"method":"prompts/get","params":{"name":"p"}}`, hdr)
	if resp.StatusCode != http.StatusOK || body != refusedResponse || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("refused request: %d %q %s, want 200 application/json %s", resp.StatusCode, resp.Header.Get("Content-Type"), body, refusedResponse)
	}
	resp, body = rawPost(t, f, PathMCP, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`, hdr)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "hello") {
		t.Errorf("request the check lets through: %d %s, want mcp-go's tools/list", resp.StatusCode, body)
	}
	// The checks run after the session check: an unknown session is still 404.
	resp, body = rawPost(t, f, PathMCP, `{"jsonrpc":"2.0","id":9,"method":"prompts/get","params":{"name":"p"}}`,
		map[string]string{"Authorization": "Bearer tok-alice", "Mcp-Session-Id": strings.Repeat("1", sessionIDLen)})
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("refused request on an unknown session: %d %s, want 404", resp.StatusCode, body)
	}
}

// TestChecksSSE: on the legacy transport the POST gets 202 and the check's
// message arrives on the session's SSE stream.
func TestChecksSSE(t *testing.T) {
	f := newFixture(t, nil, withChecks).start(t)
	endpoint, events, _ := openSSE(t, f, "tok-alice")
	hdr := map[string]string{"Authorization": "Bearer tok-alice"}
	if resp, body := rawPost(t, f, endpoint, initializeRequest, hdr); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("initialize: %d %s", resp.StatusCode, body)
	}
	if resp, body := rawPost(t, f, endpoint, `{"jsonrpc":"2.0","id":9,"method":"prompts/get","params":{"name":"p"}}`, hdr); resp.StatusCode != http.StatusAccepted || body != "" {
		t.Fatalf("refused request: %d %q, want 202 without a body", resp.StatusCode, body)
	}
	// mcp-go answers the initialize from a goroutine, so the two
	// responses may arrive in either order.
	var initialized, refused bool
	for !(initialized && refused) && events.Scan() {
		d, ok := strings.CutPrefix(events.Text(), "data: ")
		switch {
		case !ok:
		case strings.Contains(d, `"id":1,"result"`):
			initialized = true
		case d == refusedResponse:
			refused = true
		default:
			t.Fatalf("unexpected event %s, want %s", d, refusedResponse)
		}
	}
	if !initialized || !refused {
		t.Fatalf("the stream ended (%v) with the initialize result %v and the refusal %v, want both", events.Err(), initialized, refused)
	}
}
