package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	mcpsdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// checkReplicas runs two instances of a generated server in stateless mode
// (what the Helm chart configures for several replicas) behind a reverse
// proxy that alternates between them on every request, and completes client
// sessions through it in both protocol eras.
func checkReplicas(t *testing.T, bin string, sec *security) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	proxyURL := "http://" + ln.Addr().String()
	replicaEnv := append([]string{
		sec.envPrefix + "_SERVER_HTTP_STATELESS=true",
		sec.envPrefix + "_SERVER_HTTP_PUBLIC_URL=" + proxyURL,
	}, sec.env...)
	replica := *sec
	replica.env = replicaEnv

	var backends []*url.URL
	for i := 0; i < 2; i++ {
		p := startServer(t, bin, &replica, "--transport", "http")
		u, err := url.Parse(p.base)
		if err != nil {
			t.Fatal(err)
		}
		backends = append(backends, u)
	}
	hits := make([]atomic.Int32, len(backends))
	var next atomic.Uint32
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			i := int(next.Add(1)) % len(backends)
			hits[i].Add(1)
			r.SetURL(backends[i])
		},
		FlushInterval: -1,
	}
	srv := &http.Server{Handler: proxy, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	for _, era := range protocolEras {
		t.Run(era.want, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			tr := &mcpsdk.StreamableClientTransport{Endpoint: proxyURL + "/mcp", HTTPClient: sec.client(proxyURL, sec.fullAccess), MaxRetries: -1}
			sess, err := newSDKClient().Connect(ctx, tr, &mcpsdk.ClientSessionOptions{ProtocolVersion: era.ask})
			if err != nil {
				t.Fatalf("connect through the proxy: %v", err)
			}
			defer sess.Close()
			exerciseSession(t, ctx, sess, era.want)
			for i := 0; i < 6; i++ {
				name := fmt.Sprintf("caller-%d", i)
				res, err := sess.CallTool(ctx, &mcpsdk.CallToolParams{Name: "hello_world", Arguments: map[string]any{"name": name}})
				if err != nil {
					t.Fatalf("call %d through the proxy: %v", i, err)
				}
				if text, ok := res.Content[0].(*mcpsdk.TextContent); !ok || text.Text != "Hello, "+name+"!" {
					t.Errorf("call %d: %#v", i, res.Content[0])
				}
			}
		})
	}
	for i := range hits {
		if hits[i].Load() == 0 {
			t.Errorf("replica %d received no request: the proxy did not spread the session", i)
		}
	}
}
