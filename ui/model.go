package ui

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/minidev/mini/ui/data"
	"github.com/minidev/mini/ui/views"
)

// Feed is where changes come from: data.Source, or a fake in tests.
type Feed interface {
	Next(ctx context.Context) (data.Batch, bool)
}

// Actor changes the cluster: data.Actions, or a fake in tests.
type Actor interface {
	Delete(ctx context.Context, k data.Key) error
	Scale(ctx context.Context, k data.Key, replicas int) error
	Restart(ctx context.Context, k data.Key, now time.Time) error
}

// Options configure the model.
type Options struct {
	Context   context.Context
	Cluster   string
	Namespace string // "" for all namespaces
	NoColor   bool
	Now       func() time.Time
	Tick      time.Duration // how often ages refresh; 0: never (tests)
	Feed      Feed
	Actor     Actor
	Logs      LogSource
}

var viewNames = []string{"Nodes", "Workloads", "Pods", "Services", "Events"}

// maxEvents bounds the events kept (newest win).
const maxEvents = 1000

type (
	batchMsg  data.Batch
	tickMsg   time.Time
	actionMsg struct {
		what string
		err  error
	}
)

// Model is the dashboard's state. Only Update changes it.
type Model struct {
	opts  Options
	theme views.Theme

	width, height int
	now           time.Time
	view          data.Kind

	nodes     map[data.Key]data.Node
	workloads map[data.Key]data.Workload
	pods      map[data.Key]data.Pod
	services  map[data.Key]data.Service
	slices    map[data.Key]data.Endpoints
	events    map[data.Key]data.Event

	namespace string
	filter    string
	filtering bool

	rows      []views.Row
	keys      []data.Key
	ghostRows int // rows of deleted objects still flashing
	cursor    int
	offset    int

	detail       *data.Key
	detailScroll int

	logs  *logPane
	logID int

	order     [data.KindEvent][]data.Key // sorted keys with ghosts, per kind
	orderDone [data.KindEvent]bool       // order is up to date

	flashes      map[data.Key]flash
	ghosts       map[data.Key]data.Object // deleted, shown while they flash
	flashTicking bool

	prompt  prompt
	conn    data.Conn
	synced  bool
	message string
}

// prompt is a question on the bottom line: a delete to confirm or a
// replica count to type.
type prompt struct {
	kind  string // "", "delete", "scale"
	key   data.Key
	input string
}

// New returns the model.
func New(opts Options) *Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Context == nil {
		opts.Context = context.Background()
	}
	return &Model{
		opts: opts, theme: views.NewTheme(opts.NoColor), width: 80, height: 24, now: opts.Now(), view: data.KindPod,
		nodes: map[data.Key]data.Node{}, workloads: map[data.Key]data.Workload{}, pods: map[data.Key]data.Pod{},
		services: map[data.Key]data.Service{}, slices: map[data.Key]data.Endpoints{}, events: map[data.Key]data.Event{},
		namespace: opts.Namespace, conn: data.Conn{Up: true},
		flashes: map[data.Key]flash{}, ghosts: map[data.Key]data.Object{},
	}
}

// Init starts the feed and the clock.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.waitBatch(), m.tick())
}

// waitBatch waits for the next batch: it captures the feed and the
// context, never the model.
func (m *Model) waitBatch() tea.Cmd {
	if m.opts.Feed == nil {
		return nil
	}
	ctx, feed := m.opts.Context, m.opts.Feed
	return func() tea.Msg {
		b, ok := feed.Next(ctx)
		if !ok {
			return nil
		}
		return batchMsg(b)
	}
}

func (m *Model) tick() tea.Cmd {
	if m.opts.Tick <= 0 {
		return nil
	}
	return tea.Tick(m.opts.Tick, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.clampCursor()
	case batchMsg:
		m.apply(data.Batch(msg))
		m.rebuild()
		return m, tea.Batch(m.waitBatch(), m.flashTick())
	case flashTickMsg:
		return m, m.endFlashes()
	case logOpenMsg, logMsg:
		return m, m.logUpdate(msg)
	case tickMsg:
		m.now = time.Time(msg)
		m.rebuild()
		return m, m.tick()
	case actionMsg:
		m.message = msg.what
		if msg.err != nil {
			m.message = "error: " + msg.err.Error()
		}
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	return m, nil
}

// apply folds a batch into the state.
func (m *Model) apply(b data.Batch) {
	for _, o := range b.Upserts {
		k := o.ObjectKey()
		switch v := o.(type) {
		case data.Node:
			noteUpsert(m, m.nodes, k, v)
			m.nodes[k] = v
		case data.Workload:
			noteUpsert(m, m.workloads, k, v)
			m.workloads[k] = v
		case data.Pod:
			noteUpsert(m, m.pods, k, v)
			m.pods[k] = v
		case data.Service:
			noteUpsert(m, m.services, k, v)
			m.services[k] = v
		case data.Endpoints:
			m.slices[k] = v
		case data.Event:
			noteUpsert(m, m.events, k, v)
			m.events[k] = v
		}
	}
	for _, k := range b.Deletes {
		switch {
		case k.Kind == data.KindService && k.Sub == "EndpointSlice":
			delete(m.slices, k)
		case k.Kind == data.KindNode:
			noteDelete(m, m.nodes, k)
			delete(m.nodes, k)
		case k.Kind == data.KindWorkload:
			noteDelete(m, m.workloads, k)
			delete(m.workloads, k)
		case k.Kind == data.KindPod:
			noteDelete(m, m.pods, k)
			delete(m.pods, k)
		case k.Kind == data.KindService:
			noteDelete(m, m.services, k)
			delete(m.services, k)
		case k.Kind == data.KindEvent:
			noteDelete(m, m.events, k)
			delete(m.events, k)
		}
	}
	if len(m.events) > maxEvents {
		m.trimEvents()
	}
	if b.Conn != nil {
		m.conn = *b.Conn
	}
	if b.Synced {
		m.synced = true
	}
}

func (m *Model) trimEvents() {
	es := make([]data.Event, 0, len(m.events))
	for _, e := range m.events {
		es = append(es, e)
	}
	sort.Slice(es, func(i, j int) bool { return es[i].Last.After(es[j].Last) })
	for _, e := range es[maxEvents:] {
		delete(m.events, e.ObjectKey())
	}
}

func (m *Model) inNamespace(ns string) bool { return m.namespace == "" || ns == m.namespace }

// rebuild computes the rows of the current view: namespace, filter, order.
// The cursor stays on the same object when it can.
func (m *Model) rebuild() {
	var sel data.Key
	hadSel := m.cursor < len(m.keys)
	if hadSel {
		sel = m.keys[m.cursor]
	}
	m.rows, m.keys, m.ghostRows = m.rows[:0], m.keys[:0], 0
	add := func(k data.Key, r views.Row) {
		if m.filter != "" && !matches(r, m.filter) {
			return
		}
		m.rows = append(m.rows, r)
		m.keys = append(m.keys, k)
		if _, ok := m.ghosts[k]; ok {
			m.ghostRows++
		}
	}
	switch m.view {
	case data.KindNode:
		stats := map[string]views.NodeStats{}
		for _, p := range m.pods {
			if p.Node == "" {
				continue
			}
			s := stats[p.Node]
			s.Pods++
			s.ReqCPU += p.ReqCPU
			s.ReqMem += p.ReqMem
			stats[p.Node] = s
		}
		for _, k := range ordered(m, m.nodes, data.KindNode) {
			n := lookup(m, m.nodes, k)
			add(k, views.NodeRow(n, stats[n.Name], m.now))
		}
	case data.KindWorkload:
		counts := m.podCounts()
		for _, k := range ordered(m, m.workloads, data.KindWorkload) {
			add(k, views.WorkloadRow(lookup(m, m.workloads, k), counts[k], m.now))
		}
	case data.KindPod:
		for _, k := range ordered(m, m.pods, data.KindPod) {
			add(k, views.PodRow(lookup(m, m.pods, k), m.now))
		}
	case data.KindService:
		ready := map[data.Key][2]int{}
		for _, e := range m.slices {
			k := data.Key{Kind: data.KindService, Namespace: e.Namespace, Name: e.Service}
			r := ready[k]
			ready[k] = [2]int{r[0] + e.Ready, r[1] + e.Total}
		}
		for _, k := range ordered(m, m.services, data.KindService) {
			s := lookup(m, m.services, k)
			s.ReadyEndpoints, s.Endpoints = ready[k][0], ready[k][1]
			add(k, views.ServiceRow(s, m.now))
		}
	case data.KindEvent:
		ks := sortedKeys(m.events, m.inNamespace)
		sort.SliceStable(ks, func(i, j int) bool { return m.events[ks[i]].Last.After(m.events[ks[j]].Last) })
		for _, k := range ks {
			add(k, views.EventRow(m.events[k], m.now))
		}
	}
	if hadSel {
		for i, k := range m.keys {
			if k == sel {
				m.cursor = i
				break
			}
		}
	}
	m.clampCursor()
}

func matches(r views.Row, f string) bool {
	for _, c := range r.Cells {
		if containsFold(c, f) {
			return true
		}
	}
	return false
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

func sortedKeys[V any](m map[data.Key]V, keep func(ns string) bool) []data.Key {
	ks := make([]data.Key, 0, len(m))
	for k := range m {
		if keep == nil || keep(k.Namespace) {
			ks = append(ks, k)
		}
	}
	sort.Slice(ks, func(i, j int) bool { return lessKey(ks[i], ks[j]) })
	return ks
}

// lessKey orders keys by namespace, kind, name.
func lessKey(a, b data.Key) bool {
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	if a.Sub != b.Sub {
		return a.Sub < b.Sub
	}
	return a.Name < b.Name
}

// tableRows is how many rows the table shows.
func (m *Model) tableRows() int { return max(1, m.height-4) }

func (m *Model) clampCursor() {
	m.cursor = max(0, min(m.cursor, len(m.keys)-1))
	n := m.tableRows()
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+n {
		m.offset = m.cursor - n + 1
	}
	m.offset = max(0, min(m.offset, len(m.keys)-n))
}

func (m *Model) selected() (data.Key, bool) {
	if m.cursor < len(m.keys) {
		return m.keys[m.cursor], true
	}
	return data.Key{}, false
}

// key handles a key press: a prompt first, then the filter being typed,
// then the view's keys.
func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	s := msg.String()
	if m.prompt.kind != "" {
		return m.promptKey(msg)
	}
	if m.logs != nil {
		m.message = ""
		return m.logKey(msg)
	}
	if m.filtering {
		switch s {
		case "enter":
			m.filtering = false
		case "esc":
			m.filtering, m.filter = false, ""
		case "backspace":
			if r := []rune(m.filter); len(r) > 0 {
				m.filter = string(r[:len(r)-1])
			}
		case "ctrl+c":
			return tea.Quit
		default:
			if t := msg.Text; t != "" {
				m.filter += t
			}
		}
		m.cursor, m.offset = 0, 0
		m.rebuild()
		return nil
	}
	m.message = ""
	switch {
	case key.Matches(msg, keys.Quit):
		return tea.Quit
	case key.Matches(msg, keys.Back):
		switch {
		case m.detail != nil:
			m.detail = nil
		case m.filter != "":
			m.filter = ""
			m.rebuild()
		}
	case m.detail != nil && key.Matches(msg, keys.Up):
		m.detailScroll = max(0, m.detailScroll-1)
	case m.detail != nil && key.Matches(msg, keys.Down):
		m.detailScroll++
	case key.Matches(msg, keys.Views):
		m.setView(data.Kind(s[0] - '1'))
	case key.Matches(msg, keys.Next):
		m.setView((m.view + 1) % 5)
	case key.Matches(msg, keys.Prev):
		m.setView((m.view + 4) % 5)
	case key.Matches(msg, keys.Up):
		m.cursor--
		m.clampCursor()
	case key.Matches(msg, keys.Down):
		m.cursor++
		m.clampCursor()
	case key.Matches(msg, keys.PageUp):
		m.cursor -= m.tableRows()
		m.clampCursor()
	case key.Matches(msg, keys.PageDown):
		m.cursor += m.tableRows()
		m.clampCursor()
	case key.Matches(msg, keys.Top):
		m.cursor = 0
		m.clampCursor()
	case key.Matches(msg, keys.Bottom):
		m.cursor = len(m.keys) - 1
		m.clampCursor()
	case key.Matches(msg, keys.Filter):
		m.filtering, m.detail = true, nil
	case key.Matches(msg, keys.Namespace):
		m.nextNamespace()
	case key.Matches(msg, keys.Detail):
		if k, ok := m.selected(); ok {
			m.detail, m.detailScroll = &k, 0
		}
	case key.Matches(msg, keys.Logs):
		k, ok := m.selected()
		if m.detail != nil {
			k, ok = *m.detail, true
		}
		if ok && k.Kind == data.KindPod {
			return m.openLogs(k)
		}
		m.message = "logs: select a pod in Pods (3)"
	case key.Matches(msg, keys.Delete):
		if k, ok := m.selected(); ok {
			m.prompt = prompt{kind: "delete", key: k}
		}
	case key.Matches(msg, keys.Scale):
		if k, ok := m.selected(); ok {
			if w, ok := m.workloads[k]; ok && w.Scalable {
				m.prompt = prompt{kind: "scale", key: k}
			} else {
				m.message = "scale: select a Deployment or StatefulSet in Workloads (2)"
			}
		}
	case key.Matches(msg, keys.Restart):
		if k, ok := m.selected(); ok && k.Kind == data.KindWorkload && k.Sub != "Job" {
			now := m.now
			return m.act("restarted "+k.String(), func(ctx context.Context, a Actor) error { return a.Restart(ctx, k, now) })
		}
		m.message = "restart: select a Deployment, StatefulSet or DaemonSet in Workloads (2)"
	}
	return nil
}

func (m *Model) promptKey(msg tea.KeyPressMsg) tea.Cmd {
	p := m.prompt
	switch s := msg.String(); {
	case s == "esc" || s == "n" && p.kind == "delete":
		m.prompt = prompt{}
		m.message = p.kind + " cancelled"
	case s == "y" && p.kind == "delete":
		m.prompt = prompt{}
		return m.act("deleted "+p.key.String(), func(ctx context.Context, a Actor) error { return a.Delete(ctx, p.key) })
	case s == "backspace" && p.kind == "scale":
		if len(p.input) > 0 {
			m.prompt.input = p.input[:len(p.input)-1]
		}
	case s == "enter" && p.kind == "scale":
		n, err := strconv.Atoi(p.input)
		if err != nil || n < 0 {
			m.message = "scale: type a replica count (0 or more)"
			return nil
		}
		m.prompt = prompt{}
		return m.act(fmt.Sprintf("scaled %s to %d", p.key, n), func(ctx context.Context, a Actor) error { return a.Scale(ctx, p.key, n) })
	case p.kind == "scale" && len(s) == 1 && s[0] >= '0' && s[0] <= '9' && len(p.input) < 5:
		m.prompt.input += s
	case s == "ctrl+c":
		return tea.Quit
	}
	return nil
}

// act runs an action off the UI goroutine; f gets only copied values.
func (m *Model) act(what string, f func(context.Context, Actor) error) tea.Cmd {
	if m.opts.Actor == nil {
		m.message = "read-only: no cluster to act on"
		return nil
	}
	ctx, a := m.opts.Context, m.opts.Actor
	m.message = "working: " + what
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return actionMsg{what: what, err: f(ctx, a)}
	}
}

func (m *Model) setView(v data.Kind) {
	if v == m.view || v < 0 || v > data.KindEvent {
		return
	}
	m.view, m.cursor, m.offset, m.detail = v, 0, 0, nil
	m.rebuild()
}

// nextNamespace cycles all → each namespace seen → all.
func (m *Model) nextNamespace() {
	seen := map[string]bool{}
	for k := range m.pods {
		seen[k.Namespace] = true
	}
	for k := range m.workloads {
		seen[k.Namespace] = true
	}
	for k := range m.services {
		seen[k.Namespace] = true
	}
	for k := range m.events {
		seen[k.Namespace] = true
	}
	seen[m.namespace] = true
	delete(seen, "")
	ns := make([]string, 0, len(seen))
	for n := range seen {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	next := ""
	if m.namespace == "" {
		if len(ns) > 0 {
			next = ns[0]
		}
	} else {
		i := sort.SearchStrings(ns, m.namespace)
		if i+1 < len(ns) {
			next = ns[i+1]
		}
	}
	m.namespace, m.cursor, m.offset = next, 0, 0
	m.rebuild()
}
