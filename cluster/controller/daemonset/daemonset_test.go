package daemonset

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/apiserver/apiservertest"
	"github.com/minidev/mini/cluster/controller/controllerutil/fakekubelet"
	"github.com/minidev/mini/cluster/scheduler"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

func start(t *testing.T) (context.Context, kubernetes.Interface) {
	t.Helper()
	c := kubernetes.NewForConfigOrDie(apiservertest.Start(t))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Go(func() { New(Config{Client: c}).Run(ctx) })
	wg.Go(func() { scheduler.New(scheduler.Config{Client: c, RetryPeriod: time.Second}).Run(ctx) })
	bound := func(p *corev1.Pod) bool { return p.Spec.NodeName != "" }
	wg.Go(func() { fakekubelet.Run(ctx, c, bound, func(err error) { t.Log(err) }) })
	return ctx, c
}

func addNode(t *testing.T, ctx context.Context, c kubernetes.Interface, n *corev1.Node) {
	t.Helper()
	n.Status = corev1.NodeStatus{
		Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi"), corev1.ResourcePods: resource.MustParse("110")},
		Conditions:  []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
	}
	n.Status.Capacity = n.Status.Allocatable
	created, err := c.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	created.Status = n.Status
	if _, err := c.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; %s", what, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// placement maps node to the DaemonSet's live pods bound there.
func placement(t *testing.T, ctx context.Context, c kubernetes.Interface) map[string][]string {
	l, err := c.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=agent"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, p := range l.Items {
		if p.DeletionTimestamp == nil {
			out[p.Spec.NodeName] = append(out[p.Spec.NodeName], p.Name)
		}
	}
	return out
}

func settled(t *testing.T, ctx context.Context, c kubernetes.Interface, n int32) func() (bool, string) {
	return func() (bool, string) {
		ds, err := c.AppsV1().DaemonSets("default").Get(ctx, "agent", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		st := ds.Status
		pl := placement(t, ctx, c)
		ok := st.ObservedGeneration == ds.Generation && st.DesiredNumberScheduled == n && st.CurrentNumberScheduled == n &&
			st.NumberReady == n && st.NumberAvailable == n && st.UpdatedNumberScheduled == n && st.NumberMisscheduled == 0 && len(pl) == int(n)
		for node, pods := range pl {
			ok = ok && node != "" && len(pods) == 1
		}
		return ok, fmt.Sprintf("status %+v placement %v", st, pl)
	}
}

func TestDaemonSetFollowsNodes(t *testing.T) {
	t.Parallel()
	ctx, c := start(t)
	for i := 1; i <= 3; i++ {
		addNode(t, ctx, c, testNode(fmt.Sprintf("node-%d", i)))
	}
	ds := testDS()
	ds.UID, ds.Generation = "", 0
	if _, err := c.AppsV1().DaemonSets("default").Create(ctx, ds, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "one pod on each of 3 nodes", settled(t, ctx, c, 3))

	addNode(t, ctx, c, testNode("node-4"))
	eventually(t, "a pod on the 4th node", settled(t, ctx, c, 4))

	addNode(t, ctx, c, testNode("tainted", taint("dedicated", corev1.TaintEffectNoSchedule)))
	time.Sleep(300 * time.Millisecond)
	eventually(t, "the tainted node skipped", settled(t, ctx, c, 4))

	// A rolling update (maxUnavailable 1) never has more than one node
	// without an available pod.
	var minAvail atomic.Int32
	minAvail.Store(4)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			if d, err := c.AppsV1().DaemonSets("default").Get(ctx, "agent", metav1.GetOptions{}); err == nil && d.Status.NumberAvailable < minAvail.Load() {
				minAvail.Store(d.Status.NumberAvailable)
			}
		}
	})
	for {
		cur, err := c.AppsV1().DaemonSets("default").Get(ctx, "agent", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cur.Spec.Template.Spec.Containers[0].Image = "img:v2"
		if _, err = c.AppsV1().DaemonSets("default").Update(ctx, cur, metav1.UpdateOptions{}); err == nil {
			break
		} else if !apierrors.IsConflict(err) {
			t.Fatal(err)
		}
	}
	eventually(t, "rolled out", func() (bool, string) {
		ok, s := settled(t, ctx, c, 4)()
		l, _ := c.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=agent"})
		for _, p := range l.Items {
			ok = ok && p.Spec.Containers[0].Image == "img:v2"
		}
		return ok, s
	})
	close(stop)
	wg.Wait()
	if m := minAvail.Load(); m < 3 {
		t.Errorf("%d pods available at the worst of the rollout, want at least 3", m)
	}
	revs, err := c.AppsV1().ControllerRevisions("default").List(ctx, metav1.ListOptions{})
	if err != nil || len(revs.Items) != 2 {
		t.Errorf("controller revisions: %v, %d, want 2", err, len(revs.Items))
	}

	// A node that no longer matches loses its pod.
	if err := c.CoreV1().Nodes().Delete(ctx, "node-4", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "3 pods after node-4 is deleted", settled(t, ctx, c, 3))
}
