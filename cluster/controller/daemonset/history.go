package daemonset

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/minidev/mini/cluster/controller/controllerutil"
	"github.com/minidev/mini/cluster/controller/deployment"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// patchOf is the revision data of a template, as Kubernetes' getPatch:
// {"spec":{"template":{...,"$patch":"replace"}}}.
func patchOf(t *corev1.PodTemplateSpec) ([]byte, error) {
	b, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	m["$patch"] = "replace"
	return json.Marshal(map[string]any{"spec": map[string]any{"template": m}})
}

func templateOf(rev *appsv1.ControllerRevision) (*corev1.PodTemplateSpec, error) {
	var p struct {
		Spec struct {
			Template corev1.PodTemplateSpec `json:"template"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(rev.Data.Raw, &p); err != nil {
		return nil, fmt.Errorf("decode controller revision %s: %w", rev.Name, err)
	}
	return &p.Spec.Template, nil
}

// history finds or creates the ControllerRevision of the current template
// (named <ds>-<hash>, labelled controller-revision-hash=<hash>, numbered
// after the others), as Kubernetes' constructHistory. It returns it and the
// older ones.
func (c *Controller) history(ctx context.Context, ds *appsv1.DaemonSet) (*appsv1.ControllerRevision, []*appsv1.ControllerRevision, error) {
	sel, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil {
		return nil, nil, err
	}
	all, err := c.revList.ControllerRevisions(ds.Namespace).List(labels.Everything())
	if err != nil {
		return nil, nil, err
	}
	var owned []*appsv1.ControllerRevision
	for _, r := range all {
		if ref := metav1.GetControllerOfNoCopy(r); ref != nil && ref.UID == ds.UID && sel.Matches(labels.Set(r.Labels)) {
			owned = append(owned, r)
		}
	}
	sort.Slice(owned, func(i, j int) bool { return owned[i].Revision < owned[j].Revision })
	var maxRev int64
	for _, r := range owned {
		maxRev = max(maxRev, r.Revision)
	}
	hash := deployment.ComputeHash(&ds.Spec.Template, ds.Status.CollisionCount)
	var cur *appsv1.ControllerRevision
	var old []*appsv1.ControllerRevision
	for _, r := range owned {
		t, err := templateOf(r)
		if cur == nil && r.Labels[appsv1.DefaultDaemonSetUniqueLabelKey] == hash && err == nil && apiequality.Semantic.DeepEqual(t, &ds.Spec.Template) {
			cur = r
			continue
		}
		old = append(old, r)
	}
	api := c.client.AppsV1().ControllerRevisions(ds.Namespace)
	if cur != nil {
		if cur.Revision < maxRev {
			cp := cur.DeepCopy()
			cp.Revision = maxRev + 1
			if cur, err = api.Update(ctx, cp, metav1.UpdateOptions{}); err != nil {
				return nil, nil, fmt.Errorf("renumber controller revision %s of daemon set %s: %w", cp.Name, ds.Name, err)
			}
		}
		return cur, old, nil
	}
	raw, err := patchOf(&ds.Spec.Template)
	if err != nil {
		return nil, nil, fmt.Errorf("encode template of daemon set %s: %w", ds.Name, err)
	}
	lbls := map[string]string{}
	for k, v := range ds.Spec.Template.Labels {
		lbls[k] = v
	}
	lbls[appsv1.DefaultDaemonSetUniqueLabelKey] = hash
	rev := &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name: ds.Name + "-" + hash, Namespace: ds.Namespace, Labels: lbls,
			OwnerReferences: []metav1.OwnerReference{*controllerutil.NewControllerRef(ds, gvk)},
		},
		Data:     runtime.RawExtension{Raw: raw},
		Revision: maxRev + 1,
	}
	created, err := api.Create(ctx, rev, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		existing, gerr := api.Get(ctx, rev.Name, metav1.GetOptions{})
		if gerr == nil {
			if t, terr := templateOf(existing); terr == nil && apiequality.Semantic.DeepEqual(t, &ds.Spec.Template) {
				return existing, old, nil
			}
		}
		// A hash collision: count it in status and retry with the next hash.
		cp := ds.DeepCopy()
		n := int32(1)
		if cp.Status.CollisionCount != nil {
			n = *cp.Status.CollisionCount + 1
		}
		cp.Status.CollisionCount = &n
		if _, uerr := c.client.AppsV1().DaemonSets(ds.Namespace).UpdateStatus(ctx, cp, metav1.UpdateOptions{}); uerr != nil {
			return nil, nil, fmt.Errorf("count hash collision of daemon set %s: %w", ds.Name, uerr)
		}
		return nil, nil, fmt.Errorf("hash collision for controller revision %s of daemon set %s", rev.Name, ds.Name)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("create controller revision %s of daemon set %s: %w", rev.Name, ds.Name, err)
	}
	return created, old, nil
}

// cleanupHistory deletes the oldest revisions no pod uses beyond
// revisionHistoryLimit.
func (c *Controller) cleanupHistory(ctx context.Context, ds *appsv1.DaemonSet, old []*appsv1.ControllerRevision, pods []*corev1.Pod) error {
	limit := 10
	if ds.Spec.RevisionHistoryLimit != nil {
		limit = int(*ds.Spec.RevisionHistoryLimit)
	}
	live := map[string]bool{}
	for _, p := range pods {
		live[p.Labels[appsv1.DefaultDaemonSetUniqueLabelKey]] = true
	}
	var unused []*appsv1.ControllerRevision
	for _, r := range old {
		if !live[r.Labels[appsv1.DefaultDaemonSetUniqueLabelKey]] {
			unused = append(unused, r)
		}
	}
	for i := 0; i < len(unused)-limit; i++ {
		err := c.client.AppsV1().ControllerRevisions(ds.Namespace).Delete(ctx, unused[i].Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete controller revision %s of daemon set %s: %w", unused[i].Name, ds.Name, err)
		}
	}
	return nil
}
