package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
)

func TestWatchReplayThenLive(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openTest(t, Options{})
	mustCreate(t, s, "/a", "a1")                      // 1
	mustCreate(t, s, "/b", "b1")                      // 2
	mustUpdate(t, s, "/a", "a2")                      // 3
	if _, err := s.Delete(ctx, "/b", 2); err != nil { // 4
		t.Fatal(err)
	}
	ch := mustWatch(t, s, "/", 2)
	mustCreate(t, s, "/c", "c1") // 5, live

	want := []Event{
		{Type: Modified, Key: "/a", Value: []byte("a2"), PrevValue: []byte("a1"), Rev: 3},
		{Type: Deleted, Key: "/b", Value: []byte("b1"), PrevValue: []byte("b1"), Rev: 4},
		{Type: Added, Key: "/c", Value: []byte("c1"), Rev: 5},
	}
	for _, w := range want {
		got := next(t, ch)
		if got.Type != w.Type || got.Key != w.Key || got.Rev != w.Rev ||
			string(got.Value) != string(w.Value) || string(got.PrevValue) != string(w.PrevValue) ||
			(w.PrevValue == nil) != (got.PrevValue == nil) {
			t.Errorf("event = %v %s %q prev %q @%d, want %v %s %q prev %q @%d",
				got.Type, got.Key, got.Value, got.PrevValue, got.Rev,
				w.Type, w.Key, w.Value, w.PrevValue, w.Rev)
		}
	}
}

func TestWatchStart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		prefix   string
		from     int64 // relative to the store's revision after setup (3) when >= 0
		wantRevs []int64
	}{
		{"from now", "/", 0, []int64{4, 5, 6}},
		{"from current revision", "/", 3, []int64{4, 5, 6}},
		{"from the start of history", "/", 1, []int64{2, 3, 4, 5, 6}},
		{"from a future revision", "/", 5, []int64{6}},
		{"prefix", "/core/pods/default/", 1, []int64{2, 4, 6}},
		{"prefix from now", "/core/pods/default/", 0, []int64{4, 6}},
		{"other prefix", "/core/services/", 0, []int64{5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := openTest(t, Options{})
			mustCreate(t, s, "/core/pods/other/x", "1")    // 1
			mustCreate(t, s, "/core/pods/default/a", "1")  // 2
			mustCreate(t, s, "/core/podsx/default/a", "1") // 3
			ch := mustWatch(t, s, tt.prefix, tt.from)
			mustUpdate(t, s, "/core/pods/default/a", "2")     // 4
			mustCreate(t, s, "/core/services/default/a", "1") // 5
			mustCreate(t, s, "/core/pods/default/b", "1")     // 6
			var got []int64
			for range tt.wantRevs {
				got = append(got, next(t, ch).Rev)
			}
			if !slices.Equal(got, tt.wantRevs) {
				t.Errorf("revisions %v, want %v", got, tt.wantRevs)
			}
			// A later matching marker must be the very next event: nothing
			// unwanted was queued in between.
			rev := mustCreate(t, s, tt.prefix+"marker", "m")
			if e := next(t, ch); e.Rev != rev {
				t.Errorf("after the expected events got %s@%d, want the marker @%d", e.Key, e.Rev, rev)
			}
		})
	}
}

func TestWatchExpired(t *testing.T) {
	t.Parallel()
	// History keeps 3 events; after 5 writes it holds revisions 3..5.
	tests := []struct {
		from     int64
		wantErr  error
		wantRevs []int64
	}{
		{from: 1, wantErr: ErrExpired},
		{from: 2, wantRevs: []int64{3, 4, 5, 6}},
		{from: 4, wantRevs: []int64{5, 6}},
		{from: 0, wantRevs: []int64{6}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("from ", tt.from), func(t *testing.T) {
			t.Parallel()
			s := openTest(t, Options{History: 3})
			for i := range 5 {
				mustCreate(t, s, fmt.Sprint("/k", i), "v")
			}
			ch, err := s.Watch(t.Context(), "/", tt.from)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Watch = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			mustCreate(t, s, "/k6", "v")
			var got []int64
			for range tt.wantRevs {
				got = append(got, next(t, ch).Rev)
			}
			if !slices.Equal(got, tt.wantRevs) {
				t.Errorf("revisions %v, want %v", got, tt.wantRevs)
			}
		})
	}
}

func TestSlowWatcherIsDropped(t *testing.T) {
	t.Parallel()
	s := openTest(t, Options{WatchBuffer: 2})
	slow := mustWatch(t, s, "/", 0)
	fast := mustWatch(t, s, "/", 0)
	var fastGot []int64
	done := make(chan struct{})
	seen := make(chan int64, 10)
	go func() {
		defer close(done)
		for e := range fast {
			fastGot = append(fastGot, e.Rev)
			seen <- e.Rev
			if e.Rev == 10 {
				return
			}
		}
	}()

	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	defer cancel()
	for i := range 10 {
		// A writer blocked by the slow watcher would hit the deadline.
		if _, err := s.Create(ctx, fmt.Sprint("/k", i), nil); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		// The fast watcher keeps up (it reads each event before the next
		// write, however loaded the machine): only the slow one falls behind.
		select {
		case <-seen:
		case <-ctx.Done():
			t.Fatalf("the fast watcher did not get event %d", i+1)
		}
	}
	got := summary(drain(t, slow))
	want := []evSummary{{Added, "/k0", 1}, {Added, "/k1", 2}}
	if !slices.Equal(got, want) {
		t.Errorf("slow watcher got %v before its channel closed, want %v", got, want)
	}
	<-done
	if len(fastGot) != 10 {
		t.Errorf("fast watcher got %v, want all 10", fastGot)
	}

	// The dropped watcher re-watches from the last revision it saw.
	again := mustWatch(t, s, "/", 2)
	if e := next(t, again); e.Rev != 3 {
		t.Errorf("re-watch from 2 starts at %d, want 3", e.Rev)
	}
}

func TestReplayLargerThanBuffer(t *testing.T) {
	t.Parallel()
	s := openTest(t, Options{WatchBuffer: 2})
	for i := range 10 {
		mustCreate(t, s, fmt.Sprint("/k", i), "v")
	}
	ch := mustWatch(t, s, "/", 1)
	for want := int64(2); want <= 10; want++ {
		if e := next(t, ch); e.Rev != want {
			t.Fatalf("replay gave %d, want %d", e.Rev, want)
		}
	}
}

func TestWatchContextCancel(t *testing.T) {
	t.Parallel()
	s := openTest(t, Options{})
	ctx, cancel := context.WithCancel(t.Context())
	ch, err := s.Watch(ctx, "/", 0)
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, "/a", "1")
	cancel()
	// Events already queued may still arrive; then the channel closes.
	for _, e := range drain(t, ch) {
		if e.Key != "/a" {
			t.Errorf("unexpected event %s", e.Key)
		}
	}
	s.mu.Lock()
	n := len(s.watchers)
	s.mu.Unlock()
	if n != 0 {
		t.Errorf("%d watchers still registered after cancel", n)
	}
	mustCreate(t, s, "/b", "1") // publishing after the drop must not panic
}

// TestConcurrentWriters checks that concurrent writes get distinct,
// gap-free revisions, that events arrive in revision order, and that the
// list-then-watch pattern sees every change exactly once from any point.
func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	const writers, perWriter = 16, 50
	const total = writers * perWriter
	ctx := t.Context()
	s := openTest(t, Options{WatchBuffer: 2 * total})
	all := mustWatch(t, s, "/", 0)

	type listWatch struct {
		rev   int64
		items []KV
		ch    <-chan Event
	}
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		acked     = make(map[string]int64)
		snapshots []listWatch
	)
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				key := fmt.Sprintf("/w%02d/%03d", w, i)
				rev, err := s.Create(ctx, key, []byte(key))
				if err == nil && i%2 == 1 {
					rev, err = s.Update(ctx, key, rev, []byte(key+"+"))
				}
				if err != nil {
					t.Errorf("write %s: %v", key, err)
					return
				}
				mu.Lock()
				acked[key] = rev
				mu.Unlock()
			}
		})
	}
	for range 4 {
		wg.Go(func() {
			items, rev, _, err := s.List(ctx, "/", "", 0)
			if err != nil {
				t.Error(err)
				return
			}
			ch, err := s.Watch(ctx, "/", rev)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			snapshots = append(snapshots, listWatch{rev, items, ch})
			mu.Unlock()
		})
	}
	wg.Wait()
	final := int64(total + total/2)
	if got := s.Rev(); got != final {
		t.Fatalf("Rev() = %d, want %d", got, final)
	}

	seen := make(map[string]int64)
	for want := int64(1); want <= final; want++ {
		e := next(t, all)
		if e.Rev != want {
			t.Fatalf("event revision %d, want %d (gap or reorder)", e.Rev, want)
		}
		seen[e.Key] = e.Rev
	}
	for k, rev := range acked {
		if seen[k] != rev {
			t.Errorf("%s acknowledged at %d, last event at %d", k, rev, seen[k])
		}
	}

	// Each list plus its watch rebuilds the final state.
	for _, sn := range snapshots {
		state := make(map[string]int64)
		for _, kv := range sn.items {
			state[kv.Key] = kv.Rev
		}
		for want := sn.rev + 1; want <= final; want++ {
			e := next(t, sn.ch)
			if e.Rev != want {
				t.Fatalf("watch from list revision %d: got %d, want %d", sn.rev, e.Rev, want)
			}
			state[e.Key] = e.Rev
		}
		if len(state) != len(acked) {
			t.Errorf("list at %d + watch gives %d keys, want %d", sn.rev, len(state), len(acked))
		}
		for k, rev := range acked {
			if state[k] != rev {
				t.Errorf("list at %d + watch: %s at %d, want %d", sn.rev, k, state[k], rev)
			}
		}
	}
}
