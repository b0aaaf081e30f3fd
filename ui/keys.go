package ui

import "charm.land/bubbles/v2/key"

// keyMap is every key the dashboard answers, in one place; the help line
// is drawn from it.
type keyMap struct {
	Views, Next, Prev, Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Filter, Namespace, Detail, Back, Logs, Delete, Scale       key.Binding
	Restart, Quit                                              key.Binding
	Container, Follow                                          key.Binding
}

var keys = keyMap{
	Views:     key.NewBinding(key.WithKeys("1", "2", "3", "4", "5"), key.WithHelp("1-5", "view")),
	Next:      key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next")),
	Prev:      key.NewBinding(key.WithKeys("shift+tab")),
	Up:        key.NewBinding(key.WithKeys("up", "k")),
	Down:      key.NewBinding(key.WithKeys("down", "j")),
	PageUp:    key.NewBinding(key.WithKeys("pgup", "ctrl+b")),
	PageDown:  key.NewBinding(key.WithKeys("pgdown", "ctrl+f", "space")),
	Top:       key.NewBinding(key.WithKeys("home", "g")),
	Bottom:    key.NewBinding(key.WithKeys("end", "G")),
	Filter:    key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
	Namespace: key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "ns")),
	Detail:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "detail")),
	Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
	Logs:      key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "logs")),
	Delete:    key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "delete")),
	Scale:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "scale")),
	Restart:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "restart")),
	Quit:      key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	Container: key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "container")),
	Follow:    key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("↑↓ G", "scroll/follow")),
}

// logHelp is the help line of the log pane (logKey handles these keys).
func (k keyMap) logHelp() []key.Binding {
	return []key.Binding{k.Back, k.Container, k.Follow, k.Quit}
}

// helpLine lists the keys shown at the bottom, most used first, so a
// narrow terminal cuts the least useful.
func (k keyMap) helpLine() []key.Binding {
	return []key.Binding{k.Views, k.Filter, k.Namespace, k.Detail, k.Logs, k.Delete, k.Scale, k.Restart, k.Quit}
}
