package daemonset

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
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
	ds, err := c.dsList.DaemonSets(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.expect.Delete(key)
		c.expectDel.Delete(key)
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	sel, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil || sel.Empty() {
		return 0, nil // validation forbids it; nothing to do until it changes
	}
	needsSync := c.expect.Satisfied(key) && c.expectDel.Satisfied(key)
	nodes, err := c.nodeList.List(labels.Everything())
	if err != nil {
		return 0, err
	}
	pods, err := c.claimPods(ctx, ds, sel)
	if err != nil {
		return 0, err
	}
	byNodeName := byNode(pods)
	cur, old, err := c.history(ctx, ds)
	if err != nil {
		return 0, err
	}
	hash := cur.Labels[appsv1.DefaultDaemonSetUniqueLabelKey]
	if needsSync && ds.DeletionTimestamp == nil {
		create, del, failed := manage(ds, nodes, byNodeName)
		if len(create) == 0 && len(del) == 0 && ds.Spec.UpdateStrategy.Type == appsv1.RollingUpdateDaemonSetStrategyType {
			del = rollingVictims(ds, nodes, byNodeName, hash, c.now())
		}
		if err := c.syncNodes(ctx, ds, create, del, failed, hash); err != nil {
			return 0, err
		}
		if err := c.cleanupHistory(ctx, ds, old, pods); err != nil {
			return 0, err
		}
	}
	st, after := status(ds, nodes, byNodeName, hash, c.now())
	if err := c.updateStatus(ctx, ds, st); err != nil {
		return 0, err
	}
	if after > 0 {
		return after + 10*time.Millisecond, nil
	}
	return 0, nil
}

func (c *Controller) claimPods(ctx context.Context, ds *appsv1.DaemonSet, sel labels.Selector) ([]*corev1.Pod, error) {
	all, err := c.podList.Pods(ds.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	api := c.client.CoreV1().Pods(ds.Namespace)
	cl := controllerutil.Claimer[*corev1.Pod]{
		Owner: ds, OwnerGVK: gvk, Selector: sel,
		Patch: func(ctx context.Context, name string, patch []byte) error {
			_, err := api.Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
			return err
		},
		CanAdopt: controllerutil.RecheckOwner(ds, func(ctx context.Context) (metav1.Object, error) {
			return c.client.AppsV1().DaemonSets(ds.Namespace).Get(ctx, ds.Name, metav1.GetOptions{})
		}),
	}
	return cl.Claim(ctx, all)
}

// syncNodes creates a pod on each node of create and deletes del,
// concurrently, as Kubernetes' syncNodes.
func (c *Controller) syncNodes(ctx context.Context, ds *appsv1.DaemonSet, create []string, del []*corev1.Pod, failed map[*corev1.Pod]bool, hash string) error {
	key := controllerutil.ObjectKey(ds)
	if len(create) > 0 {
		c.expect.ExpectCreations(key, len(create))
	}
	if len(del) > 0 {
		keys := make([]string, len(del))
		for i, p := range del {
			keys[i] = controllerutil.ObjectKey(p)
		}
		c.expectDel.ExpectDeletions(key, keys)
	}
	var mu sync.Mutex
	var errs []error
	fail := func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }
	var wg sync.WaitGroup
	for _, node := range create {
		wg.Go(func() {
			if err := c.createPod(ctx, ds, node, hash); err != nil {
				c.expect.CreationObserved(key)
				fail(err)
			}
		})
	}
	for _, p := range del {
		wg.Go(func() {
			if failed[p] {
				c.recorder.Eventf(ds, corev1.EventTypeWarning, "FailedDaemonPod", "Found failed daemon pod %s/%s on node %s, will try to kill it", p.Namespace, p.Name, targetNode(p))
			}
			err := c.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &p.UID}})
			if err != nil {
				c.expectDel.DeletionObserved(key, controllerutil.ObjectKey(p)) // never to be seen
			}
			switch {
			case apierrors.IsNotFound(err):
			case err != nil:
				c.recorder.Eventf(ds, corev1.EventTypeWarning, "FailedDelete", "Error deleting: %v", err)
				fail(fmt.Errorf("delete pod %s of daemon set %s: %w", p.Name, ds.Name, err))
			default:
				c.recorder.Eventf(ds, corev1.EventTypeNormal, "SuccessfulDelete", "Deleted pod: %s", p.Name)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// NewPod is the pod a DaemonSet creates for node: its template with the
// revision hash label, the daemon tolerations and the node affinity.
func NewPod(ds *appsv1.DaemonSet, node, hash string) *corev1.Pod {
	t := ds.Spec.Template.DeepCopy()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: ds.Name + "-", Namespace: ds.Namespace,
			Labels: t.Labels, Annotations: t.Annotations, Finalizers: t.Finalizers,
			OwnerReferences: []metav1.OwnerReference{*controllerutil.NewControllerRef(ds, gvk)},
		},
		Spec: t.Spec,
	}
	if p.Labels == nil {
		p.Labels = map[string]string{}
	}
	p.Labels[appsv1.DefaultDaemonSetUniqueLabelKey] = hash
	if g := generation(ds); g != nil {
		p.Labels[templateGenerationLabel] = strconv.FormatInt(*g, 10)
	}
	AddDaemonTolerations(&p.Spec)
	SetNodeAffinity(&p.Spec, node)
	return p
}

func (c *Controller) createPod(ctx context.Context, ds *appsv1.DaemonSet, node, hash string) error {
	created, err := c.client.CoreV1().Pods(ds.Namespace).Create(ctx, NewPod(ds, node, hash), metav1.CreateOptions{})
	if err != nil {
		if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			return nil
		}
		c.recorder.Eventf(ds, corev1.EventTypeWarning, "FailedCreate", "Error creating: %v", err)
		return fmt.Errorf("create pod of daemon set %s for node %s: %w", ds.Name, node, err)
	}
	c.recorder.Eventf(ds, corev1.EventTypeNormal, "SuccessfulCreate", "Created pod: %s", created.Name)
	return nil
}

// updateStatus writes status unless nothing changed; on a conflict it
// re-reads once and retries.
func (c *Controller) updateStatus(ctx context.Context, ds *appsv1.DaemonSet, st appsv1.DaemonSetStatus) error {
	api := c.client.AppsV1().DaemonSets(ds.Namespace)
	for i := 0; ; i++ {
		st.CollisionCount = ds.Status.CollisionCount
		if reflect.DeepEqual(ds.Status, st) {
			return nil
		}
		cp := ds.DeepCopy()
		cp.Status = st
		_, err := api.UpdateStatus(ctx, cp, metav1.UpdateOptions{})
		if err == nil {
			return nil
		}
		if i == 1 || !apierrors.IsConflict(err) {
			return fmt.Errorf("update status of daemon set %s: %w", ds.Name, err)
		}
		if ds, err = api.Get(ctx, ds.Name, metav1.GetOptions{}); err != nil {
			return err
		}
	}
}
