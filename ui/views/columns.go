package views

import (
	"fmt"
	"strings"
	"time"

	"github.com/minidev/mini/ui/data"
)

// Columns of each view; Row functions return cells in the same order.
var (
	NodeColumns = []Column{
		{Title: "NAME", Width: 14, Flex: 2}, {Title: "STATUS", Width: 9}, {Title: "ROLES", Width: 13},
		{Title: "PODS", Width: 4, Right: true}, {Title: "CPU REQ", Width: 13}, {Title: "MEM REQ", Width: 15, Wide: true},
		{Title: "KIND", Width: 4}, {Title: "VERSION", Width: 10, Wide: true}, {Title: "AGE", Width: 5, Right: true},
	}
	WorkloadColumns = []Column{
		{Title: "NAMESPACE", Width: 10, Wide: true}, {Title: "KIND", Width: 6}, {Title: "NAME", Width: 14, Flex: 1},
		{Title: "DES", Width: 3, Right: true}, {Title: "UPD", Width: 3, Right: true}, {Title: "RDY", Width: 3, Right: true},
		{Title: "AVL", Width: 3, Right: true}, {Title: "PROGRESS", Width: 10}, {Title: "NOW", Width: 14, Flex: 4},
		{Title: "AGE", Width: 5, Right: true},
	}
	PodColumns = []Column{
		{Title: "NAMESPACE", Width: 10}, {Title: "NAME", Width: 18, Flex: 3}, {Title: "READY", Width: 5},
		{Title: "STATUS", Width: 16}, {Title: "RESTARTS", Width: 8, Right: true}, {Title: "NODE", Width: 10, Flex: 1},
		{Title: "IP", Width: 15, Wide: true}, {Title: "AGE", Width: 5, Right: true},
	}
	ServiceColumns = []Column{
		{Title: "NAMESPACE", Width: 10}, {Title: "NAME", Width: 16, Flex: 2}, {Title: "TYPE", Width: 9},
		{Title: "CLUSTER-IP", Width: 15}, {Title: "PORTS", Width: 12, Flex: 1}, {Title: "READY", Width: 5, Wide: true},
		{Title: "AGE", Width: 5, Right: true},
	}
	EventColumns = []Column{
		{Title: "LAST", Width: 4, Right: true}, {Title: "TYPE", Width: 7}, {Title: "REASON", Width: 14},
		{Title: "NAMESPACE", Width: 10, Wide: true}, {Title: "OBJECT", Width: 20, Flex: 1}, {Title: "COUNT", Width: 5, Right: true, Wide: true},
		{Title: "MESSAGE", Width: 10, Flex: 3},
	}
)

// PodHealth is the colour of a pod's STATUS.
func PodHealth(p data.Pod) Health {
	switch s := p.Status; {
	case s == "Running" && p.Ready == p.Total:
		return Good
	case s == "Running":
		return Progressing
	case s == "Completed" || s == "Succeeded":
		return Done
	case s == "Terminating":
		return Gone
	case s == "Pending" || s == "ContainerCreating" || s == "PodInitializing" || strings.HasPrefix(s, "Init:") && !strings.Contains(s, "Err") && !strings.Contains(s, "BackOff") || s == "SchedulingGated":
		return Progressing
	}
	return Bad
}

// PodRow is a pod's cells.
func PodRow(p data.Pod, now time.Time) Row {
	return Row{Health: PodHealth(p), Cells: []string{
		p.Namespace, p.Name, Ready(p.Ready, p.Total), p.Status, fmt.Sprint(p.Restarts),
		orNone(p.Node), orNone(p.IP), since(p.Created, now),
	}}
}

// NodeStats is what a node's pods add up to.
type NodeStats struct {
	Pods           int
	ReqCPU, ReqMem int64
}

// NodeRow is a node's cells.
func NodeRow(n data.Node, st NodeStats, now time.Time) Row {
	status, h := "NotReady", Bad
	switch n.Ready {
	case "True":
		status, h = "Ready", Good
	case "Unknown":
		status = "Unknown"
	}
	if n.Unschedulable {
		status += ",NoSched"
	}
	kind := "sim"
	if n.Real {
		kind = "real"
	}
	return Row{Health: h, Cells: []string{
		n.Name, status, orNone(n.Roles), fmt.Sprint(st.Pods), Share(st.ReqCPU, n.AllocCPU, CPU),
		Share(st.ReqMem, n.AllocMem, Mem), kind, orNone(n.Version), since(n.Created, now),
	}}
}

// WorkloadRow is a workload's cells.
func WorkloadRow(w data.Workload, c PodCounts, now time.Time) Row {
	h := Good
	switch {
	case w.Failed || len(c.BackOff) > 0 || c.Failed > 0:
		h = Bad
	case w.Complete:
		h = Done
	case w.RollingOut():
		h = Progressing
	}
	progress := ""
	if w.RollingOut() {
		progress = Bar(w.Available, w.Desired, 10)
	}
	kind := map[string]string{"Deployment": "deploy", "StatefulSet": "sts", "DaemonSet": "ds", "Job": "job"}[w.Kind]
	return Row{Health: h, Cells: []string{
		w.Namespace, kind, w.Name, fmt.Sprint(w.Desired), fmt.Sprint(w.Updated), fmt.Sprint(w.Ready),
		fmt.Sprint(w.Available), progress, Now(w, c), since(w.Created, now),
	}}
}

// ServiceRow is a service's cells.
func ServiceRow(s data.Service, now time.Time) Row {
	h, ready := Neutral, "-"
	if len(s.Selector) > 0 {
		ready = Ready(s.ReadyEndpoints, s.Endpoints)
		h = Good
		if s.ReadyEndpoints == 0 {
			h = Progressing
		}
	}
	return Row{Health: h, Cells: []string{
		s.Namespace, s.Name, s.Type, orNone(s.ClusterIP), s.Ports, ready, since(s.Created, now),
	}}
}

// EventRow is an event's cells.
func EventRow(e data.Event, now time.Time) Row {
	h := Neutral
	if e.Type == "Warning" {
		h = Bad
	}
	return Row{Health: h, Cells: []string{
		since(e.Last, now), e.Type, e.Reason, e.Namespace, e.Object, fmt.Sprint(e.Count),
		strings.ReplaceAll(e.Message, "\n", " "),
	}}
}
