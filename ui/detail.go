package ui

import (
	"fmt"
	"sort"
	"strings"

	"github.com/minidev/mini/ui/data"
	"github.com/minidev/mini/ui/views"
)

// detailLines is the detail pane of the selected object: what it is,
// its conditions, containers or pods, and its recent events.
func (m *Model) detailLines(w, h int) []string {
	k := *m.detail
	var out []string
	add := func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }
	head := func(s string) { out = append(out, m.theme.Header.Render(s)) }
	conds := func(cs []data.Condition) {
		head("Conditions")
		if len(cs) == 0 {
			add("  <none>")
		}
		for _, c := range cs {
			line := fmt.Sprintf("  %-16s %-7s %s", c.Type, c.Status, c.Reason)
			if c.Message != "" {
				line += ": " + c.Message
			}
			out = append(out, line)
		}
	}
	switch k.Kind {
	case data.KindPod:
		p, ok := m.pods[k]
		if !ok {
			add(" %s is gone", k)
			break
		}
		head(fmt.Sprintf("Pod %s/%s", p.Namespace, p.Name))
		add("  Status %s · Ready %s · Restarts %d · Node %s · IP %s · Age %s", p.Status, views.Ready(p.Ready, p.Total), p.Restarts, none(p.Node), none(p.IP), views.Age(m.now.Sub(p.Created)))
		if p.Owner.Kind != "" {
			add("  Controlled by %s/%s", p.Owner.Kind, p.Owner.Name)
		}
		conds(p.Conditions)
		head("Containers")
		for _, c := range p.Containers {
			kind := ""
			if c.Init {
				kind = "init "
			}
			line := fmt.Sprintf("  %s%-14s %-10s %s ready=%t restarts=%d image=%s", kind, c.Name, c.State, c.Reason, c.Ready, c.Restarts, c.Image)
			if c.Message != "" {
				line += ": " + c.Message
			}
			out = append(out, line)
		}
	case data.KindWorkload:
		wl, ok := m.workloads[k]
		if !ok {
			add(" %s is gone", k)
			break
		}
		head(fmt.Sprintf("%s %s/%s", wl.Kind, wl.Namespace, wl.Name))
		add("  desired %d · updated %d · ready %d · available %d · generation %d observed %d", wl.Desired, wl.Updated, wl.Ready, wl.Available, wl.Generation, wl.Observed)
		add("  now: %s", views.Now(wl, m.podCounts()[k]))
		conds(wl.Conditions)
		head("Pods")
		n := 0
		for _, pk := range sortedKeys(m.pods, func(ns string) bool { return ns == wl.Namespace }) {
			p := m.pods[pk]
			if !owns(wl, p) {
				continue
			}
			n++
			add("  %-30s %-5s %-18s %s", p.Name, views.Ready(p.Ready, p.Total), p.Status, none(p.Node))
		}
		if n == 0 {
			add("  <none>")
		}
	case data.KindNode:
		nd, ok := m.nodes[k]
		if !ok {
			add(" node %s is gone", k.Name)
			break
		}
		kind := "simulated"
		if nd.Real {
			kind = "real"
		}
		head("Node " + nd.Name)
		add("  %s · roles %s · allocatable cpu %s mem %s · %s · %s", kind, none(nd.Roles), views.CPU(nd.AllocCPU), views.Mem(nd.AllocMem), none(nd.Addresses), none(nd.Version))
		conds(nd.Conditions)
	case data.KindService:
		s, ok := m.services[k]
		if !ok {
			add(" %s is gone", k)
			break
		}
		head(fmt.Sprintf("Service %s/%s", s.Namespace, s.Name))
		add("  %s · %s · ports %s", s.Type, none(s.ClusterIP), s.Ports)
		var sel []string
		for l, v := range s.Selector {
			sel = append(sel, l+"="+v)
		}
		sort.Strings(sel)
		add("  selector %s", none(strings.Join(sel, ",")))
	case data.KindEvent:
		e, ok := m.events[k]
		if !ok {
			add(" event is gone")
			break
		}
		head(fmt.Sprintf("Event %s %s on %s", e.Type, e.Reason, e.Object))
		add("  count %d · last %s ago", e.Count, views.Age(m.now.Sub(e.Last)))
		for _, l := range strings.Split(e.Message, "\n") {
			add("  %s", l)
		}
	}
	if k.Kind != data.KindEvent {
		head("Events")
		evs := m.eventsFor(k)
		if len(evs) == 0 {
			add("  <none>")
		}
		for _, e := range evs {
			line := fmt.Sprintf("  %5s %-7s %-16s %s", views.Age(m.now.Sub(e.Last)), e.Type, e.Reason, e.Message)
			if e.Type == "Warning" {
				line = m.theme.Health[views.Bad].Render(line)
			}
			out = append(out, line)
		}
	}
	if k.Kind == data.KindPod {
		head("Logs")
		add("  l: follow this pod's log (the last %d lines, then as they come)", data.LogTail)
	}
	start := min(m.detailScroll, max(0, len(out)-h))
	out = out[start:]
	if len(out) > h {
		out = out[:h]
	}
	for i, l := range out {
		out[i] = views.Fit(l, w, false)
	}
	return out
}

// eventsFor returns the newest events about k, at most 8.
func (m *Model) eventsFor(k data.Key) []data.Event {
	kind := map[data.Kind]string{data.KindPod: "Pod", data.KindNode: "Node", data.KindService: "Service"}[k.Kind]
	if k.Kind == data.KindWorkload {
		kind = k.Sub
	}
	var out []data.Event
	for _, e := range m.events {
		if e.ObjectKind == kind && e.ObjectName == k.Name && (k.Namespace == "" || e.Namespace == k.Namespace) {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Last.After(out[j].Last) })
	return out[:min(len(out), 8)]
}

func owns(w data.Workload, p data.Pod) bool {
	if p.Owner.Kind == "ReplicaSet" && w.Kind == "Deployment" {
		return strings.HasPrefix(p.Owner.Name, w.Name+"-") && !strings.Contains(p.Owner.Name[len(w.Name)+1:], "-")
	}
	return p.Owner.Kind == w.Kind && p.Owner.Name == w.Name
}

func none(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}
