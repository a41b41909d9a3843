package httpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"sync"
)

// streamRetryAfter is the Retry-After, in seconds, of a 429 answered to a
// caller at its stream cap: streams free up when clients close them.
const streamRetryAfter = "10"

// track wraps an MCP endpoint, outermost in its chain, so that graceful
// shutdown knows what is still running: every request counts as in flight
// until limitStreams finds it is a long-lived stream, which would never
// drain.
func (s *Server) track(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.inflight.Add(1)
		st := stateFrom(r.Context())
		if st != nil {
			st.inflight = &s.inflight
		}
		defer func() {
			if st == nil || st.inflight != nil {
				s.inflight.Add(-1)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// limitStreams runs once the body has been read and the session checked.
//
// A long-lived stream (see isStream) leaves the in-flight count, must fit
// under max_streams and max_streams_per_caller (else 429 with
// Retry-After), is pinned to its session so that the session neither idles
// out under it nor outlives it, and runs under a context that ends at
// shutdown once the counted work is done or when its session ends. The
// legacy SSE stream's writer also watches which responses it delivers.
//
// On the legacy SSE transport a POST to /message is answered 202 at once
// and its JSON-RPC response travels later on the client's /sse stream, so
// each such request is remembered until its response has been written to
// that stream.
func (s *Server) limitStreams(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateFrom(r.Context())
		if !isStream(r, st) {
			s.trackMessage(next, w, r, st)
			return
		}
		caller := s.ownerOf(r.Context())
		if caller == "" {
			caller = "addr " + remoteIP(r)
		}
		if !s.streamCount.acquire(caller) {
			w.Header().Set("Retry-After", streamRetryAfter)
			writeError(w, http.StatusTooManyRequests, "too many open streams (server.http.max_streams_per_caller, server.http.max_streams); close one or retry later")
			return
		}
		defer s.streamCount.release(caller)
		if st != nil && st.inflight != nil {
			st.inflight.Add(-1)
			st.inflight = nil
		}
		s.streamsOpen.Add(1)
		defer s.streamsOpen.Add(-1)
		ctx, cancel := context.WithCancel(r.Context())
		stop := context.AfterFunc(s.streams, cancel)
		defer func() {
			stop()
			cancel()
		}()
		if st != nil && st.session != nil {
			h := &stream{cancel: cancel}
			if !s.sessions.attach(st.session, h) {
				writeSessionNotFound(w)
				return
			}
			defer s.sessions.detach(st.session, h)
		}
		r = r.WithContext(ctx)
		if r.URL.Path == PathSSE {
			sw := &sseStreamWriter{
				ResponseWriter: w,
				tracker:        s.sseTrack,
				allowOrigin:    w.Header().Get("Access-Control-Allow-Origin"),
			}
			defer sw.close()
			w = sw
		}
		next.ServeHTTP(w, r)
	})
}

// trackMessage serves a request that is not a stream; a POST to /message
// is remembered until its response is on the SSE stream.
func (s *Server) trackMessage(next http.Handler, w http.ResponseWriter, r *http.Request, st *requestState) {
	if r.URL.Path != PathMessage || st == nil || !st.env.HasID {
		next.ServeHTTP(w, r)
		return
	}
	session := r.URL.Query().Get("sessionId")
	id := st.env.ID
	if !s.sseTrack.expect(session, id) {
		next.ServeHTTP(w, r)
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	next.ServeHTTP(sw, r)
	if sw.status != http.StatusAccepted {
		// Refused: no response will follow on the stream.
		s.sseTrack.done(session, id)
	}
}

// isStream reports whether r opens a stream that lasts as long as the client
// wants: the legacy SSE stream, the streamable HTTP listening stream (GET)
// and, from protocol 2026-07-28, a subscriptions/listen request.
func isStream(r *http.Request, st *requestState) bool {
	switch {
	case r.Method == http.MethodGet && (r.URL.Path == PathMCP || r.URL.Path == PathSSE):
		return true
	case r.Method == http.MethodPost && r.URL.Path == PathMCP:
		const listen = "subscriptions/listen"
		if r.Header.Get("Mcp-Method") == listen {
			return true
		}
		return st != nil && st.env.Method == listen
	}
	return false
}

// remoteIP is the IP address of the TCP peer of r.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// streamCounter counts the open streams per caller and in all, within caps.
type streamCounter struct {
	max, perCaller int

	mu       sync.Mutex
	total    int
	byCaller map[string]int
}

func newStreamCounter(max, perCaller int) *streamCounter {
	return &streamCounter{max: max, perCaller: perCaller, byCaller: make(map[string]int)}
}

// acquire counts one more stream of caller, unless a cap is reached.
func (c *streamCounter) acquire(caller string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.total >= c.max || c.byCaller[caller] >= c.perCaller {
		return false
	}
	c.total++
	c.byCaller[caller]++
	return true
}

func (c *streamCounter) release(caller string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total--
	if c.byCaller[caller]--; c.byCaller[caller] <= 0 {
		delete(c.byCaller, caller)
	}
}

// responseID returns a key for the id of the JSON-RPC response in data, and
// false for requests, notifications and anything unparsable.
func responseID(data []byte) (string, bool) {
	var msg struct {
		ID     any             `json:"id"`
		Method string          `json:"method"`
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if json.Unmarshal(data, &msg) != nil || msg.Method != "" || (msg.Result == nil && msg.Error == nil) {
		return "", false
	}
	return idKey(msg.ID)
}

func idKey(id any) (string, bool) {
	switch v := id.(type) {
	case string:
		return "s:" + v, true
	case float64:
		return "n:" + strconv.FormatFloat(v, 'g', -1, 64), true
	}
	return "", false
}

// statusWriter remembers the status code of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Flush() { _ = http.NewResponseController(w.ResponseWriter).Flush() }

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// sseStreamWriter watches what mcp-go writes on a legacy SSE stream: the
// first event names the session, later events carry the responses to
// requests posted to /message. It also puts back the
// Access-Control-Allow-Origin header decided by the CORS middleware, which
// mcp-go would otherwise overwrite with "*".
type sseStreamWriter struct {
	http.ResponseWriter
	tracker     *sseTracker
	allowOrigin string
	session     string
	wroteHeader bool
}

func (w *sseStreamWriter) fixHeader() {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	if w.allowOrigin == "" {
		w.Header().Del("Access-Control-Allow-Origin")
	} else {
		w.Header().Set("Access-Control-Allow-Origin", w.allowOrigin)
	}
}

func (w *sseStreamWriter) WriteHeader(code int) {
	w.fixHeader()
	w.ResponseWriter.WriteHeader(code)
}

func (w *sseStreamWriter) Write(p []byte) (int, error) {
	w.fixHeader()
	n, err := w.ResponseWriter.Write(p)
	if err == nil {
		w.observe(p)
	}
	return n, err
}

func (w *sseStreamWriter) Flush() {
	w.fixHeader()
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *sseStreamWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe parses the SSE events in p. mcp-go writes each event with a single
// Write, so events are never split across calls.
func (w *sseStreamWriter) observe(p []byte) {
	for _, line := range bytes.Split(p, []byte("\n")) {
		data, ok := bytes.CutPrefix(bytes.TrimRight(line, "\r"), []byte("data:"))
		if !ok {
			continue
		}
		data = bytes.TrimSpace(data)
		if w.session == "" {
			// The endpoint event: /message?sessionId=<id>
			if _, rest, found := bytes.Cut(data, []byte("sessionId=")); found {
				if i := bytes.IndexAny(rest, "&#"); i >= 0 {
					rest = rest[:i]
				}
				w.session = string(rest)
				w.tracker.open(w.session)
			}
			continue
		}
		if id, ok := responseID(data); ok {
			w.tracker.done(w.session, id)
		}
	}
}

func (w *sseStreamWriter) close() {
	if w.session != "" {
		w.tracker.close(w.session)
	}
}

// sseTracker counts, per SSE session, the requests whose responses are still
// to be written on the session's stream.
type sseTracker struct {
	mu       sync.Mutex
	sessions map[string]map[string]int // session -> request id -> count
	total    int
}

func newSSETracker() *sseTracker {
	return &sseTracker{sessions: map[string]map[string]int{}}
}

func (t *sseTracker) open(session string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.sessions[session]; !ok {
		t.sessions[session] = map[string]int{}
	}
}

// close forgets a session whose stream has ended: nothing more can be
// delivered to it.
func (t *sseTracker) close(session string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, n := range t.sessions[session] {
		t.total -= n
	}
	delete(t.sessions, session)
}

// expect records that a response to id is owed on session's stream. It
// returns false, recording nothing, when the session has no open stream.
func (t *sseTracker) expect(session, id string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.sessions[session]
	if !ok {
		return false
	}
	p[id]++
	t.total++
	return true
}

func (t *sseTracker) done(session, id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.sessions[session]
	if p[id] == 0 {
		return
	}
	if p[id]--; p[id] == 0 {
		delete(p, id)
	}
	t.total--
}

func (t *sseTracker) pending() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.total
}
