package apiserver

import (
	"fmt"
	"github.com/minidev/mini/cluster/podstatus"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validation"
	kruntime "k8s.io/apimachinery/pkg/runtime"
)

// semantics attaches the per-kind hooks to a resource of DefaultResources.
func semantics(r *Resource) {
	defer attachHooks(r)
	switch r.GVK().GroupKind().String() {
	case "Namespace":
		r.Subresources = []string{"status", "finalize"}
		r.NameRule = validation.NameIsDNSLabel
		r.Fields = func(o kruntime.Object) map[string]string {
			return map[string]string{"status.phase": string(o.(*corev1.Namespace).Status.Phase)}
		}
		r.Default = func(o kruntime.Object) {
			ns := o.(*corev1.Namespace)
			if ns.Status.Phase == "" {
				ns.Status.Phase = corev1.NamespaceActive
			}
			if !hasString(ns.Spec.Finalizers, corev1.FinalizerKubernetes) && ns.DeletionTimestamp == nil && ns.Status.Phase == corev1.NamespaceActive {
				ns.Spec.Finalizers = append(ns.Spec.Finalizers, corev1.FinalizerKubernetes)
			}
			if ns.Labels == nil {
				ns.Labels = map[string]string{}
			}
			ns.Labels[corev1.LabelMetadataName] = ns.Name
		}
		r.Table = &TableSpec{
			Columns: []Column{{Name: "Status", Type: "string"}, {Name: "Age", Type: "string"}},
			Cells: func(o kruntime.Object, now time.Time) []any {
				ns := o.(*corev1.Namespace)
				return []any{string(ns.Status.Phase), age(ns.CreationTimestamp, now)}
			},
		}
	case "Node":
		r.Subresources = []string{"status", "proxy"}
		r.Fields = func(o kruntime.Object) map[string]string {
			return map[string]string{"spec.unschedulable": fmt.Sprint(o.(*corev1.Node).Spec.Unschedulable)}
		}
		r.Table = nodeTable
	case "Pod":
		r.Subresources = []string{"status", "binding", "eviction", "log", "exec", "attach", "portforward"}
		r.Categories = []string{"all"}
		r.Fields = podFields
		r.Table = podTable
	case "Service":
		r.Subresources = []string{"status", "proxy"}
		r.NameRule = validation.NameIsDNS1035Label
		r.Categories = []string{"all"}
	case "PersistentVolumeClaim", "PersistentVolume":
		r.Subresources = []string{"status"}
	case "Secret":
		r.Fields = func(o kruntime.Object) map[string]string {
			return map[string]string{"type": string(o.(*corev1.Secret).Type)}
		}
	case "Event":
		r.Fields = eventFields
	case "Deployment.apps", "ReplicaSet.apps", "StatefulSet.apps":
		r.Subresources = []string{"status", "scale"}
		r.Categories = []string{"all"}
	case "DaemonSet.apps", "Job.batch", "CronJob.batch":
		r.Subresources = []string{"status"}
		r.Categories = []string{"all"}
	}
}

func hasString[T ~string](list []T, s T) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func podFields(o kruntime.Object) map[string]string {
	p := o.(*corev1.Pod)
	return map[string]string{
		"spec.nodeName":            p.Spec.NodeName,
		"spec.restartPolicy":       string(p.Spec.RestartPolicy),
		"spec.schedulerName":       p.Spec.SchedulerName,
		"spec.serviceAccountName":  p.Spec.ServiceAccountName,
		"spec.hostNetwork":         fmt.Sprint(p.Spec.HostNetwork),
		"status.phase":             string(p.Status.Phase),
		"status.podIP":             p.Status.PodIP,
		"status.nominatedNodeName": p.Status.NominatedNodeName,
	}
}

func eventFields(o kruntime.Object) map[string]string {
	e := o.(*corev1.Event)
	return map[string]string{
		"involvedObject.kind":            e.InvolvedObject.Kind,
		"involvedObject.namespace":       e.InvolvedObject.Namespace,
		"involvedObject.name":            e.InvolvedObject.Name,
		"involvedObject.uid":             string(e.InvolvedObject.UID),
		"involvedObject.apiVersion":      e.InvolvedObject.APIVersion,
		"involvedObject.resourceVersion": e.InvolvedObject.ResourceVersion,
		"involvedObject.fieldPath":       e.InvolvedObject.FieldPath,
		"reason":                         e.Reason,
		"reportingComponent":             e.ReportingController,
		"source":                         e.Source.Component,
		"type":                           e.Type,
	}
}

var nodeTable = &TableSpec{
	Columns: []Column{
		{Name: "Status", Type: "string"}, {Name: "Roles", Type: "string"}, {Name: "Age", Type: "string"}, {Name: "Version", Type: "string"},
		{Name: "Internal-IP", Type: "string", Priority: 1}, {Name: "External-IP", Type: "string", Priority: 1},
		{Name: "OS-Image", Type: "string", Priority: 1}, {Name: "Kernel-Version", Type: "string", Priority: 1},
		{Name: "Container-Runtime", Type: "string", Priority: 1},
	},
	Cells: func(o kruntime.Object, now time.Time) []any {
		n := o.(*corev1.Node)
		status := "Unknown"
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady {
				status = map[corev1.ConditionStatus]string{corev1.ConditionTrue: "Ready", corev1.ConditionFalse: "NotReady"}[c.Status]
				if status == "" {
					status = "NotReady"
				}
			}
		}
		if n.Spec.Unschedulable {
			status += ",SchedulingDisabled"
		}
		var roles []string
		for k := range n.Labels {
			if role, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok && role != "" {
				roles = append(roles, role)
			}
		}
		rolesCell := "<none>"
		if len(roles) > 0 {
			rolesCell = strings.Join(roles, ",")
		}
		internal, external := "<none>", "<none>"
		for _, a := range n.Status.Addresses {
			switch a.Type {
			case corev1.NodeInternalIP:
				internal = a.Address
			case corev1.NodeExternalIP:
				external = a.Address
			}
		}
		ni := n.Status.NodeInfo
		return []any{status, rolesCell, age(n.CreationTimestamp, now), ni.KubeletVersion, internal, external, ni.OSImage, ni.KernelVersion, ni.ContainerRuntimeVersion}
	},
}

var podTable = &TableSpec{
	Columns: []Column{
		{Name: "Ready", Type: "string", Description: "The aggregate readiness state of this pod for accepting traffic."},
		{Name: "Status", Type: "string", Description: "The aggregate status of the containers in this pod."},
		{Name: "Restarts", Type: "string", Description: "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."},
		{Name: "Age", Type: "string"},
		{Name: "IP", Type: "string", Priority: 1}, {Name: "Node", Type: "string", Priority: 1},
		{Name: "Nominated Node", Type: "string", Priority: 1}, {Name: "Readiness Gates", Type: "string", Priority: 1},
	},
	Cells: func(o kruntime.Object, now time.Time) []any {
		p := o.(*corev1.Pod)
		ready, restarts, reason, lastRestart := podstatus.Summarize(p)
		restartCell := fmt.Sprint(restarts)
		if restarts > 0 && !lastRestart.IsZero() {
			restartCell = fmt.Sprintf("%d (%s ago)", restarts, age(lastRestart, now))
		}
		ip := p.Status.PodIP
		if len(p.Status.PodIPs) > 0 {
			ip = p.Status.PodIPs[0].IP
		}
		ip, node, nominated, gates := orNone(ip), orNone(p.Spec.NodeName), orNone(p.Status.NominatedNodeName), "<none>"
		if len(p.Spec.ReadinessGates) > 0 {
			gates = fmt.Sprintf("%d/%d", readyGates(p), len(p.Spec.ReadinessGates))
		}
		return []any{fmt.Sprintf("%d/%d", ready, len(p.Spec.Containers)), reason, restartCell, age(p.CreationTimestamp, now), ip, node, nominated, gates}
	},
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

func readyGates(p *corev1.Pod) int {
	n := 0
	for _, g := range p.Spec.ReadinessGates {
		for _, c := range p.Status.Conditions {
			if c.Type == g.ConditionType && c.Status == corev1.ConditionTrue {
				n++
			}
		}
	}
	return n
}
