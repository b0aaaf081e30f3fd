package data

import (
	"fmt"
	"github.com/minidev/mini/cluster/podstatus"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Convert turns an API object into the value the dashboard shows. It
// returns nil for objects it does not know.
func Convert(obj any) Object {
	switch o := obj.(type) {
	case *corev1.Pod:
		return FromPod(o)
	case *corev1.Node:
		return FromNode(o)
	case *appsv1.Deployment:
		return FromDeployment(o)
	case *appsv1.StatefulSet:
		return FromStatefulSet(o)
	case *appsv1.DaemonSet:
		return FromDaemonSet(o)
	case *batchv1.Job:
		return FromJob(o)
	case *corev1.Service:
		return FromService(o)
	case *discoveryv1.EndpointSlice:
		return FromEndpointSlice(o)
	case *corev1.Event:
		return FromEvent(o)
	}
	return nil
}

// FromPod converts a pod.
func FromPod(p *corev1.Pod) Pod {
	ready, restarts, status, _ := podstatus.Summarize(p)
	out := Pod{
		Namespace: p.Namespace, Name: p.Name,
		Ready: ready, Total: len(p.Spec.Containers), Status: status, Phase: string(p.Status.Phase),
		Restarts: restarts, Node: p.Spec.NodeName, IP: p.Status.PodIP, Created: p.CreationTimestamp.Time,
	}
	if ref := metav1.GetControllerOf(p); ref != nil {
		out.Owner = Owner{Kind: ref.Kind, Name: ref.Name}
	}
	for _, c := range p.Spec.Containers {
		out.ReqCPU += c.Resources.Requests.Cpu().MilliValue()
		out.ReqMem += c.Resources.Requests.Memory().Value()
	}
	for _, c := range p.Status.Conditions {
		out.Conditions = append(out.Conditions, Condition{Type: string(c.Type), Status: string(c.Status), Reason: c.Reason, Message: c.Message, Changed: c.LastTransitionTime.Time})
	}
	statuses := map[string]corev1.ContainerStatus{}
	for _, s := range p.Status.InitContainerStatuses {
		statuses["init/"+s.Name] = s
	}
	for _, s := range p.Status.ContainerStatuses {
		statuses[s.Name] = s
	}
	add := func(c corev1.Container, init bool) {
		k := c.Name
		if init {
			k = "init/" + c.Name
		}
		cs := Container{Name: c.Name, Init: init, Image: c.Image, State: "Waiting", Reason: "not started"}
		if s, ok := statuses[k]; ok {
			cs.Ready, cs.Restarts = s.Ready, int(s.RestartCount)
			switch {
			case s.State.Running != nil:
				cs.State, cs.Reason, cs.Since = "Running", "", s.State.Running.StartedAt.Time
			case s.State.Terminated != nil:
				t := s.State.Terminated
				cs.State, cs.Reason, cs.Message, cs.Since = "Terminated", t.Reason, t.Message, t.FinishedAt.Time
				if cs.Reason == "" {
					cs.Reason = fmt.Sprintf("ExitCode:%d", t.ExitCode)
				}
			case s.State.Waiting != nil:
				cs.Reason, cs.Message = s.State.Waiting.Reason, s.State.Waiting.Message
			}
		}
		out.Containers = append(out.Containers, cs)
	}
	for _, c := range p.Spec.InitContainers {
		add(c, true)
	}
	for _, c := range p.Spec.Containers {
		add(c, false)
	}
	return out
}

// FromNode converts a node.
func FromNode(n *corev1.Node) Node {
	out := Node{
		Name: n.Name, Ready: "Unknown", Real: n.Labels["mini.dev/node"] == "real",
		AllocCPU: n.Status.Allocatable.Cpu().MilliValue(), AllocMem: n.Status.Allocatable.Memory().Value(),
		Created: n.CreationTimestamp.Time, Unschedulable: n.Spec.Unschedulable, Version: n.Status.NodeInfo.KubeletVersion,
	}
	var roles []string
	for l := range n.Labels {
		if r, ok := strings.CutPrefix(l, "node-role.kubernetes.io/"); ok && r != "" {
			roles = append(roles, r)
		}
	}
	sort.Strings(roles)
	out.Roles = strings.Join(roles, ",")
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			out.Ready = string(c.Status)
		}
		out.Conditions = append(out.Conditions, Condition{Type: string(c.Type), Status: string(c.Status), Reason: c.Reason, Message: c.Message, Changed: c.LastTransitionTime.Time})
	}
	var addrs []string
	for _, a := range n.Status.Addresses {
		addrs = append(addrs, a.Address)
	}
	out.Addresses = strings.Join(addrs, ",")
	return out
}

func conds[T any](in []T, f func(T) Condition) []Condition {
	out := make([]Condition, 0, len(in))
	for _, c := range in {
		out = append(out, f(c))
	}
	return out
}

// message picks the condition message that says what the controller is
// doing now: a false condition first, then Progressing, then any.
func message(cs []Condition, prefer ...string) string {
	for _, c := range cs {
		if c.Status == "False" && c.Message != "" {
			return c.Message
		}
	}
	for _, p := range prefer {
		for _, c := range cs {
			if c.Type == p && c.Message != "" {
				return c.Message
			}
		}
	}
	for _, c := range cs {
		if c.Message != "" {
			return c.Message
		}
	}
	return ""
}

func selector(s *metav1.LabelSelector) map[string]string {
	if s == nil {
		return nil
	}
	return s.MatchLabels
}

// FromDeployment converts a deployment.
func FromDeployment(d *appsv1.Deployment) Workload {
	w := Workload{
		Kind: "Deployment", Namespace: d.Namespace, Name: d.Name, Desired: 1,
		Updated: int(d.Status.UpdatedReplicas), Ready: int(d.Status.ReadyReplicas), Available: int(d.Status.AvailableReplicas),
		Generation: d.Generation, Observed: d.Status.ObservedGeneration, Created: d.CreationTimestamp.Time,
		Selector: selector(d.Spec.Selector), Scalable: true,
	}
	if d.Spec.Replicas != nil {
		w.Desired = int(*d.Spec.Replicas)
	}
	w.Conditions = conds(d.Status.Conditions, func(c appsv1.DeploymentCondition) Condition {
		return Condition{Type: string(c.Type), Status: string(c.Status), Reason: c.Reason, Message: c.Message, Changed: c.LastTransitionTime.Time}
	})
	w.Message = message(w.Conditions, "Progressing")
	return w
}

// FromStatefulSet converts a statefulset.
func FromStatefulSet(s *appsv1.StatefulSet) Workload {
	w := Workload{
		Kind: "StatefulSet", Namespace: s.Namespace, Name: s.Name, Desired: 1,
		Updated: int(s.Status.UpdatedReplicas), Ready: int(s.Status.ReadyReplicas), Available: int(s.Status.AvailableReplicas),
		Generation: s.Generation, Observed: s.Status.ObservedGeneration, Created: s.CreationTimestamp.Time,
		Selector: selector(s.Spec.Selector), Scalable: true,
	}
	if s.Spec.Replicas != nil {
		w.Desired = int(*s.Spec.Replicas)
	}
	w.Conditions = conds(s.Status.Conditions, func(c appsv1.StatefulSetCondition) Condition {
		return Condition{Type: string(c.Type), Status: string(c.Status), Reason: c.Reason, Message: c.Message, Changed: c.LastTransitionTime.Time}
	})
	w.Message = message(w.Conditions)
	return w
}

// FromDaemonSet converts a daemonset.
func FromDaemonSet(d *appsv1.DaemonSet) Workload {
	w := Workload{
		Kind: "DaemonSet", Namespace: d.Namespace, Name: d.Name,
		Desired: int(d.Status.DesiredNumberScheduled), Updated: int(d.Status.UpdatedNumberScheduled),
		Ready: int(d.Status.NumberReady), Available: int(d.Status.NumberAvailable),
		Generation: d.Generation, Observed: d.Status.ObservedGeneration, Created: d.CreationTimestamp.Time,
		Selector: selector(d.Spec.Selector),
	}
	w.Conditions = conds(d.Status.Conditions, func(c appsv1.DaemonSetCondition) Condition {
		return Condition{Type: string(c.Type), Status: string(c.Status), Reason: c.Reason, Message: c.Message, Changed: c.LastTransitionTime.Time}
	})
	w.Message = message(w.Conditions)
	return w
}

// FromJob converts a job: desired is completions, ready the pods ready now,
// updated the pods active, available the pods succeeded.
func FromJob(j *batchv1.Job) Workload {
	w := Workload{
		Kind: "Job", Namespace: j.Namespace, Name: j.Name, Desired: 1,
		Updated: int(j.Status.Active), Available: int(j.Status.Succeeded),
		Generation: j.Generation, Observed: j.Generation, Created: j.CreationTimestamp.Time,
		Selector: selector(j.Spec.Selector),
	}
	if j.Status.Ready != nil {
		w.Ready = int(*j.Status.Ready)
	}
	if j.Spec.Completions != nil {
		w.Desired = int(*j.Spec.Completions)
	}
	w.Conditions = conds(j.Status.Conditions, func(c batchv1.JobCondition) Condition {
		return Condition{Type: string(c.Type), Status: string(c.Status), Reason: c.Reason, Message: c.Message, Changed: c.LastTransitionTime.Time}
	})
	for _, c := range w.Conditions {
		if c.Status == "True" && (c.Type == "Complete" || c.Type == "SuccessCriteriaMet") {
			w.Complete = true
		}
		if c.Status == "True" && (c.Type == "Failed" || c.Type == "FailureTarget") {
			w.Failed = true
		}
	}
	w.Message = message(w.Conditions)
	return w
}

// FromService converts a service.
func FromService(s *corev1.Service) Service {
	out := Service{
		Namespace: s.Namespace, Name: s.Name, Type: string(s.Spec.Type), ClusterIP: s.Spec.ClusterIP,
		Created: s.CreationTimestamp.Time, Selector: s.Spec.Selector,
	}
	ports := make([]string, 0, len(s.Spec.Ports))
	for _, p := range s.Spec.Ports {
		port := fmt.Sprintf("%d", p.Port)
		if p.NodePort != 0 {
			port += fmt.Sprintf(":%d", p.NodePort)
		}
		ports = append(ports, port+"/"+string(p.Protocol))
	}
	out.Ports = strings.Join(ports, ",")
	if out.Ports == "" {
		out.Ports = "<none>"
	}
	return out
}

// FromEndpointSlice counts a slice's endpoints for its service.
func FromEndpointSlice(e *discoveryv1.EndpointSlice) Endpoints {
	out := Endpoints{Namespace: e.Namespace, Slice: e.Name, Service: e.Labels[discoveryv1.LabelServiceName], Total: len(e.Endpoints)}
	for _, ep := range e.Endpoints {
		if ep.Conditions.Ready == nil || *ep.Conditions.Ready {
			out.Ready++
		}
	}
	return out
}

// FromEvent converts an event.
func FromEvent(e *corev1.Event) Event {
	last := e.LastTimestamp.Time
	if last.IsZero() {
		last = e.EventTime.Time
	}
	if last.IsZero() {
		last = e.CreationTimestamp.Time
	}
	count := int(e.Count)
	if e.Series != nil {
		count = int(e.Series.Count)
	}
	if count == 0 {
		count = 1
	}
	return Event{
		Namespace: e.Namespace, Name: e.Name, Type: e.Type, Reason: e.Reason,
		Object:     strings.ToLower(e.InvolvedObject.Kind) + "/" + e.InvolvedObject.Name,
		ObjectKind: e.InvolvedObject.Kind, ObjectName: e.InvolvedObject.Name,
		Message: strings.TrimSpace(e.Message), Count: count, Last: last,
	}
}
