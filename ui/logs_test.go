package ui

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/minidev/mini/ui/data"
)

// logSource serves each container's log from a pipe the test writes to,
// and records which streams were opened and which were closed.
type logSource struct {
	mu     sync.Mutex
	pipes  map[string]*io.PipeWriter // "pod/container"
	opened []string
	closed []string
	fail   map[string]error // pod name → error
}

func newLogSource() *logSource {
	return &logSource{pipes: map[string]*io.PipeWriter{}, fail: map[string]error{}}
}

func (s *logSource) Logs(ctx context.Context, k data.Key, container string) (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail[k.Name]; err != nil {
		return nil, err
	}
	id := k.Name + "/" + container
	r, w := io.Pipe()
	s.pipes[id] = w
	s.opened = append(s.opened, id)
	return &closer{r, func() { s.mu.Lock(); s.closed = append(s.closed, id); s.mu.Unlock() }}, nil
}

func (s *logSource) write(t *testing.T, id, text string) {
	t.Helper()
	s.mu.Lock()
	w := s.pipes[id]
	s.mu.Unlock()
	if w == nil {
		t.Fatalf("no stream %s open", id)
	}
	if _, err := io.WriteString(w, text); err != nil {
		t.Fatalf("write %s: %v", id, err)
	}
}

func (s *logSource) closedStreams() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.closed...)
}

type closer struct {
	*io.PipeReader
	onClose func()
}

func (c *closer) Close() error {
	c.onClose()
	return c.PipeReader.Close()
}

// waitClosed waits until the streams named are closed: the pump closes
// them from its own goroutine once the pane's context ends.
func waitClosed(t *testing.T, s *logSource, want ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := s.closedStreams()
		if strings.Join(got, ",") == strings.Join(want, ",") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("closed streams %q, want %q", got, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// twoContainers is a pod with a sidecar and an init container.
var twoContainers = data.Pod{Namespace: "default", Name: "api-0", Ready: 2, Total: 2, Status: "Running", Node: "mini-node-1", Created: ago(time.Minute),
	Containers: []data.Container{{Name: "setup", Init: true, State: "Terminated"}, {Name: "api", State: "Running"}, {Name: "proxy", State: "Running"}}}

// TestLogs drives the log pane through a real program: `l` on the
// selected pod follows its log, `c` switches container (closing the first
// stream), a stream error shows in the pane, esc closes it and q quits
// with every stream closed.
func TestLogs(t *testing.T) {
	src := newLogSource()
	src.fail["web-7d4b9-klmno"] = errors.New(`logs of pod/web-7d4b9-klmno in default container web: pod web-7d4b9-klmno runs on simulated node mini-sim-1: it has no containers`)
	ch := make(chan data.Batch, 2)
	b := fixture()
	b.Upserts = append(b.Upserts, twoContainers)
	ch <- b
	m := New(Options{Context: t.Context(), Cluster: "mini", NoColor: true, Now: func() time.Time { return clock }, Feed: feed{ch}, Logs: src})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	screen := func(what string, cond func(string) bool) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return cond(string(b)) }, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(time.Millisecond))
	}
	has := func(s string) func(string) bool { return func(o string) bool { return strings.Contains(o, s) } }
	screen("the pods", has("web-7d4b9-klmno"))
	tm.Type("/api-0")
	tm.Send(press("enter"))
	tm.Type("l")
	screen("the log pane", has("api (1/3, c: next)"))
	src.write(t, "api-0/api", "listening on :8080\n\x1b[31mred\x1b[0m\tand a tab\n")
	screen("the log lines", has("red    and a tab"))
	tm.Type("c")
	screen("the second container", has("proxy (2/3"))
	waitClosed(t, src, "api-0/api")
	src.write(t, "api-0/proxy", "proxy up\n")
	screen("the proxy's line", has("proxy up"))
	tm.Send(press("esc"))
	waitClosed(t, src, "api-0/api", "api-0/proxy")
	tm.Send(press("esc")) // clears the filter
	tm.Type("/klmno")
	tm.Send(press("enter"))
	tm.Type("l")
	screen("the error", has("it has no containers"))
	tm.Send(press("esc"))
	tm.Send(press("esc")) // clears the filter
	tm.Type("/api-0")
	tm.Send(press("enter"))
	tm.Type("l")
	screen("the log pane again", has("api (1/3"))
	src.write(t, "api-0/api", "again\n")
	screen("the line", has("again"))
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	waitClosed(t, src, "api-0/api", "api-0/proxy", "api-0/api")
}

// TestLogPane pins the log pane at 80x24: the newest lines that fit,
// long lines cut, the scroll state in the title.
func TestLogPane(t *testing.T) {
	t.Parallel()
	m := fixedModel(true)
	m.opts.Logs = newLogSource()
	m.Update(batchMsg{Upserts: []data.Object{twoContainers}})
	m.Update(press("/"))
	for _, r := range "api-0" {
		m.Update(press(string(r)))
	}
	m.Update(press("enter"))
	_, cmd := m.Update(press("l"))
	if cmd == nil || m.logs == nil {
		t.Fatal("l opened no stream")
	}
	defer m.closeLogs()
	var lines []string
	for i := range 40 {
		lines = append(lines, strings.Repeat("x", i%7)+" line "+strings.Repeat("long ", i%3*10)+"\n")
	}
	m.Update(logMsg{id: m.logs.id, lines: lines})
	m.Update(press("k"))
	m.Update(press("k"))
	out := m.Render()
	checkSize(t, out, 80, 24)
	golden.RequireEqual(t, out)
	m.Update(press("G"))
	if !strings.Contains(m.Render(), "· following") {
		t.Fatalf("G does not follow:\n%s", m.Render())
	}
	m.Update(logMsg{id: m.logs.id, end: true})
	if !strings.Contains(m.Render(), "the log stream ended") {
		t.Fatalf("no end:\n%s", m.Render())
	}
	// A message of an older stream changes nothing.
	m.Update(logMsg{id: m.logs.id - 1, lines: []string{"stale\n"}})
	if strings.Contains(m.Render(), "stale") {
		t.Fatal("a stale stream's line shows")
	}
}

// TestLogsKey: l answers only on pods.
func TestLogsKey(t *testing.T) {
	t.Parallel()
	m := fixedModel(true)
	m.Update(press("2"))
	if _, cmd := m.Update(press("l")); cmd != nil || m.logs != nil || !strings.Contains(m.Render(), "logs: select a pod") {
		t.Fatalf("l on a workload:\n%s", m.Render())
	}
	m.Update(press("3"))
	m.Update(press("enter"))
	if _, _ = m.Update(press("l")); m.logs == nil || !strings.Contains(m.Render(), "read-only") {
		t.Fatalf("l in the detail pane without a log source:\n%s", m.Render())
	}
	m.Update(press("esc"))
	if m.logs != nil || m.detail == nil {
		t.Fatal("esc should close the logs and keep the detail pane")
	}
}

var _ tea.Model = (*Model)(nil)
