// Command baresrv is the baseline of mcpforge's throughput benchmarks: a bare
// mcp-go streamable HTTP server with one hello_world tool and nothing else,
// with the options of mcp-go v1.2.1 left at their defaults. It is the
// practical limit of a server built on that library: a generated server is
// measured as a ratio to it (cmd/mcpforge BenchmarkVersusMCPGo, and
// testdata/bench/compare.sh).
//
//	baresrv [-addr 127.0.0.1:0]
//
// It prints "addr=HOST:PORT" on stderr once it listens.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	s := server.NewMCPServer("bare", "0.1.0")
	s.AddTool(mcp.NewTool("hello_world", mcp.WithString("name", mcp.Required())), func(ctx context.Context, r mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("Hello, " + r.GetString("name", "?") + "!"), nil
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "baresrv:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "addr=%s\n", ln.Addr())
	if err := http.Serve(ln, server.NewStreamableHTTPServer(s)); err != nil {
		fmt.Fprintln(os.Stderr, "baresrv:", err)
		os.Exit(1)
	}
}
