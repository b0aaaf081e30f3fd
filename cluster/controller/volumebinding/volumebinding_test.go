package volumebinding_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/apiserver/apiservertest"
	"github.com/minidev/mini/cluster/controller/volumebinding"
	"github.com/minidev/mini/cluster/scheduler"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// env is an API server with the volume binding controller and the scheduler.
type env struct {
	t   *testing.T
	ctx context.Context
	c   kubernetes.Interface
}

func start(t *testing.T, nodes ...string) *env {
	t.Helper()
	c := kubernetes.NewForConfigOrDie(apiservertest.Start(t))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e := &env{t: t, ctx: ctx, c: c}
	if _, err := c.StorageV1().StorageClasses().Create(ctx, volumebinding.DefaultStorageClass(), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n, Labels: map[string]string{corev1.LabelHostname: n, "mini.dev/node": "real"}}}
		created, err := c.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		alloc := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi"), corev1.ResourcePods: resource.MustParse("110")}
		created.Status = corev1.NodeStatus{Capacity: alloc, Allocatable: alloc, Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}
		if _, err := c.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	go volumebinding.New(volumebinding.Config{Client: c, Resync: time.Second}).Run(ctx)
	go scheduler.New(scheduler.Config{Client: c, RetryPeriod: time.Second}).Run(ctx)
	return e
}

func (e *env) claim(name string, class *string, size string) *corev1.PersistentVolumeClaim {
	e.t.Helper()
	pvc := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PersistentVolumeClaimSpec{
		StorageClassName: class, AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}}}}
	out, err := e.c.CoreV1().PersistentVolumeClaims("default").Create(e.ctx, pvc, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) pod(name, claim string) {
	e.t.Helper()
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{
		Containers: []corev1.Container{{Name: "c", Image: "busybox", VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}}},
		Volumes:    []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}}}}}
	if _, err := e.c.CoreV1().Pods("default").Create(e.ctx, p, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

// wait polls cond for up to 15 s.
func (e *env) wait(what string, cond func() (bool, error)) {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, err := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s (last error: %v)", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) getClaim(name string) *corev1.PersistentVolumeClaim {
	pvc, err := e.c.CoreV1().PersistentVolumeClaims("default").Get(e.ctx, name, metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return pvc
}

func (e *env) podNode(name string) string {
	var node string
	e.wait("pod "+name+" bound", func() (bool, error) {
		p, err := e.c.CoreV1().Pods("default").Get(e.ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		node = p.Spec.NodeName
		return node != "", nil
	})
	return node
}

func (e *env) hasEvent(obj, reason string) {
	e.t.Helper()
	e.wait(fmt.Sprintf("event %s on %s", reason, obj), func() (bool, error) {
		l, err := e.c.CoreV1().Events("default").List(e.ctx, metav1.ListOptions{FieldSelector: fields.Set{"involvedObject.name": obj, "reason": reason}.String()})
		return err == nil && len(l.Items) > 0, err
	})
}

// TestWaitForFirstConsumer: a claim of the default class waits for its
// pod; the scheduler picks a node and says so on the claim; the
// provisioner makes a local PV there; the pod lands on that node, and so
// does a later pod of the same claim. Deleting the claim deletes the PV.
func TestWaitForFirstConsumer(t *testing.T) {
	t.Parallel()
	e := start(t, "n1", "n2")
	pvc := e.claim("data", nil, "1Gi")
	if pvc.Spec.StorageClassName == nil || *pvc.Spec.StorageClassName != volumebinding.DefaultClassName {
		t.Fatalf("storageClassName = %v, want the default class", pvc.Spec.StorageClassName)
	}
	e.hasEvent("data", "WaitForFirstConsumer")
	if got := e.getClaim("data"); got.Status.Phase != corev1.ClaimPending || got.Spec.VolumeName != "" {
		t.Fatalf("claim without consumer: phase %s volume %q, want Pending and none", got.Status.Phase, got.Spec.VolumeName)
	}
	e.pod("writer", "data")
	node := e.podNode("writer")
	got := e.getClaim("data")
	pvName := "pvc-" + string(pvc.UID)
	if got.Annotations[volumebinding.AnnSelectedNode] != node || got.Spec.VolumeName != pvName || got.Status.Phase != corev1.ClaimBound ||
		got.Annotations[volumebinding.AnnBindCompleted] != "yes" || got.Status.Capacity.Storage().String() != "1Gi" {
		t.Fatalf("claim after scheduling = %+v / %+v, want selected-node %s, bound to %s", got.ObjectMeta.Annotations, got.Status, node, pvName)
	}
	pv, err := e.c.CoreV1().PersistentVolumes().Get(e.ctx, pvName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pv.Spec.Local == nil || pv.Spec.Local.Path != "/var/lib/mini/volumes/"+pvName || pv.Status.Phase != corev1.VolumeBound ||
		pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete || pv.Annotations[volumebinding.AnnProvisionedBy] != volumebinding.Provisioner ||
		pv.Spec.ClaimRef == nil || pv.Spec.ClaimRef.UID != pvc.UID ||
		pv.Spec.NodeAffinity.Required.NodeSelectorTerms[0].MatchExpressions[0].Values[0] != node {
		t.Fatalf("provisioned PV = %+v", pv)
	}
	e.hasEvent("data", "ProvisioningSucceeded")
	for i := range 3 {
		name := fmt.Sprintf("reader-%d", i)
		e.pod(name, "data")
		if n := e.podNode(name); n != node {
			t.Errorf("pod %s on %s, want the volume's node %s", name, n, node)
		}
	}
	if err := e.c.CoreV1().PersistentVolumeClaims("default").Delete(e.ctx, "data", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.wait("PV deleted with its claim", func() (bool, error) {
		_, err := e.c.CoreV1().PersistentVolumes().Get(e.ctx, pvName, metav1.GetOptions{})
		return apierrors.IsNotFound(err), err
	})
}

// TestStaticBindingAndImmediate: claims of an Immediate class bind to the
// smallest fitting pre-created PV; one that finds none makes its pod
// unschedulable with kube-scheduler's message; a Retain PV is Released
// when its claim goes.
func TestStaticBindingAndImmediate(t *testing.T) {
	t.Parallel()
	e := start(t, "n1", "n2")
	manual := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "manual"}, Provisioner: "kubernetes.io/no-provisioner"}
	if _, err := e.c.StorageV1().StorageClasses().Create(e.ctx, manual, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct{ name, size, node string }{{"big", "10Gi", "n1"}, {"small", "2Gi", "n2"}, {"tiny", "100Mi", "n1"}} {
		pv := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: v.name}, Spec: corev1.PersistentVolumeSpec{
			Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(v.size)}, StorageClassName: "manual",
			AccessModes:            []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce, corev1.ReadOnlyMany},
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/srv/" + v.name}},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelHostname, Operator: corev1.NodeSelectorOpIn, Values: []string{v.node}}}}}}}}}
		if _, err := e.c.CoreV1().PersistentVolumes().Create(e.ctx, pv, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	e.claim("one", ptr.To("manual"), "1Gi")
	e.wait("claim one bound", func() (bool, error) {
		c := e.getClaim("one")
		return c.Spec.VolumeName == "small" && c.Status.Phase == corev1.ClaimBound, nil
	})
	e.pod("p1", "one")
	if n := e.podNode("p1"); n != "n2" {
		t.Errorf("pod of a claim bound to a PV on n2 went to %s", n)
	}
	e.claim("huge", ptr.To("manual"), "50Gi")
	e.pod("p2", "huge")
	want := "0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims."
	e.wait("p2 unschedulable", func() (bool, error) {
		p, err := e.c.CoreV1().Pods("default").Get(e.ctx, "p2", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Message == want {
				return true, nil
			}
		}
		return false, fmt.Errorf("conditions %+v", p.Status.Conditions)
	})
	e.hasEvent("huge", "FailedBinding")
	e.pod("p3", "nope")
	e.wait("p3 unschedulable", func() (bool, error) {
		p, _ := e.c.CoreV1().Pods("default").Get(e.ctx, "p3", metav1.GetOptions{})
		for _, c := range p.Status.Conditions {
			if c.Message == `0/2 nodes are available: persistentvolumeclaim "nope" not found.` {
				return true, nil
			}
		}
		return false, nil
	})
	if err := e.c.CoreV1().PersistentVolumeClaims("default").Delete(e.ctx, "one", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.wait("PV small Released", func() (bool, error) {
		pv, err := e.c.CoreV1().PersistentVolumes().Get(e.ctx, "small", metav1.GetOptions{})
		return err == nil && pv.Status.Phase == corev1.VolumeReleased, err
	})
}
