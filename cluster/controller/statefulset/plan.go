package statefulset

import (
	"sort"
	"time"

	"github.com/minidev/mini/cluster/controller/controllerutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// opKind is what an op does to a pod.
type opKind int

const (
	opCreate opKind = iota // create the pod (and its claims first)
	opDelete               // delete the pod
	opUpdate               // update the pod's identity labels
	opClaims               // create the missing claims of a pending pod
)

// reasons an op deletes a pod, for Events and tests.
const (
	whyFailed    = "failed"
	whyCondemned = "condemned"
	whyUpdate    = "update"
)

// op is one API action of a plan.
type op struct {
	kind opKind
	pod  *corev1.Pod
	why  string
}

// revs are the two revisions a sync works with: pods below the partition
// keep current, the others move to update.
type revs struct {
	current, update       string
	currentSet, updateSet *appsv1.StatefulSet
}

// planResult is what a sync should do and the status it should report.
type planResult struct {
	ops    []op
	status appsv1.StatefulSetStatus
	// waiting names the pod progress waits for ("" if none).
	waiting string
	// after is when a ready pod becomes available (minReadySeconds).
	after time.Duration
}

func isRunningAndReady(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodRunning && controllerutil.IsPodReady(p)
}

func isRunningAndAvailable(p *corev1.Pod, minReady int32, now time.Time) bool {
	return p.Status.Phase == corev1.PodRunning && controllerutil.IsPodAvailable(p, minReady, now)
}

func isTerminating(p *corev1.Pod) bool { return p.DeletionTimestamp != nil }

func isFinished(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded
}

func isHealthy(p *corev1.Pod) bool { return isRunningAndReady(p) && !isTerminating(p) }

// newVersionedPod is the pod for a missing ordinal: from the current
// revision below the partition (or, with no partition, below
// currentReplicas), from the update revision otherwise.
func newVersionedPod(r revs, ordinal int) *corev1.Pod {
	s := r.currentSet
	if s.Spec.UpdateStrategy.Type == appsv1.RollingUpdateStatefulSetStrategyType {
		ru := s.Spec.UpdateStrategy.RollingUpdate
		if (ru == nil || ru.Partition == nil) && ordinal < startOrdinal(s)+int(s.Status.CurrentReplicas) ||
			ru != nil && ru.Partition != nil && ordinal < startOrdinal(s)+int(*ru.Partition) {
			return newPod(r.currentSet, r.current, ordinal)
		}
	}
	return newPod(r.updateSet, r.update, ordinal)
}

// partition is the rolling update's partition clamped to [0, replicas].
func partition(set *appsv1.StatefulSet) int {
	ru := set.Spec.UpdateStrategy.RollingUpdate
	if ru == nil || ru.Partition == nil {
		return 0
	}
	return min(max(int(*ru.Partition), 0), replicasOf(set))
}

// plan decides one sync of set over its claimed pods, as Kubernetes'
// updateStatefulSet: recreate failed pods, create missing ordinals
// (in order and one at a time, each Running and Ready first, unless
// Parallel), fix identities, delete ordinals beyond replicas from the
// highest down, then roll pods not at the update revision from the highest
// ordinal down to the partition, one at a time, each healthy before the
// next.
func plan(set *appsv1.StatefulSet, r revs, pods []*corev1.Pod, now time.Time) planResult {
	res := planResult{status: appsv1.StatefulSetStatus{
		ObservedGeneration: set.Generation, CurrentRevision: r.current, UpdateRevision: r.update,
		CollisionCount: set.Status.CollisionCount, Conditions: set.Status.Conditions,
	}}
	st := &res.status
	n, start := replicasOf(set), startOrdinal(set)
	replicas := make([]*corev1.Pod, n)
	created := make([]bool, n)
	var condemned []*corev1.Pod
	minReady := set.Spec.MinReadySeconds
	for _, p := range pods {
		st.Replicas++
		if isRunningAndReady(p) {
			st.ReadyReplicas++
			if isRunningAndAvailable(p, minReady, now) {
				st.AvailableReplicas++
			} else if d := controllerutil.AvailableIn(p, minReady, now); d > 0 && (res.after == 0 || d < res.after) {
				res.after = d
			}
		}
		if !isTerminating(p) {
			if podRevision(p) == r.current {
				st.CurrentReplicas++
			}
			if podRevision(p) == r.update {
				st.UpdatedReplicas++
			}
		}
		switch ord := ordinalOf(p); {
		case ord >= start && ord < start+n:
			replicas[ord-start], created[ord-start] = p, true
		case ord >= 0:
			condemned = append(condemned, p)
		}
	}
	for i := range replicas {
		if replicas[i] == nil {
			replicas[i] = newVersionedPod(r, start+i)
		}
	}
	sort.SliceStable(condemned, func(i, j int) bool { return ordinalOf(condemned[i]) > ordinalOf(condemned[j]) })
	var firstUnhealthy *corev1.Pod
	for i, p := range replicas {
		if created[i] && !isHealthy(p) {
			firstUnhealthy = p
			break
		}
	}
	if firstUnhealthy == nil {
		for _, p := range condemned {
			if !isHealthy(p) {
				firstUnhealthy = p
				break
			}
		}
	}
	if set.DeletionTimestamp != nil {
		return res
	}
	monotonic := set.Spec.PodManagementPolicy != appsv1.ParallelPodManagement
	wait := func(p *corev1.Pod) planResult { res.waiting = p.Name; return res }

	for i, p := range replicas {
		switch {
		case created[i] && isFinished(p):
			if !isTerminating(p) {
				res.ops = append(res.ops, op{kind: opDelete, pod: p, why: whyFailed})
			}
			return wait(p) // recreated once it is gone
		case !created[i]:
			res.ops = append(res.ops, op{kind: opCreate, pod: p})
			st.Replicas++
			if podRevision(p) == r.current {
				st.CurrentReplicas++
			}
			if podRevision(p) == r.update {
				st.UpdatedReplicas++
			}
			if monotonic {
				return wait(p)
			}
			continue
		}
		if p.Status.Phase == corev1.PodPending && len(set.Spec.VolumeClaimTemplates) > 0 {
			res.ops = append(res.ops, op{kind: opClaims, pod: p})
		}
		if monotonic && (isTerminating(p) || !isRunningAndAvailable(p, minReady, now)) {
			return wait(p)
		}
		if !identityMatches(set, p) {
			fixed := p.DeepCopy()
			updateIdentity(set, fixed, start+i)
			res.ops = append(res.ops, op{kind: opUpdate, pod: fixed})
		}
	}

	for _, p := range condemned {
		if isTerminating(p) {
			if monotonic {
				return wait(p)
			}
			continue
		}
		if monotonic && p != firstUnhealthy && firstUnhealthy != nil && !isRunningAndAvailable(p, minReady, now) {
			return wait(firstUnhealthy)
		}
		res.ops = append(res.ops, op{kind: opDelete, pod: p, why: whyCondemned})
		if monotonic {
			return res
		}
	}

	if set.Spec.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType {
		return res
	}
	for target := n - 1; target >= partition(set); target-- {
		p := replicas[target]
		if created[target] && podRevision(p) != r.update && !isTerminating(p) {
			res.ops = append(res.ops, op{kind: opDelete, pod: p, why: whyUpdate})
			st.CurrentReplicas--
			return res
		}
		if !created[target] || !isHealthy(p) {
			return wait(p)
		}
	}
	return res
}

// completeRollingUpdate makes the update revision current once every pod
// runs it and is ready, as Kubernetes.
func completeRollingUpdate(set *appsv1.StatefulSet, st *appsv1.StatefulSetStatus) {
	if set.Spec.UpdateStrategy.Type == appsv1.RollingUpdateStatefulSetStrategyType &&
		st.UpdatedReplicas == st.Replicas && st.ReadyReplicas == st.Replicas {
		st.CurrentReplicas = st.UpdatedReplicas
		st.CurrentRevision = st.UpdateRevision
	}
}
