package store

import (
	"context"
	"fmt"
	"strings"
)

// EventType says what a change did to its key.
type EventType int

// The kinds of change.
const (
	Added EventType = iota + 1
	Modified
	Deleted
)

func (t EventType) String() string {
	switch t {
	case Added:
		return "ADDED"
	case Modified:
		return "MODIFIED"
	case Deleted:
		return "DELETED"
	}
	return fmt.Sprintf("EventType(%d)", int(t))
}

// Event is one change. Value is the new value (for Deleted, the last value
// before deletion); PrevValue is the value before the change (nil for
// Added); Rev is the revision of this change. Watchers share the byte
// slices: do not modify them.
type Event struct {
	Type             EventType
	Key              string
	Value, PrevValue []byte
	Rev              int64
}

// watcher is one Watch call's subscription.
type watcher struct {
	prefix string
	from   int64 // deliver only events with Rev > from
	ch     chan Event
	stop   func() bool // unregisters the ctx callback
}

// Watch sends every change under prefix with Rev > fromRev, in revision
// order: first those still in the history, then live ones. fromRev == 0
// means from now; fromRev > Rev() waits for that revision. If some change
// after fromRev is no longer in the history (it was dropped, or predates this
// process) Watch returns ErrExpired and the caller must list again.
//
// The channel closes when ctx is done, when the store closes, or when the
// receiver falls Options.WatchBuffer events behind; the caller then watches
// again from the last revision it received. The channel's capacity is
// WatchBuffer plus the number of replayed events, so a replay never counts
// against the receiver.
func (s *Store) Watch(ctx context.Context, prefix string, fromRev int64) (<-chan Event, error) {
	if fromRev < 0 {
		return nil, fmt.Errorf("watch %s: negative revision %d", prefix, fromRev)
	}
	if err := ctxErr(ctx, "watch", prefix); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("watch %s: %w", prefix, ErrClosed)
	}
	if fromRev == 0 {
		fromRev = s.rev.Load()
	}
	if fromRev < s.floor {
		return nil, fmt.Errorf("watch %s from revision %d: history only holds changes after revision %d: %w",
			prefix, fromRev, s.floor, ErrExpired)
	}
	replay := s.history.since(fromRev, prefix)
	w := &watcher{
		prefix: prefix,
		from:   fromRev,
		ch:     make(chan Event, s.watchBuffer+len(replay)),
	}
	for _, e := range replay {
		w.ch <- e
	}
	s.watchers[w] = struct{}{}
	w.stop = context.AfterFunc(ctx, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.dropLocked(w)
	})
	return w.ch, nil
}

// publish records committed events in the history and hands them to the
// watchers, in order. It never blocks: a watcher whose channel is full is
// dropped.
func (s *Store) publish(events []Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range events {
		if dropped, ok := s.history.add(e); ok {
			s.floor = dropped.Rev
		}
		s.rev.Store(e.Rev)
		for w := range s.watchers {
			if e.Rev <= w.from || !strings.HasPrefix(e.Key, w.prefix) {
				continue
			}
			select {
			case w.ch <- e:
			default:
				s.dropLocked(w)
			}
		}
	}
}

// dropLocked unregisters w and closes its channel, once. s.mu must be held.
func (s *Store) dropLocked(w *watcher) {
	if _, ok := s.watchers[w]; !ok {
		return
	}
	delete(s.watchers, w)
	close(w.ch)
	if w.stop != nil {
		w.stop()
	}
}
