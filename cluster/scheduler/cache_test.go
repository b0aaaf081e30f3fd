package scheduler

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestPodCache: the cache's per-node view follows the informer's events
// and the scheduler's assumptions as a snapshot of the same objects would.
func TestPodCache(t *testing.T) {
	t.Parallel()
	web := pod("web", requests("cpu", "500m", "memory", "1Gi"), hostPorts(corev1.ContainerPort{ContainerPort: 80, HostPort: 8080}))
	bound := func(p *corev1.Pod, n string) *corev1.Pod { c := p.DeepCopy(); c.Spec.NodeName = n; return c }
	phase := func(p *corev1.Pod, ph corev1.PodPhase) *corev1.Pod { c := p.DeepCopy(); c.Status.Phase = ph; return c }
	antiPod := pod("anti", onNode("n1"), func(p *corev1.Pod) {
		p.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{
			{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}}, TopologyKey: corev1.LabelHostname}}}}
	})
	tests := []struct {
		name     string
		ops      func(c *podCache)
		wantPods map[string]int // node -> pods counted
		wantCPU  map[string]int64
		wantPort map[string]int
		wantAnti map[string]int
	}{
		{name: "bound pod counts on its node",
			ops:      func(c *podCache) { c.updatePod(bound(web, "n1")) },
			wantPods: map[string]int{"n1": 1, "n2": 0}, wantCPU: map[string]int64{"n1": 500}, wantPort: map[string]int{"n1": 1}},
		{name: "pending pod does not count",
			ops:      func(c *podCache) { c.updatePod(web) },
			wantPods: map[string]int{"n1": 0, "n2": 0}, wantCPU: map[string]int64{"n1": 0}},
		{name: "assumed pod counts, stays while the informer shows it pending, then is confirmed",
			ops: func(c *podCache) {
				c.mu.Lock()
				c.assumeLocked(web, "n2")
				c.mu.Unlock()
				c.updatePod(web) // a stale update: still unbound
				if !c.isAssumed(web.UID) {
					t.Error("assumption lost on a stale update")
				}
				c.updatePod(bound(web, "n2"))
				if c.isAssumed(web.UID) {
					t.Error("still assumed once seen bound")
				}
			},
			wantPods: map[string]int{"n1": 0, "n2": 1}, wantCPU: map[string]int64{"n2": 500}, wantPort: map[string]int{"n2": 1}},
		{name: "forgotten assumption frees the node",
			ops: func(c *podCache) {
				c.mu.Lock()
				c.assumeLocked(web, "n2")
				c.mu.Unlock()
				c.forget(web.UID)
			},
			wantPods: map[string]int{"n2": 0}, wantCPU: map[string]int64{"n2": 0}, wantPort: map[string]int{"n2": 0}},
		{name: "terminal pod frees its node",
			ops: func(c *podCache) {
				c.updatePod(bound(web, "n1"))
				c.updatePod(phase(bound(web, "n1"), corev1.PodSucceeded))
			},
			wantPods: map[string]int{"n1": 0}, wantCPU: map[string]int64{"n1": 0}, wantPort: map[string]int{"n1": 0}},
		{name: "deleted pod frees its node, others stay",
			ops: func(c *podCache) {
				c.updatePod(bound(web, "n1"))
				c.updatePod(bound(pod("db", requests("cpu", "1")), "n1"))
				c.deletePod(web.UID)
			},
			wantPods: map[string]int{"n1": 1}, wantCPU: map[string]int64{"n1": 1000}, wantPort: map[string]int{"n1": 0}},
		{name: "pods with required anti-affinity are indexed",
			ops:      func(c *podCache) { c.updatePod(antiPod); c.updatePod(bound(web, "n1")) },
			wantPods: map[string]int{"n1": 2}, wantAnti: map[string]int{"n1": 1, "n2": 0}},
		{name: "deleted node leaves the search, its pods stay counted until they go",
			ops: func(c *podCache) {
				c.updatePod(bound(web, "n1"))
				c.deleteNode("n1")
				if got := len(c.nodesLocked()); got != 1 {
					t.Errorf("%d nodes to search, want 1", got)
				}
				c.setNode(node("n1"))
			},
			wantPods: map[string]int{"n1": 1}, wantCPU: map[string]int64{"n1": 500}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newPodCache()
			c.setNode(node("n2"))
			c.setNode(node("n1"))
			tt.ops(c)
			nodes := c.nodesLocked()
			if len(nodes) != 2 || nodes[0].node.Name != "n1" || nodes[1].node.Name != "n2" {
				t.Fatalf("nodes not n1, n2 sorted: %d", len(nodes))
			}
			for n, want := range tt.wantPods {
				if got := len(c.nodes[n].pods); got != want {
					t.Errorf("%s: %d pods, want %d", n, got, want)
				}
			}
			for n, want := range tt.wantCPU {
				if got := c.nodes[n].requested[corev1.ResourceCPU]; got != want {
					t.Errorf("%s: %dm cpu requested, want %dm", n, got, want)
				}
			}
			for n, want := range tt.wantPort {
				if got := len(c.nodes[n].ports); got != want {
					t.Errorf("%s: %d host ports, want %d", n, got, want)
				}
			}
			for n, want := range tt.wantAnti {
				if got := len(c.nodes[n].antiPods); got != want {
					t.Errorf("%s: %d anti-affinity pods, want %d", n, got, want)
				}
			}
		})
	}
}

func TestNumFeasibleNodesToFind(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ all, want int }{
		{0, 0}, {3, 3}, {99, 99}, {100, 100}, {200, 100}, {1000, 420}, {5000, 500}, {6000, 300}, {10000, 500},
	} {
		if got := numFeasibleNodesToFind(tt.all); got != tt.want {
			t.Errorf("numFeasibleNodesToFind(%d) = %d, want %d", tt.all, got, tt.want)
		}
	}
}

// TestSearchRotates: in a large cluster a cycle filters only enough nodes
// and the next one searches on from where it stopped, as kube-scheduler.
func TestSearchRotates(t *testing.T) {
	t.Parallel()
	c := newPodCache()
	for i := range 1000 {
		c.setNode(node(nodeName(i)))
	}
	cy := newCycle(pod("p"), c.nodesLocked(), nil)
	cy.start = 990
	got, msg := cy.schedule()
	if got == "" || cy.processed != 420 {
		t.Fatalf("placed on %q (%s) after %d nodes, want some node after 420", got, msg, cy.processed)
	}
	// Every node is equal: the first searched wins, from the start index.
	if got != nodeName(990) {
		t.Errorf("placed on %s, want %s", got, nodeName(990))
	}
	full := pod("big", requests("memory", "64Gi"))
	cy = newCycle(full, c.nodesLocked(), nil)
	if got, msg := cy.schedule(); got != "" || cy.processed != 1000 || msg != "0/1000 nodes are available: 1000 Insufficient memory." {
		t.Errorf("unfit pod: node %q after %d nodes, message %q", got, cy.processed, msg)
	}
}

func nodeName(i int) string { return fmt.Sprintf("n-%04d", i) }
