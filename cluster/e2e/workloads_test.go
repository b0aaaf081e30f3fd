package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

const simDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 6
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      nodeSelector: {mini.dev/node: simulated}
      containers: [{name: web, image: "web:IMAGE", resources: {requests: {memory: 64Mi}}}]
`

// applyDeployment applies the simulated-node Deployment with an image tag.
func applyDeployment(t *testing.T, e *env, name, image string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "web.yaml")
	if err := os.WriteFile(f, []byte(strings.Replace(simDeployment, "IMAGE", image, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	e.must("apply", "--name", name, "-f", f)
}

// waitPods waits until cond holds for the pods of app=web.
func waitPods(t *testing.T, c kubernetes.Interface, timeout time.Duration, what string, cond func([]corev1.Pod) bool) []corev1.Pod {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		l, err := c.CoreV1().Pods("default").List(context.Background(), metav1.ListOptions{LabelSelector: "app=web"})
		if err == nil && cond(l.Items) {
			return l.Items
		}
		if time.Now().After(deadline) {
			var states []string
			if l != nil {
				for _, p := range l.Items {
					states = append(states, p.Name+"="+string(p.Status.Phase)+"@"+p.Spec.NodeName)
				}
			}
			t.Fatalf("timed out after %s waiting for %s: %v", timeout, what, states)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func running(n int, image string) func([]corev1.Pod) bool {
	return func(pods []corev1.Pod) bool {
		ok := 0
		for _, p := range pods {
			if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil && p.Spec.Containers[0].Image == "web:"+image {
				ok++
			}
		}
		return ok == n && len(pods) == n
	}
}

// TestDeploymentOnSimulatedNodes: a Deployment is scheduled, spread,
// rolled out and garbage-collected, on simulated nodes of a real cluster.
func TestDeploymentOnSimulatedNodes(t *testing.T) {
	e := newEnv(t)
	name := uniqueName("wl")
	e.up(name, "--nodes", "1", "--simulated-nodes", "3", "--no-kubeconfig-merge")
	c := e.client(name)
	applyDeployment(t, e, name, "1")
	pods := waitPods(t, c, 30*time.Second, "6 Running pods", running(6, "1"))
	perNode := map[string]int{}
	for _, p := range pods {
		perNode[p.Spec.NodeName]++
	}
	if len(perNode) != 3 {
		t.Errorf("6 pods on %d nodes (%v), want spread over the 3 simulated nodes", len(perNode), perNode)
	}
	for n, k := range perNode {
		if k != 2 {
			t.Errorf("node %s has %d pods, want 2 each: %v", n, k, perNode)
		}
	}
	// kubectl's rollout status conditions: the Deployment is complete.
	deadline := time.Now().Add(20 * time.Second)
	for {
		d, err := c.AppsV1().Deployments("default").Get(context.Background(), "web", metav1.GetOptions{})
		if err == nil && d.Status.ObservedGeneration >= d.Generation && d.Status.UpdatedReplicas == 6 && d.Status.AvailableReplicas == 6 && d.Status.Replicas == 6 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deployment not complete: %+v (%v)", d.Status, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A rolling update replaces every pod.
	applyDeployment(t, e, name, "2")
	waitPods(t, c, 30*time.Second, "6 Running pods of the new image", running(6, "2"))
	rs, err := c.AppsV1().ReplicaSets("default").List(context.Background(), metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil || len(rs.Items) != 2 {
		t.Fatalf("replica sets after a rollout: %v, %d; want 2 (old at 0)", err, len(rs.Items))
	}
	// mini's rollout verbs, as kubectl's: status, undo, scale, restart.
	if out := e.must("rollout", "status", "--name", name, "deploy/web", "--timeout", "30s"); !strings.Contains(out, `deployment "web" successfully rolled out`) {
		t.Errorf("rollout status printed:\n%s", out)
	}
	e.must("rollout", "undo", "--name", name, "deploy/web")
	waitPods(t, c, 30*time.Second, "6 Running pods of the first image again", running(6, "1"))
	e.must("scale", "--name", name, "deploy/web", "--replicas", "3")
	waitPods(t, c, 30*time.Second, "3 Running pods", running(3, "1"))
	e.must("rollout", "restart", "--name", name, "deploy/web")
	e.must("rollout", "status", "--name", name, "deploy/web", "--timeout", "30s")
	rs, err = c.AppsV1().ReplicaSets("default").List(context.Background(), metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil || len(rs.Items) != 3 {
		t.Errorf("replica sets after undo and restart: %v, %d; want 3 (restart makes a new one)", err, len(rs.Items))
	}
	if out, err := e.mini("rollout", "undo", "--name", name, "deploy/web", "--to-revision", "42"); err == nil || !strings.Contains(out, "unable to find specified revision 42") {
		t.Errorf("undo to a missing revision: %v\n%s", err, out)
	}
	// A pod that fits nowhere says why.
	big := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "big"}, Spec: corev1.PodSpec{
		NodeSelector: map[string]string{"mini.dev/node": "simulated"},
		Containers:   []corev1.Container{{Name: "c", Image: "x:1", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: resourceMust("1Ti")}}}}}}
	if _, err := c.CoreV1().Pods("default").Create(context.Background(), big, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(15 * time.Second)
	for {
		p, err := c.CoreV1().Pods("default").Get(context.Background(), "big", metav1.GetOptions{})
		if err == nil && scheduledMessage(p) != "" {
			if msg := scheduledMessage(p); !strings.Contains(msg, "3 Insufficient memory") || !strings.HasPrefix(msg, "0/4 nodes are available") {
				t.Errorf("unschedulable message %q", msg)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("big pod has no Unschedulable condition: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Deleting the Deployment removes its ReplicaSets and pods.
	e.must("delete", "--name", name, "deploy", "web")
	waitPods(t, c, 30*time.Second, "no pods left", func(p []corev1.Pod) bool { return len(p) == 0 })
}

func scheduledMessage(p *corev1.Pod) string {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return c.Message
		}
	}
	return ""
}

func resourceMust(s string) resource.Quantity { return resource.MustParse(s) }
