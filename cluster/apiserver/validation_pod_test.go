package apiserver

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// testPod is a valid pod; change modifies a copy.
func testPod(change func(p *corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27",
				Ports:        []corev1.ContainerPort{{Name: "http", ContainerPort: 80}},
				VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}}},
			Volumes: []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
		},
	}
	if change != nil {
		change(p)
	}
	return p
}

func TestValidatePod(t *testing.T) {
	t.Parallel()
	runValidationCases(t, "Pod", []validationCase{
		{name: "valid", obj: testPod(nil)},
		{name: "no containers", obj: testPod(func(p *corev1.Pod) { p.Spec.Containers = nil }),
			want: []string{"Required value spec.containers"}},
		{name: "container name not a DNS label", obj: testPod(func(p *corev1.Pod) { p.Spec.Containers[0].Name = "App_1" }),
			want: []string{"Invalid value spec.containers[0].name"}},
		{name: "container name missing", obj: testPod(func(p *corev1.Pod) { p.Spec.Containers[0].Name = "" }),
			want: []string{"Required value spec.containers[0].name"}},
		{name: "duplicate container names", obj: testPod(func(p *corev1.Pod) {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "app", Image: "busybox"})
		}), want: []string{"Duplicate value spec.containers[1].name"}},
		{name: "init container named like a container", obj: testPod(func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "app", Image: "busybox"}}
		}), want: []string{"Duplicate value spec.initContainers[0].name"}},
		{name: "image required", obj: testPod(func(p *corev1.Pod) { p.Spec.Containers[0].Image = "" }),
			want: []string{"Required value spec.containers[0].image"}},
		{name: "image with spaces", obj: testPod(func(p *corev1.Pod) { p.Spec.Containers[0].Image = "nginx " }),
			want: []string{"Invalid value spec.containers[0].image"}},
		{name: "port out of range", obj: testPod(func(p *corev1.Pod) { p.Spec.Containers[0].Ports[0].ContainerPort = 70000 }),
			want: []string{"Invalid value spec.containers[0].ports[0].containerPort"}},
		{name: "port missing", obj: testPod(func(p *corev1.Pod) { p.Spec.Containers[0].Ports[0].ContainerPort = 0 }),
			want: []string{"Required value spec.containers[0].ports[0].containerPort"}},
		{name: "port name not IANA_SVC_NAME", obj: testPod(func(p *corev1.Pod) { p.Spec.Containers[0].Ports[0].Name = "http_1" }),
			want: []string{"Invalid value spec.containers[0].ports[0].name"}},
		{name: "duplicate port names", obj: testPod(func(p *corev1.Pod) {
			p.Spec.Containers[0].Ports = append(p.Spec.Containers[0].Ports, corev1.ContainerPort{Name: "http", ContainerPort: 81})
		}), want: []string{"Duplicate value spec.containers[0].ports[1].name"}},
		{name: "unknown protocol", obj: testPod(func(p *corev1.Pod) { p.Spec.Containers[0].Ports[0].Protocol = "ICMP" }),
			want: []string{"Unsupported value spec.containers[0].ports[0].protocol"}},
		{name: "restart policy", obj: testPod(func(p *corev1.Pod) { p.Spec.RestartPolicy = "Sometimes" }),
			want: []string{"Unsupported value spec.restartPolicy"}},
		{name: "duplicate volume names", obj: testPod(func(p *corev1.Pod) {
			p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
		}), want: []string{"Duplicate value spec.volumes[1].name"}},
		{name: "volume name not a DNS label", obj: testPod(func(p *corev1.Pod) {
			p.Spec.Volumes[0].Name = "Data"
			p.Spec.Containers[0].VolumeMounts[0].Name = "Data"
		}), want: []string{"Invalid value spec.volumes[0].name", "Not found spec.containers[0].volumeMounts[0].name"}},
		{name: "two volume sources", obj: testPod(func(p *corev1.Pod) {
			p.Spec.Volumes[0].HostPath = &corev1.HostPathVolumeSource{Path: "/tmp"}
		}), want: []string{"Forbidden spec.volumes[0].hostPath", "Not found spec.containers[0].volumeMounts[0].name"}},
		{name: "configMap volume needs a name", obj: testPod(func(p *corev1.Pod) {
			p.Spec.Volumes[0].VolumeSource = corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{}}
		}), want: []string{"Required value spec.volumes[0].configMap.name", "Not found spec.containers[0].volumeMounts[0].name"}},
		{name: "mount of an unknown volume", obj: testPod(func(p *corev1.Pod) { p.Spec.Containers[0].VolumeMounts[0].Name = "cache" }),
			want: []string{"Not found spec.containers[0].volumeMounts[0].name"}},
		{name: "requests above limits", obj: testPod(func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources = corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")},
			}
		}), want: []string{"Invalid value spec.containers[0].resources.requests"}},
		{name: "probe on an init container", obj: testPod(func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "busybox",
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}}}}
		}), want: []string{"Forbidden spec.initContainers[0].readinessProbe"}},
		{name: "sidecar may have probes", obj: testPod(func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "proxy", Image: "envoy", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways),
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}}}}
		})},
		{name: "liveness probe success threshold", obj: testPod(func(p *corev1.Pod) {
			p.Spec.Containers[0].LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(80)}}, SuccessThreshold: 2}
		}), want: []string{"Invalid value spec.containers[0].livenessProbe.successThreshold"}},
		{name: "toleration seconds need NoExecute", obj: testPod(func(p *corev1.Pod) {
			p.Spec.Tolerations = []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule, TolerationSeconds: ptr.To[int64](5)}}
		}), want: []string{"Invalid value spec.tolerations[0].effect"}},
	})
}

func TestValidatePodUpdate(t *testing.T) {
	t.Parallel()
	bound := testPod(func(p *corev1.Pod) { p.Spec.NodeName = "node-1" })
	runValidationCases(t, "Pod", []validationCase{
		{name: "image change", old: testPod(nil), obj: testPod(func(p *corev1.Pod) { p.Spec.Containers[0].Image = "nginx:1.28" })},
		{name: "status only", old: testPod(nil), obj: testPod(func(p *corev1.Pod) { p.Status.Phase = corev1.PodRunning })},
		{name: "activeDeadlineSeconds set", old: testPod(nil), obj: testPod(func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](60) })},
		{name: "activeDeadlineSeconds raised", old: testPod(func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](60) }),
			obj:  testPod(func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](120) }),
			want: []string{"Invalid value spec.activeDeadlineSeconds"}},
		{name: "toleration added", old: testPod(nil), obj: testPod(func(p *corev1.Pod) {
			p.Spec.Tolerations = []corev1.Toleration{{Key: "gpu", Operator: corev1.TolerationOpExists}}
		})},
		{name: "toleration removed", old: testPod(func(p *corev1.Pod) {
			p.Spec.Tolerations = []corev1.Toleration{{Key: "gpu", Operator: corev1.TolerationOpExists}}
		}), obj: testPod(nil), want: []string{"Forbidden spec.tolerations"}},
		{name: "grace period from negative to 1", old: testPod(func(p *corev1.Pod) { p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](-1) }),
			obj: testPod(func(p *corev1.Pod) { p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](1) })},
		{name: "grace period changed", old: testPod(nil), obj: testPod(func(p *corev1.Pod) { p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](5) }),
			want: []string{"Forbidden spec"}},
		{name: "binding an unbound pod", old: testPod(nil), obj: bound},
		{name: "moving a bound pod", old: bound, obj: testPod(func(p *corev1.Pod) { p.Spec.NodeName = "node-2" }),
			want: []string{"Forbidden spec"}},
		{name: "env changed", old: testPod(nil), obj: testPod(func(p *corev1.Pod) { p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "A", Value: "1"}} }),
			want: []string{"Forbidden spec"}},
		{name: "container added", old: testPod(nil), obj: testPod(func(p *corev1.Pod) {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "side", Image: "busybox"})
		}), want: []string{"Forbidden spec.containers"}},
	})
}

// TestValidatePodUpdateMessage: users read Kubernetes' own words.
func TestValidatePodUpdateMessage(t *testing.T) {
	t.Parallel()
	old, pod := testPod(nil), testPod(func(p *corev1.Pod) { p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "A", Value: "1"}} })
	defaultPod(old)
	defaultPod(pod)
	detail := errorDetail(validatePodHook(pod, old), "spec")
	want := "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n"
	if !strings.HasPrefix(detail, want) || !strings.Contains(detail, `"value": "1"`) {
		t.Errorf("detail:\n%s", detail)
	}
	for _, tc := range []struct {
		pod  *corev1.Pod
		want string
	}{{testPod(func(p *corev1.Pod) {
		p.Spec.Containers[0].Resources = corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")},
			Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")},
		}
	}), `spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1`},
		{testPod(func(p *corev1.Pod) { p.Spec.Containers = nil }), "spec.containers: Required value"},
		{testPod(func(p *corev1.Pod) { p.Spec.RestartPolicy = "Sometimes" }),
			`spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"`},
	} {
		defaultPod(tc.pod)
		if got := validatePodHook(tc.pod, nil).ToAggregate().Error(); got != tc.want {
			t.Errorf("error:\n got  %s\n want %s", got, tc.want)
		}
	}
}
