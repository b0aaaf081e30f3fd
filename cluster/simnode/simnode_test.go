package simnode

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/apiserver/apiservertest"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

func TestPodCIDR(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for i := 1; i <= 511; i++ {
		c := PodCIDR(i)
		if _, _, err := net.ParseCIDR(c); err != nil || seen[c] {
			t.Fatalf("PodCIDR(%d) = %q: invalid or repeated", i, c)
		}
		seen[c] = true
	}
	if got := PodCIDR(300); got != "10.247.44.0/24" {
		t.Errorf("PodCIDR(300) = %s", got)
	}
}

// TestSimulatedNodes: nodes register Ready with Leases; a pod bound to one
// goes Running and Ready with an IP of the node's range; a deleted pod goes.
func TestSimulatedNodes(t *testing.T) {
	t.Parallel()
	c := kubernetes.NewForConfigOrDie(apiservertest.Start(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: corev1.NamespaceNodeLease}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	sim := New(Config{Client: c, Prefix: "t-sim", Count: 3, Heartbeat: 100 * time.Millisecond, Version: "v1.37.0-test"})
	go func() { _ = sim.Run(ctx) }()

	eventually := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	eventually("3 Ready simulated nodes with leases", func() bool {
		nodes, err := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: Label + "=simulated"})
		if err != nil || len(nodes.Items) != 3 {
			return false
		}
		for i := range nodes.Items {
			if !ready(&nodes.Items[i]) {
				return false
			}
		}
		leases, err := c.CoordinationV1().Leases(corev1.NamespaceNodeLease).List(ctx, metav1.ListOptions{})
		return err == nil && len(leases.Items) == 3
	})

	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: corev1.PodSpec{NodeName: "t-sim-2",
		InitContainers: []corev1.Container{{Name: "init", Image: "busybox:1"}},
		Containers:     []corev1.Container{{Name: "a", Image: "web:1"}, {Name: "b", Image: "web:1"}}}}
	if _, err := c.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var got *corev1.Pod
	eventually("the pod Running", func() bool {
		p, err := c.CoreV1().Pods("default").Get(ctx, "p", metav1.GetOptions{})
		got = p
		return err == nil && p.Status.Phase == corev1.PodRunning
	})
	_, cidr, _ := net.ParseCIDR(PodCIDR(2))
	if ip := net.ParseIP(got.Status.PodIP); ip == nil || !cidr.Contains(ip) {
		t.Errorf("pod IP %q not in %s", got.Status.PodIP, cidr)
	}
	if len(got.Status.ContainerStatuses) != 2 || !got.Status.ContainerStatuses[1].Ready || got.Status.InitContainerStatuses[0].State.Terminated == nil {
		t.Errorf("container statuses: %+v / init %+v", got.Status.ContainerStatuses, got.Status.InitContainerStatuses)
	}

	// A pod on a node that is not simulated is left alone.
	other := pod.DeepCopy()
	other.Name, other.Spec.NodeName = "real", "real-node-1"
	if _, err := c.CoreV1().Pods("default").Create(ctx, other, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	if err := c.CoreV1().Pods("default").Delete(ctx, "p", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually("the deleted pod to go", func() bool {
		_, err := c.CoreV1().Pods("default").Get(ctx, "p", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
	if p, err := c.CoreV1().Pods("default").Get(ctx, "real", metav1.GetOptions{}); err != nil || p.Status.Phase != corev1.PodPending {
		t.Errorf("pod on a real node: %v phase %q, want it untouched (Pending)", err, p.Status.Phase)
	}
}
