package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/minidev/mini/ui/data"
	"github.com/minidev/mini/ui/views"
)

var _ tea.Model = (*Model)(nil)

var viewColumns = [][]views.Column{views.NodeColumns, views.WorkloadColumns, views.PodColumns, views.ServiceColumns, views.EventColumns}

// View draws the screen: title and tabs, a status or banner line, the table
// or the detail pane, and the help line. It is a pure function of m.
func (m *Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "mini ui"
	return v
}

// Render is the screen as a string, exactly width×height cells.
func (m *Model) Render() string {
	w, h := m.width, m.height
	if w < 20 || h < 5 {
		return views.Fit("mini ui: terminal too small", max(w, 1), false)
	}
	lines := make([]string, 0, h)
	lines = append(lines, m.titleLine(w), m.infoLine(w))
	body := h - 3
	switch {
	case m.logs != nil:
		lines = append(lines, m.logLines(w, body)...)
	case m.detail != nil:
		lines = append(lines, m.detailLines(w, body)...)
	default:
		lines = append(lines, m.tableLines(w, body)...)
	}
	for len(lines) < h-1 {
		lines = append(lines, strings.Repeat(" ", w))
	}
	lines = append(lines, m.bottomLine(w))
	return strings.Join(lines, "\n")
}

func (m *Model) titleLine(w int) string {
	ns := m.namespace
	if ns == "" {
		ns = "all"
	}
	left := fmt.Sprintf(" mini ui · %s · ns:%s ", m.opts.Cluster, ns)
	var tabs []string
	plain := left
	for i, name := range viewNames {
		t := fmt.Sprintf("%d %s", i+1, name)
		plain += " " + t
		st := m.theme.Tab
		if data.Kind(i) == m.view {
			st = m.theme.TabActive
		}
		tabs = append(tabs, st.Render(t))
	}
	if len(plain) > w {
		// Narrow: only the current view's name.
		s := left + " " + m.theme.TabActive.Render(fmt.Sprintf("%d %s", m.view+1, viewNames[m.view])) + "  tab: next"
		return views.Fit(m.theme.Title.Render(left)+s[len(left):], w, false)
	}
	return views.Fit(m.theme.Title.Render(left)+" "+strings.Join(tabs, " "), w, false)
}

func (m *Model) infoLine(w int) string {
	switch {
	case !m.conn.Up:
		msg := fmt.Sprintf(" API unreachable since %s · retrying in %s · %s", m.conn.Since.Format("15:04:05"), m.conn.Retry, m.conn.Err)
		return m.theme.Banner.Render(views.Fit(msg, w, false))
	case m.filtering:
		return m.theme.Prompt.Render(views.Fit(" /"+m.filter+"█", w, false))
	case !m.synced && m.opts.Feed != nil:
		return m.theme.Dim.Render(views.Fit(" connecting to the API…", w, false))
	}
	s := fmt.Sprintf(" %d %s", len(m.keys)-m.ghostRows, strings.ToLower(viewNames[m.view]))
	if m.filter != "" {
		s += fmt.Sprintf(" matching %q (esc clears)", m.filter)
	}
	s += m.summary()
	return m.theme.Dim.Render(views.Fit(s, w, false))
}

// summary counts the rows that need attention.
func (m *Model) summary() string {
	var bad, progressing int
	for _, r := range m.rows {
		switch r.Health {
		case views.Bad:
			bad++
		case views.Progressing:
			progressing++
		}
	}
	s := ""
	if progressing > 0 {
		s += fmt.Sprintf(" · %d in progress", progressing)
	}
	if bad > 0 {
		word := "failing"
		if m.view == data.KindEvent {
			word = "warnings"
		}
		s += fmt.Sprintf(" · %d %s", bad, word)
	}
	return s
}

func (m *Model) tableLines(w, h int) []string {
	t := views.Layout(viewColumns[m.view], w)
	lines := []string{m.theme.Header.Render(views.Fit(t.Header(), w, false))}
	if len(m.rows) == 0 {
		msg := " nothing here yet"
		switch {
		case m.filter != "":
			msg = " nothing matches the filter"
		case m.view == data.KindPod:
			msg = " no pods" + m.nsSuffix()
		}
		return append(lines, m.theme.Dim.Render(views.Fit(msg, w, false)))
	}
	end := min(len(m.rows), m.offset+h-1)
	for i := m.offset; i < end; i++ {
		r := m.rows[i]
		line := views.Fit(t.Line(r), w, false)
		fl, flashing := m.flashes[m.keys[i]]
		switch st, ok := m.theme.Health[r.Health]; {
		case i == m.cursor:
			line = m.theme.Selected.Render(line)
		case flashing:
			line = m.theme.Flash[fl.kind].Render(line)
		case ok:
			line = st.Render(line)
		}
		lines = append(lines, line)
	}
	return lines
}

func (m *Model) nsSuffix() string {
	if m.namespace == "" {
		return ""
	}
	return " in namespace " + m.namespace + " (n: next namespace)"
}

func (m *Model) bottomLine(w int) string {
	switch {
	case m.prompt.kind == "delete":
		return m.theme.Prompt.Render(views.Fit(fmt.Sprintf(" delete %s? y/n", m.prompt.key), w, false))
	case m.prompt.kind == "scale":
		cur := m.workloads[m.prompt.key].Desired
		return m.theme.Prompt.Render(views.Fit(fmt.Sprintf(" scale %s (now %d) to: %s█  enter/esc", m.prompt.key, cur, m.prompt.input), w, false))
	case m.message != "":
		return views.Fit(" "+m.message, w, false)
	}
	bs := keys.helpLine()
	switch {
	case m.logs != nil:
		bs = keys.logHelp()
	case m.detail != nil:
		bs = []key.Binding{keys.Back, keys.Logs, keys.Delete, keys.Scale, keys.Quit}
	}
	parts := make([]string, 0, len(bs))
	used := 0
	for _, b := range bs {
		p := b.Help().Key + " " + b.Help().Desc
		if used+len(p)+3 > w {
			break
		}
		used += len(p) + 3
		parts = append(parts, p)
	}
	return m.theme.Help.Render(views.Fit(" "+strings.Join(parts, " · "), w, false))
}
