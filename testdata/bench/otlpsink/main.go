// Command otlpsink is the OTLP/HTTP trace endpoint of mcpforge's throughput
// benchmarks: it accepts every export and drops it, answering with an empty
// ExportTraceServiceResponse (all accepted). It stands for the collector a
// traced server sends its spans to, and runs beside the load generator,
// off the server's CPU: a collector in the benchmark's own process would
// take its turns on the server's CPU (cmd/mcpforge BenchmarkVersusMCPGo).
//
//	otlpsink [-addr 127.0.0.1:0]
//
// It prints "addr=HOST:PORT" on stderr once it listens.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "otlpsink:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "addr=%s\n", ln.Addr())
	srv := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/x-protobuf")
		}),
	}
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, "otlpsink:", err)
		os.Exit(1)
	}
}
