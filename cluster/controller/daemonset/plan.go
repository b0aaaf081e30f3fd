package daemonset

import (
	"sort"
	"strconv"
	"time"

	"github.com/minidev/mini/cluster/controller/controllerutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	intstrutil "k8s.io/apimachinery/pkg/util/intstr"
)

// byNode groups daemon pods by the node they are for.
func byNode(pods []*corev1.Pod) map[string][]*corev1.Pod {
	m := map[string][]*corev1.Pod{}
	for _, p := range pods {
		if n := targetNode(p); n != "" {
			m[n] = append(m[n], p)
		}
	}
	for _, ps := range m {
		sort.SliceStable(ps, func(i, j int) bool { return olderFirst(ps[i], ps[j]) })
	}
	return m
}

// olderFirst orders pods oldest first (then Running before others), as
// Kubernetes' podByCreationTimestampAndPhase.
func olderFirst(a, b *corev1.Pod) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Status.Phase == corev1.PodRunning && b.Status.Phase != corev1.PodRunning
}

// manage is what Kubernetes' podsShouldBeOnNode decides for every node:
// the nodes that need a pod, and the pods to delete (failed ones, extras
// beyond the oldest, those on nodes where they may not keep running or
// that are gone). failed marks the deletions of failed pods.
func manage(ds *appsv1.DaemonSet, nodes []*corev1.Node, pods map[string][]*corev1.Pod) (create []string, del []*corev1.Pod, failed map[*corev1.Pod]bool) {
	failed = map[*corev1.Pod]bool{}
	seen := map[string]bool{}
	for _, node := range nodes {
		seen[node.Name] = true
		run, keep := ShouldRun(node, ds)
		ps := pods[node.Name]
		switch {
		case run && len(ps) == 0:
			create = append(create, node.Name)
		case keep:
			var running []*corev1.Pod
			for _, p := range ps {
				switch {
				case p.DeletionTimestamp != nil:
				case p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded:
					del = append(del, p)
					failed[p] = true
				default:
					running = append(running, p)
				}
			}
			if len(running) > 1 {
				del = append(del, running[1:]...)
			}
		default:
			for _, p := range ps {
				if p.DeletionTimestamp == nil {
					del = append(del, p)
				}
			}
		}
	}
	var gone []string
	for n := range pods {
		if !seen[n] {
			gone = append(gone, n)
		}
	}
	sort.Strings(gone)
	for _, n := range gone {
		for _, p := range pods[n] {
			if p.DeletionTimestamp == nil {
				del = append(del, p)
			}
		}
	}
	sort.Strings(create)
	return create, del, failed
}

// generation is the template generation the API server records in the
// deprecated.daemonset.template.generation annotation, if any.
func generation(ds *appsv1.DaemonSet) *int64 {
	v, ok := ds.Annotations[appsv1.DeprecatedTemplateGeneration]
	if !ok {
		return nil
	}
	g, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil
	}
	return &g
}

// isUpdated reports whether a pod runs the DaemonSet's current template.
func isUpdated(p *corev1.Pod, hash string, gen *int64) bool {
	if gen != nil && p.Labels[templateGenerationLabel] == strconv.FormatInt(*gen, 10) {
		return true
	}
	return hash != "" && p.Labels[appsv1.DefaultDaemonSetUniqueLabelKey] == hash
}

// maxUnavailable is rollingUpdate.maxUnavailable scaled to the nodes that
// should run a pod (rounded up), at least 1 since maxSurge is 0.
func maxUnavailable(ds *appsv1.DaemonSet, desired int) int {
	n := 1
	if ru := ds.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.MaxUnavailable != nil {
		if v, err := intstrutil.GetScaledValueFromIntOrPercent(ru.MaxUnavailable, desired, true); err == nil {
			n = v
		}
	}
	return max(n, 1)
}

// rollingVictims picks the old pods a RollingUpdate (maxSurge 0) deletes
// now, as Kubernetes' rollingUpdate: old pods that are not available go at
// once; available ones only while fewer than maxUnavailable nodes are
// without an available pod.
func rollingVictims(ds *appsv1.DaemonSet, nodes []*corev1.Node, pods map[string][]*corev1.Pod, hash string, now time.Time) []*corev1.Pod {
	gen := generation(ds)
	desired := 0
	var names []string
	for _, node := range nodes {
		if run, _ := ShouldRun(node, ds); run {
			desired++
			names = append(names, node.Name)
		}
	}
	limit := maxUnavailable(ds, desired)
	unavailable := 0
	var allowed, candidates []*corev1.Pod
	for _, name := range names {
		var newPod, oldPod *corev1.Pod
		multiple := false
		for _, p := range pods[name] {
			if p.DeletionTimestamp != nil {
				continue
			}
			if isUpdated(p, hash, gen) {
				multiple = multiple || newPod != nil
				newPod = p
			} else {
				multiple = multiple || oldPod != nil
				oldPod = p
			}
		}
		switch {
		case multiple, newPod == nil && oldPod == nil, newPod != nil && oldPod != nil:
			unavailable++ // manage creates or cleans up first: count it unavailable
		case newPod != nil:
			if !controllerutil.IsPodAvailable(newPod, ds.Spec.MinReadySeconds, now) {
				unavailable++
			}
		case !controllerutil.IsPodAvailable(oldPod, ds.Spec.MinReadySeconds, now):
			allowed = append(allowed, oldPod)
		case unavailable >= limit:
		default:
			candidates = append(candidates, oldPod)
		}
	}
	remaining := min(max(limit-unavailable, 0), len(candidates))
	return append(allowed, candidates[:remaining]...)
}

// status is the DaemonSet's status over its nodes and pods, as
// Kubernetes' updateDaemonSetStatus; after is when a ready pod becomes
// available.
func status(ds *appsv1.DaemonSet, nodes []*corev1.Node, pods map[string][]*corev1.Pod, hash string, now time.Time) (appsv1.DaemonSetStatus, time.Duration) {
	st := appsv1.DaemonSetStatus{ObservedGeneration: ds.Generation, CollisionCount: ds.Status.CollisionCount, Conditions: ds.Status.Conditions}
	gen := generation(ds)
	var after time.Duration
	for _, node := range nodes {
		run, _ := ShouldRun(node, ds)
		var ps []*corev1.Pod
		for _, p := range pods[node.Name] {
			if p.DeletionTimestamp == nil {
				ps = append(ps, p)
			}
		}
		switch {
		case run && len(ps) > 0:
			st.DesiredNumberScheduled++
			st.CurrentNumberScheduled++
			p := ps[0]
			if controllerutil.IsPodReady(p) {
				st.NumberReady++
				if controllerutil.IsPodAvailable(p, ds.Spec.MinReadySeconds, now) {
					st.NumberAvailable++
				} else if d := controllerutil.AvailableIn(p, ds.Spec.MinReadySeconds, now); d > 0 && (after == 0 || d < after) {
					after = d
				}
			}
			if isUpdated(p, hash, gen) {
				st.UpdatedNumberScheduled++
			}
		case run:
			st.DesiredNumberScheduled++
		case len(ps) > 0:
			st.NumberMisscheduled++
		}
	}
	st.NumberUnavailable = st.DesiredNumberScheduled - st.NumberAvailable
	return st, after
}

// templateGenerationLabel is the deprecated pod label with the template
// generation (extensions' DaemonSetTemplateGenerationKey).
const templateGenerationLabel = "pod-template-generation"
