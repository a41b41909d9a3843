package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// baselineServer is the smallest Go HTTP server with a /health endpoint: the
// floor any generated server's start-up is compared against.
const baselineServer = `package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Fprintf(os.Stderr, "listening addr=%s\n", ln.Addr())
	http.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	http.Serve(ln, nil)
}
`

// BenchmarkStartToHealth measures process start to the first 200 from /health
// of a generated server (target: under 100 ms), and reports it as a ratio to
// the same measurement of a minimal Go HTTP server built in the same run.
func BenchmarkStartToHealth(b *testing.B) {
	gen := b.TempDir()
	dir := filepath.Join(gen, "bench")
	var out, errOut bytes.Buffer
	if code := run([]string{"new", "bench", "--dir", dir, "--transport", "stdio,http", "--deploy", "none", "--yes", "--no-git"}, strings.NewReader(""), &out, &errOut); code != 0 {
		b.Fatalf("mcpforge new: exit %d: %s", code, errOut.String())
	}
	server := filepath.Join(gen, "server")
	benchGo(b, dir, "build", "-o", server, "./cmd/bench")

	baseDir := filepath.Join(gen, "baseline")
	if err := os.MkdirAll(baseDir, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(baseDir, "main.go"), []byte(baselineServer), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(baseDir, "go.mod"), []byte("module baseline\n\ngo 1.26\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	baseline := filepath.Join(gen, "baseline-server")
	benchGo(b, baseDir, "build", "-o", baseline, ".")

	// Alternate the two so machine noise hits both alike.
	var serverTotal, baselineTotal time.Duration
	n := 0
	for b.Loop() {
		serverTotal += startToHealth(b, server, "--transport", "http", "--addr", "127.0.0.1:0")
		baselineTotal += startToHealth(b, baseline)
		n++
	}
	b.ReportMetric(float64(serverTotal)/1e6/float64(n), "ms/start")
	b.ReportMetric(float64(baselineTotal)/1e6/float64(n), "baseline-ms/start")
	b.ReportMetric(float64(serverTotal)/float64(baselineTotal), "x-baseline")
}

func benchGo(b *testing.B, dir string, args ...string) {
	b.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// startToHealth starts bin, reads its listen address from stderr, polls
// /health until it answers 200, and returns the time since the start.
func startToHealth(b *testing.B, bin string, args ...string) time.Duration {
	b.Helper()
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	sc := bufio.NewScanner(stderr)
	addr := ""
	for addr == "" && sc.Scan() {
		if m := listenAddr.FindStringSubmatch(sc.Text()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		b.Fatalf("%s did not log its address", bin)
	}
	go func() {
		for sc.Scan() {
		}
	}()
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(fmt.Sprintf("http://%s/health", addr))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start)
			}
		}
		if time.Since(start) > 10*time.Second {
			b.Fatalf("%s: no 200 from /health within 10s", bin)
		}
		time.Sleep(time.Millisecond)
	}
}
