package controllerutil

import (
	"math"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PodDeletionCostAnnotation ranks pods for deletion: lower cost goes first.
const PodDeletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost"

// IsPodActive reports whether a pod counts toward its controller's
// replicas: not finished and not being deleted.
func IsPodActive(p *corev1.Pod) bool {
	return p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed && p.DeletionTimestamp == nil
}

// FilterActivePods keeps the active pods.
func FilterActivePods(pods []*corev1.Pod) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range pods {
		if IsPodActive(p) {
			out = append(out, p)
		}
	}
	return out
}

// PodReadyCondition returns the pod's Ready condition, or nil.
func PodReadyCondition(p *corev1.Pod) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == corev1.PodReady {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

// IsPodReady reports whether the pod's Ready condition is True.
func IsPodReady(p *corev1.Pod) bool {
	c := PodReadyCondition(p)
	return c != nil && c.Status == corev1.ConditionTrue
}

// IsPodAvailable reports whether the pod has been ready for at least
// minReadySeconds at now, judged by the Ready condition's
// lastTransitionTime.
func IsPodAvailable(p *corev1.Pod, minReadySeconds int32, now time.Time) bool {
	if !IsPodReady(p) {
		return false
	}
	if minReadySeconds == 0 {
		return true
	}
	c := PodReadyCondition(p)
	return !c.LastTransitionTime.IsZero() && c.LastTransitionTime.Add(time.Duration(minReadySeconds)*time.Second).Before(now)
}

// AvailableIn returns how long until a ready pod becomes available (0 if
// it is, or if it is not ready).
func AvailableIn(p *corev1.Pod, minReadySeconds int32, now time.Time) time.Duration {
	if !IsPodReady(p) || minReadySeconds == 0 || IsPodAvailable(p, minReadySeconds, now) {
		return 0
	}
	c := PodReadyCondition(p)
	if c.LastTransitionTime.IsZero() {
		return 0
	}
	return c.LastTransitionTime.Add(time.Duration(minReadySeconds) * time.Second).Sub(now)
}

// ActivePods orders pods so that the ones to delete first come first, as
// Kubernetes' ActivePodsWithRanks with LogarithmicScaleDown (on by
// default): unscheduled < scheduled; Pending < Unknown < Running; not
// ready < ready; lower pod-deletion-cost first; more related pods on the
// same node (Rank) first; ready for less time first; more restarts first;
// newer < older. Times are compared in powers-of-two buckets of age, ties
// broken by UID, so scale-down does not always pick the very newest pod.
type ActivePods struct {
	Pods []*corev1.Pod
	// Rank of each pod; higher goes first. Nil means all equal.
	Rank []int
	// Now anchors the logarithmic age buckets; zero compares exact times.
	Now time.Time
}

func (s ActivePods) Len() int { return len(s.Pods) }

func (s ActivePods) Swap(i, j int) {
	s.Pods[i], s.Pods[j] = s.Pods[j], s.Pods[i]
	if s.Rank != nil {
		s.Rank[i], s.Rank[j] = s.Rank[j], s.Rank[i]
	}
}

var podPhaseOrdinal = map[corev1.PodPhase]int{corev1.PodPending: 0, corev1.PodUnknown: 1, corev1.PodRunning: 2}

func (s ActivePods) Less(i, j int) bool {
	a, b := s.Pods[i], s.Pods[j]
	// 1. Unassigned < assigned.
	if a.Spec.NodeName != b.Spec.NodeName && (a.Spec.NodeName == "" || b.Spec.NodeName == "") {
		return a.Spec.NodeName == ""
	}
	// 2. Pending < Unknown < Running.
	if podPhaseOrdinal[a.Status.Phase] != podPhaseOrdinal[b.Status.Phase] {
		return podPhaseOrdinal[a.Status.Phase] < podPhaseOrdinal[b.Status.Phase]
	}
	// 3. Not ready < ready.
	ra, rb := IsPodReady(a), IsPodReady(b)
	if ra != rb {
		return !ra
	}
	// 4. Lower deletion cost < higher.
	if ca, cb := deletionCost(a), deletionCost(b); ca != cb {
		return ca < cb
	}
	// 5. Doubled up on a node < not doubled up.
	if s.Rank != nil && s.Rank[i] != s.Rank[j] {
		return s.Rank[i] > s.Rank[j]
	}
	// 6. Ready for less time < more time.
	if ra && rb {
		ta, tb := readyTime(a), readyTime(b)
		if !ta.Equal(tb) {
			return s.newer(ta, tb, a, b)
		}
	}
	// 7. More restarts < fewer.
	if ma, mb := maxRestarts(a), maxRestarts(b); ma != mb {
		return ma > mb
	}
	// 8. Newer < older.
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return s.newer(a.CreationTimestamp.Time, b.CreationTimestamp.Time, a, b)
	}
	return false
}

// newer reports whether t1 sorts before t2: zero first, then later times,
// in logarithmic buckets of age when Now is set.
func (s ActivePods) newer(t1, t2 time.Time, a, b *corev1.Pod) bool {
	if s.Now.IsZero() || t1.IsZero() || t2.IsZero() {
		return afterOrZero(t1, t2)
	}
	if d := logRank(s.Now.Sub(t1)) - logRank(s.Now.Sub(t2)); d != 0 {
		return d < 0
	}
	return a.UID < b.UID
}

func logRank(d time.Duration) int64 {
	if d <= 0 {
		return -1
	}
	return int64(math.Log2(float64(d)))
}

func afterOrZero(t1, t2 time.Time) bool {
	if t1.IsZero() || t2.IsZero() {
		return t1.IsZero()
	}
	return t1.After(t2)
}

func readyTime(p *corev1.Pod) time.Time {
	if c := PodReadyCondition(p); c != nil && c.Status == corev1.ConditionTrue {
		return c.LastTransitionTime.Time
	}
	return time.Time{}
}

func maxRestarts(p *corev1.Pod) int32 {
	var m int32
	for _, c := range p.Status.ContainerStatuses {
		m = max(m, c.RestartCount)
	}
	return m
}

func deletionCost(p *corev1.Pod) int32 {
	v, ok := p.Annotations[PodDeletionCostAnnotation]
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0
	}
	return int32(n)
}

// RankByNode ranks each pod by how many active related pods share its
// node, as Kubernetes' getPodsRankedByRelatedPodsOnSameNode.
func RankByNode(pods, related []*corev1.Pod, now time.Time) ActivePods {
	onNode := map[string]int{}
	for _, p := range related {
		if IsPodActive(p) {
			onNode[p.Spec.NodeName]++
		}
	}
	rank := make([]int, len(pods))
	for i, p := range pods {
		rank[i] = onNode[p.Spec.NodeName]
	}
	return ActivePods{Pods: pods, Rank: rank, Now: now}
}

// ObjectKey is the namespace/name key of an object.
func ObjectKey(m metav1.Object) string {
	if m.GetNamespace() == "" {
		return m.GetName()
	}
	return m.GetNamespace() + "/" + m.GetName()
}
