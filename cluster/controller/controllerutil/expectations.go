package controllerutil

import (
	"sync"
	"time"
)

// ExpectationsTimeout is how long expectations are trusted: after it a
// controller syncs anyway, in case a watch event was lost (as Kubernetes).
const ExpectationsTimeout = 5 * time.Minute

// Expectations counts, per controller key, the creations still to be seen
// and the deletions (by object key) still to be seen, as Kubernetes'
// UIDTrackingControllerExpectations. A key is satisfied when nothing is
// pending or its record is older than ExpectationsTimeout.
type Expectations struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*expectation
}

type expectation struct {
	adds    int
	deletes map[string]bool
	at      time.Time
}

// NewExpectations returns empty expectations reading time from now.
func NewExpectations(now func() time.Time) *Expectations {
	if now == nil {
		now = time.Now
	}
	return &Expectations{now: now, m: map[string]*expectation{}}
}

// Satisfied reports whether the controller may sync key: nothing it did
// is still on its way to the informer.
func (e *Expectations) Satisfied(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.m[key]
	if !ok {
		return true
	}
	if x.adds <= 0 && len(x.deletes) == 0 {
		return true
	}
	return e.now().Sub(x.at) > ExpectationsTimeout
}

// ExpectCreations records that n creations are on their way, replacing
// what was pending for key.
func (e *Expectations) ExpectCreations(key string, n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.m[key] = &expectation{adds: n, deletes: map[string]bool{}, at: e.now()}
}

// ExpectDeletions records deletions of the objects with these keys,
// replacing what was pending for key.
func (e *Expectations) ExpectDeletions(key string, objKeys []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	d := make(map[string]bool, len(objKeys))
	for _, k := range objKeys {
		d[k] = true
	}
	e.m[key] = &expectation{deletes: d, at: e.now()}
}

// CreationObserved lowers the pending creations of key by one: the
// informer saw one, or a create failed and will never be seen.
func (e *Expectations) CreationObserved(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.m[key]; ok && x.adds > 0 {
		x.adds--
	}
}

// DeletionObserved marks the deletion of objKey as seen; a deletion seen
// twice (update with deletionTimestamp, then delete) counts once.
func (e *Expectations) DeletionObserved(key, objKey string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.m[key]; ok {
		delete(x.deletes, objKey)
	}
}

// Delete forgets key (its controller object is gone).
func (e *Expectations) Delete(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, key)
}
