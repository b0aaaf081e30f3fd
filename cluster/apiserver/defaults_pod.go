package apiserver

import (
	corev1 "k8s.io/api/core/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

// Priority values of the two built-in PriorityClasses.
const (
	systemClusterCritical = 2000000000
	systemNodeCritical    = systemClusterCritical + 1000
)

// notReadyTolerationSeconds is how long a pod stays on a node that is
// NotReady or unreachable (kube-apiserver --default-*-toleration-seconds).
const notReadyTolerationSeconds = 300

// defaultPod is SetDefaults_Pod plus the pod spec defaults, then what
// Kubernetes' admission plugins ServiceAccount, Priority and
// DefaultTolerationSeconds add, and the status the pod registry gives a
// new pod (phase Pending, its QoS class).
func defaultPod(p *corev1.Pod) { defaultPodTolerating(p, notReadyTolerationSeconds) }

// setDefaultTolerationSeconds makes reg's pods default to seconds (when
// positive) for the not-ready and unreachable taints.
func setDefaultTolerationSeconds(reg *Registry, seconds int64) {
	if seconds <= 0 || seconds == notReadyTolerationSeconds {
		return
	}
	if r, ok := reg.Lookup("", "v1", "pods"); ok {
		r.Default = func(o kruntime.Object) { defaultPodTolerating(o.(*corev1.Pod), seconds) }
	}
}

// defaultPodTolerating is defaultPod with the not-ready and unreachable
// tolerationSeconds given (Config.DefaultTolerationSeconds).
func defaultPodTolerating(p *corev1.Pod, tolerationSeconds int64) {
	defaultPodSpec(&p.Spec)
	for _, list := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for i := range list {
			requestsFromLimits(&list[i].Resources)
			if p.Spec.HostNetwork {
				for j := range list[i].Ports {
					if list[i].Ports[j].HostPort == 0 {
						list[i].Ports[j].HostPort = list[i].Ports[j].ContainerPort
					}
				}
			}
		}
	}
	if p.Spec.EnableServiceLinks == nil {
		p.Spec.EnableServiceLinks = ptr.To(corev1.DefaultEnableServiceLinks)
	}

	// The deprecated serviceAccount field mirrors serviceAccountName.
	if p.Spec.ServiceAccountName == "" {
		p.Spec.ServiceAccountName = p.Spec.DeprecatedServiceAccount
	}
	if p.Spec.ServiceAccountName == "" {
		p.Spec.ServiceAccountName = "default"
	}
	p.Spec.DeprecatedServiceAccount = p.Spec.ServiceAccountName

	defaultPriority(&p.Spec)
	defaultTolerations(&p.Spec, tolerationSeconds)

	if p.Status.Phase == "" {
		p.Status.Phase = corev1.PodPending
	}
	if p.Status.QOSClass == "" {
		p.Status.QOSClass = podQOS(&p.Spec)
	}
}

// requestsFromLimits sets each missing request to its limit.
func requestsFromLimits(r *corev1.ResourceRequirements) {
	if r.Limits == nil {
		return
	}
	if r.Requests == nil {
		r.Requests = corev1.ResourceList{}
	}
	for name, limit := range r.Limits {
		if _, ok := r.Requests[name]; !ok {
			r.Requests[name] = limit.DeepCopy()
		}
	}
}

// defaultPriority is the Priority admission plugin without PriorityClass
// objects: no class means priority 0; the two system classes have their
// fixed values. Other classes are left for the scheduler to resolve.
func defaultPriority(spec *corev1.PodSpec) {
	if spec.Priority != nil {
		return
	}
	switch spec.PriorityClassName {
	case "":
		spec.Priority = ptr.To[int32](0)
	case "system-cluster-critical":
		spec.Priority = ptr.To[int32](systemClusterCritical)
	case "system-node-critical":
		spec.Priority = ptr.To[int32](systemNodeCritical)
	default:
		return
	}
	if spec.PreemptionPolicy == nil {
		spec.PreemptionPolicy = ptr.To(corev1.PreemptLowerPriority)
	}
}

// defaultTolerations is the DefaultTolerationSeconds admission plugin: a
// pod that does not tolerate the not-ready or unreachable NoExecute taints
// tolerates them for seconds (300 unless the cluster says otherwise).
func defaultTolerations(spec *corev1.PodSpec, seconds int64) {
	tolerates := func(key string) bool {
		for _, t := range spec.Tolerations {
			if (t.Key == key || t.Key == "") && (t.Effect == corev1.TaintEffectNoExecute || t.Effect == "") {
				return true
			}
		}
		return false
	}
	for _, key := range []string{corev1.TaintNodeNotReady, corev1.TaintNodeUnreachable} {
		if !tolerates(key) {
			spec.Tolerations = append(spec.Tolerations, corev1.Toleration{
				Key: key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute,
				TolerationSeconds: ptr.To(seconds),
			})
		}
	}
}

// podQOS is Kubernetes' ComputePodQOS: BestEffort without cpu or memory
// requests and limits, Guaranteed when every container (or the pod-level
// resources) limits both and requests equal limits, else Burstable.
func podQOS(spec *corev1.PodSpec) corev1.PodQOSClass {
	requests, limits := corev1.ResourceList{}, corev1.ResourceList{}
	guaranteed := true
	add := func(sum, list corev1.ResourceList) (cpuAndMemory bool) {
		found := 0
		for name, q := range list {
			if (name != corev1.ResourceCPU && name != corev1.ResourceMemory) || q.Sign() <= 0 {
				continue
			}
			found++
			total := q.DeepCopy()
			if prev, ok := sum[name]; ok {
				total.Add(prev)
			}
			sum[name] = total
		}
		return found == 2
	}
	if r := spec.Resources; r != nil && len(r.Requests)+len(r.Limits) > 0 {
		add(requests, r.Requests)
		guaranteed = add(limits, r.Limits)
	} else {
		for _, list := range [][]corev1.Container{spec.Containers, spec.InitContainers} {
			for _, c := range list {
				add(requests, c.Resources.Requests)
				if !add(limits, c.Resources.Limits) {
					guaranteed = false
				}
			}
		}
	}
	if len(requests) == 0 && len(limits) == 0 {
		return corev1.PodQOSBestEffort
	}
	if guaranteed {
		for name, req := range requests {
			if lim, ok := limits[name]; !ok || lim.Cmp(req) != 0 {
				guaranteed = false
				break
			}
		}
	}
	if guaranteed && len(requests) == len(limits) {
		return corev1.PodQOSGuaranteed
	}
	return corev1.PodQOSBurstable
}
