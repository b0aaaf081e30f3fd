package views

import (
	"fmt"
	"sort"
	"strings"

	"github.com/minidev/mini/ui/data"
)

// PodCounts is how a workload's pods stand, for "what is happening now".
type PodCounts struct {
	Pods, Ready, Running                                        int // Terminating pods are not counted here
	Unschedulable, Scheduling, Starting, NotReady, Failed, Gone int
	Pulling                                                     map[string]int // image → pods pulling it
	BackOff                                                     map[string]int // status (CrashLoopBackOff, ErrImagePull...) → pods
}

// Count adds one pod to c. pulling is the image its events say it is
// pulling now ("" if none): pod status alone says only ContainerCreating.
func (c *PodCounts) Count(p data.Pod, pulling string) {
	s := p.Status
	if s == "Terminating" {
		c.Gone++
		return
	}
	c.Pods++
	if s == "Running" {
		c.Running++
		if p.Ready == p.Total && p.Total > 0 {
			c.Ready++
		}
	}
	switch {
	case strings.Contains(s, "BackOff") || strings.Contains(s, "Err") && s != "Error":
		if c.BackOff == nil {
			c.BackOff = map[string]int{}
		}
		c.BackOff[s]++
	case s == "Pending" && p.Node == "":
		if unschedulable(p) {
			c.Unschedulable++
		} else {
			c.Scheduling++
		}
	case pulling != "" && (s == "Pending" || s == "ContainerCreating" || s == "PodInitializing" || strings.HasPrefix(s, "Init:")):
		if c.Pulling == nil {
			c.Pulling = map[string]int{}
		}
		c.Pulling[pulling]++
	case s == "Pending" || s == "ContainerCreating" || s == "PodInitializing" || strings.HasPrefix(s, "Init:"):
		c.Starting++
	case s == "Running" && p.Ready < p.Total:
		c.NotReady++
	case s == "Failed" || strings.HasPrefix(s, "ExitCode") || s == "Error" || s == "OOMKilled":
		c.Failed++
	}
}

func unschedulable(p data.Pod) bool {
	for _, c := range p.Conditions {
		if c.Type == "PodScheduled" && c.Status == "False" && c.Reason == "Unschedulable" {
			return true
		}
	}
	return false
}

// Now says what is happening to a workload: ready of desired, then what
// its pods are doing, most pressing first ("2/3 ready · 1 pulling
// mini-test/server:v1", "1/1 ready · 1 in CrashLoopBackOff"); a settled
// workload is "steady" (or "complete" for a Job).
func Now(w data.Workload, c PodCounts) string {
	var parts []string
	add := func(n int, format string, a ...any) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d "+format, append([]any{n}, a...)...))
		}
	}
	for _, r := range sortedByCount(c.BackOff) {
		add(c.BackOff[r], "in %s", r)
	}
	add(c.Failed, "failed")
	add(c.Unschedulable, "unschedulable")
	add(c.Scheduling, "scheduling")
	for _, img := range sortedByCount(c.Pulling) {
		add(c.Pulling[img], "pulling %s", img)
	}
	add(c.Starting, "starting")
	add(c.NotReady, "waiting for readiness")
	add(c.Gone, "terminating")
	busy := len(parts) > 0
	switch {
	case w.Kind == "Job":
		if !busy && c.Running > 0 && !w.Complete && !w.Failed {
			add(c.Running, "running")
			busy = true
		}
	case busy || w.RollingOut():
		parts = append([]string{fmt.Sprintf("%d/%d ready", w.Ready, w.Desired)}, parts...)
	}
	switch {
	case busy:
	case w.Failed:
		parts = append(parts, "failed: "+w.Message)
	case w.Complete:
		parts = append(parts, "complete")
	case !w.RollingOut():
		parts = append(parts, "steady")
	case w.Message != "":
		parts = append(parts, w.Message)
	default:
		parts = append(parts, "waiting for the controller")
	}
	return strings.Join(parts, " · ")
}

// sortedByCount is m's keys, the largest count first, then by name.
func sortedByCount(m map[string]int) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		if m[ks[i]] != m[ks[j]] {
			return m[ks[i]] > m[ks[j]]
		}
		return ks[i] < ks[j]
	})
	return ks
}

// PullingImage reads the image out of a kubelet "Pulling" event's
// message (Pulling image "mini-test/server:v1").
func PullingImage(msg string) string {
	_, rest, ok := strings.Cut(msg, `"`)
	if !ok {
		return "image"
	}
	img, _, _ := strings.Cut(rest, `"`)
	return img
}
