package httpserver

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpforge/mcpforge/runtime/config"
)

// connect starts and initializes an mcp-go client and returns it with the
// negotiated protocol version.
func connect(t *testing.T, c *client.Client) string {
	t.Helper()
	// Start gets a context that outlives this function: the SSE transport
	// ties its stream to it.
	if err := c.Start(context.Background()); err != nil {
		t.Fatalf("client start: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req := mcp.InitializeRequest{}
	req.Params.ClientInfo = mcp.Implementation{Name: "httpserver-test", Version: "1"}
	res, err := c.Initialize(ctx, req)
	if err != nil {
		t.Fatalf("initialize: %v", err)
	}
	if res.ServerInfo.Name != "weather" || res.ServerInfo.Version != "1.2.3" {
		t.Errorf("server info = %+v", res.ServerInfo)
	}
	return res.ProtocolVersion
}

// exercise lists the tools and calls hello, as a real client would.
func exercise(t *testing.T, c *client.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tools, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	var names []string
	for _, tl := range tools.Tools {
		names = append(names, tl.Name)
	}
	if !slices.Contains(names, "hello") || !slices.Contains(names, "slow") {
		t.Errorf("tools = %v", names)
	}
	if got := callText(t, c, "hello", map[string]any{"name": "Ada"}); got != "Hello, Ada!" {
		t.Errorf("hello = %q", got)
	}
}

func callText(t *testing.T, c *client.Client, tool string, args map[string]any) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = tool
	req.Params.Arguments = args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		t.Fatalf("tools/call %s: %v", tool, err)
	}
	if res.IsError || len(res.Content) == 0 {
		t.Fatalf("tools/call %s: error result %+v", tool, res)
	}
	return mcp.GetTextFromContent(res.Content[0])
}

// quiet keeps the clients' own logging (connection errors after a shutdown
// the test caused on purpose) out of the test output.
var quiet = slog.New(slog.DiscardHandler)

func streamableClient(t *testing.T, url string, opts ...client.ClientOption) *client.Client {
	t.Helper()
	return streamableClientWith(t, url, nil, opts...)
}

func streamableClientWith(t *testing.T, url string, topts []transport.StreamableHTTPCOption, opts ...client.ClientOption) *client.Client {
	t.Helper()
	tr, err := transport.NewStreamableHTTP(url+"/mcp", append([]transport.StreamableHTTPCOption{transport.WithHTTPLogger(quiet)}, topts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return client.NewClient(tr, opts...)
}

func sseClient(t *testing.T, url string) *client.Client {
	t.Helper()
	c, err := client.NewSSEMCPClient(url+"/sse", transport.WithSSELogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestStreamableHTTPBothEras(t *testing.T) {
	for _, stateless := range []bool{false, true} {
		name := "stateful"
		if stateless {
			name = "stateless"
		}
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, func(c *config.Config) { c.Server.HTTP.Stateless = stateless }, nil).start(t)

			t.Run("2026-07-28", func(t *testing.T) {
				c := streamableClient(t, f.url)
				if v := connect(t, c); v != mcp.ProtocolVersion20260728 {
					t.Errorf("negotiated %q, want %s", v, mcp.ProtocolVersion20260728)
				}
				exercise(t, c)
			})
			t.Run("initialize handshake", func(t *testing.T) {
				c := streamableClient(t, f.url, handshakeEra())
				if v := connect(t, c); v != mcp.LATEST_LEGACY_PROTOCOL_VERSION {
					t.Errorf("negotiated %q, want %s", v, mcp.LATEST_LEGACY_PROTOCOL_VERSION)
				}
				if sid := c.GetSessionId(); (sid == "") != stateless {
					t.Errorf("session id %q with stateless=%v", sid, stateless)
				}
				exercise(t, c)
			})
		})
	}
}

func TestLegacySSE(t *testing.T) {
	f := newFixture(t, nil, func(o *Options) { o.Transports = []string{TransportSSE} }).start(t)
	c := sseClient(t, f.url)
	connect(t, c)
	exercise(t, c)
	if ep := client.GetEndpoint(c); ep == nil || !strings.HasPrefix(ep.String(), f.url+"/message?sessionId=") {
		t.Errorf("message endpoint = %v, want one on the address the client dialled", ep)
	}
}

func TestHTTPContextReachesTools(t *testing.T) {
	f := newFixture(t, nil, func(o *Options) {
		o.HTTPContext = func(ctx context.Context, r *http.Request) context.Context {
			return context.WithValue(ctx, ctxKey{}, r.Header.Get("X-Caller"))
		}
	}).start(t)

	c := streamableClientWith(t, f.url, []transport.StreamableHTTPCOption{
		transport.WithHTTPHeaders(map[string]string{"X-Caller": "ada"})})
	connect(t, c)
	if got := callText(t, c, "whoami", nil); got != "caller=ada" {
		t.Errorf("streamable whoami = %q", got)
	}

	sc, err := client.NewSSEMCPClient(f.url+"/sse", transport.WithSSELogger(quiet),
		transport.WithHeaders(map[string]string{"X-Caller": "grace"}))
	if err != nil {
		t.Fatal(err)
	}
	connect(t, sc)
	if got := callText(t, sc, "whoami", nil); got != "caller=grace" {
		t.Errorf("sse whoami = %q", got)
	}
}
