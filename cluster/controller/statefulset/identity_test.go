package statefulset

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestParentAndOrdinal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		parent string
		ord    int
	}{{"web-0", "web", 0}, {"my-web-12", "my-web", 12}, {"web", "", -1}, {"web-x", "", -1}, {"web-99999999999", "", -1}} {
		p, o := parentAndOrdinal(tc.name)
		if p != tc.parent || o != tc.ord {
			t.Errorf("%s: got (%q, %d), want (%q, %d)", tc.name, p, o, tc.parent, tc.ord)
		}
	}
}

func TestNewPodIdentityAndStorage(t *testing.T) {
	t.Parallel()
	set := testSet(3, appsv1.OrderedReadyPodManagement)
	set.Spec.Template.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}, {Name: "cfg"}}
	set.Spec.VolumeClaimTemplates = []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "data", Labels: map[string]string{"tier": "db"}}}}
	p := newPod(set, "web-abc", 2)
	for k, want := range map[string]string{"app": "web", appsv1.StatefulSetPodNameLabel: "web-2", appsv1.PodIndexLabel: "2", appsv1.StatefulSetRevisionLabel: "web-abc"} {
		if p.Labels[k] != want {
			t.Errorf("label %s = %q, want %q", k, p.Labels[k], want)
		}
	}
	if p.Name != "web-2" || p.Spec.Hostname != "web-2" || p.Spec.Subdomain != "svc" || p.Namespace != "default" {
		t.Errorf("identity: name %s hostname %s subdomain %s ns %s", p.Name, p.Spec.Hostname, p.Spec.Subdomain, p.Namespace)
	}
	if ref := metav1.GetControllerOf(p); ref == nil || ref.UID != set.UID || ref.Kind != "StatefulSet" {
		t.Errorf("controller ref %+v", ref)
	}
	if len(p.Spec.Volumes) != 2 || p.Spec.Volumes[0].Name != "cfg" || p.Spec.Volumes[1].PersistentVolumeClaim == nil ||
		p.Spec.Volumes[1].PersistentVolumeClaim.ClaimName != "data-web-2" {
		t.Errorf("volumes %+v", p.Spec.Volumes)
	}
	if !identityMatches(set, p) || !storageMatches(set, p) {
		t.Error("a new pod does not match its own identity or storage")
	}
	p.Labels[appsv1.StatefulSetPodNameLabel] = "web-1"
	if identityMatches(set, p) {
		t.Error("a wrong pod-name label matches")
	}
	claims := claimsFor(set, 2)
	if len(claims) != 1 || claims[0].Name != "data-web-2" || claims[0].Labels["tier"] != "db" || claims[0].Labels["app"] != "web" || claims[0].Namespace != "default" {
		t.Errorf("claims %+v", claims)
	}
	if set.Spec.VolumeClaimTemplates[0].Labels["app"] != "" {
		t.Error("claimsFor changed the template")
	}
}

func TestRevisions(t *testing.T) {
	t.Parallel()
	set := testSet(1, appsv1.OrderedReadyPodManagement)
	a, err := newRevision(set, 1, new(int32(0)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := newRevision(set, 2, new(int32(0)))
	c, _ := newRevision(set, 1, new(int32(1)))
	if a.Name != b.Name || a.Name == c.Name || a.Labels[hashLabel] == "" {
		t.Errorf("names %s %s %s: the hash must depend on the template and collision count only", a.Name, b.Name, c.Name)
	}
	set2 := set.DeepCopy()
	set2.Spec.Template.Spec.Containers[0].Image = "img:v2"
	d, _ := newRevision(set2, 2, new(int32(0)))
	if !equalRevision(a, b) || equalRevision(a, d) {
		t.Error("equalRevision compares templates")
	}
	back, err := applyRevision(set2, a)
	if err != nil || back.Spec.Template.Spec.Containers[0].Image != "img:v1" {
		t.Errorf("applyRevision: %v %+v", err, back)
	}
	revs := []*appsv1.ControllerRevision{{ObjectMeta: metav1.ObjectMeta{Name: "r1"}, Revision: 1}, {ObjectMeta: metav1.ObjectMeta{Name: "r2"}, Revision: 2},
		{ObjectMeta: metav1.ObjectMeta{Name: "r3"}, Revision: 3}, {ObjectMeta: metav1.ObjectMeta{Name: "r4"}, Revision: 4}}
	pod := existing(set, 0, "r1", "ready")
	var names []string
	for _, r := range historyToDelete(revs, []*corev1.Pod{pod}, "r3", "r4", 0) {
		names = append(names, r.Name)
	}
	if len(names) != 1 || names[0] != "r2" {
		t.Errorf("history to delete %v, want [r2] (r1 is used by a pod, r3 and r4 are current and update)", names)
	}
}
