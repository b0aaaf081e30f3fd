package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestReopenKeepsDataAndRevision(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "nested", "state.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, "/a", "a1")                      // 1
	mustCreate(t, s, "/b", "b1")                      // 2
	mustUpdate(t, s, "/a", "a2")                      // 3
	if _, err := s.Delete(ctx, "/b", 0); err != nil { // 4
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if got := s.Rev(); got != 4 {
		t.Errorf("Rev() after reopen = %d, want 4", got)
	}
	a, err := s.Get(ctx, "/a")
	if err != nil || string(a.Value) != "a2" || a.Rev != 3 {
		t.Errorf("Get(/a) = %q@%d, %v; want \"a2\"@3", a.Value, a.Rev, err)
	}
	if _, err := s.Get(ctx, "/b"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(/b) = %v, want ErrNotFound", err)
	}
	// History starts empty at the current revision.
	for _, from := range []int64{1, 3} {
		if _, err := s.Watch(ctx, "/", from); !errors.Is(err, ErrExpired) {
			t.Errorf("Watch from %d after reopen = %v, want ErrExpired", from, err)
		}
	}
	ch := mustWatch(t, s, "/", 4)
	if rev := mustCreate(t, s, "/c", "c1"); rev != 5 {
		t.Errorf("first write after reopen got revision %d, want 5", rev)
	}
	if e := next(t, ch); e.Rev != 5 || e.Key != "/c" {
		t.Errorf("watch from 4 got %s@%d, want /c@5", e.Key, e.Rev)
	}
}

func TestOpenLocked(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	// bbolt's flock is per open file, so a second Open in this process
	// stands in for a second process.
	_, err = Open(path, Options{})
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "locked by another process") {
		t.Fatalf("second Open = %v, want an error naming %s as locked", err, path)
	}
}

const crashEnv = "MINI_STORE_CRASH_PATH"

// TestCrashLosesNothingAcknowledged runs crashWriter in a subprocess,
// kills it with SIGKILL mid-write and checks every write it acknowledged.
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("spawns a subprocess")
	}
	path := filepath.Join(t.TempDir(), "state.db")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestCrashWriter$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	acked := make(map[string]int64)
	var maxRev int64
	sc := bufio.NewScanner(out)
	killed := false
	for sc.Scan() {
		var key string
		var rev int64
		if _, err := fmt.Sscanf(sc.Text(), "ack %s %d", &key, &rev); err != nil {
			continue
		}
		acked[key] = rev
		maxRev = max(maxRev, rev)
		if len(acked) == 300 && !killed {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("writer exited after %d acknowledged writes: %v", len(acked), err)
	}

	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer func() { _ = s.Close() }()
	if s.Rev() < maxRev {
		t.Errorf("Rev() after crash = %d, below acknowledged revision %d", s.Rev(), maxRev)
	}
	for key, rev := range acked {
		kv, err := s.Get(t.Context(), key)
		if err != nil || kv.Rev != rev {
			t.Errorf("acknowledged %s@%d: got @%d, %v", key, rev, kv.Rev, err)
		}
	}
	t.Logf("%d acknowledged writes survived SIGKILL; store at revision %d", len(acked), s.Rev())
}

// TestCrashWriter is the subprocess of TestCrashLosesNothingAcknowledged:
// concurrent writers printing each acknowledged write until killed.
func TestCrashWriter(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("runs only as the subprocess of TestCrashLosesNothingAcknowledged")
	}
	s, err := Open(path, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				key := fmt.Sprintf("/crash/%d/%d", w, i)
				rev, err := s.Create(context.Background(), key, []byte(key))
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ack %s %d\n", key, rev)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
