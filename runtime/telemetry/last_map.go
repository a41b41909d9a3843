package telemetry

import (
	"sync"
	"sync/atomic"
)

// lastMap holds values made once per key and asked for on every request
// (a family's series, the span shapes). It returns the one it returned
// last without a lock, as most requests to a busy server ask for the same
// one again, and any other one a read-locked map lookup away.
type lastMap[K comparable, V any] struct {
	mu      sync.RWMutex
	entries map[K]*lastEntry[K, V]
	last    atomic.Pointer[lastEntry[K, V]]
}

// lastEntry is a key of a lastMap with its value.
type lastEntry[K comparable, V any] struct {
	key K
	val V
}

// get returns the value of k, made by newValue the first time k is asked
// for.
func (m *lastMap[K, V]) get(k K, newValue func(K) V) V {
	if e := m.last.Load(); e != nil && e.key == k {
		return e.val
	}
	m.mu.RLock()
	e := m.entries[k]
	m.mu.RUnlock()
	if e == nil {
		e = m.add(k, newValue)
	}
	m.last.Store(e)
	return e.val
}

// add makes the entry of k unless another goroutine made it first.
func (m *lastMap[K, V]) add(k K, newValue func(K) V) *lastEntry[K, V] {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.entries[k]; e != nil {
		return e
	}
	if m.entries == nil {
		m.entries = make(map[K]*lastEntry[K, V])
	}
	e := &lastEntry[K, V]{key: k, val: newValue(k)}
	m.entries[k] = e
	return e
}

// values returns every value made so far, in no particular order.
func (m *lastMap[K, V]) values() []V {
	m.mu.RLock()
	defer m.mu.RUnlock()
	all := make([]V, 0, len(m.entries))
	for _, e := range m.entries {
		all = append(all, e.val)
	}
	return all
}
