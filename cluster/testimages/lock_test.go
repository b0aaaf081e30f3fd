package testimages

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestLockDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a", "b")
	unlock, err := lockDir(t.Context(), dir)
	if err != nil {
		t.Fatalf("lockDir: %v", err)
	}

	// A second taker waits: it gives up when its context ends...
	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
	defer cancel()
	if _, err := lockDir(ctx, dir); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("lockDir while held = %v, want the context's deadline", err)
	}

	// ...and gets the lock once the holder lets go.
	got := make(chan error, 1)
	go func() {
		unlock2, err := lockDir(t.Context(), dir)
		if err == nil {
			unlock2()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("second lockDir returned %v while the lock was held", err)
	case <-time.After(100 * time.Millisecond):
	}
	unlock()
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("second lockDir: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("second lockDir still waiting after unlock")
	}
}
