package apiserver

import (
	"fmt"
	"net/http"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// serveSubresource serves status, scale, binding, eviction and the pods'
// streaming ones (log, exec, attach, portforward: proxied to the node
// agent); the proxy ones answer 501.
func (s *Server) serveSubresource(w http.ResponseWriter, r *http.Request, res *Resource, ri requestInfo) {
	if !res.HasSubresource(ri.Subresource) {
		writeError(w, errNoResource())
		return
	}
	switch ri.Subresource {
	case "status", "finalize":
		switch ri.Verb {
		case "get":
			s.handleGet(w, r, res, ri)
		case "update":
			s.handleUpdate(w, r, res, ri, ri.Subresource)
		case "patch":
			s.handlePatch(w, r, res, ri, ri.Subresource)
		default:
			writeError(w, apierrors.NewMethodNotSupported(schemaGR(res.Group, res.Name+"/status"), r.Method))
		}
	case "scale":
		s.handleScale(w, r, res, ri)
	case "binding":
		s.handleBinding(w, r, res, ri)
	case "eviction":
		s.handleEviction(w, r, res, ri)
	case "log":
		s.handlePodLog(w, r, res, ri)
	case "exec", "attach", "portforward":
		s.handlePodStream(w, r, res, ri)
	default:
		writeError(w, &apierrors.StatusError{ErrStatus: metav1.Status{
			Status: metav1.StatusFailure, Code: http.StatusNotImplemented, Reason: "NotImplemented",
			Message: fmt.Sprintf("%s/%s is not served yet", res.Name, ri.Subresource),
		}})
	}
}

// readPost decodes the body of a POST-only subresource into v.
func readPost(r *http.Request, sub, kind string, v any) error {
	if r.Method != http.MethodPost {
		return apierrors.NewMethodNotSupported(schemaGR("", sub), r.Method)
	}
	data, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeInto(data, v, kind)
}

// handleBinding sets spec.nodeName of an unbound pod (what schedulers do).
func (s *Server) handleBinding(w http.ResponseWriter, r *http.Request, res *Resource, ri requestInfo) {
	var b corev1.Binding
	if err := readPost(r, "pods/binding", "Binding", &b); err != nil {
		writeError(w, err)
		return
	}
	ctx, cancel := requestContext(r)
	defer cancel()
	if b.Target.Name == "" {
		writeError(w, apierrors.NewInvalid(schemaGK("", "Binding"), ri.Name, field.ErrorList{field.Required(field.NewPath("target", "name"), "the node to bind to")}))
		return
	}
	_, err := s.update(ctx, res, ri.Namespace, ri.Name, "binding", "", isDryRun(r), func(old kruntime.Object) (kruntime.Object, error) {
		pod := old.(*corev1.Pod)
		if pod.DeletionTimestamp != nil {
			return nil, apierrors.NewConflict(schemaGR("", "pods/binding"), ri.Name, fmt.Errorf("pod %s is being deleted, cannot be assigned to a host", ri.Name))
		}
		if pod.Spec.NodeName != "" {
			return nil, apierrors.NewConflict(schemaGR("", "pods/binding"), ri.Name, fmt.Errorf("pod %s is already assigned to node %q", ri.Name, pod.Spec.NodeName))
		}
		pod.Spec.NodeName = b.Target.Name
		// As Kubernetes' binding: the pod is now scheduled.
		setPodScheduled(pod, metav1.NewTime(s.now().UTC().Truncate(time.Second)))
		return pod, nil
	})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, &metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusSuccess, Code: http.StatusCreated})
}

// setPodScheduled sets the PodScheduled condition True, keeping its
// transition time when it already was.
func setPodScheduled(pod *corev1.Pod, now metav1.Time) {
	for i := range pod.Status.Conditions {
		c := &pod.Status.Conditions[i]
		if c.Type == corev1.PodScheduled {
			if c.Status != corev1.ConditionTrue {
				c.Status, c.Reason, c.Message, c.LastTransitionTime = corev1.ConditionTrue, "", "", now
			}
			return
		}
	}
	pod.Status.Conditions = append(pod.Status.Conditions, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now})
}

// handleEviction deletes the pod (mini has no PodDisruptionBudgets yet, so
// nothing can refuse an eviction).
func (s *Server) handleEviction(w http.ResponseWriter, r *http.Request, res *Resource, ri requestInfo) {
	var ev policyv1.Eviction
	if err := readPost(r, "pods/eviction", "Eviction", &ev); err != nil {
		writeError(w, err)
		return
	}
	ctx, cancel := requestContext(r)
	defer cancel()
	opts := metav1.DeleteOptions{}
	if ev.DeleteOptions != nil {
		opts = *ev.DeleteOptions
	}
	if _, _, err := s.delete(ctx, res, ri.Namespace, ri.Name, opts); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, &metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusSuccess, Code: http.StatusCreated})
}

// replicasOf reaches spec.replicas and the selector of scalable workloads.
func replicasOf(obj kruntime.Object) (spec **int32, status int32, selector *metav1.LabelSelector) {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return &o.Spec.Replicas, o.Status.Replicas, o.Spec.Selector
	case *appsv1.ReplicaSet:
		return &o.Spec.Replicas, o.Status.Replicas, o.Spec.Selector
	case *appsv1.StatefulSet:
		return &o.Spec.Replicas, o.Status.Replicas, o.Spec.Selector
	}
	return nil, 0, nil
}

func toScale(obj kruntime.Object) *autoscalingv1.Scale {
	m := accessor(obj)
	spec, status, sel := replicasOf(obj)
	sc := &autoscalingv1.Scale{
		TypeMeta: metav1.TypeMeta{Kind: "Scale", APIVersion: "autoscaling/v1"},
		ObjectMeta: metav1.ObjectMeta{Name: m.GetName(), Namespace: m.GetNamespace(), UID: m.GetUID(),
			ResourceVersion: m.GetResourceVersion(), CreationTimestamp: m.GetCreationTimestamp()},
		Status: autoscalingv1.ScaleStatus{Replicas: status},
	}
	if *spec != nil {
		sc.Spec.Replicas = **spec
	}
	if s, err := metav1.LabelSelectorAsSelector(sel); err == nil {
		sc.Status.Selector = s.String()
	}
	return sc
}

// handleScale serves the autoscaling/v1 Scale of deployments, replica sets
// and stateful sets: get, update and patch change spec.replicas only.
func (s *Server) handleScale(w http.ResponseWriter, r *http.Request, res *Resource, ri requestInfo) {
	ctx, cancel := requestContext(r)
	defer cancel()
	obj, _, err := s.getObject(ctx, res, ri.Namespace, ri.Name)
	if err != nil {
		writeError(w, err)
		return
	}
	if ri.Verb == "get" {
		writeJSON(w, http.StatusOK, toScale(obj))
		return
	}
	if ri.Verb != "update" && ri.Verb != "patch" {
		writeError(w, apierrors.NewMethodNotSupported(schemaGR(res.Group, res.Name+"/scale"), r.Method))
		return
	}
	body, err := readBody(r)
	if err != nil {
		writeError(w, err)
		return
	}
	want := toScale(obj)
	if ri.Verb == "update" {
		want = &autoscalingv1.Scale{}
		if err := decodeInto(body, want, "Scale"); err != nil {
			writeError(w, err)
			return
		}
	} else {
		pt, err := patchType(r)
		if err != nil {
			writeError(w, err)
			return
		}
		scaleRes := &Resource{Group: "autoscaling", Version: "v1", Kind: "Scale", New: func() kruntime.Object { return &autoscalingv1.Scale{} }}
		patched, _, err := applyPatch(scaleRes, want, pt, body, "Ignore")
		if err != nil {
			writeError(w, err)
			return
		}
		want = patched.(*autoscalingv1.Scale)
	}
	if want.Spec.Replicas < 0 {
		writeError(w, apierrors.NewInvalid(schemaGK("autoscaling", "Scale"), ri.Name, field.ErrorList{field.Invalid(field.NewPath("spec", "replicas"), want.Spec.Replicas, "must be greater than or equal to 0")}))
		return
	}
	out, err := s.update(ctx, res, ri.Namespace, ri.Name, "", want.ResourceVersion, isDryRun(r), func(old kruntime.Object) (kruntime.Object, error) {
		spec, _, _ := replicasOf(old)
		n := want.Spec.Replicas
		*spec = &n
		return old, nil
	})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, toScale(out))
}
