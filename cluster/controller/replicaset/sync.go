package replicaset

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"time"

	"github.com/minidev/mini/cluster/controller/controllerutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

func (c *Controller) reconcile(ctx context.Context, key string) (time.Duration, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	rs, err := c.rsList.ReplicaSets(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.expect.Delete(key)
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	needsSync := c.expect.Satisfied(key)
	sel, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
	if err != nil {
		return 0, nil // validation forbids it; nothing to do until it changes
	}
	all, err := c.podList.Pods(ns).List(labels.Everything())
	if err != nil {
		return 0, err
	}
	pods, err := c.claimPods(ctx, rs, sel, controllerutil.FilterActivePods(all))
	if err != nil {
		return 0, err
	}
	var manageErr error
	if needsSync && rs.DeletionTimestamp == nil {
		manageErr = c.manageReplicas(ctx, rs, pods)
	}
	status := c.calculateStatus(rs, pods, all, manageErr)
	rs, err = c.updateStatus(ctx, rs, status)
	if err != nil {
		return 0, err
	}
	if manageErr != nil {
		return 0, manageErr
	}
	// Come back when a ready pod becomes available.
	var after time.Duration
	if rs.Spec.MinReadySeconds > 0 {
		now := c.now()
		for _, p := range pods {
			if d := controllerutil.AvailableIn(p, rs.Spec.MinReadySeconds, now); d > 0 && (after == 0 || d < after) {
				after = d
			}
		}
		if after > 0 {
			after += 10 * time.Millisecond
		}
	}
	return after, nil
}

func (c *Controller) claimPods(ctx context.Context, rs *appsv1.ReplicaSet, sel labels.Selector, pods []*corev1.Pod) ([]*corev1.Pod, error) {
	podsAPI := c.client.CoreV1().Pods(rs.Namespace)
	cl := controllerutil.Claimer[*corev1.Pod]{
		Owner: rs, OwnerGVK: gvk, Selector: sel,
		Patch: func(ctx context.Context, name string, patch []byte) error {
			_, err := podsAPI.Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
			return err
		},
		CanAdopt: controllerutil.RecheckOwner(rs, func(ctx context.Context) (metav1.Object, error) {
			return c.client.AppsV1().ReplicaSets(rs.Namespace).Get(ctx, rs.Name, metav1.GetOptions{})
		}),
	}
	return cl.Claim(ctx, pods)
}

// manageReplicas creates or deletes pods so that len(pods) becomes
// spec.replicas.
func (c *Controller) manageReplicas(ctx context.Context, rs *appsv1.ReplicaSet, pods []*corev1.Pod) error {
	key := controllerutil.ObjectKey(rs)
	diff := len(pods) - int(*rs.Spec.Replicas)
	switch {
	case diff < 0:
		n := min(-diff, burstReplicas)
		c.expect.ExpectCreations(key, n)
		created, err := slowStartBatch(n, func() error { return c.createPod(ctx, rs) })
		for i := created; i < n; i++ {
			c.expect.CreationObserved(key) // never to be seen
		}
		return err
	case diff > 0:
		n := min(diff, burstReplicas)
		related := c.relatedPods(rs, pods)
		victims := podsToDelete(pods, related, n, c.now())
		keys := make([]string, len(victims))
		for i, p := range victims {
			keys[i] = controllerutil.ObjectKey(p)
		}
		c.expect.ExpectDeletions(key, keys)
		var mu sync.Mutex
		var errs []error
		var wg sync.WaitGroup
		for i, p := range victims {
			wg.Go(func() {
				err := c.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &p.UID}})
				if err != nil {
					c.expect.DeletionObserved(key, keys[i])
					if !apierrors.IsNotFound(err) {
						c.recorder.Eventf(rs, corev1.EventTypeWarning, "FailedDelete", "Error deleting: %v", err)
						mu.Lock()
						errs = append(errs, fmt.Errorf("delete pod %s: %w", p.Name, err))
						mu.Unlock()
					}
					return
				}
				c.recorder.Eventf(rs, corev1.EventTypeNormal, "SuccessfulDelete", "Deleted pod: %s", p.Name)
			})
		}
		wg.Wait()
		return errors.Join(errs...)
	}
	return nil
}

// relatedPods are the pods of this ReplicaSet and of its siblings (other
// ReplicaSets with the same controller, e.g. one Deployment's): spreading
// them over nodes decides which pods go first.
func (c *Controller) relatedPods(rs *appsv1.ReplicaSet, pods []*corev1.Pod) []*corev1.Pod {
	owner := metav1.GetControllerOfNoCopy(rs)
	if owner == nil {
		return pods
	}
	siblings := map[types.UID]bool{}
	all, _ := c.rsList.ReplicaSets(rs.Namespace).List(labels.Everything())
	for _, s := range all {
		if r := metav1.GetControllerOfNoCopy(s); r != nil && r.UID == owner.UID {
			siblings[s.UID] = true
		}
	}
	allPods, _ := c.podList.Pods(rs.Namespace).List(labels.Everything())
	var out []*corev1.Pod
	for _, p := range allPods {
		if r := metav1.GetControllerOfNoCopy(p); r != nil && siblings[r.UID] {
			out = append(out, p)
		}
	}
	return out
}

// podsToDelete picks n of pods in ActivePods order.
func podsToDelete(pods, related []*corev1.Pod, n int, now time.Time) []*corev1.Pod {
	if n < len(pods) {
		pods = append([]*corev1.Pod(nil), pods...)
		sort.Sort(controllerutil.RankByNode(pods, related, now))
	}
	return pods[:min(n, len(pods))]
}

// slowStartBatch calls fn count times in batches of 1, 2, 4, ..., stopping
// after a batch with a failure, as Kubernetes does so that a quota or
// admission error costs one call, not hundreds. It returns the successes.
func slowStartBatch(count int, fn func() error) (int, error) {
	done := 0
	for batch := 1; done < count; batch *= 2 {
		batch = min(batch, count-done)
		var mu sync.Mutex
		var errs []error
		var wg sync.WaitGroup
		for range batch {
			wg.Go(func() {
				if err := fn(); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		done += batch - len(errs)
		if len(errs) > 0 {
			return done, errors.Join(errs...)
		}
	}
	return done, nil
}

func (c *Controller) createPod(ctx context.Context, rs *appsv1.ReplicaSet) error {
	pod := PodFromTemplate(rs)
	created, err := c.client.CoreV1().Pods(rs.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			return nil // the namespace is going away; so will we
		}
		c.recorder.Eventf(rs, corev1.EventTypeWarning, "FailedCreate", "Error creating: %v", err)
		return fmt.Errorf("create pod for %s: %w", rs.Name, err)
	}
	c.recorder.Eventf(rs, corev1.EventTypeNormal, "SuccessfulCreate", "Created pod: %s", created.Name)
	return nil
}

// PodFromTemplate is the pod a ReplicaSet creates: its template's labels,
// annotations, finalizers and spec, named <rs>-<random>, controlled by rs.
func PodFromTemplate(rs *appsv1.ReplicaSet) *corev1.Pod {
	t := rs.Spec.Template.DeepCopy()
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName:    rs.Name + "-",
			Namespace:       rs.Namespace,
			Labels:          t.Labels,
			Annotations:     t.Annotations,
			Finalizers:      t.Finalizers,
			OwnerReferences: []metav1.OwnerReference{*controllerutil.NewControllerRef(rs, gvk)},
		},
		Spec: t.Spec,
	}
}

func (c *Controller) calculateStatus(rs *appsv1.ReplicaSet, pods, all []*corev1.Pod, manageErr error) appsv1.ReplicaSetStatus {
	st := *rs.Status.DeepCopy()
	tmpl := labels.Set(rs.Spec.Template.Labels).AsSelectorPreValidated()
	var full, ready, avail int32
	now := c.now()
	for _, p := range pods {
		if tmpl.Matches(labels.Set(p.Labels)) {
			full++
		}
		if controllerutil.IsPodReady(p) {
			ready++
			if controllerutil.IsPodAvailable(p, rs.Spec.MinReadySeconds, now) {
				avail++
			}
		}
	}
	var terminating int32
	for _, p := range all {
		if r := metav1.GetControllerOfNoCopy(p); r != nil && r.UID == rs.UID && p.DeletionTimestamp != nil &&
			p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			terminating++
		}
	}
	failure := condition(st, appsv1.ReplicaSetReplicaFailure)
	switch {
	case manageErr != nil && failure == nil:
		reason := ""
		if diff := len(pods) - int(*rs.Spec.Replicas); diff < 0 {
			reason = "FailedCreate"
		} else if diff > 0 {
			reason = "FailedDelete"
		}
		st.Conditions = append(st.Conditions, appsv1.ReplicaSetCondition{
			Type: appsv1.ReplicaSetReplicaFailure, Status: corev1.ConditionTrue,
			LastTransitionTime: metav1.NewTime(c.now()), Reason: reason, Message: manageErr.Error(),
		})
	case manageErr == nil && failure != nil:
		var keep []appsv1.ReplicaSetCondition
		for _, cd := range st.Conditions {
			if cd.Type != appsv1.ReplicaSetReplicaFailure {
				keep = append(keep, cd)
			}
		}
		st.Conditions = keep
	}
	st.Replicas = int32(len(pods))
	st.FullyLabeledReplicas = full
	st.ReadyReplicas = ready
	st.AvailableReplicas = avail
	st.TerminatingReplicas = &terminating
	return st
}

func condition(st appsv1.ReplicaSetStatus, t appsv1.ReplicaSetConditionType) *appsv1.ReplicaSetCondition {
	for i := range st.Conditions {
		if st.Conditions[i].Type == t {
			return &st.Conditions[i]
		}
	}
	return nil
}

// updateStatus writes status (with observedGeneration) unless nothing
// changed; on a conflict it re-reads once and retries, as Kubernetes.
func (c *Controller) updateStatus(ctx context.Context, rs *appsv1.ReplicaSet, st appsv1.ReplicaSetStatus) (*appsv1.ReplicaSet, error) {
	api := c.client.AppsV1().ReplicaSets(rs.Namespace)
	for i := 0; ; i++ {
		if rs.Status.ObservedGeneration == rs.Generation && reflect.DeepEqual(rs.Status, withGeneration(st, rs.Generation)) {
			return rs, nil
		}
		cp := rs.DeepCopy()
		cp.Status = withGeneration(st, rs.Generation)
		out, err := api.UpdateStatus(ctx, cp, metav1.UpdateOptions{})
		if err == nil {
			return out, nil
		}
		if i == 1 || !apierrors.IsConflict(err) {
			return nil, fmt.Errorf("update status of replica set %s: %w", rs.Name, err)
		}
		if rs, err = api.Get(ctx, rs.Name, metav1.GetOptions{}); err != nil {
			return nil, err
		}
	}
}

func withGeneration(st appsv1.ReplicaSetStatus, g int64) appsv1.ReplicaSetStatus {
	st.ObservedGeneration = g
	return st
}
