package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// waitLimit bounds every wait in the tests; it is a failure guard, never a
// pause.
const waitLimit = 10 * time.Second

func openTest(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "state.db"), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func mustCreate(t testing.TB, s *Store, key, value string) int64 {
	t.Helper()
	rev, err := s.Create(context.Background(), key, []byte(value))
	if err != nil {
		t.Fatalf("Create(%s): %v", key, err)
	}
	return rev
}

func mustUpdate(t testing.TB, s *Store, key, value string) int64 {
	t.Helper()
	rev, err := s.Update(context.Background(), key, 0, []byte(value))
	if err != nil {
		t.Fatalf("Update(%s): %v", key, err)
	}
	return rev
}

func mustWatch(t testing.TB, s *Store, prefix string, from int64) <-chan Event {
	t.Helper()
	ch, err := s.Watch(t.Context(), prefix, from)
	if err != nil {
		t.Fatalf("Watch(%q, %d): %v", prefix, from, err)
	}
	return ch
}

// next returns the next event on ch, failing if it closes or none comes.
func next(t testing.TB, ch <-chan Event) Event {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatal("watch channel closed, want an event")
		}
		return e
	case <-time.After(waitLimit):
		t.Fatal("no event")
	}
	return Event{}
}

// drain returns the events left on ch once it closes.
func drain(t testing.TB, ch <-chan Event) []Event {
	t.Helper()
	var got []Event
	timeout := time.After(waitLimit)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				return got
			}
			got = append(got, e)
		case <-timeout:
			t.Fatalf("watch channel not closed; got %d events", len(got))
		}
	}
}

// summary shortens events for comparison.
type evSummary struct {
	Type EventType
	Key  string
	Rev  int64
}

func summary(events []Event) []evSummary {
	out := make([]evSummary, len(events))
	for i, e := range events {
		out[i] = evSummary{e.Type, e.Key, e.Rev}
	}
	return out
}
