package logs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/utils/ptr"
)

var t0 = time.Date(2026, 11, 25, 13, 0, 0, 123456789, time.UTC)

// writeLog writes lines through a File whose clock advances a second per write.
func writeLog(t *testing.T, writes ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c", "0.log")
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	f.now = func() time.Time { return t0.Add(time.Duration(n) * time.Second) }
	for _, w := range writes {
		dst := f.Stdout()
		if s, ok := strings.CutPrefix(w, "err:"); ok {
			dst, w = f.Stderr(), s
		}
		if _, err := io.WriteString(dst, w); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestWriteFormat(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", maxLine+10)
	tests := []struct {
		name   string
		writes []string
		want   string
	}{
		{"full lines", []string{"a\nb\n"}, "2026-11-25T13:00:00.123456789Z stdout F a\n2026-11-25T13:00:00.123456789Z stdout F b\n"},
		{"stderr", []string{"err:oops\n"}, "2026-11-25T13:00:00.123456789Z stderr F oops\n"},
		{"line across writes", []string{"he", "llo\n"}, "2026-11-25T13:00:01.123456789Z stdout F hello\n"},
		{"pending flushed on close", []string{"no newline"}, "2026-11-25T13:00:01.123456789Z stdout F no newline\n"},
		{"empty line", []string{"\n"}, "2026-11-25T13:00:00.123456789Z stdout F \n"},
		{"long line split", []string{long + "\n"},
			"2026-11-25T13:00:00.123456789Z stdout P " + long[:maxLine] + "\n2026-11-25T13:00:00.123456789Z stdout F xxxxxxxxxx\n"},
		{"streams keep their own pending", []string{"o1", "err:e1", "o2\n", "err:e2\n"},
			"2026-11-25T13:00:02.123456789Z stdout F o1o2\n2026-11-25T13:00:03.123456789Z stderr F e1e2\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(writeLog(t, tt.writes...))
			if err != nil {
				t.Fatal(err)
			}
			if string(data) != tt.want {
				t.Errorf("log file:\n%q\nwant\n%q", data, tt.want)
			}
		})
	}
}

func TestConcurrentWritesKeepRecordsWhole(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "0.log")
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := f.Stdout()
			if i%2 == 1 {
				w = f.Stderr()
			}
			for j := range 100 {
				fmt.Fprintf(w, "writer %d line %d\n", i, j)
			}
		}()
	}
	wg.Wait()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Read(context.Background(), path, Options{}, &out, nil); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 800 {
		t.Fatalf("%d lines, want 800", len(lines))
	}
	for _, l := range lines {
		var a, b int
		if _, err := fmt.Sscanf(l, "writer %d line %d", &a, &b); err != nil {
			t.Fatalf("mangled line %q", l)
		}
	}
	if _, err := io.WriteString(f.Stdout(), "late\n"); err == nil {
		t.Error("write after Close succeeded")
	}
}

func TestRead(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("y", maxLine+3)
	// Written at t0, t0+1s, ... one write each.
	path := writeLog(t, "one\n", "err:two\n", "three\n", long+"\n", "five\n")
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"all", Options{}, "one\ntwo\nthree\n" + long + "\nfive\n"},
		{"tail 2", Options{TailLines: ptr.To[int64](2)}, "yyy\nfive\n"},
		{"tail 0", Options{TailLines: ptr.To[int64](0)}, ""},
		{"tail more than there is", Options{TailLines: ptr.To[int64](100)}, "one\ntwo\nthree\n" + long + "\nfive\n"},
		{"since", Options{Since: t0.Add(1500 * time.Millisecond)}, "three\n" + long + "\nfive\n"},
		{"since exact time is included", Options{Since: t0.Add(4 * time.Second)}, "five\n"},
		{"timestamps", Options{TailLines: ptr.To[int64](1), Timestamps: true}, "2026-11-25T13:00:04.123456789Z five\n"},
		{"limit bytes", Options{LimitBytes: ptr.To[int64](6)}, "one\ntw"},
		{"limit bytes at a line end", Options{LimitBytes: ptr.To[int64](4)}, "one\n"},
		{"tail then since", Options{TailLines: ptr.To[int64](3), Since: t0.Add(4 * time.Second)}, "five\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			if err := Read(context.Background(), path, tt.opts, &out, nil); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("got %q, want %q", trim(out.String()), trim(tt.want))
			}
		})
	}
}

func trim(s string) string {
	if len(s) > 200 {
		return s[:100] + "..." + s[len(s)-100:]
	}
	return s
}

// syncBuffer is a bytes.Buffer safe to read while Read writes it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestFollowUntilDone(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "0.log")
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f.Stdout(), "before\n")
	done := make(chan struct{})
	out := &syncBuffer{}
	errc := make(chan error, 1)
	go func() { errc <- Read(context.Background(), path, Options{Follow: true}, out, done) }()
	waitFor(t, out, "before\n")
	io.WriteString(f.Stdout(), "during\n")
	waitFor(t, out, "before\nduring\n")
	// Written right before the run ends: still drained.
	io.WriteString(f.Stdout(), "last words")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	close(done)
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read did not return after done closed")
	}
	if got := out.String(); got != "before\nduring\nlast words\n" {
		t.Errorf("got %q", got)
	}
}

func TestFollowEndsWithContext(t *testing.T) {
	t.Parallel()
	path := writeLog(t, "x\n")
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	out := &syncBuffer{}
	go func() { errc <- Read(ctx, path, Options{Follow: true}, out, make(chan struct{})) }()
	waitFor(t, out, "x\n")
	cancel()
	select {
	case err := <-errc:
		if err != context.Canceled {
			t.Fatalf("got %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read did not return after ctx ended")
	}
}

func TestReadMissingFile(t *testing.T) {
	t.Parallel()
	err := Read(context.Background(), filepath.Join(t.TempDir(), "nope.log"), Options{}, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "nope.log") {
		t.Fatalf("got %v", err)
	}
}

func waitFor(t *testing.T, b *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for b.String() != want {
		if time.Now().After(deadline) {
			t.Fatalf("output %q, want %q", b.String(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
