package apiserver

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	storagev1 "k8s.io/api/storage/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/diff"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// defaultResource runs the Default hook DefaultResources attaches for obj's kind.
func defaultResource(t *testing.T, kind string, obj kruntime.Object) {
	t.Helper()
	h, ok := kindHooks[kind]
	if !ok || h.Default == nil {
		t.Fatalf("no Default hook for %s", kind)
	}
	h.Default(obj)
}

func TestDefaultsPod(t *testing.T) {
	t.Parallel()
	defaultedContainer := func(name, image string, policy corev1.PullPolicy) corev1.Container {
		return corev1.Container{Name: name, Image: image, ImagePullPolicy: policy,
			TerminationMessagePath: "/dev/termination-log", TerminationMessagePolicy: corev1.TerminationMessageReadFile}
	}
	defaultedSpec := func(containers ...corev1.Container) corev1.PodSpec {
		return corev1.PodSpec{
			Containers: containers, RestartPolicy: corev1.RestartPolicyAlways, DNSPolicy: corev1.DNSClusterFirst,
			TerminationGracePeriodSeconds: ptr.To[int64](30), SchedulerName: "default-scheduler",
			SecurityContext: &corev1.PodSecurityContext{}, EnableServiceLinks: ptr.To(true),
			ServiceAccountName: "default", DeprecatedServiceAccount: "default",
			Priority: ptr.To[int32](0), PreemptionPolicy: ptr.To(corev1.PreemptLowerPriority),
			Tolerations: []corev1.Toleration{
				{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)},
				{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)},
			},
		}
	}
	cpu := func(s string) corev1.ResourceList {
		return corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(s)}
	}
	cpuMem := func(c, m string) corev1.ResourceList {
		return corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(c), corev1.ResourceMemory: resource.MustParse(m)}
	}

	tests := []struct {
		name  string
		in    corev1.Pod
		check func(t *testing.T, p *corev1.Pod)
	}{{
		name: "minimal pod gets every default",
		in:   corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}},
		check: func(t *testing.T, p *corev1.Pod) {
			want := corev1.Pod{
				Spec:   defaultedSpec(defaultedContainer("c", "nginx", corev1.PullAlways)),
				Status: corev1.PodStatus{Phase: corev1.PodPending, QOSClass: corev1.PodQOSBestEffort},
			}
			if !apiequality.Semantic.DeepEqual(*p, want) {
				t.Errorf("defaulted pod differs:\n%s", diff.Diff(want, *p))
			}
		},
	}, {
		name: "pull policy follows the tag",
		in: corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "a", Image: "nginx:latest"}, {Name: "b", Image: "nginx:1.27"},
			{Name: "c", Image: "registry.k8s.io/pause@sha256:" + sha}, {Name: "d", Image: "localhost:5000/app"},
			{Name: "e", Image: "app:v1", ImagePullPolicy: corev1.PullNever},
		}}},
		check: func(t *testing.T, p *corev1.Pod) {
			want := []corev1.PullPolicy{corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullIfNotPresent, corev1.PullAlways, corev1.PullNever}
			for i, c := range p.Spec.Containers {
				if c.ImagePullPolicy != want[i] {
					t.Errorf("%s: imagePullPolicy %q, want %q", c.Image, c.ImagePullPolicy, want[i])
				}
			}
		},
	}, {
		name: "ports, probes, env and volumes",
		in: corev1.Pod{Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name: "c", Image: "app:1",
				Ports:          []corev1.ContainerPort{{ContainerPort: 80}},
				LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(80)}}},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(80)}}, PeriodSeconds: 5},
				Env:            []corev1.EnvVar{{Name: "NODE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}}},
			}},
			Volumes: []corev1.Volume{
				{Name: "cm", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "x"}}}},
				{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "x"}}},
				{Name: "e", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				{Name: "h", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/tmp"}}},
				{Name: "none"},
			},
		}},
		check: func(t *testing.T, p *corev1.Pod) {
			c := p.Spec.Containers[0]
			if c.Ports[0].Protocol != corev1.ProtocolTCP {
				t.Errorf("port protocol %q", c.Ports[0].Protocol)
			}
			wantLive := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(80), Path: "/", Scheme: corev1.URISchemeHTTP}},
				TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3}
			if !apiequality.Semantic.DeepEqual(c.LivenessProbe, wantLive) {
				t.Errorf("liveness probe:\n%s", diff.Diff(wantLive, c.LivenessProbe))
			}
			if c.ReadinessProbe.PeriodSeconds != 5 || c.ReadinessProbe.TimeoutSeconds != 1 {
				t.Errorf("readiness probe %+v", c.ReadinessProbe)
			}
			if c.Env[0].ValueFrom.FieldRef.APIVersion != "v1" {
				t.Errorf("fieldRef apiVersion %q", c.Env[0].ValueFrom.FieldRef.APIVersion)
			}
			v := p.Spec.Volumes
			if *v[0].ConfigMap.DefaultMode != 0644 || *v[1].Secret.DefaultMode != 0644 {
				t.Errorf("defaultMode %o %o", *v[0].ConfigMap.DefaultMode, *v[1].Secret.DefaultMode)
			}
			if !apiequality.Semantic.DeepEqual(v[2].EmptyDir, &corev1.EmptyDirVolumeSource{}) {
				t.Errorf("emptyDir %+v", v[2].EmptyDir)
			}
			if v[3].HostPath.Type == nil || *v[3].HostPath.Type != "" {
				t.Errorf("hostPath type %v", v[3].HostPath.Type)
			}
			if v[4].EmptyDir == nil {
				t.Errorf("a volume without source is not an emptyDir")
			}
		},
	}, {
		name: "requests default to limits; QoS Guaranteed",
		in: corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "a:1",
			Resources: corev1.ResourceRequirements{Limits: cpuMem("500m", "64Mi")}}}}},
		check: func(t *testing.T, p *corev1.Pod) {
			if r := p.Spec.Containers[0].Resources.Requests; !apiequality.Semantic.DeepEqual(r, cpuMem("500m", "64Mi")) {
				t.Errorf("requests %v", r)
			}
			if p.Status.QOSClass != corev1.PodQOSGuaranteed {
				t.Errorf("QoS %s", p.Status.QOSClass)
			}
		},
	}, {
		name: "QoS Burstable when requests are below limits",
		in: corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "a:1",
			Resources: corev1.ResourceRequirements{Requests: cpu("100m"), Limits: cpuMem("500m", "64Mi")}}}}},
		check: func(t *testing.T, p *corev1.Pod) {
			if p.Status.QOSClass != corev1.PodQOSBurstable {
				t.Errorf("QoS %s", p.Status.QOSClass)
			}
		},
	}, {
		name: "existing tolerations, service account, priority and status are kept",
		in: corev1.Pod{
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "a:1"}},
				DeprecatedServiceAccount: "builder", PriorityClassName: "system-node-critical",
				Tolerations: []corev1.Toleration{{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, QOSClass: corev1.PodQOSBurstable},
		},
		check: func(t *testing.T, p *corev1.Pod) {
			if p.Spec.ServiceAccountName != "builder" || p.Spec.DeprecatedServiceAccount != "builder" {
				t.Errorf("service account %q/%q", p.Spec.ServiceAccountName, p.Spec.DeprecatedServiceAccount)
			}
			if *p.Spec.Priority != 2000001000 {
				t.Errorf("priority %d", *p.Spec.Priority)
			}
			if len(p.Spec.Tolerations) != 2 || p.Spec.Tolerations[1].Key != corev1.TaintNodeUnreachable {
				t.Errorf("tolerations %+v", p.Spec.Tolerations)
			}
			if p.Status.Phase != corev1.PodRunning || p.Status.QOSClass != corev1.PodQOSBurstable {
				t.Errorf("status %+v", p.Status)
			}
		},
	}, {
		name: "a toleration of every taint covers both",
		in: corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "a:1"}},
			Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}}}},
		check: func(t *testing.T, p *corev1.Pod) {
			if len(p.Spec.Tolerations) != 1 {
				t.Errorf("tolerations %+v", p.Spec.Tolerations)
			}
		},
	}, {
		name: "host network ports",
		in: corev1.Pod{Spec: corev1.PodSpec{HostNetwork: true, Containers: []corev1.Container{{Name: "c", Image: "a:1",
			Ports: []corev1.ContainerPort{{ContainerPort: 8080}}}}}},
		check: func(t *testing.T, p *corev1.Pod) {
			if p.Spec.Containers[0].Ports[0].HostPort != 8080 {
				t.Errorf("hostPort %d", p.Spec.Containers[0].Ports[0].HostPort)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := tt.in.DeepCopy()
			defaultResource(t, "Pod", p)
			tt.check(t, p)
		})
	}
}

const sha = "b0f1e6f7c1c2a0d7f2d6a3b1c0e9a8f7e6d5c4b3a2918070605040302010f0e0"

func TestDefaultsWorkloads(t *testing.T) {
	t.Parallel()
	template := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx:1.27"}}},
	}
	defaultedTemplate := template.DeepCopy()
	defaultPodSpec(&defaultedTemplate.Spec)

	tests := []struct {
		name, kind string
		in, want   kruntime.Object
	}{{
		name: "deployment", kind: "Deployment.apps",
		in: &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Template: template}},
		want: &appsv1.Deployment{Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType, RollingUpdate: &appsv1.RollingUpdateDeployment{
				MaxUnavailable: ptr.To(intstr.FromString("25%")), MaxSurge: ptr.To(intstr.FromString("25%"))}},
			RevisionHistoryLimit: ptr.To[int32](10), ProgressDeadlineSeconds: ptr.To[int32](600), Template: *defaultedTemplate,
		}},
	}, {
		name: "recreate deployment gets no rolling update", kind: "Deployment.apps",
		in: &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](3), Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}, Template: template}},
		want: &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](3), Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
			RevisionHistoryLimit: ptr.To[int32](10), ProgressDeadlineSeconds: ptr.To[int32](600), Template: *defaultedTemplate}},
	}, {
		name: "replicaset", kind: "ReplicaSet.apps",
		in:   &appsv1.ReplicaSet{Spec: appsv1.ReplicaSetSpec{Template: template}},
		want: &appsv1.ReplicaSet{Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](1), Template: *defaultedTemplate}},
	}, {
		name: "statefulset", kind: "StatefulSet.apps",
		in: &appsv1.StatefulSet{Spec: appsv1.StatefulSetSpec{Template: template,
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "data"}}}}},
		want: &appsv1.StatefulSet{Spec: appsv1.StatefulSetSpec{
			Replicas: ptr.To[int32](1), PodManagementPolicy: appsv1.OrderedReadyPodManagement,
			UpdateStrategy: appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType,
				RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To[int32](0)}},
			RevisionHistoryLimit: ptr.To[int32](10),
			PersistentVolumeClaimRetentionPolicy: &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
				WhenDeleted: appsv1.RetainPersistentVolumeClaimRetentionPolicyType, WhenScaled: appsv1.RetainPersistentVolumeClaimRetentionPolicyType},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "data"},
				Spec:   corev1.PersistentVolumeClaimSpec{VolumeMode: ptr.To(corev1.PersistentVolumeFilesystem)},
				Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}}},
			Template: *defaultedTemplate,
		}},
	}, {
		name: "daemonset", kind: "DaemonSet.apps",
		in: &appsv1.DaemonSet{Spec: appsv1.DaemonSetSpec{Template: template}},
		want: &appsv1.DaemonSet{Spec: appsv1.DaemonSetSpec{
			UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType, RollingUpdate: &appsv1.RollingUpdateDaemonSet{
				MaxUnavailable: ptr.To(intstr.FromInt32(1)), MaxSurge: ptr.To(intstr.FromInt32(0))}},
			RevisionHistoryLimit: ptr.To[int32](10), Template: *defaultedTemplate,
		}},
	}, {
		name: "job generates its selector and labels", kind: "Job.batch",
		in: &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "pi", UID: "uid-1"}, Spec: batchv1.JobSpec{Template: template}},
		want: &batchv1.Job{
			ObjectMeta: metav1.ObjectMeta{Name: "pi", UID: "uid-1", Labels: map[string]string{
				"app": "web", "job-name": "pi", "controller-uid": "uid-1", "batch.kubernetes.io/job-name": "pi", "batch.kubernetes.io/controller-uid": "uid-1"}},
			Spec: batchv1.JobSpec{
				Parallelism: ptr.To[int32](1), Completions: ptr.To[int32](1), BackoffLimit: ptr.To[int32](6),
				CompletionMode: ptr.To(batchv1.NonIndexedCompletion), Suspend: ptr.To(false), ManualSelector: ptr.To(false),
				PodReplacementPolicy: ptr.To(batchv1.TerminatingOrFailed),
				Selector:             &metav1.LabelSelector{MatchLabels: map[string]string{"batch.kubernetes.io/controller-uid": "uid-1"}},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{
						"app": "web", "job-name": "pi", "controller-uid": "uid-1", "batch.kubernetes.io/job-name": "pi", "batch.kubernetes.io/controller-uid": "uid-1"}},
					Spec: defaultedTemplate.Spec,
				},
			},
		},
	}, {
		name: "manual selector job keeps its labels", kind: "Job.batch",
		in: &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "pi", UID: "uid-1", Labels: map[string]string{"team": "a"}},
			Spec: batchv1.JobSpec{ManualSelector: ptr.To(true), Parallelism: ptr.To[int32](3), Template: template,
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}},
		want: &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "pi", UID: "uid-1", Labels: map[string]string{"team": "a"}},
			Spec: batchv1.JobSpec{ManualSelector: ptr.To(true), Parallelism: ptr.To[int32](3), BackoffLimit: ptr.To[int32](6),
				CompletionMode: ptr.To(batchv1.NonIndexedCompletion), Suspend: ptr.To(false), PodReplacementPolicy: ptr.To(batchv1.TerminatingOrFailed),
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, Template: *defaultedTemplate}},
	}, {
		name: "cronjob defaults the pod template only", kind: "CronJob.batch",
		in: &batchv1.CronJob{Spec: batchv1.CronJobSpec{Schedule: "@hourly", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: template}}}},
		want: &batchv1.CronJob{Spec: batchv1.CronJobSpec{Schedule: "@hourly", ConcurrencyPolicy: batchv1.AllowConcurrent, Suspend: ptr.To(false),
			SuccessfulJobsHistoryLimit: ptr.To[int32](3), FailedJobsHistoryLimit: ptr.To[int32](1),
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: *defaultedTemplate}}}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.in.DeepCopyObject()
			defaultResource(t, tt.kind, got)
			if !apiequality.Semantic.DeepEqual(got, tt.want) {
				t.Errorf("defaulted %s differs:\n%s", tt.kind, diff.Diff(tt.want, got))
			}
		})
	}
}

func TestDefaultsCore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, kind string
		in, want   kruntime.Object
	}{{
		name: "cluster IP service", kind: "Service",
		in: &corev1.Service{Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Port: 80}}}},
		want: &corev1.Service{Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "web"}, Type: corev1.ServiceTypeClusterIP, SessionAffinity: corev1.ServiceAffinityNone,
			Ports:                 []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(80)}},
			InternalTrafficPolicy: ptr.To(corev1.ServiceInternalTrafficPolicyCluster),
			IPFamilyPolicy:        ptr.To(corev1.IPFamilyPolicySingleStack), IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol},
		}},
	}, {
		name: "node port service", kind: "Service",
		in: &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, ClusterIP: "10.96.0.20",
			Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolUDP}}}},
		want: &corev1.Service{Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeNodePort, SessionAffinity: corev1.ServiceAffinityNone,
			ClusterIP: "10.96.0.20", ClusterIPs: []string{"10.96.0.20"},
			Ports:                 []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromString("http")}},
			ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyCluster,
			InternalTrafficPolicy: ptr.To(corev1.ServiceInternalTrafficPolicyCluster),
			IPFamilyPolicy:        ptr.To(corev1.IPFamilyPolicySingleStack), IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol},
		}},
	}, {
		name: "headless service without selector", kind: "Service",
		in: &corev1.Service{Spec: corev1.ServiceSpec{ClusterIP: "None"}},
		want: &corev1.Service{Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeClusterIP, SessionAffinity: corev1.ServiceAffinityNone, ClusterIP: "None", ClusterIPs: []string{"None"},
			InternalTrafficPolicy: ptr.To(corev1.ServiceInternalTrafficPolicyCluster),
			IPFamilyPolicy:        ptr.To(corev1.IPFamilyPolicyRequireDualStack), IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol},
		}},
	}, {
		name: "external name service", kind: "Service",
		in: &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "example.com"}},
		want: &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "example.com",
			SessionAffinity: corev1.ServiceAffinityNone}},
	}, {
		name: "secret", kind: "Secret",
		in:   &corev1.Secret{Data: map[string][]byte{"a": []byte("1")}, StringData: map[string]string{"b": "2"}},
		want: &corev1.Secret{Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"a": []byte("1"), "b": []byte("2")}},
	}, {
		name: "persistent volume claim", kind: "PersistentVolumeClaim",
		in: &corev1.PersistentVolumeClaim{},
		want: &corev1.PersistentVolumeClaim{Spec: corev1.PersistentVolumeClaimSpec{VolumeMode: ptr.To(corev1.PersistentVolumeFilesystem)},
			Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}},
	}, {
		name: "persistent volume", kind: "PersistentVolume",
		in: &corev1.PersistentVolume{},
		want: &corev1.PersistentVolume{Spec: corev1.PersistentVolumeSpec{PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			VolumeMode: ptr.To(corev1.PersistentVolumeFilesystem)}, Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumePending}},
	}, {
		name: "node allocatable", kind: "Node",
		in:   &corev1.Node{Status: corev1.NodeStatus{Capacity: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("110")}}},
		want: &corev1.Node{Status: corev1.NodeStatus{Capacity: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("110")}, Allocatable: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("110")}}},
	}, {
		name: "endpoints", kind: "Endpoints",
		in:   &corev1.Endpoints{Subsets: []corev1.EndpointSubset{{Ports: []corev1.EndpointPort{{Port: 80}}}}},
		want: &corev1.Endpoints{Subsets: []corev1.EndpointSubset{{Ports: []corev1.EndpointPort{{Port: 80, Protocol: corev1.ProtocolTCP}}}}},
	}, {
		name: "endpoint slice", kind: "EndpointSlice.discovery.k8s.io",
		in:   &discoveryv1.EndpointSlice{Ports: []discoveryv1.EndpointPort{{Port: ptr.To[int32](80)}}},
		want: &discoveryv1.EndpointSlice{Ports: []discoveryv1.EndpointPort{{Port: ptr.To[int32](80), Name: ptr.To(""), Protocol: ptr.To(corev1.ProtocolTCP)}}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.in.DeepCopyObject()
			defaultResource(t, tt.kind, got)
			if !apiequality.Semantic.DeepEqual(got, tt.want) {
				t.Errorf("defaulted %s differs:\n%s", tt.kind, diff.Diff(tt.want, got))
			}
		})
	}
}

// TestDefaultsIdempotent: Default runs again on every update, so running
// it twice must give what running it once gives, for every kind.
func TestDefaultsIdempotent(t *testing.T) {
	t.Parallel()
	template := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "c", Image: "nginx", Ports: []corev1.ContainerPort{{ContainerPort: 80}},
				Resources:     corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}},
				LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9000}}}}},
			Volumes: []corev1.Volume{{Name: "v"}, {Name: "p", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
				Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}}}}}}},
		},
	}
	objs := map[string]kruntime.Object{
		"Pod":                            &corev1.Pod{ObjectMeta: template.ObjectMeta, Spec: template.Spec},
		"Service":                        &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: []corev1.ServicePort{{Port: 80}}}},
		"Secret":                         &corev1.Secret{StringData: map[string]string{"k": "v"}},
		"Node":                           &corev1.Node{Status: corev1.NodeStatus{Capacity: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}}},
		"Endpoints":                      &corev1.Endpoints{Subsets: []corev1.EndpointSubset{{Ports: []corev1.EndpointPort{{Port: 80}}}}},
		"PersistentVolumeClaim":          &corev1.PersistentVolumeClaim{},
		"PersistentVolume":               &corev1.PersistentVolume{Spec: corev1.PersistentVolumeSpec{PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/d"}}}},
		"Deployment.apps":                &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Template: template}},
		"ReplicaSet.apps":                &appsv1.ReplicaSet{Spec: appsv1.ReplicaSetSpec{Template: template}},
		"StatefulSet.apps":               &appsv1.StatefulSet{Spec: appsv1.StatefulSetSpec{Template: template}},
		"DaemonSet.apps":                 &appsv1.DaemonSet{Spec: appsv1.DaemonSetSpec{Template: template}},
		"Job.batch":                      &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "j", UID: "u"}, Spec: batchv1.JobSpec{Template: template}},
		"CronJob.batch":                  &batchv1.CronJob{Spec: batchv1.CronJobSpec{JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: template}}}},
		"EndpointSlice.discovery.k8s.io": &discoveryv1.EndpointSlice{Ports: []discoveryv1.EndpointPort{{}}},
		"StorageClass.storage.k8s.io":    &storagev1.StorageClass{Provisioner: "mini.dev/local-path"},
	}
	for kind, h := range kindHooks {
		if h.Default == nil {
			continue
		}
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			obj, ok := objs[kind]
			if !ok {
				t.Fatalf("no object to default twice for %s", kind)
			}
			once := obj.DeepCopyObject()
			h.Default(once)
			twice := once.DeepCopyObject()
			h.Default(twice)
			if !apiequality.Semantic.DeepEqual(once, twice) {
				t.Errorf("defaulting twice differs from once:\n%s", diff.Diff(once, twice))
			}
		})
	}
}
