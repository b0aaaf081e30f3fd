package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/minidev/mini/ui/data"
)

func press(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

// TestViews renders each view from the fixture at 80x24 and 160x40,
// without colour, and compares with testdata/TestViews/*.golden
// (go test ./ui -run TestViews -update rewrites them).
func TestViews(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 40}} {
		for i, name := range viewNames {
			t.Run(fmt.Sprintf("%s_%dx%d", name, size[0], size[1]), func(t *testing.T) {
				m := fixedModel(true)
				m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
				m.Update(press(fmt.Sprint(i + 1)))
				out := m.Render()
				checkSize(t, out, size[0], size[1])
				golden.RequireEqual(t, out)
			})
		}
	}
}

// TestColour pins the colours (ANSI escapes in the golden file).
func TestColour(t *testing.T) {
	m := fixedModel(false)
	golden.RequireEqual(t, m.Render())
}

func checkSize(t *testing.T, out string, w, h int) {
	t.Helper()
	lines := strings.Split(out, "\n")
	if len(lines) != h {
		t.Errorf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n != w {
			t.Errorf("line %d is %d wide, want %d: %q", i, n, w, l)
		}
	}
}

func TestKeys(t *testing.T) {
	t.Parallel()
	m := fixedModel(true)
	if m.view != data.KindPod || len(m.keys) != 7 {
		t.Fatalf("start: view %d, %d rows", m.view, len(m.keys))
	}
	steps := []struct {
		keys string
		rows int
		want string
	}{
		{"1", 3, "mini-node-2"},
		{"tab", 4, "web"},
		{"n", 1, "migrate"}, // ns batch
		{"n", 2, "web"},     // ns default
		{"n", 1, "proxy"},   // kube-system
		{"n", 4, "deploy"},  // all again
		{"3/crash enter", 1, "CrashLoopBackOff"},
		{"esc", 7, "db-0"},
		{"5", 4, "BackOff"},
	}
	for _, s := range steps {
		for _, k := range strings.Fields(s.keys) {
			if k != "enter" && k != "esc" && k != "tab" && len(k) > 1 {
				for _, r := range k {
					m.Update(press(string(r)))
				}
				continue
			}
			m.Update(press(k))
		}
		if len(m.keys) != s.rows || !strings.Contains(m.Render(), s.want) {
			t.Fatalf("after %q: %d rows, want %d with %q:\n%s", s.keys, len(m.keys), s.rows, s.want, m.Render())
		}
	}
}

type actor struct{ calls []string }

func (a *actor) Delete(_ context.Context, k data.Key) error {
	a.calls = append(a.calls, "delete "+k.String())
	return nil
}
func (a *actor) Scale(_ context.Context, k data.Key, n int) error {
	a.calls = append(a.calls, fmt.Sprintf("scale %s %d", k, n))
	return nil
}
func (a *actor) Restart(_ context.Context, k data.Key, _ time.Time) error {
	a.calls = append(a.calls, "restart "+k.String())
	return nil
}

func TestActions(t *testing.T) {
	t.Parallel()
	a := &actor{}
	m := fixedModel(true)
	m.opts.Actor = a
	run := func(keys ...string) {
		for _, k := range keys {
			if _, cmd := m.Update(press(k)); cmd != nil {
				m.Update(cmd())
			}
		}
	}
	run("2", "down", "d") // workloads sorted: batch/Job/migrate, default/Deployment/web, default/StatefulSet/db
	if !strings.Contains(m.Render(), "delete Deployment/web in default? y/n") {
		t.Fatalf("no confirm:\n%s", m.Render())
	}
	run("n")
	run("d", "y")
	run("s", "5", "enter")
	run("r")
	want := []string{"delete Deployment/web in default", "scale Deployment/web in default 5", "restart Deployment/web in default"}
	if fmt.Sprint(a.calls) != fmt.Sprint(want) {
		t.Fatalf("calls %q, want %q", a.calls, want)
	}
}

// TestProgram drives a real Bubble Tea program (teatest): batches arrive
// through the feed, keys filter and open the detail pane, the terminal is
// resized to 80x24, and q quits. The final screen is a golden file.
func TestProgram(t *testing.T) {
	ch := make(chan data.Batch, 2)
	ch <- fixture()
	m := New(Options{Context: t.Context(), Cluster: "mini", NoColor: true, Now: func() time.Time { return clock }, Feed: feed{ch}})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(160, 40))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), "web-7d4b9-klmno") }, teatest.WithDuration(5*time.Second))
	tm.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	tm.Type("/klmno")
	tm.Send(press("enter"))
	tm.Send(press("enter"))
	tm.Send(press("q"))
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	golden.RequireEqual(t, final.Render())
}

func TestBanner(t *testing.T) {
	t.Parallel()
	m := fixedModel(true)
	m.Update(batchMsg{Conn: &data.Conn{Up: false, Err: "dial tcp 127.0.0.1:6443: connect: connection refused", Since: clock, Retry: 4 * time.Second}})
	if out := m.Render(); !strings.Contains(out, "API unreachable") || !strings.Contains(out, "retrying in 4s") {
		t.Fatalf("no banner:\n%s", out)
	}
	m.Update(batchMsg{Conn: &data.Conn{Up: true, Since: clock}})
	if strings.Contains(m.Render(), "unreachable") {
		t.Fatal("banner stays after reconnect")
	}
}
