package httpserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// sessionIDLen is the length of every session id this server issues: 128
// random bits in lower-case hex. Anything else is not a session of ours and
// is refused before it is looked up, let alone stored.
const sessionIDLen = 32

// sessionRetryAfter is the Retry-After, in seconds, of a 503 answered when
// the server holds max_sessions sessions: sessions free up as clients end
// them or they idle out.
const sessionRetryAfter = "30"

// sessionKind tells the transports' sessions apart: an id of one is never
// accepted by the other.
type sessionKind uint8

const (
	kindStreamable sessionKind = iota + 1 // streamable HTTP, Mcp-Session-Id
	kindSSE                               // legacy HTTP+SSE, ?sessionId=
)

// errTooManySessions is returned by open when the server is at max_sessions.
var errTooManySessions = errors.New("too many sessions")

// session is one live session: who opened it, when it was last used, and
// the streams open on it.
type session struct {
	id       string
	owner    string // "" for an anonymous caller
	kind     sessionKind
	lastUsed time.Time
	streams  map[*stream]struct{} // open streams pin the session

	prev, next   *session // in the registry's list, least recently used first
	oprev, onext *session // in the owner's list, least recently used first
}

// stream is a long-lived response (an SSE stream, a GET /mcp listening
// stream, a subscriptions/listen response); cancel ends it.
type stream struct {
	cancel context.CancelFunc
}

// sessionList is an intrusive doubly-linked list of sessions, least
// recently used first; owner selects the owner links instead of the
// registry's.
type sessionList struct {
	head, tail *session
	n          int
	owner      bool
}

func (l *sessionList) links(s *session) (prev, next **session) {
	if l.owner {
		return &s.oprev, &s.onext
	}
	return &s.prev, &s.next
}

func (l *sessionList) pushBack(s *session) {
	prev, next := l.links(s)
	*prev, *next = l.tail, nil
	if l.tail != nil {
		_, tailNext := l.links(l.tail)
		*tailNext = s
	} else {
		l.head = s
	}
	l.tail = s
	l.n++
}

func (l *sessionList) remove(s *session) {
	prev, next := l.links(s)
	if *prev != nil {
		_, pn := l.links(*prev)
		*pn = *next
	} else {
		l.head = *next
	}
	if *next != nil {
		np, _ := l.links(*next)
		*np = *prev
	} else {
		l.tail = *prev
	}
	*prev, *next = nil, nil
	l.n--
}

func (l *sessionList) moveToBack(s *session) {
	if l.tail != s {
		l.remove(s)
		l.pushBack(s)
	}
}

// sessionRegistry is the one record of the sessions this server issued, for
// every transport and every authentication strategy. A session exists only
// once the server has issued its id; an id it did not issue, or one that
// was terminated, expired or evicted, is unknown, and an unknown id is
// never stored. Each session is bound to the owner that opened it.
//
// Memory is bounded: at most max sessions in all (beyond, open fails) and
// at most perOwner for one authenticated owner (beyond, the owner's least
// recently used session ends).
type sessionRegistry struct {
	idle     time.Duration
	max      int
	perOwner int
	now      func() time.Time

	mu     sync.Mutex
	byID   map[string]*session
	all    sessionList
	owners map[string]*sessionList
}

func newSessionRegistry(idle time.Duration, max, perOwner int) *sessionRegistry {
	return &sessionRegistry{
		idle:     idle,
		max:      max,
		perOwner: perOwner,
		now:      time.Now,
		byID:     make(map[string]*session),
		owners:   make(map[string]*sessionList),
	}
}

// newSessionID returns 128 random bits in hex.
func newSessionID() string {
	var b [sessionIDLen / 2]byte
	_, _ = rand.Read(b[:]) // never fails; crashes the program if the OS cannot supply randomness
	return hex.EncodeToString(b[:])
}

// wellFormedSessionID reports whether id has the shape of the ids this
// server issues, so that nothing else is ever looked up or kept.
func wellFormedSessionID(id string) bool {
	if len(id) != sessionIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// open issues a new session for owner. It returns the sessions that ended
// to make room (the owner's least recently used one, and any that idled
// out), which the caller must finish with endSessions outside the lock.
func (reg *sessionRegistry) open(owner string, kind sessionKind) (*session, []*session, error) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	now := reg.now()
	ended := reg.expire(now, nil)
	if len(reg.byID) >= reg.max {
		return nil, ended, errTooManySessions
	}
	ol := reg.owners[owner]
	if ol == nil {
		ol = &sessionList{owner: true}
		reg.owners[owner] = ol
	}
	if owner != "" && ol.n >= reg.perOwner {
		// Anonymous callers share the owner "", so only authenticated
		// owners have a cap of their own; the global one bounds the rest.
		ended = append(ended, reg.removeLocked(ol.head))
	}
	s := &session{id: newSessionID(), owner: owner, kind: kind, lastUsed: now}
	for reg.byID[s.id] != nil {
		s.id = newSessionID()
	}
	reg.byID[s.id] = s
	reg.all.pushBack(s)
	ol.pushBack(s)
	return s, ended, nil
}

// use returns the session id when it is live, of the given kind and owned
// by owner, and marks it used. Any other id (malformed, unknown, ended, of
// the other transport, or another owner's) gives nil, which callers answer
// with the same 404 whatever the reason.
func (reg *sessionRegistry) use(id, owner string, kind sessionKind) (*session, []*session) {
	return reg.useAt(id, owner, kind, reg.now())
}

// useAt is use at the time now: a request's arrival, read once for the
// request rather than again here.
func (reg *sessionRegistry) useAt(id, owner string, kind sessionKind, now time.Time) (*session, []*session) {
	if !wellFormedSessionID(id) {
		return nil, nil
	}
	reg.mu.Lock()
	defer reg.mu.Unlock()
	s := reg.byID[id]
	if s != nil && len(s.streams) == 0 && now.Sub(s.lastUsed) > reg.idle {
		s = nil // idled out: expire below ends it
	}
	ended := reg.expire(now, nil)
	if s == nil || s.kind != kind || s.owner != owner {
		return nil, ended
	}
	reg.touch(s, now)
	return s, ended
}

// exists reports whether id is a live session.
func (reg *sessionRegistry) exists(id string) bool {
	if !wellFormedSessionID(id) {
		return false
	}
	reg.mu.Lock()
	defer reg.mu.Unlock()
	_, ok := reg.byID[id]
	return ok
}

func (reg *sessionRegistry) touch(s *session, now time.Time) {
	s.lastUsed = now
	reg.all.moveToBack(s)
	reg.owners[s.owner].moveToBack(s)
}

// expire removes the sessions idle for longer than the idle timeout and
// returns them appended to ended. Sessions with an open stream are not
// idle: they are moved to the back.
func (reg *sessionRegistry) expire(now time.Time, ended []*session) []*session {
	for n := reg.all.n; n > 0 && reg.all.head != nil; n-- {
		s := reg.all.head
		if now.Sub(s.lastUsed) <= reg.idle {
			break
		}
		if len(s.streams) > 0 {
			reg.touch(s, now)
			continue
		}
		ended = append(ended, reg.removeLocked(s))
	}
	return ended
}

// sweep expires idle sessions; the server runs it periodically so that an
// idle server also lets go of them.
func (reg *sessionRegistry) sweep() []*session {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	return reg.expire(reg.now(), nil)
}

// end removes session id and returns it, or nil when it is not live.
func (reg *sessionRegistry) end(id string) *session {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	s := reg.byID[id]
	if s == nil {
		return nil
	}
	return reg.removeLocked(s)
}

func (reg *sessionRegistry) removeLocked(s *session) *session {
	delete(reg.byID, s.id)
	reg.all.remove(s)
	ol := reg.owners[s.owner]
	ol.remove(s)
	if ol.n == 0 {
		delete(reg.owners, s.owner)
	}
	return s
}

// attach pins s with an open stream; it reports false when s has ended in
// the meantime.
func (reg *sessionRegistry) attach(s *session, st *stream) bool {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if reg.byID[s.id] != s {
		return false
	}
	if s.streams == nil {
		s.streams = make(map[*stream]struct{}, 1)
	}
	s.streams[st] = struct{}{}
	return true
}

// detach unpins s from a stream that has ended.
func (reg *sessionRegistry) detach(s *session, st *stream) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	delete(s.streams, st)
	if reg.byID[s.id] == s {
		// The stream was in use: the idle timeout starts when it ends.
		reg.touch(s, reg.now())
	}
}

// streamsOf returns the streams open on s when it ended.
func (reg *sessionRegistry) streamsOf(s *session) []*stream {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	out := make([]*stream, 0, len(s.streams))
	for st := range s.streams {
		out = append(out, st)
	}
	return out
}

// endSessions finishes sessions the registry has removed: their streams
// are closed and mcp-go forgets the state of streamable HTTP ones.
func (s *Server) endSessions(ended []*session) {
	for _, sess := range ended {
		s.closeStreams(sess)
		if sess.kind == kindStreamable && s.streamable != nil {
			s.forgetStreamable(sess.id)
		}
	}
}

// closeStreams ends the streams of a session that has ended.
func (s *Server) closeStreams(sess *session) {
	for _, st := range s.sessions.streamsOf(sess) {
		st.cancel()
	}
}

// forgetStreamable makes mcp-go drop the state of a streamable HTTP session
// that ended here (evicted or idle). mcp-go offers no call for one session,
// so it gets the DELETE a client would send, straight to its handler.
func (s *Server) forgetStreamable(id string) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodDelete, PathMCP, http.NoBody)
	if err != nil {
		return
	}
	req.Header.Set(server.HeaderKeySessionID, id)
	s.streamable.ServeHTTP(discardWriter{header: http.Header{}}, req)
}

// discardWriter is a ResponseWriter that drops everything.
type discardWriter struct{ header http.Header }

func (w discardWriter) Header() http.Header         { return w.header }
func (w discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w discardWriter) WriteHeader(int)             {}

// issuedFrom is the id of the session bindSessions opened for the request
// of ctx, which mcp-go's id generators see; "" when it opened none.
func issuedFrom(ctx context.Context) string {
	if st := stateFrom(ctx); st != nil {
		return st.issued
	}
	return ""
}

// idManager is the streamable HTTP session id manager mcp-go consults: ids
// come from the registry, through bindSessions, and only live ones are
// valid.
type idManager struct {
	srv    *Server
	issued string   // the id bindSessions opened for this initialize
	bound  *session // the live session bindSessions found for this request
}

// ResolveSessionIdManager implements server.SessionIdManagerResolver. A
// request's manager lives in its state, so that resolving allocates
// nothing.
func (m *idManager) ResolveSessionIdManager(r *http.Request) server.SessionIdManager {
	if r == nil {
		return m
	}
	if st := stateFrom(r.Context()); st != nil {
		st.ids = idManager{srv: m.srv, issued: st.issued, bound: st.session}
		return &st.ids
	}
	return m
}

// Generate returns the id bindSessions issued for an initialize request;
// without one (a request bindSessions let through without opening a
// session) it returns "", which names no session.
func (m *idManager) Generate() string { return m.issued }

// Validate reports an error for any id that is not a live session. The
// session bindSessions has just found live and the caller's is not looked
// up again.
func (m *idManager) Validate(id string) (bool, error) {
	if m.bound != nil && m.bound.id == id {
		return false, nil
	}
	if !m.srv.sessions.exists(id) {
		return false, errors.New("session not found")
	}
	return false, nil
}

// Terminate ends session id (a DELETE from its owner).
func (m *idManager) Terminate(id string) (bool, error) {
	// mcp-go forgets its own state of the session after this returns.
	if sess := m.srv.sessions.end(id); sess != nil {
		m.srv.closeStreams(sess)
	}
	return false, nil
}

// sseSessionID is the legacy SSE transport's id generator: the id
// bindSessions opened for this GET /sse.
func sseSessionID(ctx context.Context, _ *http.Request) (string, error) {
	if id := issuedFrom(ctx); id != "" {
		return id, nil
	}
	return "", errors.New("no session was opened for this stream")
}

// writeSessionNotFound is the one answer to a request naming a session that
// is not a live session of its caller, whatever the reason, so that nobody
// can learn whether someone else's session exists.
func writeSessionNotFound(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, "session not found; start a new session (initialize, or a new GET /sse)")
}

// bindSessions checks every request that targets a session against the
// registry, using the session id the transport will act on: the
// Mcp-Session-Id header of streamable HTTP (not in stateless mode, and not
// for 2026-07-28 requests, which have no sessions), the sessionId query
// parameter of POST /message. It opens the session of an initialize
// request and of a GET /sse, bound to the caller, and ends a session on
// DELETE.
func (s *Server) bindSessions(next http.Handler) http.Handler {
	stateless := s.cfg.Server.HTTP.Stateless
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateFrom(r.Context())
		owner := s.ownerOf(r.Context())
		var kind sessionKind
		var id string
		opening := false
		switch r.URL.Path {
		case PathSSE:
			kind, opening = kindSSE, true
		case PathMessage:
			kind, id = kindSSE, r.URL.Query().Get("sessionId")
			if id == "" {
				writeError(w, http.StatusBadRequest, "the sessionId query parameter is missing; use the endpoint the SSE stream announced")
				return
			}
		case PathMCP:
			if stateless || s.modern(r, st) {
				next.ServeHTTP(w, r)
				return
			}
			kind = kindStreamable
			if r.Method == http.MethodPost && st != nil && st.env.Method == string(mcp.MethodInitialize) && !st.env.Batch {
				// initialize always opens a new session, whatever id it names.
				opening = true
				break
			}
			if id = r.Header.Get(server.HeaderKeySessionID); id == "" {
				writeError(w, http.StatusBadRequest, "the Mcp-Session-Id header is missing; send initialize first and then the session id it returned")
				return
			}
		default:
			next.ServeHTTP(w, r)
			return
		}

		if !opening {
			var sess *session
			var ended []*session
			if st != nil {
				sess, ended = s.sessions.useAt(id, owner, kind, st.start)
			} else {
				sess, ended = s.sessions.use(id, owner, kind)
			}
			s.endSessions(ended)
			if sess == nil {
				writeSessionNotFound(w)
				return
			}
			if st != nil {
				st.session = sess
			}
			next.ServeHTTP(w, r)
			return
		}

		sess, ended, err := s.sessions.open(owner, kind)
		s.endSessions(ended)
		if err != nil {
			w.Header().Set("Retry-After", sessionRetryAfter)
			writeError(w, http.StatusServiceUnavailable, "the server holds as many sessions as it may (server.http.max_sessions); retry later")
			return
		}
		if st != nil {
			st.session, st.issued = sess, sess.id
		}
		rec := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		// A legacy SSE session lives as long as its stream; an initialize
		// that failed leaves no session behind.
		if kind == kindSSE || rec.status != http.StatusOK {
			if ended := s.sessions.end(sess.id); ended != nil {
				s.endSessions([]*session{ended})
			}
		}
	})
}

// ownerOf is the owner a session opened with ctx is bound to.
func (s *Server) ownerOf(ctx context.Context) string {
	if s.guard == nil {
		return ""
	}
	return s.guard.SessionOwner(ctx)
}

// modern reports whether mcp-go serves r as a 2026-07-28 request, which
// carries no session: by its MCP-Protocol-Version header or the protocol
// version in the _meta of its body, as mcp-go decides.
func (s *Server) modern(r *http.Request, st *requestState) bool {
	if mcp.IsModernProtocol(r.Header.Get(mcp.HeaderProtocolVersion)) {
		return true
	}
	return st != nil && mcp.IsModernProtocol(st.env.ProtocolVersion)
}

// runSessionSweeper expires idle sessions every quarter of the idle timeout
// (at least every second) until ctx ends.
func (s *Server) runSessionSweeper(ctx context.Context) {
	every := max(s.cfg.Server.HTTP.SessionIdleTimeout.Duration/4, time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.endSessions(s.sessions.sweep())
		}
	}
}
