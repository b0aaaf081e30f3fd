package objects

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestDeploymentStatus(t *testing.T) {
	t.Parallel()
	d := func(gen, observed int64, replicas int32, st appsv1.DeploymentStatus) *appsv1.Deployment {
		st.ObservedGeneration = observed
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Generation: gen}, Spec: appsv1.DeploymentSpec{Replicas: ptr.To(replicas)}, Status: st}
	}
	tests := []struct {
		name    string
		d       *appsv1.Deployment
		want    string
		done    bool
		wantErr string
	}{
		{"not observed", d(2, 1, 3, appsv1.DeploymentStatus{}), "Waiting for deployment spec update to be observed...", false, ""},
		{"updating", d(1, 1, 3, appsv1.DeploymentStatus{UpdatedReplicas: 1, Replicas: 4}), `Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...`, false, ""},
		{"old pending", d(1, 1, 3, appsv1.DeploymentStatus{UpdatedReplicas: 3, Replicas: 4}), `Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...`, false, ""},
		{"unavailable", d(1, 1, 3, appsv1.DeploymentStatus{UpdatedReplicas: 3, Replicas: 3, AvailableReplicas: 2}), `Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...`, false, ""},
		{"done", d(1, 1, 3, appsv1.DeploymentStatus{UpdatedReplicas: 3, Replicas: 3, AvailableReplicas: 3}), `deployment "web" successfully rolled out`, true, ""},
		{"deadline", d(1, 1, 3, appsv1.DeploymentStatus{Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Reason: "ProgressDeadlineExceeded"}}}), "", false, "exceeded its progress deadline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			msg, done, err := deploymentStatus(tt.d)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if msg != tt.want || done != tt.done || err != nil {
				t.Errorf("= (%q, %v, %v), want (%q, %v)", msg, done, err, tt.want, tt.done)
			}
		})
	}
}

func TestStatefulSetAndDaemonSetStatus(t *testing.T) {
	t.Parallel()
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db", Generation: 1}, Spec: appsv1.StatefulSetSpec{Replicas: ptr.To[int32](3),
		UpdateStrategy: appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType}},
		Status: appsv1.StatefulSetStatus{ObservedGeneration: 1, ReadyReplicas: 3, UpdatedReplicas: 1, CurrentReplicas: 2, CurrentRevision: "db-a", UpdateRevision: "db-b"}}
	if msg, done, _ := statefulSetStatus(sts); done || msg != "waiting for statefulset rolling update to complete 1 pods at revision db-b..." {
		t.Errorf("sts mid-update = %q %v", msg, done)
	}
	sts.Status.CurrentRevision, sts.Status.CurrentReplicas = "db-b", 3
	if msg, done, _ := statefulSetStatus(sts); !done || msg != "statefulset rolling update complete 3 pods at revision db-b..." {
		t.Errorf("sts done = %q %v", msg, done)
	}
	sts.Spec.UpdateStrategy.Type = appsv1.OnDeleteStatefulSetStrategyType
	if _, _, err := statefulSetStatus(sts); err == nil {
		t.Error("OnDelete statefulset has a rollout status")
	}
	ds := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "agent", Generation: 2},
		Spec:   appsv1.DaemonSetSpec{UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType}},
		Status: appsv1.DaemonSetStatus{ObservedGeneration: 2, DesiredNumberScheduled: 3, UpdatedNumberScheduled: 3, NumberAvailable: 2}}
	if msg, done, _ := daemonSetStatus(ds); done || msg != `Waiting for daemon set "agent" rollout to finish: 2 of 3 updated pods are available...` {
		t.Errorf("ds = %q %v", msg, done)
	}
}

func TestTarget(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args       []string
		kind, name string
		ok         bool
	}{
		{[]string{"deploy/web"}, "deploy", "web", true},
		{[]string{"deployment", "web"}, "deployment", "web", true},
		{[]string{"web"}, "", "", false},
		{[]string{"deploy/"}, "", "", false},
	} {
		k, n, err := Target(tt.args)
		if (err == nil) != tt.ok || k != tt.kind || n != tt.name {
			t.Errorf("Target(%v) = %q %q %v", tt.args, k, n, err)
		}
	}
}
