package ui

import (
	"reflect"
	"sort"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/minidev/mini/ui/data"
	"github.com/minidev/mini/ui/views"
)

// A row just added, changed or deleted flashes for flashFor (k9s style);
// a deleted row stays on screen, faint, until its flash ends.
const (
	flashFor   = time.Second
	flashEvery = 250 * time.Millisecond // how often flashes are checked for their end
)

// flashTickMsg asks the model to end the flashes that are over. Times are
// read from Options.Now, so tests step the clock and send this message.
type flashTickMsg struct{}

type flash struct {
	kind views.Flash
	at   time.Time
}

// noteUpsert flashes k if v is new or differs from what mp holds. Nothing
// flashes before the first full list: a start-up is not a change.
func noteUpsert[V any](m *Model, mp map[data.Key]V, k data.Key, v V) {
	old, ok := mp[k]
	if _, ghost := m.ghosts[k]; ghost || !ok {
		delete(m.ghosts, k)
		m.reorder(k.Kind)
	}
	if !m.synced {
		return
	}
	switch {
	case !ok:
		m.flashes[k] = flash{views.FlashAdded, m.opts.Now()}
	case !reflect.DeepEqual(old, v):
		m.flashes[k] = flash{views.FlashChanged, m.opts.Now()}
	}
}

// noteDelete keeps what mp held under k as a ghost row while it flashes.
func noteDelete[V any](m *Model, mp map[data.Key]V, k data.Key) {
	old, ok := mp[k]
	if ok {
		m.reorder(k.Kind)
	}
	if !ok || !m.synced || k.Kind == data.KindEvent {
		delete(m.flashes, k)
		return
	}
	if o, isObj := any(old).(data.Object); isObj {
		m.ghosts[k] = o
	}
	m.flashes[k] = flash{views.FlashDeleted, m.opts.Now()}
}

// flashTick arms the flash clock if something flashes and it is not armed.
func (m *Model) flashTick() tea.Cmd {
	if len(m.flashes) == 0 || m.flashTicking {
		return nil
	}
	m.flashTicking = true
	return tea.Tick(flashEvery, func(time.Time) tea.Msg { return flashTickMsg{} })
}

// endFlashes drops the flashes that are over and their ghost rows.
func (m *Model) endFlashes() tea.Cmd {
	m.flashTicking = false
	now := m.opts.Now()
	gone := false
	for k, f := range m.flashes {
		if now.Sub(f.at) >= flashFor {
			delete(m.flashes, k)
			if _, ok := m.ghosts[k]; ok {
				delete(m.ghosts, k)
				m.reorder(k.Kind)
				gone = true
			}
		}
	}
	if gone {
		m.rebuild()
	}
	return m.flashTick()
}

// ordered is the keys of mp and the ghosts of kind, sorted, in the
// namespace shown. The order is kept between batches and sorted again only
// when keys come or go: most batches only change objects.
func ordered[V any](m *Model, mp map[data.Key]V, kind data.Kind) []data.Key {
	if !m.orderDone[kind] {
		ks := make([]data.Key, 0, len(mp)+len(m.ghosts))
		for k := range mp {
			ks = append(ks, k)
		}
		for k := range m.ghosts {
			if k.Kind == kind {
				ks = append(ks, k)
			}
		}
		sort.Slice(ks, func(i, j int) bool { return lessKey(ks[i], ks[j]) })
		m.order[kind], m.orderDone[kind] = ks, true
	}
	if m.namespace == "" || kind == data.KindNode {
		return m.order[kind]
	}
	out := make([]data.Key, 0, len(m.order[kind]))
	for _, k := range m.order[kind] {
		if k.Namespace == m.namespace {
			out = append(out, k)
		}
	}
	return out
}

// reorder marks kind's order stale.
func (m *Model) reorder(kind data.Kind) {
	if kind < data.KindEvent {
		m.orderDone[kind] = false
	}
}

// lookup is mp[k], or the ghost of k while its deletion flashes.
func lookup[V any](m *Model, mp map[data.Key]V, k data.Key) V {
	if v, ok := mp[k]; ok {
		return v
	}
	g, _ := m.ghosts[k].(V)
	return g
}
