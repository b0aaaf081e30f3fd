package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/minidev/mini/ui/data"
	"github.com/minidev/mini/ui/views"
)

// TestFlash: rows added, changed and deleted after the first list flash
// for a second of the injected clock, driven by flashTickMsg; a deleted
// row stays (faint) until its flash ends.
func TestFlash(t *testing.T) {
	t.Parallel()
	now := clock
	m := New(Options{Cluster: "mini", NoColor: true, Now: func() time.Time { return now }})
	m.Update(batchMsg(fixture()))
	if len(m.flashes) != 0 {
		t.Fatalf("the first list flashes %d rows", len(m.flashes))
	}
	pod := func(name string) data.Key { return data.Key{Kind: data.KindPod, Namespace: "default", Name: name} }
	changed := m.pods[pod("web-7d4b9-klmno")]
	changed.Status, changed.Node = "ContainerCreating", "mini-node-1"
	same := m.pods[pod("db-0")]
	added := data.Pod{Namespace: "default", Name: "web-7d4b9-pqrst", Total: 1, Status: "Pending", Created: clock}
	_, cmd := m.Update(batchMsg{Upserts: []data.Object{changed, same, added}, Deletes: []data.Key{pod("web-7d4b9-abcde")}})
	if cmd == nil {
		t.Fatal("no flash tick armed")
	}
	want := map[data.Key]views.Flash{pod("web-7d4b9-klmno"): views.FlashChanged, pod("web-7d4b9-pqrst"): views.FlashAdded, pod("web-7d4b9-abcde"): views.FlashDeleted}
	check := func(want map[data.Key]views.Flash) {
		t.Helper()
		if len(m.flashes) != len(want) {
			t.Fatalf("flashes %v, want %v", m.flashes, want)
		}
		for k, f := range want {
			if m.flashes[k].kind != f {
				t.Fatalf("%s flashes %d, want %d", k, m.flashes[k].kind, f)
			}
		}
	}
	check(want)
	out := m.Render()
	if !strings.Contains(out, "web-7d4b9-abcde") || !strings.Contains(out, "\x1b[2mdefault    web-7d4b9-abcde") || !strings.Contains(out, "\x1b[3mdefault    web-7d4b9-pqrst") {
		t.Fatalf("no ghost row or no flash attributes:\n%q", out)
	}
	if m.flashTick() != nil {
		t.Fatal("a second flash tick armed while one is pending")
	}
	now = now.Add(flashFor / 2)
	_, cmd = m.Update(flashTickMsg{})
	check(want)
	if cmd == nil {
		t.Fatal("flash tick not re-armed while rows flash")
	}
	now = now.Add(flashFor / 2)
	if _, cmd = m.Update(flashTickMsg{}); cmd != nil {
		t.Fatal("flash tick re-armed with nothing flashing")
	}
	check(nil)
	if out := m.Render(); strings.Contains(out, "web-7d4b9-abcde") || strings.Contains(out, "\x1b[2m") {
		t.Fatalf("the deleted row stays after its flash:\n%s", out)
	}
	// A deleted row that comes back is a row again, not a ghost.
	m.Update(batchMsg{Deletes: []data.Key{pod("db-0")}})
	m.Update(batchMsg{Upserts: []data.Object{same}})
	if len(m.ghosts) != 0 || m.flashes[pod("db-0")].kind != views.FlashAdded {
		t.Fatalf("ghosts %v flashes %v", m.ghosts, m.flashes)
	}
}

// TestFlashViews: ghost rows show in their own view only, in namespace.
func TestFlashViews(t *testing.T) {
	t.Parallel()
	m := fixedModel(true)
	wk := data.Key{Kind: data.KindWorkload, Sub: "StatefulSet", Namespace: "default", Name: "db"}
	m.Update(batchMsg{Deletes: []data.Key{wk}})
	m.Update(press("2"))
	if !strings.Contains(m.Render(), "db ") || m.flashes[wk].kind != views.FlashDeleted {
		t.Fatalf("no ghost workload:\n%s", m.Render())
	}
	m.Update(press("3"))
	if strings.Contains(m.Render(), "sts") {
		t.Fatal("a workload ghost in the pods view")
	}
}

// TestPulling: a pod whose newest kubelet event is Pulling is pulling
// that image; a later Pulled (or one in the same second) ends it.
func TestPulling(t *testing.T) {
	t.Parallel()
	m := fixedModel(true)
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 40})
	ev := func(name, reason, msg string, at time.Time) data.Event {
		return data.Event{Namespace: "kube-system", Name: name, Type: "Normal", Reason: reason, ObjectKind: "Pod", ObjectName: "proxy-q8w7e", Message: msg, Last: at}
	}
	m.Update(batchMsg{Upserts: []data.Object{ev("p.1", "Scheduled", "", ago(5*time.Second)), ev("p.2", "Pulling", `Pulling image "mini-test/server:v1"`, ago(4*time.Second))}})
	m.Update(press("2"))
	if !strings.Contains(m.Render(), "1 pulling mini-test/server:v1") {
		t.Fatalf("no pull:\n%s", m.Render())
	}
	m.Update(batchMsg{Upserts: []data.Object{ev("p.3", "Pulled", "Successfully pulled", ago(4*time.Second))}})
	if out := m.Render(); strings.Contains(out, "pulling") || !strings.Contains(out, "1 starting") {
		t.Fatalf("still pulling after Pulled:\n%s", out)
	}
}

// TestBannerRecovery: the API goes away mid-session and comes back; the
// program shows the banner with its back-off, then data again, without a
// restart.
func TestBannerRecovery(t *testing.T) {
	t.Parallel()
	m := fixedModel(true)
	m.Update(press("3"))
	down := func(retry time.Duration) {
		m.Update(batchMsg{Conn: &data.Conn{Up: false, Err: "dial tcp 127.0.0.1:6443: connect: connection refused", Since: clock, Retry: retry}})
	}
	down(time.Second)
	if out := m.Render(); !strings.Contains(out, "API unreachable since 12:00:00 · retrying in 1s · dial tcp") {
		t.Fatalf("no banner:\n%s", out)
	}
	down(2 * time.Second)
	if out := m.Render(); !strings.Contains(out, "retrying in 2s") || !strings.Contains(out, "web-7d4b9-abcde") {
		t.Fatalf("the banner does not show the back-off, or the last rows are gone:\n%s", out)
	}
	back := data.Pod{Namespace: "default", Name: "web-7d4b9-new01", Total: 1, Status: "Pending", Created: clock}
	m.Update(batchMsg{Conn: &data.Conn{Up: true, Since: clock}, Upserts: []data.Object{back}, Deletes: []data.Key{{Kind: data.KindPod, Namespace: "default", Name: "web-7d4b9-fghij"}}})
	out := m.Render()
	if strings.Contains(out, "unreachable") || !strings.Contains(out, "web-7d4b9-new01") || !strings.Contains(out, "7 pods") {
		t.Fatalf("no recovery:\n%s", out)
	}
}
