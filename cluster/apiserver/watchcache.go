package apiserver

import (
	"encoding/json"
	"sync"

	"github.com/minidev/mini/cluster/store"
	kruntime "k8s.io/apimachinery/pkg/runtime"
)

// decodedEvent is a store event decoded once for every watcher: each
// watcher only matches selectors against it and writes the shared JSON.
// Everything in it is read-only once built.
type decodedEvent struct {
	once      sync.Once
	cur, prev kruntime.Object // prev is nil for Added
	curJSON   json.RawMessage
	err       error
}

// eventCache holds the most recent decoded events by revision (one write
// is one revision, so a revision names one key of one resource).
type eventCache struct {
	mu    sync.Mutex
	byRev map[int64]*decodedEvent
	order []int64 // FIFO of revisions, for eviction
	size  int
}

func newEventCache(size int) *eventCache {
	return &eventCache{byRev: make(map[int64]*decodedEvent, size), size: size}
}

// get returns the decoded form of ev, decoding it on first use.
func (c *eventCache) get(res *Resource, ev store.Event) *decodedEvent {
	c.mu.Lock()
	d, ok := c.byRev[ev.Rev]
	if !ok {
		d = &decodedEvent{}
		c.byRev[ev.Rev] = d
		c.order = append(c.order, ev.Rev)
		if len(c.order) > c.size {
			delete(c.byRev, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.mu.Unlock()
	d.once.Do(func() {
		d.cur, d.err = fromStore(res, store.KV{Key: ev.Key, Value: ev.Value, Rev: ev.Rev})
		if d.err == nil && ev.PrevValue != nil {
			d.prev, d.err = fromStore(res, store.KV{Key: ev.Key, Value: ev.PrevValue, Rev: ev.Rev})
		}
		if d.err == nil {
			d.curJSON, d.err = json.Marshal(d.cur)
		}
	})
	return d
}
