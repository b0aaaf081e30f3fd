package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestPersistentVolumes: on a real 2-node cluster, a claim of the default
// class gets a local volume on the node of its first pod; a file written
// there outlives the pod and is read back by a new pod, which the
// scheduler sends to the same node; deleting the claim deletes the PV and
// (the agent's sweep) its directory on the node.
func TestPersistentVolumes(t *testing.T) {
	e := newEnv(t)
	ensureTestImages(t)
	name := uniqueName("hpvc")
	e.up(name, "--nodes", "2")
	c := e.client(name)
	ctx := context.Background()
	ns := "default"

	sc, err := c.StorageV1().StorageClasses().Get(ctx, "standard", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("default StorageClass: %v", err)
	}
	if sc.Annotations["storageclass.kubernetes.io/is-default-class"] != "true" || sc.Provisioner != "mini.dev/local-path" {
		t.Fatalf("StorageClass standard = %+v", sc)
	}
	pvc, err := c.CoreV1().PersistentVolumeClaims(ns).Create(ctx, &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "data"},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("64Mi")}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	writer := volRunOnce(t, c, ns, "writer", "", "echo persisted-data > /data/file && cat /data/file", volClaim("data"))
	node := writer.Spec.NodeName
	pvc, err = c.CoreV1().PersistentVolumeClaims(ns).Get(ctx, "data", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pvName := "pvc-" + string(pvc.UID)
	if pvc.Status.Phase != corev1.ClaimBound || pvc.Spec.VolumeName != pvName || pvc.Annotations["volume.kubernetes.io/selected-node"] != node {
		t.Fatalf("claim after its first pod: phase %s, volume %q, annotations %v (pod on %s)", pvc.Status.Phase, pvc.Spec.VolumeName, pvc.Annotations, node)
	}
	volDeletePod(t, c, ns, "writer")

	reader := volRunOnce(t, c, ns, "reader", "", "cat /data/file", volClaim("data"))
	if reader.Spec.NodeName != node {
		t.Errorf("reader ran on %s, want the volume's node %s", reader.Spec.NodeName, node)
	}
	if out := volLogs(t, c, ns, "reader"); strings.TrimSpace(out) != "persisted-data" {
		t.Errorf("reader read %q, want persisted-data", out)
	}
	volDeletePod(t, c, ns, "reader")
	if out := volList(t, c, ns, node, "ls-before"); !strings.Contains(out, pvName) {
		t.Fatalf("volumes on %s = %q, want %s", node, out, pvName)
	}

	if err := c.CoreV1().PersistentVolumeClaims(ns).Delete(ctx, "data", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	volWait(t, time.Minute, "PV "+pvName+" deleted", func() bool {
		_, err := c.CoreV1().PersistentVolumes().Get(ctx, pvName, metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
	volWait(t, time.Minute, "directory of "+pvName+" removed", func() bool {
		return !strings.Contains(volList(t, c, ns, node, "ls-after-"+time.Now().Format("150405")), pvName)
	})
}

func volClaim(claim string) corev1.Volume {
	return corev1.Volume{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}}
}

// volRunOnce runs a busybox pod to completion (on node, if set) with vol at
// /data and returns it.
func volRunOnce(t *testing.T, c kubernetes.Interface, ns, name, node, script string, vol corev1.Volume) *corev1.Pod {
	t.Helper()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{
		NodeName: node, RestartPolicy: corev1.RestartPolicyNever, Volumes: []corev1.Volume{vol},
		Containers: []corev1.Container{{Name: "c", Image: "mini-test/busybox:v1", ImagePullPolicy: corev1.PullIfNotPresent,
			Command: []string{"sh", "-c", script}, VolumeMounts: []corev1.VolumeMount{{Name: vol.Name, MountPath: "/data"}}}}}}
	if _, err := c.CoreV1().Pods(ns).Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create pod %s: %v", name, err)
	}
	var got *corev1.Pod
	volWait(t, 2*time.Minute, "pod "+name+" Succeeded", func() bool {
		p, err := c.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return false
		}
		got = p
		if p.Status.Phase == corev1.PodFailed {
			t.Fatalf("pod %s failed: %s", name, describeStatus(p))
		}
		return p.Status.Phase == corev1.PodSucceeded
	})
	return got
}

// volList lists the node's local volume directories from a pod.
func volList(t *testing.T, c kubernetes.Interface, ns, node, name string) string {
	t.Helper()
	vol := corev1.Volume{Name: "data", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/lib/mini/volumes"}}}
	volRunOnce(t, c, ns, name, node, "ls /data", vol)
	out := volLogs(t, c, ns, name)
	volDeletePod(t, c, ns, name)
	return out
}

func volLogs(t *testing.T, c kubernetes.Interface, ns, name string) string {
	t.Helper()
	b, err := c.CoreV1().Pods(ns).GetLogs(name, &corev1.PodLogOptions{}).DoRaw(context.Background())
	if err != nil {
		t.Fatalf("logs of %s: %v", name, err)
	}
	return string(b)
}

func volDeletePod(t *testing.T, c kubernetes.Interface, ns, name string) {
	t.Helper()
	if err := c.CoreV1().Pods(ns).Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete pod %s: %v", name, err)
	}
	volWait(t, time.Minute, "pod "+name+" gone", func() bool {
		_, err := c.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
}

func volWait(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
