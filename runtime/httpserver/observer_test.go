package httpserver

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

type observed struct {
	method, route string
	status        int
}

type recordingObserver struct {
	mu   sync.Mutex
	seen []observed
}

func (o *recordingObserver) HTTPRequest(method, route string, status int, elapsed time.Duration) {
	if elapsed < 0 {
		panic("negative duration")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seen = append(o.seen, observed{method, route, status})
}

// TestObserver: every request is reported once answered, with its route,
// and a path no route serves has the route "".
func TestObserver(t *testing.T) {
	obs := &recordingObserver{}
	f := newFixture(t, nil, func(o *Options) {
		o.Observer = obs
		o.Routes = map[string]http.Handler{"/docs/": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })}
	})
	f.do(t, http.MethodGet, PathHealth, nil, nil)
	f.do(t, http.MethodGet, "/no/such/path-123", nil, nil)
	f.do(t, http.MethodDelete, PathReady, nil, nil)
	f.do(t, http.MethodGet, "/docs/a/b", nil, nil)

	want := []observed{
		{http.MethodGet, PathHealth, http.StatusOK},
		{http.MethodGet, "", http.StatusNotFound},
		{http.MethodDelete, PathReady, http.StatusMethodNotAllowed},
		{http.MethodGet, "/docs/", http.StatusTeapot},
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if !slices.Equal(obs.seen, want) {
		t.Errorf("observed %v, want %v", obs.seen, want)
	}
}
