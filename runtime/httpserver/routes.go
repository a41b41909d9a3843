package httpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// router dispatches on the exact path (or the longest subtree prefix) and
// then on the method, answering unknown paths with a JSON 404 and unknown
// methods with a JSON 405 and an Allow header. net/http's ServeMux would do
// the matching but answers in plain text.
type router struct {
	exact    map[string]*route
	prefixes []string // subtree paths ending in "/", longest first
	subtree  map[string]*route
}

type route struct {
	methods map[string]http.Handler // by method; "" = any method
}

func newRouter() *router {
	return &router{exact: map[string]*route{}, subtree: map[string]*route{}}
}

// handle registers h for path and methods (nil = any method). Used for the
// built-in routes, which are known not to clash.
func (rt *router) handle(path string, methods []string, h http.Handler) {
	r := rt.routeFor(path, true)
	if len(methods) == 0 {
		r.methods[""] = h
	}
	for _, m := range methods {
		r.methods[m] = h
	}
}

// handleKey registers an extra route keyed "PATH" or "METHOD PATH".
func (rt *router) handleKey(key string, h http.Handler) error {
	method, path, ok := strings.Cut(strings.TrimSpace(key), " ")
	if !ok {
		method, path = "", method
	}
	path = strings.TrimSpace(path)
	if h == nil {
		return fmt.Errorf("httpserver: route %q has a nil handler", key)
	}
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " ?#") {
		return fmt.Errorf("httpserver: route %q: the path must start with \"/\", such as \"GET /login\"", key)
	}
	if method != "" && (method != strings.ToUpper(method) || strings.ContainsAny(method, "/ ")) {
		return fmt.Errorf("httpserver: route %q: the method must be upper case, such as \"GET /login\"", key)
	}
	if builtin(path) {
		return fmt.Errorf("httpserver: route %q shadows the built-in route %s", key, path)
	}
	r := rt.routeFor(path, false)
	if _, dup := r.methods[method]; dup || (method == "" && len(r.methods) > 0) || r.methods[""] != nil {
		return fmt.Errorf("httpserver: route %q overlaps another route for %s", key, path)
	}
	r.methods[method] = h
	return nil
}

func builtin(path string) bool {
	switch path {
	case PathInfo, PathHealth, PathReady, PathMCP, PathSSE, PathMessage:
		return true
	}
	return false
}

func (rt *router) routeFor(path string, exactOnly bool) *route {
	if !exactOnly && strings.HasSuffix(path, "/") {
		r, ok := rt.subtree[path]
		if !ok {
			r = &route{methods: map[string]http.Handler{}}
			rt.subtree[path] = r
			rt.prefixes = append(rt.prefixes, path)
			sort.Slice(rt.prefixes, func(i, j int) bool { return len(rt.prefixes[i]) > len(rt.prefixes[j]) })
		}
		return r
	}
	r, ok := rt.exact[path]
	if !ok {
		r = &route{methods: map[string]http.Handler{}}
		rt.exact[path] = r
	}
	return r
}

func (rt *router) match(path string) *route {
	if r, ok := rt.exact[path]; ok {
		return r
	}
	for _, p := range rt.prefixes {
		if strings.HasPrefix(path, p) {
			return rt.subtree[p]
		}
	}
	return nil
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rte := rt.match(r.URL.Path)
	if rte == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no route for %s", r.URL.Path))
		return
	}
	h := rte.methods[r.Method]
	if h == nil && r.Method == http.MethodHead {
		h = rte.methods[http.MethodGet] // net/http drops the body of a HEAD response
	}
	if h == nil {
		h = rte.methods[""]
	}
	if h == nil {
		allow := make([]string, 0, len(rte.methods))
		for m := range rte.methods {
			allow = append(allow, m)
		}
		if slices.Contains(allow, http.MethodGet) {
			allow = append(allow, http.MethodHead)
		}
		sort.Strings(allow)
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s is not allowed on %s", r.Method, r.URL.Path))
		return
	}
	h.ServeHTTP(w, r)
}

// info is the body of GET /.
type info struct {
	Name       string            `json:"name"`
	Version    string            `json:"version"`
	Transports []string          `json:"transports"`
	Endpoints  map[string]string `json:"endpoints"`
}

func (s *Server) serveInfo(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, info{
		Name:       s.cfg.Server.Name,
		Version:    s.cfg.Server.Version,
		Transports: s.transports,
		Endpoints:  s.endpoints(),
	})
}

// serveHealth is liveness only: the process is up and serving HTTP. It stays
// 200 during shutdown, so an orchestrator does not kill a draining server.
func (s *Server) serveHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// serveReady runs every ReadyCheck in order and answers 503 with the reason
// of the first one that fails, or once shutdown has begun.
func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if s.shuttingDown.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "shutting down"})
		return
	}
	for _, check := range s.readyChecks {
		if err := runCheck(r.Context(), check); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": err.Error()})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func runCheck(ctx context.Context, check ReadyCheck) (err error) {
	ctx, cancel := context.WithTimeout(ctx, readyCheckTimeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("readiness check panicked: %v", v)
		}
	}()
	return check(ctx)
}

// errorBody is the JSON body of every error this package writes itself.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// writeError writes a JSON error: {"error": "forbidden", "message": "..."}.
func writeError(w http.ResponseWriter, status int, msg string) {
	code := strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "_"))
	writeJSON(w, status, errorBody{Error: code, Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal_server_error","message":"cannot encode response"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Del("Content-Length")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
