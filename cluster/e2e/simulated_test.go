package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestSimulatedNodes: real and simulated nodes in one cluster; a pod bound
// to a simulated node goes Running with an IP of that node's range.
func TestSimulatedNodes(t *testing.T) {
	e := newEnv(t)
	name := uniqueName("sim")
	e.up(name, "--nodes", "1", "--simulated-nodes", "20", "--no-kubeconfig-merge")
	c := e.client(name)
	waitNodes(t, c, 30*time.Second, "1 real and 20 simulated Ready nodes", allReady(21))
	nodes, err := c.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{LabelSelector: "mini.dev/node=simulated"})
	if err != nil || len(nodes.Items) != 20 {
		t.Fatalf("simulated nodes: %v, %d", err, len(nodes.Items))
	}
	if out := e.must("status", "--name", name); !strings.Contains(out, "Simulated nodes: 20") {
		t.Errorf("status does not show the simulated nodes:\n%s", out)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: corev1.PodSpec{NodeName: name + "-sim-7", Containers: []corev1.Container{{Name: "c", Image: "web:1"}}}}
	if _, err := c.CoreV1().Pods("default").Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := c.CoreV1().Pods("default").Get(context.Background(), "p", metav1.GetOptions{})
		if err == nil && p.Status.Phase == corev1.PodRunning {
			if !strings.HasPrefix(p.Status.PodIP, "10.246.7.") {
				t.Errorf("pod IP %s, want one of 10.246.7.0/24", p.Status.PodIP)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pod on a simulated node not Running after 10s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
