package apiserver

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func webTemplate() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}},
	}
}

var webSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}

func testDeployment(change func(d *appsv1.Deployment)) *appsv1.Deployment {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{Selector: webSelector.DeepCopy(), Template: webTemplate()}}
	if change != nil {
		change(d)
	}
	return d
}

func TestValidateDeployment(t *testing.T) {
	t.Parallel()
	runValidationCases(t, "Deployment.apps", []validationCase{
		{name: "valid", obj: testDeployment(nil)},
		{name: "no selector", obj: testDeployment(func(d *appsv1.Deployment) { d.Spec.Selector = nil }),
			want: []string{"Required value spec.selector", "Invalid value spec.template.metadata.labels"}},
		{name: "empty selector", obj: testDeployment(func(d *appsv1.Deployment) { d.Spec.Selector = &metav1.LabelSelector{} }),
			want: []string{"Invalid value spec.selector"}},
		{name: "selector does not match", obj: testDeployment(func(d *appsv1.Deployment) { d.Spec.Selector.MatchLabels["app"] = "api" }),
			want: []string{"Invalid value spec.template.metadata.labels"}},
		{name: "negative replicas", obj: testDeployment(func(d *appsv1.Deployment) { d.Spec.Replicas = ptr.To[int32](-1) }),
			want: []string{"Invalid value spec.replicas"}},
		{name: "template restart policy", obj: testDeployment(func(d *appsv1.Deployment) { d.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever }),
			want: []string{"Unsupported value spec.template.spec.restartPolicy"}},
		{name: "template validated as a pod spec", obj: testDeployment(func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "" }),
			want: []string{"Required value spec.template.spec.containers[0].image"}},
		{name: "maxSurge and maxUnavailable both 0", obj: testDeployment(func(d *appsv1.Deployment) {
			d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxSurge: ptr.To(intstr.FromInt32(0)), MaxUnavailable: ptr.To(intstr.FromString("0%"))}
		}), want: []string{"Invalid value spec.strategy.rollingUpdate.maxUnavailable"}},
		{name: "scaled", old: testDeployment(nil), obj: testDeployment(func(d *appsv1.Deployment) { d.Spec.Replicas = ptr.To[int32](5) })},
		{name: "selector changed", old: testDeployment(nil), obj: testDeployment(func(d *appsv1.Deployment) {
			d.Spec.Selector.MatchLabels["tier"] = "front"
			d.Spec.Template.Labels["tier"] = "front"
		}), want: []string{"Invalid value spec.selector"}},
	})
}

func TestValidateReplicaSetAndDaemonSet(t *testing.T) {
	t.Parallel()
	rs := func(change func(*appsv1.ReplicaSet)) *appsv1.ReplicaSet {
		r := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "default"},
			Spec: appsv1.ReplicaSetSpec{Selector: webSelector.DeepCopy(), Template: webTemplate()}}
		if change != nil {
			change(r)
		}
		return r
	}
	runValidationCases(t, "ReplicaSet.apps", []validationCase{
		{name: "valid", obj: rs(nil)},
		{name: "no selector", obj: rs(func(r *appsv1.ReplicaSet) { r.Spec.Selector = nil }),
			want: []string{"Required value spec.selector", "Invalid value spec.template.metadata.labels"}},
		{name: "negative replicas", obj: rs(func(r *appsv1.ReplicaSet) { r.Spec.Replicas = ptr.To[int32](-2) }),
			want: []string{"Invalid value spec.replicas"}},
		{name: "selector changed", old: rs(nil), obj: rs(func(r *appsv1.ReplicaSet) {
			r.Spec.Selector.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpExists}}
		}),
			want: []string{"Invalid value spec.selector"}},
	})
	ds := func(change func(*appsv1.DaemonSet)) *appsv1.DaemonSet {
		d := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "agent", Namespace: "kube-system"},
			Spec: appsv1.DaemonSetSpec{Selector: webSelector.DeepCopy(), Template: webTemplate()}}
		if change != nil {
			change(d)
		}
		return d
	}
	runValidationCases(t, "DaemonSet.apps", []validationCase{
		{name: "valid", obj: ds(nil)},
		{name: "empty selector", obj: ds(func(d *appsv1.DaemonSet) { d.Spec.Selector = &metav1.LabelSelector{} }),
			want: []string{"Invalid value spec.selector"}},
		{name: "selector does not match", obj: ds(func(d *appsv1.DaemonSet) { d.Spec.Template.Labels = map[string]string{"app": "other"} }),
			want: []string{"Invalid value spec.template.metadata.labels"}},
		{name: "template restart policy", obj: ds(func(d *appsv1.DaemonSet) { d.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure }),
			want: []string{"Unsupported value spec.template.spec.restartPolicy"}},
		{name: "surge and unavailable", obj: ds(func(d *appsv1.DaemonSet) {
			d.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateDaemonSet{MaxUnavailable: ptr.To(intstr.FromInt32(1)), MaxSurge: ptr.To(intstr.FromInt32(1))}
		}), want: []string{"Invalid value spec.updateStrategy.rollingUpdate.maxSurge"}},
		{name: "selector changed", old: ds(nil), obj: ds(func(d *appsv1.DaemonSet) { d.Spec.Selector.MatchLabels["x"] = "y"; d.Spec.Template.Labels["x"] = "y" }),
			want: []string{"Invalid value spec.selector"}},
	})
}

func TestValidateStatefulSet(t *testing.T) {
	t.Parallel()
	ss := func(change func(*appsv1.StatefulSet)) *appsv1.StatefulSet {
		s := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "default"},
			Spec: appsv1.StatefulSetSpec{Selector: webSelector.DeepCopy(), Template: webTemplate(), ServiceName: "db"}}
		if change != nil {
			change(s)
		}
		return s
	}
	runValidationCases(t, "StatefulSet.apps", []validationCase{
		{name: "valid", obj: ss(nil)},
		{name: "no selector", obj: ss(func(s *appsv1.StatefulSet) { s.Spec.Selector = nil }),
			want: []string{"Required value spec.selector", "Invalid value spec.template.metadata.labels"}},
		{name: "pod management policy", obj: ss(func(s *appsv1.StatefulSet) { s.Spec.PodManagementPolicy = "Random" }),
			want: []string{"Invalid value spec.podManagementPolicy"}},
		{name: "negative replicas", obj: ss(func(s *appsv1.StatefulSet) { s.Spec.Replicas = ptr.To[int32](-1) }),
			want: []string{"Invalid value spec.replicas"}},
		{name: "scaled and new image", old: ss(nil), obj: ss(func(s *appsv1.StatefulSet) {
			s.Spec.Replicas = ptr.To[int32](3)
			s.Spec.Template.Spec.Containers[0].Image = "nginx:1.28"
		})},
		{name: "service name changed", old: ss(nil), obj: ss(func(s *appsv1.StatefulSet) { s.Spec.ServiceName = "other" }),
			want: []string{"Forbidden spec"}},
	})
}
