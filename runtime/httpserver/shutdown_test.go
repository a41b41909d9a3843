package httpserver

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpforge/mcpforge/runtime/config"
)

// callAsync calls the slow tool in the background and reports its result.
func callAsync(c *client.Client) <-chan string {
	out := make(chan string, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		req := mcp.CallToolRequest{}
		req.Params.Name = "slow"
		res, err := c.CallTool(ctx, req)
		switch {
		case err != nil:
			out <- "error: " + err.Error()
		case res.IsError || len(res.Content) == 0:
			out <- "error result"
		default:
			out <- mcp.GetTextFromContent(res.Content[0])
		}
	}()
	return out
}

func TestGracefulShutdownDrainsInFlightRequest(t *testing.T) {
	clients := map[string]func(t *testing.T, url string) *client.Client{
		"streamable 2026-07-28": func(t *testing.T, url string) *client.Client { return streamableClient(t, url) },
		"streamable handshake": func(t *testing.T, url string) *client.Client {
			return streamableClient(t, url, handshakeEra())
		},
		// On SSE the response travels on the stream after /message has
		// been answered 202: shutdown must wait for it anyway.
		"sse": sseClient,
	}
	for name, newClient := range clients {
		t.Run(name, func(t *testing.T) {
			st := newSlowTool()
			f := newFixture(t, func(c *config.Config) {
				c.Server.HTTP.ShutdownTimeout = config.Duration{Duration: 20 * time.Second}
			}, func(o *Options) { o.MCP = newMCP(st) }).start(t)

			c := newClient(t, f.url)
			connect(t, c)
			result := callAsync(c)
			waitFor(t, st.started, "the slow tool to start")

			f.stop()
			// The listener closes at once: no new connections.
			deadline := time.Now().Add(5 * time.Second)
			for {
				conn, err := net.DialTimeout("tcp", f.ln.Addr().String(), time.Second)
				if err != nil {
					break
				}
				conn.Close()
				if time.Now().After(deadline) {
					t.Fatal("listener still accepts connections during shutdown")
				}
				time.Sleep(10 * time.Millisecond)
			}
			select {
			case err := <-f.done:
				t.Fatalf("Serve returned %v while a request was in flight", err)
			case <-time.After(200 * time.Millisecond):
			}

			st.let()
			if got := <-result; got != "slow done" {
				t.Fatalf("in-flight call during shutdown got %q, want it to complete", got)
			}
			if err := f.shutdown(t, 10*time.Second); err != nil {
				t.Fatalf("Serve after graceful shutdown = %v, want nil", err)
			}
		})
	}
}

func TestShutdownDoesNotHangOnIdleStreams(t *testing.T) {
	f := newFixture(t, func(c *config.Config) {
		c.Server.HTTP.ShutdownTimeout = config.Duration{Duration: 20 * time.Second}
	}, nil).start(t)

	// A legacy SSE session, an initialize-era session with its GET
	// listening stream, a 2026-07-28 subscriptions/listen stream and a raw
	// GET stream: all idle and open.
	mc := streamableClient(t, f.url)
	connect(t, mc)
	listenErr := make(chan error, 1)
	stopListen, err := mc.ListenAsync(context.Background(), mcp.SubscriptionFilter{ToolsListChanged: true},
		func(err error) { listenErr <- err })
	if err != nil {
		t.Fatal(err)
	}
	defer stopListen()
	deadline := time.Now().Add(5 * time.Second)
	for !listening(f.srv) {
		if time.Now().After(deadline) {
			t.Fatal("subscriptions/listen stream did not open")
		}
		time.Sleep(5 * time.Millisecond)
	}

	sc := sseClient(t, f.url)
	connect(t, sc)
	lc := streamableClientWith(t, f.url, []transport.StreamableHTTPCOption{continuousListening()},
		handshakeEra())
	connect(t, lc)
	req, _ := http.NewRequest("GET", f.url+"/sse", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	time.Sleep(100 * time.Millisecond) // let the streams settle

	start := time.Now()
	if err := f.shutdown(t, 10*time.Second); err != nil {
		t.Fatalf("Serve = %v, want nil", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("shutdown with idle streams took %s; streams were not closed", took)
	}
}

// listening reports whether some request is being served outside the
// in-flight count, i.e. as a stream: with nothing else running, that is the
// subscriptions/listen POST.
func listening(s *Server) bool {
	return s.inflight.Load() == 0 && s.streamsOpen.Load() > 0
}

func TestShutdownTimeoutCutsStuckRequests(t *testing.T) {
	st := newSlowTool() // never released
	f := newFixture(t, func(c *config.Config) {
		c.Server.HTTP.ShutdownTimeout = config.Duration{Duration: 300 * time.Millisecond}
	}, func(o *Options) { o.MCP = newMCP(st) }).start(t)
	c := streamableClient(t, f.url)
	connect(t, c)
	result := callAsync(c)
	waitFor(t, st.started, "the slow tool to start")

	err := f.shutdown(t, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "shutdown_timeout") {
		t.Fatalf("Serve = %v, want an error naming shutdown_timeout", err)
	}
	if got := <-result; !strings.HasPrefix(got, "error") {
		t.Errorf("stuck call got %q, want it cut off", got)
	}
}

func TestReadyTurns503DuringShutdown(t *testing.T) {
	st := newSlowTool()
	f := newFixture(t, nil, func(o *Options) { o.MCP = newMCP(st) }).start(t)
	c := streamableClient(t, f.url)
	connect(t, c)
	result := callAsync(c)
	waitFor(t, st.started, "the slow tool to start")
	f.stop()
	deadline := time.Now().Add(5 * time.Second)
	for !f.srv.shuttingDown.Load() {
		if time.Now().After(deadline) {
			t.Fatal("shutdown did not begin")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if resp := f.do(t, "GET", "/ready", nil, nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("GET /ready during shutdown = %d, want 503", resp.StatusCode)
	}
	if resp := f.do(t, "GET", "/health", nil, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /health during shutdown = %d, want 200", resp.StatusCode)
	}
	st.let()
	<-result
	if err := f.shutdown(t, 10*time.Second); err != nil {
		t.Fatal(err)
	}
}
