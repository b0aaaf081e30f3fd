package loop

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLoop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fail     int // reconciles of the key that fail before success
		panics   bool
		wantRuns int32
	}{
		{name: "success once", wantRuns: 1},
		{name: "errors are retried", fail: 2, wantRuns: 3},
		{name: "panics are recovered and retried", fail: 1, panics: true, wantRuns: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var runs atomic.Int32
			done := make(chan struct{})
			var once sync.Once
			l := New("test", func(ctx context.Context, key string) (time.Duration, error) {
				n := runs.Add(1)
				if int(n) <= tt.fail {
					if tt.panics {
						panic("boom")
					}
					return 0, errors.New("not yet")
				}
				once.Do(func() { close(done) })
				return 0, nil
			}, nil)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go l.Run(ctx, 2)
			l.Add("ns/a")
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatalf("reconcile never succeeded; runs=%d", runs.Load())
			}
			time.Sleep(50 * time.Millisecond)
			if got := runs.Load(); got != tt.wantRuns {
				t.Errorf("runs = %d, want %d", got, tt.wantRuns)
			}
		})
	}
}

// TestOneReconcilePerKey: a key added many times while being reconciled is
// never reconciled concurrently with itself.
func TestOneReconcilePerKey(t *testing.T) {
	t.Parallel()
	var active, maxActive atomic.Int32
	var total atomic.Int32
	l := New("test", func(ctx context.Context, key string) (time.Duration, error) {
		n := active.Add(1)
		for {
			m := maxActive.Load()
			if n <= m || maxActive.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		active.Add(-1)
		total.Add(1)
		return 0, nil
	}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Run(ctx, 4)
	for i := 0; i < 50; i++ {
		l.Add("same")
		time.Sleep(time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if maxActive.Load() != 1 {
		t.Errorf("key reconciled %d times at once, want 1", maxActive.Load())
	}
	if total.Load() >= 50 {
		t.Errorf("50 adds gave %d reconciles: the queue does not de-duplicate", total.Load())
	}
}
