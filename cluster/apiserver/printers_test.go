package apiserver

import (
	"reflect"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

// printerNow is the fixed clock of the printer tests; objects are 3 hours old.
var (
	printerNow = time.Date(2026, 1, 2, 15, 0, 0, 0, time.UTC)
	created    = metav1.NewTime(printerNow.Add(-3 * time.Hour))
)

func ago(d time.Duration) *metav1.Time { t := metav1.NewTime(printerNow.Add(-d)); return &t }

func TestPrinters(t *testing.T) {
	t.Parallel()
	meta := metav1.ObjectMeta{Name: "x", Namespace: "default", CreationTimestamp: created}
	tmpl := corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		Containers:   []corev1.Container{{Name: "app", Image: "nginx:1.27"}, {Name: "log", Image: "busybox"}},
		NodeSelector: map[string]string{"kubernetes.io/os": "linux"}}}
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}

	tests := []struct {
		name, kind string
		obj        kruntime.Object
		want       []any
	}{{
		name: "cluster IP service", kind: "Service",
		obj: &corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: "10.96.0.10", ClusterIPs: []string{"10.96.0.10"},
			Selector: map[string]string{"k8s-app": "kube-dns"},
			Ports:    []corev1.ServicePort{{Port: 53, Protocol: corev1.ProtocolUDP}, {Port: 53, Protocol: corev1.ProtocolTCP}}}},
		want: []any{"ClusterIP", "10.96.0.10", "<none>", "53/UDP,53/TCP", "3h", "k8s-app=kube-dns"},
	}, {
		name: "load balancer service", kind: "Service",
		obj: &corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIPs: []string{"10.96.1.1"},
			Ports: []corev1.ServicePort{{Port: 80, NodePort: 30080, Protocol: corev1.ProtocolTCP}}}},
		want: []any{"LoadBalancer", "10.96.1.1", "<pending>", "80:30080/TCP", "3h", "<none>"},
	}, {
		name: "external name service", kind: "Service",
		obj:  &corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "example.com"}},
		want: []any{"ExternalName", "<none>", "example.com", "<none>", "3h", "<none>"},
	}, {
		name: "deployment", kind: "Deployment.apps",
		obj: &appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](3), Selector: sel, Template: tmpl},
			Status: appsv1.DeploymentStatus{ReadyReplicas: 2, UpdatedReplicas: 3, AvailableReplicas: 2}},
		want: []any{"2/3", int64(3), int64(2), "3h", "app,log", "nginx:1.27,busybox", "app=web"},
	}, {
		name: "replicaset", kind: "ReplicaSet.apps",
		obj: &appsv1.ReplicaSet{ObjectMeta: meta, Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](2), Selector: sel, Template: tmpl},
			Status: appsv1.ReplicaSetStatus{Replicas: 2, ReadyReplicas: 1}},
		want: []any{int64(2), int64(2), int64(1), "3h", "app,log", "nginx:1.27,busybox", "app=web"},
	}, {
		name: "statefulset", kind: "StatefulSet.apps",
		obj:  &appsv1.StatefulSet{ObjectMeta: meta, Spec: appsv1.StatefulSetSpec{Replicas: ptr.To[int32](3), Template: tmpl}, Status: appsv1.StatefulSetStatus{ReadyReplicas: 3}},
		want: []any{"3/3", "3h", "app,log", "nginx:1.27,busybox"},
	}, {
		name: "daemonset", kind: "DaemonSet.apps",
		obj: &appsv1.DaemonSet{ObjectMeta: meta, Spec: appsv1.DaemonSetSpec{Selector: sel, Template: tmpl},
			Status: appsv1.DaemonSetStatus{DesiredNumberScheduled: 3, CurrentNumberScheduled: 3, NumberReady: 2, UpdatedNumberScheduled: 3, NumberAvailable: 2}},
		want: []any{int64(3), int64(3), int64(2), int64(3), int64(2), "kubernetes.io/os=linux", "3h", "app,log", "nginx:1.27,busybox", "app=web"},
	}, {
		name: "running job", kind: "Job.batch",
		obj: &batchv1.Job{ObjectMeta: meta, Spec: batchv1.JobSpec{Completions: ptr.To[int32](5), Selector: sel, Template: tmpl},
			Status: batchv1.JobStatus{Succeeded: 2, StartTime: ago(90 * time.Second)}},
		want: []any{"Running", "2/5", "90s", "3h", "app,log", "nginx:1.27,busybox", "app=web"},
	}, {
		name: "complete job", kind: "Job.batch",
		obj: &batchv1.Job{ObjectMeta: meta, Spec: batchv1.JobSpec{Parallelism: ptr.To[int32](2), Template: tmpl},
			Status: batchv1.JobStatus{Succeeded: 1, StartTime: ago(time.Hour), CompletionTime: ago(50 * time.Minute),
				Conditions: []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}}},
		want: []any{"Complete", "1/1 of 2", "10m", "3h", "app,log", "nginx:1.27,busybox", "<none>"},
	}, {
		name: "cronjob", kind: "CronJob.batch",
		obj: &batchv1.CronJob{ObjectMeta: meta, Spec: batchv1.CronJobSpec{Schedule: "*/5 * * * *", Suspend: ptr.To(false),
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: tmpl}}},
			Status: batchv1.CronJobStatus{Active: []corev1.ObjectReference{{Name: "j"}}, LastScheduleTime: ago(2 * time.Minute)}},
		want: []any{"*/5 * * * *", "<none>", "False", int64(1), "2m", "3h", "app,log", "nginx:1.27,busybox", "<none>"},
	}, {
		name: "configmap", kind: "ConfigMap",
		obj:  &corev1.ConfigMap{ObjectMeta: meta, Data: map[string]string{"a": "1"}, BinaryData: map[string][]byte{"b": nil}},
		want: []any{int64(2), "3h"},
	}, {
		name: "secret", kind: "Secret",
		obj:  &corev1.Secret{ObjectMeta: meta, Type: corev1.SecretTypeTLS, Data: map[string][]byte{"tls.crt": nil, "tls.key": nil}},
		want: []any{"kubernetes.io/tls", int64(2), "3h"},
	}, {
		name: "service account", kind: "ServiceAccount",
		obj:  &corev1.ServiceAccount{ObjectMeta: meta},
		want: []any{int64(0), "3h"},
	}, {
		name: "endpoints", kind: "Endpoints",
		obj: &corev1.Endpoints{ObjectMeta: meta, Subsets: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{{IP: "10.244.1.2"}, {IP: "10.244.2.3"}},
			Ports:     []corev1.EndpointPort{{Port: 80}, {Port: 443}},
		}}},
		want: []any{"10.244.1.2:80,10.244.2.3:80,10.244.1.2:443 + 1 more...", "3h"},
	}, {
		name: "no endpoints", kind: "Endpoints",
		obj:  &corev1.Endpoints{ObjectMeta: meta},
		want: []any{"<none>", "3h"},
	}, {
		name: "endpoint slice", kind: "EndpointSlice.discovery.k8s.io",
		obj: &discoveryv1.EndpointSlice{ObjectMeta: meta, AddressType: discoveryv1.AddressTypeIPv4,
			Ports:     []discoveryv1.EndpointPort{{Port: ptr.To[int32](80)}, {Name: ptr.To("metrics")}},
			Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.244.1.2"}}, {Addresses: []string{"10.244.2.3"}}}},
		want: []any{"IPv4", "80,metrics", "10.244.1.2,10.244.2.3", "3h"},
	}, {
		name: "empty endpoint slice", kind: "EndpointSlice.discovery.k8s.io",
		obj:  &discoveryv1.EndpointSlice{ObjectMeta: meta, AddressType: discoveryv1.AddressTypeIPv4},
		want: []any{"IPv4", "<unset>", "<unset>", "3h"},
	}, {
		name: "event", kind: "Event",
		obj: &corev1.Event{ObjectMeta: meta, Type: "Normal", Reason: "Scheduled", Message: "Successfully assigned default/web to node-1 ",
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web", FieldPath: "spec.containers{app}"},
			Source:         corev1.EventSource{Component: "default-scheduler"}, FirstTimestamp: *ago(5 * time.Minute), LastTimestamp: *ago(time.Minute), Count: 3},
		want: []any{"60s", "Normal", "Scheduled", "pod/web", "spec.containers{app}", "default-scheduler",
			"Successfully assigned default/web to node-1", "5m", int64(3)},
	}, {
		name: "events.k8s.io event", kind: "Event.events.k8s.io",
		obj: &eventsv1.Event{ObjectMeta: meta, Type: "Warning", Reason: "BackOff", Note: "Back-off restarting failed container",
			Regarding: corev1.ObjectReference{Kind: "Pod", Name: "web"}, ReportingController: "kubelet", ReportingInstance: "node-1",
			EventTime: metav1.NewMicroTime(printerNow.Add(-10 * time.Minute)),
			Series:    &eventsv1.EventSeries{Count: 7, LastObservedTime: metav1.NewMicroTime(printerNow.Add(-30 * time.Second))}},
		want: []any{"30s", "Warning", "BackOff", "pod/web", "", "kubelet, node-1", "Back-off restarting failed container", "10m", int64(7)},
	}, {
		name: "lease", kind: "Lease.coordination.k8s.io",
		obj:  &coordinationv1.Lease{ObjectMeta: meta, Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("node-1")}},
		want: []any{"node-1", "3h"},
	}, {
		name: "bound claim", kind: "PersistentVolumeClaim",
		obj: &corev1.PersistentVolumeClaim{ObjectMeta: meta,
			Spec: corev1.PersistentVolumeClaimSpec{VolumeName: "pv-1", StorageClassName: ptr.To("standard"), VolumeMode: ptr.To(corev1.PersistentVolumeFilesystem)},
			Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound, AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}},
		want: []any{"Bound", "pv-1", "1Gi", "RWO", "standard", "<unset>", "3h", "Filesystem"},
	}, {
		name: "pending claim", kind: "PersistentVolumeClaim",
		obj:  &corev1.PersistentVolumeClaim{ObjectMeta: meta, Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}},
		want: []any{"Pending", "", "", "", "", "<unset>", "3h", "<unset>"},
	}, {
		name: "volume", kind: "PersistentVolume",
		obj: &corev1.PersistentVolume{ObjectMeta: meta, Spec: corev1.PersistentVolumeSpec{
			Capacity:    corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")},
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany, corev1.ReadWriteOnce}, PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			ClaimRef: &corev1.ObjectReference{Namespace: "default", Name: "data"}, StorageClassName: "standard", VolumeMode: ptr.To(corev1.PersistentVolumeBlock)},
			Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound}},
		want: []any{"10Gi", "RWO,RWX", "Retain", "Bound", "default/data", "standard", "<unset>", "", "3h", "Block"},
	}, {
		name: "controller revision", kind: "ControllerRevision.apps",
		obj: &appsv1.ControllerRevision{ObjectMeta: metav1.ObjectMeta{Name: "web-7d", CreationTimestamp: created,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "web", Controller: ptr.To(true)}}}, Revision: 2},
		want: []any{"statefulset.apps/web", int64(2), "3h"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := kindHooks[tt.kind].Table
			if spec == nil {
				t.Fatalf("no table for %s", tt.kind)
			}
			got := spec.Cells(tt.obj, printerNow)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("cells:\n got  %#v\n want %#v", got, tt.want)
			}
		})
	}
}

// TestPrinterColumns: every table has a cell per column, and AGE but
// for Events (Kubernetes prints LAST SEEN instead).
func TestPrinterColumns(t *testing.T) {
	t.Parallel()
	objs := map[string]kruntime.Object{}
	for _, r := range DefaultResources() {
		if r.Table == nil {
			continue
		}
		objs[r.GVK().GroupKind().String()] = r.New()
		t.Run(r.GVK().GroupKind().String(), func(t *testing.T) {
			t.Parallel()
			obj := r.New()
			cells := r.Table.Cells(obj, printerNow)
			if len(cells) != len(r.Table.Columns) {
				t.Errorf("%d cells for %d columns", len(cells), len(r.Table.Columns))
			}
			hasAge := false
			for _, c := range r.Table.Columns {
				hasAge = hasAge || c.Name == "Age"
			}
			if !hasAge && r.Kind != "Event" {
				t.Errorf("no Age column")
			}
		})
	}
	for _, kind := range []string{"Service", "Deployment.apps", "Job.batch", "CronJob.batch", "PersistentVolume", "Event.events.k8s.io"} {
		if _, ok := objs[kind]; !ok {
			t.Errorf("%s has no table", kind)
		}
	}
}
