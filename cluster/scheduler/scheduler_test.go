package scheduler

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/apiserver/apiservertest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
)

// cluster is an API server with a running scheduler.
type cluster struct {
	t   *testing.T
	ctx context.Context
	c   kubernetes.Interface
	s   *Scheduler
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	c := kubernetes.NewForConfigOrDie(apiservertest.Start(t))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	s := New(Config{Client: c})
	go s.Run(ctx)
	return &cluster{t: t, ctx: ctx, c: c, s: s}
}

// addNode registers a Ready node as the agent does: create, then status.
func (k *cluster) addNode(name, memory string, opts ...func(*corev1.Node)) {
	k.t.Helper()
	n := node(name, withAlloc(corev1.ResourceMemory, memory))
	for _, o := range opts {
		o(n)
	}
	status := n.Status
	created, err := k.c.CoreV1().Nodes().Create(k.ctx, n, metav1.CreateOptions{})
	if err != nil {
		k.t.Fatal(err)
	}
	created.Status = status
	created.Status.Capacity = status.Allocatable
	if _, err := k.c.CoreV1().Nodes().UpdateStatus(k.ctx, created, metav1.UpdateOptions{}); err != nil {
		k.t.Fatal(err)
	}
}

func (k *cluster) addPod(p *corev1.Pod) {
	k.t.Helper()
	p.UID = ""
	if _, err := k.c.CoreV1().Pods(p.Namespace).Create(k.ctx, p, metav1.CreateOptions{}); err != nil {
		k.t.Fatal(err)
	}
}

// waitPod polls until ok holds for the pod.
func (k *cluster) waitPod(name, what string, ok func(*corev1.Pod) bool) *corev1.Pod {
	k.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := k.c.CoreV1().Pods("default").Get(k.ctx, name, metav1.GetOptions{})
		if err == nil && ok(p) {
			return p
		}
		if time.Now().After(deadline) {
			k.t.Fatalf("pod %s: %s: timed out (last: %+v, %v)", name, what, p.Status.Conditions, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (k *cluster) waitBound(name string) string {
	k.t.Helper()
	return k.waitPod(name, "bound", func(p *corev1.Pod) bool { return p.Spec.NodeName != "" }).Spec.NodeName
}

func (k *cluster) waitUnschedulable(name, msg string) {
	k.t.Helper()
	k.waitPod(name, "unschedulable: "+msg, func(p *corev1.Pod) bool {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable && c.Message == msg {
				return p.Spec.NodeName == ""
			}
		}
		return false
	})
}

// events waits up to 5 s for the pod's Events of that reason (they are
// recorded after the status or binding the test waits on).
func (k *cluster) events(pod, reason string) []corev1.Event {
	k.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		list, err := k.c.CoreV1().Events("default").List(k.ctx, metav1.ListOptions{
			FieldSelector: fields.Set{"involvedObject.name": pod, "reason": reason}.String()})
		if err != nil {
			k.t.Fatal(err)
		}
		if len(list.Items) > 0 || time.Now().After(deadline) {
			return list.Items
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSpreadsOwnersPods(t *testing.T) {
	t.Parallel()
	k := startCluster(t)
	for i := 1; i <= 3; i++ {
		k.addNode(fmt.Sprintf("n%d", i), "4Gi")
	}
	for i := range 6 {
		k.addPod(pod(fmt.Sprintf("web-%d", i), ownedBy("rs-uid"), requests("cpu", "100m", "memory", "128Mi")))
	}
	per := map[string]int{}
	for i := range 6 {
		per[k.waitBound(fmt.Sprintf("web-%d", i))]++
	}
	if per["n1"] != 2 || per["n2"] != 2 || per["n3"] != 2 {
		t.Errorf("pods per node = %v, want 2/2/2", per)
	}
	ev := k.events("web-0", "Scheduled")
	if len(ev) != 1 || ev[0].Type != corev1.EventTypeNormal || ev[0].Source.Component != "default-scheduler" ||
		ev[0].Message != "Successfully assigned default/web-0 to "+k.waitBound("web-0") {
		t.Errorf("Scheduled events = %+v", ev)
	}
}

// waitSchedulerSees waits until cond holds for the scheduler's informer view.
func (k *cluster) waitSchedulerSees(what string, cond func() bool) {
	k.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			k.t.Fatalf("the scheduler never saw %s", what)
		}
	}
}

func TestUnschedulableUntilABigNodeComes(t *testing.T) {
	t.Parallel()
	k := startCluster(t)
	for i := 1; i <= 3; i++ {
		k.addNode(fmt.Sprintf("n%d", i), "4Gi")
	}
	k.addPod(pod("big", requests("memory", "16Gi")))
	const msg = "0/3 nodes are available: 3 Insufficient memory."
	k.waitUnschedulable("big", msg)
	ev := k.events("big", "FailedScheduling")
	if len(ev) != 1 || ev[0].Type != corev1.EventTypeWarning || ev[0].Message != msg || ev[0].Source.Component != "default-scheduler" ||
		ev[0].InvolvedObject.Kind != "Pod" || ev[0].InvolvedObject.UID == "" {
		t.Errorf("FailedScheduling events = %+v", ev)
	}
	k.addNode("huge", "32Gi")
	if n := k.waitBound("big"); n != "huge" {
		t.Errorf("bound to %s, want huge", n)
	}
}

func TestNodeSelectorTaintsAndCordon(t *testing.T) {
	t.Parallel()
	k := startCluster(t)
	k.addNode("plain", "4Gi")
	k.addNode("ssd", "4Gi", withLabels("disk", "ssd"))
	k.addNode("tainted", "4Gi", withLabels("disk", "ssd"), withTaints(corev1.Taint{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoSchedule}))

	k.addPod(pod("selector", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"disk": "ssd"} }))
	if n := k.waitBound("selector"); n != "ssd" {
		t.Errorf("nodeSelector pod on %s, want ssd", n)
	}
	k.addPod(pod("tolerant", tolerate(corev1.Toleration{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "db", Effect: corev1.TaintEffectNoSchedule}),
		func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"disk": "ssd"} }, requests("memory", "3Gi")))
	if n := k.waitBound("tolerant"); n != "tainted" { // ssd is busier now
		t.Errorf("tolerating pod on %s, want tainted", n)
	}

	for _, name := range []string{"plain", "ssd"} {
		n, err := k.c.CoreV1().Nodes().Get(k.ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n.Spec.Unschedulable = true
		if _, err := k.c.CoreV1().Nodes().Update(k.ctx, n, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// The scheduler places pods from its informer's view: let it see the
	// cordons first, or the pod could (rightly) land before they arrive.
	k.waitSchedulerSees("plain and ssd cordoned", func() bool {
		for _, name := range []string{"plain", "ssd"} {
			if n, err := k.s.nodes.Get(name); err != nil || !n.Spec.Unschedulable {
				return false
			}
		}
		return true
	})
	k.addPod(pod("stuck"))
	k.waitUnschedulable("stuck", "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 2 node(s) were unschedulable.")

	n, err := k.c.CoreV1().Nodes().Get(k.ctx, "plain", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Spec.Unschedulable = false
	if _, err := k.c.CoreV1().Nodes().Update(k.ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := k.waitBound("stuck"); got != "plain" {
		t.Errorf("uncordoned pod on %s, want plain", got)
	}
}

// Pods created in a burst must not overcommit a node: each one sees the
// ones bound before it, even before the informer does.
func TestNoOvercommit(t *testing.T) {
	t.Parallel()
	k := startCluster(t)
	k.addNode("n1", "1Gi")
	for i := range 5 {
		k.addPod(pod(fmt.Sprintf("p%d", i), requests("memory", "300Mi")))
	}
	bound := 0
	for i := range 5 {
		p := k.waitPod(fmt.Sprintf("p%d", i), "bound or unschedulable", func(p *corev1.Pod) bool {
			return p.Spec.NodeName != "" || len(p.Status.Conditions) > 0 && p.Status.Conditions[0].Reason == corev1.PodReasonUnschedulable
		})
		if p.Spec.NodeName != "" {
			bound++
		}
	}
	if bound != 3 {
		t.Errorf("%d pods of 300Mi bound to a 1Gi node, want 3", bound)
	}
}

// A pod retried without change keeps one FailedScheduling Event whose
// count grows, and its condition's lastTransitionTime.
func TestRetryKeepsOneEvent(t *testing.T) {
	t.Parallel()
	c := kubernetes.NewForConfigOrDie(apiservertest.Start(t))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go New(Config{Client: c, RetryPeriod: 50 * time.Millisecond}).Run(ctx)
	k := &cluster{t: t, ctx: ctx, c: c}
	k.addNode("n1", "1Gi")
	k.addPod(pod("big", requests("memory", "2Gi")))
	const msg = "0/1 nodes are available: 1 Insufficient memory."
	k.waitUnschedulable("big", msg)
	first := k.waitPod("big", "condition", func(*corev1.Pod) bool { return true }).Status.Conditions
	deadline := time.Now().Add(10 * time.Second)
	for {
		ev := k.events("big", "FailedScheduling")
		if len(ev) != 1 {
			t.Fatalf("%d FailedScheduling events, want 1", len(ev))
		}
		if ev[0].Count >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("event count stayed %d", ev[0].Count)
		}
		time.Sleep(20 * time.Millisecond)
	}
	now := k.waitPod("big", "condition", func(*corev1.Pod) bool { return true }).Status.Conditions
	if !now[0].LastTransitionTime.Equal(&first[0].LastTransitionTime) {
		t.Errorf("lastTransitionTime moved: %v -> %v", first[0].LastTransitionTime, now[0].LastTransitionTime)
	}
}
