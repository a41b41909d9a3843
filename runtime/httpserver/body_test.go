package httpserver

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpforge/mcpforge/runtime/config"
)

// rawConn sends raw HTTP/1.1 to f, so a test controls when each byte of a
// body goes out.
func rawConn(t *testing.T, f *fixture) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", f.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

func postHead(path, token string, length int) string {
	auth := ""
	if token != "" {
		auth = "Authorization: Bearer " + token + "\r\n"
	}
	return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: %d\r\n\r\n", path, auth, length)
}

// readStatus reads the status code of the next response on br, failing
// after within.
func readStatus(t *testing.T, c net.Conn, br *bufio.Reader, within time.Duration) int {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(within))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no response within %s: %v", within, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// An unauthenticated request is answered from its headers: the server never
// waits for, let alone holds, its body.
func TestUnauthenticatedBodyIsNeverRead(t *testing.T) {
	f := newFixture(t, nil, fakeAuth).start(t)
	c, br := rawConn(t, f)
	if _, err := io.WriteString(c, postHead(PathMCP, "", 4<<20)+"{"); err != nil {
		t.Fatal(err)
	}
	if got := readStatus(t, c, br, 5*time.Second); got != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401 before the body arrived", got)
	}
	if used := f.srv.bodies.used.Load(); used != 0 {
		t.Errorf("%d body bytes reserved for an unauthenticated request", used)
	}
}

func TestBodyReadTimeout(t *testing.T) {
	f := newFixture(t, func(c *config.Config) {
		c.Server.HTTP.BodyReadTimeout = config.Duration{Duration: 300 * time.Millisecond}
	}, fakeAuth).start(t)
	c, br := rawConn(t, f)
	if _, err := io.WriteString(c, postHead(PathMCP, "tok-alice", 100)+"{"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	go func() {
		// Trickle one byte every 100 ms: the body could take 10 s.
		for i := 0; i < 99; i++ {
			time.Sleep(100 * time.Millisecond)
			if _, err := c.Write([]byte(" ")); err != nil {
				return
			}
		}
	}()
	if got := readStatus(t, c, br, 5*time.Second); got != http.StatusRequestTimeout {
		t.Fatalf("status %d, want 408", got)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the trickled body was cut off after %s", took)
	}
	if used := f.srv.bodies.used.Load(); used != 0 {
		t.Errorf("%d body bytes still reserved after the request ended", used)
	}
}

func TestBodiesInFlightAreBounded(t *testing.T) {
	f := newFixture(t, func(c *config.Config) {
		c.Server.HTTP.MaxBodyBytes = 1000
		c.Server.HTTP.MaxBodyBytesInFlight = 3000
	}, fakeAuth).start(t)
	// One request holds 2000 bytes of the budget while its body trickles:
	// its 1000 bytes, counted twice (copiesOfBody).
	slow, slowBR := rawConn(t, f)
	if _, err := io.WriteString(slow, postHead(PathMCP, "tok-alice", 1000)+"{"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.srv.bodies.used.Load() != 2000 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	// A second large body does not fit: 503 at once, not a wait.
	resp, body := rawPost(t, f, PathMCP, strings.Repeat(" ", 999)+"{", map[string]string{"Authorization": "Bearer tok-bob"})
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("a body beyond the in-flight budget: %d (Retry-After %q) %s, want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	// A small one still fits.
	if resp, body := rawPost(t, f, PathMCP, initializeRequest, map[string]string{"Authorization": "Bearer tok-bob"}); resp.StatusCode != http.StatusOK {
		t.Fatalf("a small body within the budget: %d %s", resp.StatusCode, body)
	}
	// Finishing the slow body releases its share.
	if _, err := io.WriteString(slow, strings.Repeat(" ", 999)); err != nil {
		t.Fatal(err)
	}
	readStatus(t, slow, slowBR, 5*time.Second)
	for f.srv.bodies.used.Load() != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if used := f.srv.bodies.used.Load(); used != 0 {
		t.Fatalf("%d bytes still reserved", used)
	}
}

func TestBodyLimitsOfChunkedBodies(t *testing.T) {
	f := newFixture(t, func(c *config.Config) { c.Server.HTTP.MaxBodyBytes = 200_000 }, fakeAuth).start(t)
	send := func(body string) int {
		req, _ := http.NewRequest(http.MethodPost, f.url+PathMCP, io.MultiReader(strings.NewReader(body))) // unknown length: chunked
		req.Header.Set("Authorization", "Bearer tok-alice")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.ContentLength = -1
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := send(strings.Repeat(" ", 150_000) + initializeRequest); got != http.StatusOK {
		t.Errorf("a chunked body within the limit: %d, want 200", got)
	}
	if got := send(strings.Repeat(" ", 200_001)); got != http.StatusRequestEntityTooLarge {
		t.Errorf("a chunked body over the limit: %d, want 413", got)
	}
	if used := f.srv.bodies.used.Load(); used != 0 {
		t.Errorf("%d bytes still reserved", used)
	}
}

func TestHeaderLimit(t *testing.T) {
	f := newFixture(t, nil, nil).start(t)
	resp := f.get(t, http.MethodGet, PathHealth, nil, map[string]string{"X-Padding": strings.Repeat("x", 70<<10)})
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("70 KiB of headers: %d, want 431", resp.StatusCode)
	}
	resp = f.get(t, http.MethodGet, PathHealth, nil, map[string]string{"X-Padding": strings.Repeat("x", 40<<10)})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("40 KiB of headers: %d, want 200", resp.StatusCode)
	}
}
