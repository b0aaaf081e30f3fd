package statefulset

import (
	"context"
	"fmt"
	"reflect"
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
	set, err := c.setList.StatefulSets(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.expect.Delete(key)
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	sel, err := metav1.LabelSelectorAsSelector(set.Spec.Selector)
	if err != nil || sel.Empty() {
		return 0, nil // validation forbids it; nothing to do until it changes
	}
	needsSync := c.expect.Satisfied(key)
	pods, err := c.claimPods(ctx, set, sel)
	if err != nil {
		return 0, err
	}
	revisions, err := c.claimRevisions(ctx, set, sel)
	if err != nil {
		return 0, err
	}
	sortRevisions(revisions)
	r, collisions, revisions, err := c.revisions(ctx, set, revisions)
	if err != nil {
		return 0, err
	}
	res := plan(set, r, pods, c.now())
	res.status.CollisionCount = &collisions
	var execErr error
	if needsSync {
		execErr = c.execute(ctx, set, res.ops)
	}
	completeRollingUpdate(set, &res.status)
	if _, err := c.updateStatus(ctx, set, res.status); err != nil {
		return 0, err
	}
	if execErr != nil {
		return 0, execErr
	}
	if err := c.truncateHistory(ctx, set, revisions, pods, res.status); err != nil {
		return 0, err
	}
	if res.after > 0 {
		return res.after + 10*time.Millisecond, nil
	}
	return 0, nil
}

// claimPods adopts and releases pods, as Kubernetes' getPodsForStatefulSet:
// only pods whose name makes them members of the set are adopted.
func (c *Controller) claimPods(ctx context.Context, set *appsv1.StatefulSet, sel labels.Selector) ([]*corev1.Pod, error) {
	all, err := c.podList.Pods(set.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	var candidates []*corev1.Pod
	for _, p := range all {
		if ref := metav1.GetControllerOfNoCopy(p); isMemberOf(set, p) || (ref != nil && ref.UID == set.UID) {
			candidates = append(candidates, p)
		}
	}
	api := c.client.CoreV1().Pods(set.Namespace)
	cl := controllerutil.Claimer[*corev1.Pod]{
		Owner: set, OwnerGVK: gvk, Selector: sel,
		Patch: func(ctx context.Context, name string, patch []byte) error {
			_, err := api.Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
			return err
		},
		CanAdopt: c.recheck(set),
	}
	return cl.Claim(ctx, candidates)
}

func (c *Controller) claimRevisions(ctx context.Context, set *appsv1.StatefulSet, sel labels.Selector) ([]*appsv1.ControllerRevision, error) {
	all, err := c.revList.ControllerRevisions(set.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	api := c.client.AppsV1().ControllerRevisions(set.Namespace)
	cl := controllerutil.Claimer[*appsv1.ControllerRevision]{
		Owner: set, OwnerGVK: gvk, Selector: sel,
		Patch: func(ctx context.Context, name string, patch []byte) error {
			_, err := api.Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
			return err
		},
		CanAdopt: c.recheck(set),
	}
	return cl.Claim(ctx, all)
}

func (c *Controller) recheck(set *appsv1.StatefulSet) func(context.Context) error {
	return controllerutil.RecheckOwner(set, func(ctx context.Context) (metav1.Object, error) {
		return c.client.AppsV1().StatefulSets(set.Namespace).Get(ctx, set.Name, metav1.GetOptions{})
	})
}

// revisions finds or creates the update revision (the set's template) and
// the current one (status.currentRevision, else the update revision), as
// Kubernetes' getStatefulSetRevisions. It returns the collision count and
// the revisions, the update revision included.
func (c *Controller) revisions(ctx context.Context, set *appsv1.StatefulSet, revisions []*appsv1.ControllerRevision) (revs, int32, []*appsv1.ControllerRevision, error) {
	var collisions int32
	if set.Status.CollisionCount != nil {
		collisions = *set.Status.CollisionCount
	}
	want, err := newRevision(set, nextRevision(revisions), &collisions)
	if err != nil {
		return revs{}, 0, nil, err
	}
	var equal []*appsv1.ControllerRevision
	for _, r := range revisions {
		if equalRevision(r, want) {
			equal = append(equal, r)
		}
	}
	api := c.client.AppsV1().ControllerRevisions(set.Namespace)
	var update *appsv1.ControllerRevision
	switch {
	case len(equal) > 0 && equal[len(equal)-1] == revisions[len(revisions)-1]:
		update = revisions[len(revisions)-1]
	case len(equal) > 0:
		// A rollback to an earlier template: renumber that revision.
		cp := equal[len(equal)-1].DeepCopy()
		cp.Revision = want.Revision
		if update, err = api.Update(ctx, cp, metav1.UpdateOptions{}); err != nil {
			return revs{}, 0, nil, fmt.Errorf("renumber controller revision %s of stateful set %s: %w", cp.Name, set.Name, err)
		}
		for i, r := range revisions {
			if r.Name == update.Name {
				revisions[i] = update
			}
		}
		sortRevisions(revisions)
	default:
		if update, err = c.createRevision(ctx, set, want, &collisions); err != nil {
			return revs{}, 0, nil, err
		}
		revisions = append(revisions, update)
	}
	current := update
	for _, r := range revisions {
		if r.Name == set.Status.CurrentRevision {
			current = r
		}
	}
	curSet, err := applyRevision(set, current)
	if err != nil {
		return revs{}, 0, nil, err
	}
	updSet, err := applyRevision(set, update)
	if err != nil {
		return revs{}, 0, nil, err
	}
	return revs{current: current.Name, update: update.Name, currentSet: curSet, updateSet: updSet}, collisions, revisions, nil
}

// createRevision creates rev; on a name collision with another template
// it bumps the collision count and tries the next hash.
func (c *Controller) createRevision(ctx context.Context, set *appsv1.StatefulSet, rev *appsv1.ControllerRevision, collisions *int32) (*appsv1.ControllerRevision, error) {
	api := c.client.AppsV1().ControllerRevisions(set.Namespace)
	for {
		created, err := api.Create(ctx, rev, metav1.CreateOptions{})
		if err == nil {
			return created, nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("create controller revision %s of stateful set %s: %w", rev.Name, set.Name, err)
		}
		existing, gerr := api.Get(ctx, rev.Name, metav1.GetOptions{})
		if gerr != nil {
			return nil, fmt.Errorf("get controller revision %s of stateful set %s: %w", rev.Name, set.Name, gerr)
		}
		if ref := metav1.GetControllerOfNoCopy(existing); ref != nil && ref.UID == set.UID && equalRevision(existing, rev) {
			return existing, nil
		}
		*collisions++
		rev.Labels[hashLabel] = hashRevision(rev.Data.Raw, collisions)
		rev.Name = set.Name + "-" + rev.Labels[hashLabel]
	}
}

func (c *Controller) truncateHistory(ctx context.Context, set *appsv1.StatefulSet, revisions []*appsv1.ControllerRevision, pods []*corev1.Pod, st appsv1.StatefulSetStatus) error {
	limit := 10
	if set.Spec.RevisionHistoryLimit != nil {
		limit = int(*set.Spec.RevisionHistoryLimit)
	}
	for _, r := range historyToDelete(revisions, pods, st.CurrentRevision, st.UpdateRevision, limit) {
		err := c.client.AppsV1().ControllerRevisions(set.Namespace).Delete(ctx, r.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete controller revision %s of stateful set %s: %w", r.Name, set.Name, err)
		}
	}
	return nil
}

// updateStatus writes status unless nothing changed; on a conflict it
// re-reads once and retries.
func (c *Controller) updateStatus(ctx context.Context, set *appsv1.StatefulSet, st appsv1.StatefulSetStatus) (*appsv1.StatefulSet, error) {
	api := c.client.AppsV1().StatefulSets(set.Namespace)
	for i := 0; ; i++ {
		if reflect.DeepEqual(set.Status, st) {
			return set, nil
		}
		cp := set.DeepCopy()
		cp.Status = st
		out, err := api.UpdateStatus(ctx, cp, metav1.UpdateOptions{})
		if err == nil {
			return out, nil
		}
		if i == 1 || !apierrors.IsConflict(err) {
			return nil, fmt.Errorf("update status of stateful set %s: %w", set.Name, err)
		}
		if set, err = api.Get(ctx, set.Name, metav1.GetOptions{}); err != nil {
			return nil, err
		}
	}
}
