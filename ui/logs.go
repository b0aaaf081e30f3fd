package ui

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/minidev/mini/ui/data"
	"github.com/minidev/mini/ui/views"
)

// LogSource opens following log streams: data.Actions, or a fake in tests.
type LogSource interface {
	Logs(ctx context.Context, k data.Key, container string) (io.ReadCloser, error)
}

// maxLogLines bounds the lines a log pane keeps (newest win).
const maxLogLines = 1000

// maxLogBatch is the most lines one message carries, so a chatty
// container costs one render per batch, not one per line.
const maxLogBatch = 500

// logPane is an open log tail: one stream of one container at a time.
type logPane struct {
	key        data.Key
	containers []string
	container  int
	id         int // the stream's id; messages of older streams are dropped
	lines      []string
	err        string
	ended      bool
	scroll     int // lines up from the bottom; 0 follows
	cancel     context.CancelFunc
}

type (
	// logOpenMsg: the stream with id is open and its lines come on ch.
	logOpenMsg struct {
		id int
		ch <-chan logLine
	}
	// logMsg carries the lines read since the last one; end: no more.
	logMsg struct {
		id    int
		lines []string
		err   error
		end   bool
		ch    <-chan logLine
	}
	logLine struct {
		text string
		err  error
	}
)

// openLogs starts a tail of the pod k on its default container (the first
// that is not an init container).
func (m *Model) openLogs(k data.Key) tea.Cmd {
	p, ok := m.pods[k]
	if !ok {
		m.message = "logs: the pod is gone"
		return nil
	}
	pane := &logPane{key: k}
	for _, c := range p.Containers {
		if !c.Init {
			pane.containers = append(pane.containers, c.Name)
		}
	}
	for _, c := range p.Containers {
		if c.Init {
			pane.containers = append(pane.containers, c.Name)
		}
	}
	m.logs = pane
	return m.startStream()
}

// startStream (re)starts the pane's stream on its current container. The
// Cmd captures copies, never the model.
func (m *Model) startStream() tea.Cmd {
	l := m.logs
	if l.cancel != nil {
		l.cancel()
	}
	m.logID++
	l.id, l.lines, l.err, l.ended, l.scroll = m.logID, nil, "", false, 0
	if m.opts.Logs == nil {
		l.err, l.ended = "read-only: no cluster to read logs from", true
		return nil
	}
	ctx, cancel := context.WithCancel(m.opts.Context)
	l.cancel = cancel
	src, key, id, ctr := m.opts.Logs, l.key, l.id, ""
	if len(l.containers) > 0 {
		ctr = l.containers[l.container]
	}
	return func() tea.Msg {
		rc, err := src.Logs(ctx, key, ctr)
		if err != nil {
			return logMsg{id: id, err: err, end: true}
		}
		ch := make(chan logLine, 256)
		go pump(ctx, rc, ch)
		return logOpenMsg{id: id, ch: ch}
	}
}

// pump reads lines from rc until it ends or ctx does, then closes ch.
func pump(ctx context.Context, rc io.ReadCloser, ch chan<- logLine) {
	defer close(ch)
	stop := context.AfterFunc(ctx, func() { _ = rc.Close() })
	defer func() {
		if stop() {
			_ = rc.Close()
		}
	}()
	r := bufio.NewReader(rc)
	for {
		s, err := r.ReadString('\n')
		if s != "" {
			select {
			case ch <- logLine{text: s}:
			case <-ctx.Done():
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && ctx.Err() == nil {
				select {
				case ch <- logLine{err: err}:
				case <-ctx.Done():
				}
			}
			return
		}
	}
}

// waitLogs waits for the next lines on ch and takes every line already
// there, up to maxLogBatch: the re-arm half of the stream.
func waitLogs(id int, ch <-chan logLine) tea.Cmd {
	return func() tea.Msg {
		msg := logMsg{id: id, ch: ch}
		l, ok := <-ch
		for ; ok; l, ok = <-ch {
			if l.err != nil {
				msg.err, msg.end = l.err, true
				return msg
			}
			msg.lines = append(msg.lines, l.text)
			if len(msg.lines) >= maxLogBatch || len(ch) == 0 {
				return msg
			}
		}
		msg.end = true
		return msg
	}
}

// logUpdate folds a stream message into the pane and re-arms the wait.
func (m *Model) logUpdate(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case logOpenMsg:
		if m.logs == nil || msg.id != m.logs.id {
			return nil
		}
		return waitLogs(msg.id, msg.ch)
	case logMsg:
		l := m.logs
		if l == nil || msg.id != l.id {
			return nil
		}
		for _, s := range msg.lines {
			l.lines = append(l.lines, cleanLine(s))
			if l.scroll > 0 {
				l.scroll++
			}
		}
		if n := len(l.lines) - maxLogLines; n > 0 {
			l.lines = append(l.lines[:0:0], l.lines[n:]...)
		}
		if msg.err != nil {
			l.err = msg.err.Error()
		}
		if msg.end {
			l.ended = true
			return nil
		}
		return waitLogs(msg.id, msg.ch)
	}
	return nil
}

// cleanLine makes a log line safe to draw: no escapes, no control
// characters, tabs as spaces.
func cleanLine(s string) string {
	s = ansi.Strip(strings.TrimRight(s, "\r\n"))
	s = strings.ReplaceAll(s, "\t", "    ")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// closeLogs ends the stream and the pane.
func (m *Model) closeLogs() {
	if m.logs != nil && m.logs.cancel != nil {
		m.logs.cancel()
	}
	m.logs = nil
}

// logKey handles a key while the log pane is open.
func (m *Model) logKey(msg tea.KeyPressMsg) tea.Cmd {
	l := m.logs
	switch s := msg.String(); {
	case s == "esc":
		m.closeLogs()
	case s == "q" || s == "ctrl+c":
		m.closeLogs()
		return tea.Quit
	case s == "c":
		if len(l.containers) > 1 {
			l.container = (l.container + 1) % len(l.containers)
			return m.startStream()
		}
		m.message = "logs: the pod has one container"
	case s == "l" && l.ended:
		return m.startStream()
	case s == "up" || s == "k":
		l.scroll = min(l.scroll+1, max(0, len(l.lines)-1))
	case s == "down" || s == "j":
		l.scroll = max(0, l.scroll-1)
	case s == "pgup" || s == "ctrl+b":
		l.scroll = min(l.scroll+m.tableRows(), max(0, len(l.lines)-1))
	case s == "pgdown" || s == "ctrl+f" || s == "space":
		l.scroll = max(0, l.scroll-m.tableRows())
	case s == "G" || s == "end":
		l.scroll = 0
	}
	return nil
}

// logLines draws the pane: a title, then the newest lines that fit (or
// those scroll lines up), then the stream's end or error.
func (m *Model) logLines(w, h int) []string {
	l := m.logs
	ctr := "default container"
	if len(l.containers) > 0 {
		ctr = l.containers[l.container]
	}
	if len(l.containers) > 1 {
		ctr += fmt.Sprintf(" (%d/%d, c: next)", l.container+1, len(l.containers))
	}
	state := "following"
	switch {
	case l.err != "":
		state = "failed"
	case l.ended:
		state = "ended (l: reopen)"
	case l.scroll > 0:
		state = fmt.Sprintf("paused, %d lines up", l.scroll)
	}
	out := []string{m.theme.Header.Render(views.Fit(fmt.Sprintf("Logs %s · %s · %s", l.key, ctr, state), w, false))}
	var tail []string
	switch {
	case l.err != "":
		for _, s := range wrap("error: "+l.err, w-2, 4) {
			tail = append(tail, m.theme.Health[views.Bad].Render(views.Fit(" "+s, w, false)))
		}
	case l.ended:
		tail = append(tail, m.theme.Dim.Render(views.Fit(" — the log stream ended —", w, false)))
	case len(l.lines) == 0:
		tail = append(tail, m.theme.Dim.Render(views.Fit(" waiting for log lines…", w, false)))
	}
	room := max(0, h-1-len(tail))
	end := len(l.lines) - l.scroll
	start := max(0, end-room)
	for _, s := range l.lines[start:end] {
		out = append(out, views.Fit(s, w, false))
	}
	return append(out, tail...)
}

// wrap cuts s into lines of at most w cells, at most n lines.
func wrap(s string, w, n int) []string {
	var out []string
	for _, l := range strings.Split(ansi.Wordwrap(s, max(w, 1), " /"), "\n") {
		if len(out) == n {
			break
		}
		out = append(out, l)
	}
	return out
}
