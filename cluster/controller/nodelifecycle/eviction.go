package nodelifecycle

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// The taint manager (Kubernetes' taint-eviction-controller): a pod on a
// node with a NoExecute taint it does not tolerate is deleted at once;
// one that tolerates every such taint for tolerationSeconds is deleted
// that long after the taint was added (the API server gives every pod
// 300 s for not-ready and unreachable, per cluster configurable); a
// toleration without tolerationSeconds keeps the pod for ever.

// EvictAfter returns whether a pod on a node with taints must go, and
// after how long from the taint's timeAdded (0: at once). Only NoExecute
// taints count.
func EvictAfter(pod *corev1.Pod, taints []corev1.Taint) (evict bool, after time.Duration, since time.Time) {
	first := true
	for i := range taints {
		t := &taints[i]
		if t.Effect != corev1.TaintEffectNoExecute {
			continue
		}
		// The shortest tolerationSeconds among the matching tolerations;
		// none with seconds means for ever.
		tolerated, forever := false, false
		var secs int64
		for j := range pod.Spec.Tolerations {
			tol := &pod.Spec.Tolerations[j]
			if !tolerates(tol, t) {
				continue
			}
			if tol.TolerationSeconds == nil {
				forever = true
				continue
			}
			if !tolerated || *tol.TolerationSeconds < secs {
				secs = *tol.TolerationSeconds
			}
			tolerated = true
		}
		switch {
		case !tolerated && !forever:
			return true, 0, time.Time{}
		case !tolerated:
			continue // tolerated for ever
		}
		added := time.Time{}
		if t.TimeAdded != nil {
			added = t.TimeAdded.Time
		}
		d := time.Duration(max(secs, 0)) * time.Second
		if first || added.Add(d).Before(since.Add(after)) {
			after, since, first = d, added, false
		}
		evict = true
	}
	return evict, after, since
}

// evictPods deletes the pods due for eviction on nodes with NoExecute
// taints.
func (c *Controller) evictPods(ctx context.Context, nodes []*corev1.Node) {
	tainted := map[string]*corev1.Node{}
	for _, n := range nodes {
		for _, t := range n.Spec.Taints {
			if t.Effect == corev1.TaintEffectNoExecute {
				tainted[n.Name] = n
				break
			}
		}
	}
	if len(tainted) == 0 {
		return
	}
	pods, err := c.pods.List(labels.Everything())
	if err != nil {
		return
	}
	now := c.cfg.Now()
	for _, p := range pods {
		n := tainted[p.Spec.NodeName]
		if n == nil || p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		evict, after, since := EvictAfter(p, n.Spec.Taints)
		if !evict || (after > 0 && now.Before(since.Add(after))) {
			continue
		}
		if err := c.evict(ctx, p.DeepCopy()); err != nil {
			c.cfg.Log.Error("Failed to evict pod", "pod", p.Namespace+"/"+p.Name, "node", n.Name, "err", err)
		}
	}
}

// evict marks the pod with the DisruptionTarget condition (reason
// DeletionByTaintManager), records TaintManagerEviction, and deletes it.
func (c *Controller) evict(ctx context.Context, p *corev1.Pod) error {
	c.recorder.Eventf(p, corev1.EventTypeNormal, "TaintManagerEviction", "Marking for deletion Pod %s/%s", p.Namespace, p.Name)
	cond := corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: "DeletionByTaintManager",
		Message: "Taint manager: deleting due to NoExecute taint", LastTransitionTime: metav1.NewTime(c.cfg.Now())}
	set := false
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == cond.Type {
			p.Status.Conditions[i], set = cond, true
		}
	}
	if !set {
		p.Status.Conditions = append(p.Status.Conditions, cond)
	}
	pods := c.cfg.Client.CoreV1().Pods(p.Namespace)
	if _, err := pods.UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
		return err
	}
	err := pods.Delete(ctx, p.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &p.UID}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return err
	}
	c.cfg.Log.Info("Evicted pod from tainted node", "pod", p.Namespace+"/"+p.Name, "node", p.Spec.NodeName)
	return nil
}

// tolerates is Toleration.ToleratesTaint without the comparison
// operators: effect (empty matches all), key (empty with Exists matches
// all), then Exists or Equal on the value.
func tolerates(tol *corev1.Toleration, t *corev1.Taint) bool {
	if tol.Effect != "" && tol.Effect != t.Effect {
		return false
	}
	if tol.Key != "" && tol.Key != t.Key {
		return false
	}
	switch tol.Operator {
	case corev1.TolerationOpExists:
		return true
	case "", corev1.TolerationOpEqual:
		return tol.Value == t.Value
	}
	return false
}
