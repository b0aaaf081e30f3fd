package objects

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// Target splits "deploy/web" or ("deploy", "web") into a kind and a name.
func Target(args []string) (kind, name string, err error) {
	switch {
	case len(args) == 1 && strings.Contains(args[0], "/"):
		kind, name, _ = strings.Cut(args[0], "/")
	case len(args) == 2:
		kind, name = args[0], args[1]
	default:
		return "", "", fmt.Errorf("name the object as TYPE/NAME or TYPE NAME (for example deploy/web)")
	}
	if kind == "" || name == "" {
		return "", "", fmt.Errorf("name the object as TYPE/NAME or TYPE NAME (for example deploy/web), not %q", strings.Join(args, " "))
	}
	return kind, name, nil
}

// Scale sets the replicas of a Deployment, ReplicaSet or StatefulSet
// through its scale subresource.
func (c *Client) Scale(ctx context.Context, kind, name, ns string, replicas int32) error {
	m, err := c.mappingFor(kind)
	if err != nil {
		return err
	}
	if replicas < 0 {
		return fmt.Errorf("--replicas=%d: must be 0 or more", replicas)
	}
	patch := fmt.Sprintf(`{"spec":{"replicas":%d}}`, replicas)
	if _, err := c.resourceFor(m, ns).Patch(ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}, "scale"); err != nil {
		return fmt.Errorf("scale %s: %w", kindName(m, name), err)
	}
	fmt.Fprintf(c.out, "%s scaled\n", kindName(m, name))
	return nil
}

// Restart makes a Deployment, StatefulSet or DaemonSet replace its pods,
// as `kubectl rollout restart`: a restartedAt annotation on the template.
func (c *Client) Restart(ctx context.Context, kind, name, ns string) error {
	m, err := c.rolloutMapping(kind)
	if err != nil {
		return err
	}
	patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":%q}}}}}`, time.Now().Format(time.RFC3339))
	if _, err := c.resourceFor(m, ns).Patch(ctx, name, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("restart %s: %w", kindName(m, name), err)
	}
	fmt.Fprintf(c.out, "%s restarted\n", kindName(m, name))
	return nil
}

func (c *Client) rolloutMapping(kind string) (*meta.RESTMapping, error) {
	m, err := c.mappingFor(kind)
	if err != nil {
		return nil, err
	}
	switch m.GroupVersionKind.Kind {
	case "Deployment", "StatefulSet", "DaemonSet":
		return m, nil
	}
	return nil, fmt.Errorf("%s has no rollout: rollouts are for deployments, statefulsets and daemonsets", m.Resource.Resource)
}

// RolloutStatus waits until the object's rollout is complete, printing
// progress as kubectl does; it fails after timeout (0: wait forever) or
// when a Deployment exceeds its progress deadline.
func (c *Client) RolloutStatus(ctx context.Context, kind, name, ns string, timeout time.Duration) error {
	m, err := c.rolloutMapping(kind)
	if err != nil {
		return err
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	last := ""
	for {
		u, err := c.resourceFor(m, ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("timed out waiting for the rollout of %s", kindName(m, name))
			}
			return err
		}
		msg, done, err := rolloutStatus(u)
		if err != nil {
			return err
		}
		if msg != last {
			fmt.Fprintln(c.out, msg)
			last = msg
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out waiting for the rollout of %s", kindName(m, name))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// rolloutStatus is kubectl's status viewer for the three kinds: a
// message, whether the rollout is done, and an error when it cannot
// finish.
func rolloutStatus(u *unstructured.Unstructured) (string, bool, error) {
	switch u.GetKind() {
	case "Deployment":
		var d appsv1.Deployment
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &d); err != nil {
			return "", false, err
		}
		return deploymentStatus(&d)
	case "StatefulSet":
		var s appsv1.StatefulSet
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &s); err != nil {
			return "", false, err
		}
		return statefulSetStatus(&s)
	case "DaemonSet":
		var d appsv1.DaemonSet
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &d); err != nil {
			return "", false, err
		}
		return daemonSetStatus(&d)
	}
	return "", false, fmt.Errorf("no rollout status for kind %s", u.GetKind())
}

func deploymentStatus(d *appsv1.Deployment) (string, bool, error) {
	if d.Generation > d.Status.ObservedGeneration {
		return "Waiting for deployment spec update to be observed...", false, nil
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Reason == "ProgressDeadlineExceeded" {
			return "", false, fmt.Errorf("deployment %q exceeded its progress deadline", d.Name)
		}
	}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	s := d.Status
	switch {
	case s.UpdatedReplicas < want:
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d out of %d new replicas have been updated...", d.Name, s.UpdatedReplicas, want), false, nil
	case s.Replicas > s.UpdatedReplicas:
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d old replicas are pending termination...", d.Name, s.Replicas-s.UpdatedReplicas), false, nil
	case s.AvailableReplicas < s.UpdatedReplicas:
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d of %d updated replicas are available...", d.Name, s.AvailableReplicas, s.UpdatedReplicas), false, nil
	}
	return fmt.Sprintf("deployment %q successfully rolled out", d.Name), true, nil
}

func statefulSetStatus(s *appsv1.StatefulSet) (string, bool, error) {
	if s.Spec.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType {
		return "", false, fmt.Errorf("rollout status is only available for %s strategy type", appsv1.RollingUpdateStatefulSetStrategyType)
	}
	if s.Status.ObservedGeneration == 0 || s.Generation > s.Status.ObservedGeneration {
		return "Waiting for statefulset spec update to be observed...", false, nil
	}
	want := int32(1)
	if s.Spec.Replicas != nil {
		want = *s.Spec.Replicas
	}
	if s.Status.ReadyReplicas < want {
		return fmt.Sprintf("Waiting for %d pods to be ready...", want-s.Status.ReadyReplicas), false, nil
	}
	// As kubectl: a partition (defaulted to 0) makes it a partitioned roll out.
	if ru := s.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.Partition != nil {
		if *ru.Partition > 0 && s.Status.UpdatedReplicas < want-*ru.Partition {
			return fmt.Sprintf("Waiting for partitioned roll out to finish: %d out of %d new pods have been updated...", s.Status.UpdatedReplicas, want-*ru.Partition), false, nil
		}
		return fmt.Sprintf("partitioned roll out complete: %d new pods have been updated...", s.Status.UpdatedReplicas), true, nil
	}
	if s.Status.UpdateRevision != s.Status.CurrentRevision {
		return fmt.Sprintf("waiting for statefulset rolling update to complete %d pods at revision %s...", s.Status.UpdatedReplicas, s.Status.UpdateRevision), false, nil
	}
	return fmt.Sprintf("statefulset rolling update complete %d pods at revision %s...", s.Status.CurrentReplicas, s.Status.CurrentRevision), true, nil
}

func daemonSetStatus(d *appsv1.DaemonSet) (string, bool, error) {
	if d.Spec.UpdateStrategy.Type != appsv1.RollingUpdateDaemonSetStrategyType {
		return "", false, fmt.Errorf("rollout status is only available for %s strategy type", appsv1.RollingUpdateDaemonSetStrategyType)
	}
	if d.Generation > d.Status.ObservedGeneration {
		return "Waiting for daemon set spec update to be observed...", false, nil
	}
	s := d.Status
	if s.UpdatedNumberScheduled < s.DesiredNumberScheduled {
		return fmt.Sprintf("Waiting for daemon set %q rollout to finish: %d out of %d new pods have been updated...", d.Name, s.UpdatedNumberScheduled, s.DesiredNumberScheduled), false, nil
	}
	if s.NumberAvailable < s.DesiredNumberScheduled {
		return fmt.Sprintf("Waiting for daemon set %q rollout to finish: %d of %d updated pods are available...", d.Name, s.NumberAvailable, s.DesiredNumberScheduled), false, nil
	}
	return fmt.Sprintf("daemon set %q successfully rolled out", d.Name), true, nil
}

// Undo rolls a Deployment back to an earlier revision (toRevision 0:
// the previous one), as `kubectl rollout undo`: the template of that
// revision's ReplicaSet becomes the Deployment's. StatefulSets and
// DaemonSets take the template stored in their ControllerRevision.
func (c *Client) Undo(ctx context.Context, kind, name, ns string, toRevision int64) error {
	m, err := c.rolloutMapping(kind)
	if err != nil {
		return err
	}
	obj, err := c.resourceFor(m, ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	var patch []byte
	var pt types.PatchType
	if m.GroupVersionKind.Kind == "Deployment" {
		patch, err = c.deploymentUndoPatch(ctx, obj, toRevision)
		pt = types.JSONPatchType
	} else {
		patch, err = c.revisionUndoPatch(ctx, obj, toRevision)
		pt = types.StrategicMergePatchType
	}
	if err != nil {
		return err
	}
	if _, err := c.resourceFor(m, ns).Patch(ctx, name, pt, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("roll back %s: %w", kindName(m, name), err)
	}
	fmt.Fprintf(c.out, "%s rolled back\n", kindName(m, name))
	return nil
}

// revisioned is an object owned by the rollout target, with its revision.
type revisioned struct {
	rev int64
	obj unstructured.Unstructured
}

// owned lists the objects of resource (group/version/resource) owned by
// owner, by revision, oldest first.
func (c *Client) owned(ctx context.Context, owner *unstructured.Unstructured, kind string, revisionOf func(unstructured.Unstructured) int64) ([]revisioned, error) {
	m, err := c.mappingFor(kind)
	if err != nil {
		return nil, err
	}
	list, err := c.resourceFor(m, owner.GetNamespace()).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []revisioned
	for _, o := range list.Items {
		for _, ref := range o.GetOwnerReferences() {
			if ref.UID == owner.GetUID() {
				out = append(out, revisioned{rev: revisionOf(o), obj: o})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rev < out[j].rev })
	return out, nil
}

// pick chooses the revision to go back to: toRevision, or the newest but
// one.
func pick(revs []revisioned, current, toRevision int64, what string) (unstructured.Unstructured, error) {
	if toRevision > 0 {
		for _, r := range revs {
			if r.rev == toRevision {
				return r.obj, nil
			}
		}
		return unstructured.Unstructured{}, fmt.Errorf("unable to find specified revision %d in history of %s", toRevision, what)
	}
	for i := len(revs) - 1; i >= 0; i-- {
		if revs[i].rev < current {
			return revs[i].obj, nil
		}
	}
	return unstructured.Unstructured{}, fmt.Errorf("no rollout history found for %s: nothing to roll back to", what)
}

func (c *Client) deploymentUndoPatch(ctx context.Context, d *unstructured.Unstructured, toRevision int64) ([]byte, error) {
	annRev := func(o unstructured.Unstructured) int64 {
		n, _ := strconv.ParseInt(o.GetAnnotations()["deployment.kubernetes.io/revision"], 10, 64)
		return n
	}
	rss, err := c.owned(ctx, d, "replicasets.apps", annRev)
	if err != nil {
		return nil, err
	}
	current := annRev(*d)
	rs, err := pick(rss, current, toRevision, "deployment/"+d.GetName())
	if err != nil {
		return nil, err
	}
	tmpl, _, _ := unstructured.NestedMap(rs.Object, "spec", "template")
	if labels, ok, _ := unstructured.NestedStringMap(tmpl, "metadata", "labels"); ok {
		delete(labels, appsv1.DefaultDeploymentUniqueLabelKey)
		_ = unstructured.SetNestedStringMap(tmpl, labels, "metadata", "labels")
	}
	return json.Marshal([]map[string]any{{"op": "replace", "path": "/spec/template", "value": tmpl}})
}

func (c *Client) revisionUndoPatch(ctx context.Context, obj *unstructured.Unstructured, toRevision int64) ([]byte, error) {
	revs, err := c.owned(ctx, obj, "controllerrevisions.apps", func(o unstructured.Unstructured) int64 {
		n, _, _ := unstructured.NestedInt64(o.Object, "revision")
		return n
	})
	if err != nil {
		return nil, err
	}
	current := int64(0)
	if len(revs) > 0 {
		current = revs[len(revs)-1].rev
	}
	r, err := pick(revs, current, toRevision, strings.ToLower(obj.GetKind())+"/"+obj.GetName())
	if err != nil {
		return nil, err
	}
	data, ok, _ := unstructured.NestedFieldNoCopy(r.Object, "data")
	if !ok {
		return nil, fmt.Errorf("controller revision %s holds no data", r.GetName())
	}
	return json.Marshal(data)
}
