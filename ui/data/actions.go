package data

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// Actions changes the cluster on a user's request: delete, scale, restart.
type Actions struct{ Client kubernetes.Interface }

// Delete deletes the object k names.
func (a Actions) Delete(ctx context.Context, k Key) error {
	var err error
	o := metav1.DeleteOptions{}
	switch k.Kind {
	case KindPod:
		err = a.Client.CoreV1().Pods(k.Namespace).Delete(ctx, k.Name, o)
	case KindNode:
		err = a.Client.CoreV1().Nodes().Delete(ctx, k.Name, o)
	case KindService:
		err = a.Client.CoreV1().Services(k.Namespace).Delete(ctx, k.Name, o)
	case KindEvent:
		err = a.Client.CoreV1().Events(k.Namespace).Delete(ctx, k.Name, o)
	case KindWorkload:
		bg := metav1.DeletePropagationBackground
		o.PropagationPolicy = &bg
		switch k.Sub {
		case "Deployment":
			err = a.Client.AppsV1().Deployments(k.Namespace).Delete(ctx, k.Name, o)
		case "StatefulSet":
			err = a.Client.AppsV1().StatefulSets(k.Namespace).Delete(ctx, k.Name, o)
		case "DaemonSet":
			err = a.Client.AppsV1().DaemonSets(k.Namespace).Delete(ctx, k.Name, o)
		case "Job":
			err = a.Client.BatchV1().Jobs(k.Namespace).Delete(ctx, k.Name, o)
		}
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", k, err)
	}
	return nil
}

// Scale sets a Deployment's or StatefulSet's replicas through the scale
// subresource.
func (a Actions) Scale(ctx context.Context, k Key, replicas int) error {
	patch := []byte(fmt.Sprintf(`{"spec":{"replicas":%d}}`, replicas))
	var err error
	switch k.Sub {
	case "Deployment":
		_, err = a.Client.AppsV1().Deployments(k.Namespace).Patch(ctx, k.Name, types.MergePatchType, patch, metav1.PatchOptions{}, "scale")
	case "StatefulSet":
		_, err = a.Client.AppsV1().StatefulSets(k.Namespace).Patch(ctx, k.Name, types.MergePatchType, patch, metav1.PatchOptions{}, "scale")
	default:
		return fmt.Errorf("scale %s: only Deployments and StatefulSets scale", k)
	}
	if err != nil {
		return fmt.Errorf("scale %s to %d: %w", k, replicas, err)
	}
	return nil
}

// Restart is `kubectl rollout restart`: it stamps the pod template with
// kubectl.kubernetes.io/restartedAt so the controller rolls every pod.
func (a Actions) Restart(ctx context.Context, k Key, now time.Time) error {
	patch := []byte(fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":%q}}}}}`, now.Format(time.RFC3339)))
	var err error
	switch k.Sub {
	case "Deployment":
		_, err = a.Client.AppsV1().Deployments(k.Namespace).Patch(ctx, k.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	case "StatefulSet":
		_, err = a.Client.AppsV1().StatefulSets(k.Namespace).Patch(ctx, k.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	case "DaemonSet":
		_, err = a.Client.AppsV1().DaemonSets(k.Namespace).Patch(ctx, k.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	default:
		return fmt.Errorf("restart %s: only Deployments, StatefulSets and DaemonSets restart", k)
	}
	if err != nil {
		return fmt.Errorf("restart %s: %w", k, err)
	}
	return nil
}

// String names the key the way kubectl does: kind/name in namespace.
func (k Key) String() string {
	kind := map[Kind]string{KindNode: "node", KindPod: "pod", KindService: "service", KindEvent: "event"}[k.Kind]
	if k.Kind == KindWorkload {
		kind = k.Sub
	}
	if k.Namespace == "" {
		return kind + "/" + k.Name
	}
	return kind + "/" + k.Name + " in " + k.Namespace
}
