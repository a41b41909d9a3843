package auth

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Bounds of the session binding table. Sessions idle longer than
// sessionIdleTTL are forgotten first when the table is full.
const (
	maxSessions    = 100_000
	sessionIdleTTL = 24 * time.Hour
)

// sessionTable binds MCP sessions to the subject that opened them, so a
// session id that leaks (logs, a shared proxy) is useless with another
// user's token. A streamable-HTTP session is bound when the response that
// creates it carries its Mcp-Session-Id; a legacy SSE session when its
// endpoint event names its sessionId. A session id this instance has not
// seen (another replica created it, or the table forgot it) is bound to the
// first subject that uses it here.
type sessionTable struct {
	mu sync.Mutex
	m  map[string]*sessionEntry
}

type sessionEntry struct {
	owner    string
	lastSeen time.Time
}

func newSessionTable() *sessionTable {
	return &sessionTable{m: make(map[string]*sessionEntry)}
}

// use reports whether owner may use session id, binding it when unbound.
func (t *sessionTable) use(id, owner string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.m[id]; e != nil {
		if e.owner != owner {
			return false
		}
		e.lastSeen = now
		return true
	}
	t.m[id] = &sessionEntry{owner: owner, lastSeen: now}
	t.evict(now, id)
	return true
}

func (t *sessionTable) evict(now time.Time, keep string) {
	if len(t.m) <= maxSessions {
		return
	}
	for k, e := range t.m {
		if k != keep && now.Sub(e.lastSeen) > sessionIdleTTL {
			delete(t.m, k)
		}
	}
	if len(t.m) <= maxSessions {
		return
	}
	seen := make([]time.Time, 0, len(t.m))
	for _, e := range t.m {
		seen = append(seen, e.lastSeen)
	}
	slices.SortFunc(seen, func(a, b time.Time) int { return a.Compare(b) })
	drop := len(seen) - (maxSessions - maxSessions/10)
	cut := seen[max(1, min(len(seen), drop))-1]
	for k, e := range t.m {
		if k != keep && !e.lastSeen.After(cut) {
			delete(t.m, k)
		}
	}
}

// requestSession returns the session a request belongs to: the
// Mcp-Session-Id header (streamable HTTP) or the sessionId query parameter
// of the legacy SSE message endpoint.
func requestSession(r *http.Request) string {
	if id := r.Header.Get("Mcp-Session-Id"); id != "" {
		return id
	}
	if r.URL.RawQuery != "" {
		return r.URL.Query().Get("sessionId")
	}
	return ""
}

// maxSniff bounds how much of a legacy SSE stream is searched for the
// endpoint event that names the session.
const maxSniff = 4096

// bindingWriter watches the response for a new session id and binds it to
// the caller. Bindings outlive a DELETE of the session on purpose: a
// terminated id must not become usable by someone else.
type bindingWriter struct {
	http.ResponseWriter
	table   *sessionTable
	owner   string
	method  string
	session string // the session the request named, if any
	now     func() time.Time

	wroteHeader bool
	sniffing    bool
	sniffed     []byte
}

func (w *bindingWriter) observe(code int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	if code < 200 || code >= 300 {
		return
	}
	if id := w.Header().Get("Mcp-Session-Id"); id != "" && id != w.session {
		w.table.use(id, w.owner, w.now())
	}
	if w.method == http.MethodGet && w.session == "" &&
		strings.HasPrefix(w.Header().Get("Content-Type"), "text/event-stream") {
		w.sniffing = true
	}
}

// sniff looks for "sessionId=<id>" in the endpoint event of a legacy SSE
// stream, which is the only place its session id is announced.
func (w *bindingWriter) sniff(b []byte) {
	w.sniffed = append(w.sniffed, b[:min(len(b), maxSniff-len(w.sniffed))]...)
	const marker = "sessionId="
	i := bytes.Index(w.sniffed, []byte(marker))
	if i < 0 {
		if len(w.sniffed) >= maxSniff {
			w.sniffing, w.sniffed = false, nil
		}
		return
	}
	rest := w.sniffed[i+len(marker):]
	n := 0
	for n < len(rest) && isSessionIDByte(rest[n]) {
		n++
	}
	if n == len(rest) && len(w.sniffed) < maxSniff {
		return // the id may continue in the next write
	}
	if n > 0 {
		w.table.use(string(rest[:n]), w.owner, w.now())
	}
	w.sniffing, w.sniffed = false, nil
}

func isSessionIDByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}

func (w *bindingWriter) WriteHeader(code int) {
	w.observe(code)
	w.ResponseWriter.WriteHeader(code)
}

func (w *bindingWriter) Write(b []byte) (int, error) {
	w.observe(http.StatusOK)
	if w.sniffing {
		w.sniff(b)
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes flushes through: streamable HTTP and SSE responses stream.
func (w *bindingWriter) Flush() {
	w.observe(http.StatusOK)
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *bindingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
