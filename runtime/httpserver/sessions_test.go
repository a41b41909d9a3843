package httpserver

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpforge/mcpforge/runtime/config"
)

// fakeClock is a settable clock for the registry.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestRegistry(idle time.Duration, max, perOwner int) (*sessionRegistry, *fakeClock) {
	reg := newSessionRegistry(idle, max, perOwner)
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	reg.now = clock.now
	return reg, clock
}

func mustOpen(t *testing.T, reg *sessionRegistry, owner string, kind sessionKind) *session {
	t.Helper()
	s, _, err := reg.open(owner, kind)
	if err != nil {
		t.Fatalf("open for %q: %v", owner, err)
	}
	if !wellFormedSessionID(s.id) {
		t.Fatalf("issued id %q is not well formed", s.id)
	}
	return s
}

func TestSessionRegistryBindsIssuedIDsToTheirOwner(t *testing.T) {
	reg, _ := newTestRegistry(time.Hour, 10, 10)
	a := mustOpen(t, reg, "alice", kindStreamable)
	if got, _ := reg.use(a.id, "alice", kindStreamable); got != a {
		t.Fatalf("alice using her session: %v", got)
	}
	for _, c := range []struct {
		name, id, owner string
		kind            sessionKind
	}{
		{"another owner", a.id, "bob", kindStreamable},
		{"anonymous", a.id, "", kindStreamable},
		{"the other transport", a.id, "alice", kindSSE},
		{"never issued", strings.Repeat("0", sessionIDLen), "alice", kindStreamable},
		{"malformed", "mcp-session-" + a.id, "alice", kindStreamable},
		{"upper case", strings.ToUpper(a.id), "alice", kindStreamable},
		{"huge", strings.Repeat("a", 900_000), "alice", kindStreamable},
	} {
		if got, _ := reg.use(c.id, c.owner, c.kind); got != nil {
			t.Errorf("%s: use succeeded", c.name)
		}
	}
	if n := reg.count(); n != 1 {
		t.Fatalf("registry holds %d sessions after refused uses, want 1: refused ids must never be stored", n)
	}
	if reg.end(a.id) != a || reg.end(a.id) != nil {
		t.Fatal("end must remove the session once")
	}
	if got, _ := reg.use(a.id, "alice", kindStreamable); got != nil {
		t.Fatal("an ended session is still usable")
	}
}

func TestSessionRegistryIdleTimeout(t *testing.T) {
	reg, clock := newTestRegistry(time.Minute, 10, 10)
	idle := mustOpen(t, reg, "alice", kindStreamable)
	busy := mustOpen(t, reg, "alice", kindStreamable)
	streaming := mustOpen(t, reg, "bob", kindSSE)
	if !reg.attach(streaming, &stream{cancel: func() {}}) {
		t.Fatal("attach to a live session failed")
	}
	clock.advance(40 * time.Second)
	reg.use(busy.id, "alice", kindStreamable)
	clock.advance(40 * time.Second)
	if got, _ := reg.use(idle.id, "alice", kindStreamable); got != nil {
		t.Error("a session idle for longer than the timeout is still usable")
	}
	if got, _ := reg.use(busy.id, "alice", kindStreamable); got != busy {
		t.Error("a session used within the timeout expired")
	}
	clock.advance(2 * time.Minute)
	ended := reg.sweep()
	if len(ended) != 1 || ended[0] != busy {
		t.Errorf("sweep ended %v, want the idle busy session only", ended)
	}
	if got, _ := reg.use(streaming.id, "bob", kindSSE); got != streaming {
		t.Error("a session with an open stream idled out")
	}
}

func TestSessionRegistryCaps(t *testing.T) {
	reg, clock := newTestRegistry(time.Hour, 4, 2)
	first := mustOpen(t, reg, "alice", kindStreamable)
	clock.advance(time.Second)
	second := mustOpen(t, reg, "alice", kindStreamable)
	clock.advance(time.Second)
	reg.use(first.id, "alice", kindStreamable) // second is now the least recently used
	third, ended, err := reg.open("alice", kindStreamable)
	if err != nil {
		t.Fatal(err)
	}
	if len(ended) != 1 || ended[0] != second {
		t.Fatalf("opening a third session ended %v, want alice's least recently used", ended)
	}
	for _, s := range []*session{first, third} {
		if got, _ := reg.use(s.id, "alice", kindStreamable); got != s {
			t.Errorf("session %s ended, want it live", s.id)
		}
	}
	// Anonymous callers have no cap of their own; the global one holds.
	mustOpen(t, reg, "", kindSSE)
	mustOpen(t, reg, "", kindSSE)
	if _, _, err := reg.open("", kindSSE); err != errTooManySessions {
		t.Fatalf("beyond max sessions: %v, want errTooManySessions", err)
	}
	if n := reg.count(); n != 4 {
		t.Fatalf("count %d, want 4", n)
	}
}

func FuzzSessionID(f *testing.F) {
	f.Add("0123456789abcdef0123456789abcdef")
	f.Add("mcp-session-6f1c1a52-7f06-4c0e-8a43-2b8f5f0e9d11")
	f.Add(strings.Repeat("A", 32))
	f.Add("")
	f.Fuzz(func(t *testing.T, id string) {
		if wellFormedSessionID(id) {
			if len(id) != sessionIDLen || strings.Trim(id, "0123456789abcdef") != "" {
				t.Fatalf("accepted %q", id)
			}
		}
		reg, _ := newTestRegistry(time.Hour, 10, 10)
		if s, _ := reg.use(id, "", kindStreamable); s != nil || reg.count() != 0 {
			t.Fatalf("an id the registry never issued was served or stored: %q", id)
		}
	})
}

// rawPost posts body to path on f with the given headers and returns the
// response with its body read.
func rawPost(t *testing.T, f *fixture, path, body string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	h := map[string]string{"Content-Type": "application/json", "Accept": "application/json, text/event-stream", "Mcp-Protocol-Version": "2025-11-25"}
	for k, v := range hdr {
		h[k] = v
	}
	resp := f.get(t, http.MethodPost, path, strings.NewReader(body), h)
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

const initializeRequest = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

// openStreamable initializes a 2025-11-25 session as tok's subject.
func openStreamable(t *testing.T, f *fixture, tok string) string {
	t.Helper()
	resp, body := rawPost(t, f, PathMCP, initializeRequest, map[string]string{"Authorization": "Bearer " + tok})
	id := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || !wellFormedSessionID(id) {
		t.Fatalf("initialize: %d, session %q: %s", resp.StatusCode, id, body)
	}
	resp, body = rawPost(t, f, PathMCP, `{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		map[string]string{"Authorization": "Bearer " + tok, "Mcp-Session-Id": id})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("notifications/initialized: %d %s", resp.StatusCode, body)
	}
	return id
}

func TestStreamableSessionLifecycle(t *testing.T) {
	f := newFixture(t, nil, fakeAuth).start(t)
	list := `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`
	as := func(tok, session string) map[string]string {
		return map[string]string{"Authorization": "Bearer " + tok, "Mcp-Session-Id": session}
	}
	id := openStreamable(t, f, "tok-alice")
	if resp, body := rawPost(t, f, PathMCP, list, as("tok-alice", id)); resp.StatusCode != http.StatusOK || !strings.Contains(body, "hello") {
		t.Fatalf("tools/list on the session: %d %s", resp.StatusCode, body)
	}
	unknown, unknownBody := rawPost(t, f, PathMCP, list, as("tok-alice", strings.Repeat("1", sessionIDLen)))
	if unknown.StatusCode != http.StatusNotFound {
		t.Fatalf("a made-up, well-formed session id: %d %s, want 404", unknown.StatusCode, unknownBody)
	}
	for name, hdr := range map[string]map[string]string{
		"another subject":  as("tok-bob", id),
		"a malformed id":   as("tok-alice", "mcp-session-"+id),
		"a huge id":        as("tok-alice", strings.Repeat("a", 60_000)),
		"the other format": as("tok-alice", "6f1c1a52-7f06-4c0e-8a43-2b8f5f0e9d11"),
	} {
		if resp, body := rawPost(t, f, PathMCP, list, hdr); resp.StatusCode != http.StatusNotFound || body != unknownBody {
			t.Errorf("%s: %d %s, want the 404 of an unknown session", name, resp.StatusCode, body)
		}
	}
	if resp, body := rawPost(t, f, PathMCP, list, map[string]string{"Authorization": "Bearer tok-alice"}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("no session id: %d %s, want 400", resp.StatusCode, body)
	}
	// GET streams and DELETE are checked the same way.
	for _, m := range []string{http.MethodGet, http.MethodDelete} {
		resp := f.get(t, m, PathMCP, nil, map[string]string{"Authorization": "Bearer tok-bob", "Mcp-Session-Id": id, "Accept": "text/event-stream"})
		if body, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusNotFound || string(body) != unknownBody {
			t.Errorf("%s by another subject: %d %s, want the 404 of an unknown session", m, resp.StatusCode, body)
		}
	}
	// DELETE by the owner terminates: afterwards the session is unknown.
	if resp := f.get(t, http.MethodDelete, PathMCP, nil, as("tok-alice", id)); resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE by the owner: %d", resp.StatusCode)
	}
	if resp, body := rawPost(t, f, PathMCP, list, as("tok-alice", id)); resp.StatusCode != http.StatusNotFound || body != unknownBody {
		t.Errorf("after DELETE: %d %s, want the 404 of an unknown session", resp.StatusCode, body)
	}
	if n := f.srv.sessions.count(); n != 0 {
		t.Errorf("the registry holds %d sessions, want 0", n)
	}
}

func TestSessionCaps(t *testing.T) {
	f := newFixture(t, func(c *config.Config) {
		c.Server.HTTP.MaxSessions = 3
		c.Server.HTTP.MaxSessionsPerSubject = 2
	}, fakeAuth).start(t)
	list := `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`
	first := openStreamable(t, f, "tok-alice")
	second := openStreamable(t, f, "tok-alice")
	third := openStreamable(t, f, "tok-alice") // ends first, alice's least recently used
	for id, want := range map[string]int{first: 404, second: 200, third: 200} {
		if resp, body := rawPost(t, f, PathMCP, list, map[string]string{"Authorization": "Bearer tok-alice", "Mcp-Session-Id": id}); resp.StatusCode != want {
			t.Errorf("session %s: %d %s, want %d", id, resp.StatusCode, body, want)
		}
	}
	openStreamable(t, f, "tok-bob")
	resp, body := rawPost(t, f, PathMCP, initializeRequest, map[string]string{"Authorization": "Bearer tok-carol"})
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("beyond max_sessions: %d (Retry-After %q) %s, want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if n := f.srv.sessions.count(); n != 3 {
		t.Fatalf("registry holds %d sessions, want 3", n)
	}
}

// openSSE opens a legacy SSE stream as tok's subject and returns the
// message endpoint it announces and a reader of its events.
func openSSE(t *testing.T, f *fixture, tok string) (string, *bufio.Scanner, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.url+PathSSE, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /sse: %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			return strings.TrimSpace(d), sc, resp
		}
	}
	t.Fatal("no endpoint event")
	return "", nil, nil
}

// Another subject cannot post into a legacy SSE session, whatever
// Mcp-Session-Id it sends alongside: the session the transport acts on is
// the sessionId query parameter.
func TestSSESessionRefusesOtherSubjects(t *testing.T) {
	f := newFixture(t, nil, fakeAuth).start(t)
	endpoint, events, _ := openSSE(t, f, "tok-alice")
	bobSession := openStreamable(t, f, "tok-bob")
	call := `{"jsonrpc":"2.0","id":77,"method":"tools/call","params":{"name":"hello","arguments":{"name":"spoof"}}}`
	resp, body := rawPost(t, f, endpoint, call, map[string]string{"Authorization": "Bearer tok-bob", "Mcp-Session-Id": bobSession})
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("bob posting into alice's SSE session: %d %s, want 404", resp.StatusCode, body)
	}
	_, unknownBody := rawPost(t, f, PathMessage+"?sessionId="+strings.Repeat("2", sessionIDLen), call, map[string]string{"Authorization": "Bearer tok-bob"})
	if body != unknownBody {
		t.Errorf("the 404 for another's session %q differs from an unknown one's %q", body, unknownBody)
	}
	// Alice's own call works, and the first response on her stream is hers.
	own := strings.Replace(call, "spoof", "alice", 1)
	if resp, body := rawPost(t, f, endpoint, initializeRequest, map[string]string{"Authorization": "Bearer tok-alice"}); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("alice's initialize: %d %s", resp.StatusCode, body)
	}
	if resp, body := rawPost(t, f, endpoint, own, map[string]string{"Authorization": "Bearer tok-alice"}); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("alice's call: %d %s", resp.StatusCode, body)
	}
	for events.Scan() {
		line := events.Text()
		if strings.Contains(line, "spoof") {
			t.Fatalf("bob's call reached alice's stream: %s", line)
		}
		if strings.Contains(line, `"id":77`) {
			if !strings.Contains(line, "Hello, alice!") {
				t.Fatalf("unexpected answer %s", line)
			}
			break
		}
	}
}

func TestStreamCaps(t *testing.T) {
	f := newFixture(t, func(c *config.Config) {
		c.Server.HTTP.MaxStreamsPerCaller = 2
		c.Server.HTTP.MaxStreams = 3
	}, fakeAuth).start(t)
	openSSE(t, f, "tok-alice")
	openSSE(t, f, "tok-alice")
	resp := f.get(t, http.MethodGet, PathSSE, nil, map[string]string{"Authorization": "Bearer tok-alice"})
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("alice's third stream: %d (Retry-After %q), want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// GET /mcp streams count against the same caps.
	bob := openStreamable(t, f, "tok-bob")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.url+PathMCP, nil)
	req.Header.Set("Authorization", "Bearer tok-bob")
	req.Header.Set("Mcp-Session-Id", bob)
	req.Header.Set("Accept", "text/event-stream")
	listen, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer listen.Body.Close()
	if listen.StatusCode != http.StatusOK {
		t.Fatalf("bob's GET /mcp stream: %d", listen.StatusCode)
	}
	resp = f.get(t, http.MethodGet, PathSSE, nil, map[string]string{"Authorization": "Bearer tok-carol"})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("beyond max_streams: %d, want 429", resp.StatusCode)
	}
	// Ending the session ends its stream, which frees a place.
	if resp := f.get(t, http.MethodDelete, PathMCP, nil, map[string]string{"Authorization": "Bearer tok-bob", "Mcp-Session-Id": bob}); resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	if _, err := io.Copy(io.Discard, listen.Body); err != nil {
		t.Logf("stream ended with %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.srv.streamsOpen.Load() > 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if resp := f.get(t, http.MethodGet, PathSSE, nil, map[string]string{"Authorization": "Bearer tok-carol"}); resp.StatusCode != http.StatusOK {
		t.Fatalf("a stream after one closed: %d, want 200", resp.StatusCode)
	}
}

// count returns the number of live sessions.
func (reg *sessionRegistry) count() int {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	return len(reg.byID)
}
