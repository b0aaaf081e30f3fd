package store

import (
	"sort"
	"strings"
)

// ring keeps the most recent events in revision order, dropping the oldest
// when full.
type ring struct {
	buf   []Event
	start int // index of the oldest event
	n     int
}

func newRing(capacity int) *ring {
	return &ring{buf: make([]Event, capacity)}
}

// add appends e and returns the event it pushed out, if any.
func (r *ring) add(e Event) (dropped Event, ok bool) {
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = e
		r.n++
		return Event{}, false
	}
	dropped = r.buf[r.start]
	r.buf[r.start] = e
	r.start = (r.start + 1) % len(r.buf)
	return dropped, true
}

func (r *ring) at(i int) Event {
	return r.buf[(r.start+i)%len(r.buf)]
}

// since returns the kept events with Rev > rev whose key has prefix.
func (r *ring) since(rev int64, prefix string) []Event {
	i := sort.Search(r.n, func(i int) bool { return r.at(i).Rev > rev })
	var out []Event
	for ; i < r.n; i++ {
		if e := r.at(i); strings.HasPrefix(e.Key, prefix) {
			out = append(out, e)
		}
	}
	return out
}
