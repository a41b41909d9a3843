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

// router collects the routes of a Server and serves them through
// net/http's ServeMux. It adds what ServeMux lacks: JSON 404 and 405
// answers (with an Allow header), and the refusal of extra routes that
// shadow a built-in one or overlap another.
type router struct {
	mux   *http.ServeMux
	paths map[string]map[string]bool // path -> methods routed ("" = any)
}

func newRouter() *router {
	rt := &router{mux: http.NewServeMux(), paths: map[string]map[string]bool{}}
	rt.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no route for %s", r.URL.Path))
	})
	return rt
}

// handle registers h for path and methods (nil = any method). Used for the
// built-in routes, which are known not to clash.
func (rt *router) handle(path string, methods []string, h http.Handler) {
	if len(methods) == 0 {
		methods = []string{""}
	}
	for _, m := range methods {
		rt.add(m, path, h)
	}
}

// add registers h for method ("" = any) and path: "/" is the root alone,
// another path ending in "/" a whole subtree. A path routed for some
// methods only answers the others with a JSON 405.
func (rt *router) add(method, path string, h http.Handler) {
	pattern := path
	if path == "/" {
		pattern = "/{$}"
	}
	ms := rt.paths[path]
	if ms == nil {
		ms = map[string]bool{}
		rt.paths[path] = ms
		if method != "" {
			rt.mux.Handle(pattern, rt.notAllowed(path))
		}
	}
	ms[method] = true
	if method != "" {
		pattern = method + " " + pattern
	}
	rt.mux.Handle(pattern, h)
}

// notAllowed answers a method path is not routed for.
func (rt *router) notAllowed(path string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		allow := make([]string, 0, len(rt.paths[path])+1)
		for m := range rt.paths[path] {
			allow = append(allow, m)
		}
		if slices.Contains(allow, http.MethodGet) {
			allow = append(allow, http.MethodHead) // ServeMux routes HEAD to GET
		}
		sort.Strings(allow)
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s is not allowed on %s", r.Method, r.URL.Path))
	})
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
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " ?#{}") {
		return fmt.Errorf("httpserver: route %q: the path must start with \"/\", such as \"GET /login\"", key)
	}
	if method != "" && (method != strings.ToUpper(method) || strings.ContainsAny(method, "/ ")) {
		return fmt.Errorf("httpserver: route %q: the method must be upper case, such as \"GET /login\"", key)
	}
	if builtin(path) {
		return fmt.Errorf("httpserver: route %q shadows the built-in route %s", key, path)
	}
	if ms := rt.paths[path]; ms[method] || (method == "" && len(ms) > 0) || ms[""] {
		return fmt.Errorf("httpserver: route %q overlaps another route for %s", key, path)
	}
	rt.add(method, path, h)
	return nil
}

func builtin(path string) bool {
	switch path {
	case PathInfo, PathHealth, PathReady, PathMCP, PathSSE, PathMessage:
		return true
	}
	return false
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) { rt.mux.ServeHTTP(w, r) }

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
	// Start-up ends here (keys loaded, providers reached).
	s.readyOnce.Do(func() { go releaseStartupMemory() })
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
