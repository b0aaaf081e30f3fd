package endpointslice

import (
	"sync"
	"time"
)

// tracker remembers the slices this controller created or deleted until
// its informer shows them, so that a reconcile never acts on a cache that
// lags its own writes (a second slice for the same endpoints, say).
type tracker struct {
	mu  sync.Mutex
	now func() time.Time
	// pending[service key][slice name] is when the write was made and
	// whether it was a delete.
	pending map[string]map[string]pendingWrite
}

type pendingWrite struct {
	at      time.Time
	deleted bool
}

// trackerTimeout bounds how long a write waits to be observed (a watch
// that missed it relists well before this).
const trackerTimeout = 10 * time.Second

func newTracker(now func() time.Time) *tracker {
	return &tracker{now: now, pending: map[string]map[string]pendingWrite{}}
}

func (t *tracker) wrote(key, name string, deleted bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending[key] == nil {
		t.pending[key] = map[string]pendingWrite{}
	}
	t.pending[key][name] = pendingWrite{at: t.now(), deleted: deleted}
}

// observed settles a pending write the informer now shows.
func (t *tracker) observed(key, name string, deleted bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if w, ok := t.pending[key][name]; ok && w.deleted == deleted {
		delete(t.pending[key], name)
		if len(t.pending[key]) == 0 {
			delete(t.pending, key)
		}
	}
}

// stale reports whether writes for key are still unobserved, judged by
// present (is the slice in the informer's cache); settled and expired
// writes are forgotten.
func (t *tracker) stale(key string, present func(name string) bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for name, w := range t.pending[key] {
		if t.now().Sub(w.at) > trackerTimeout || present(name) != w.deleted {
			delete(t.pending[key], name)
		}
	}
	if len(t.pending[key]) == 0 {
		delete(t.pending, key)
		return false
	}
	return true
}

func (t *tracker) forget(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.pending, key)
}
