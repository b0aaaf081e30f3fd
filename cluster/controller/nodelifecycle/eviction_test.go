package nodelifecycle

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/apiserver/apiservertest"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

func TestEvictAfter(t *testing.T) {
	t.Parallel()
	added := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	unreachable := corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute, TimeAdded: ptr.To(metav1.NewTime(added))}
	notReady := corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoExecute, TimeAdded: ptr.To(metav1.NewTime(added.Add(10 * time.Second)))}
	noSchedule := corev1.Taint{Key: "x", Effect: corev1.TaintEffectNoSchedule}
	custom := corev1.Taint{Key: "example.com/drain", Value: "yes", Effect: corev1.TaintEffectNoExecute, TimeAdded: ptr.To(metav1.NewTime(added))}
	tol := func(key string, secs *int64) corev1.Toleration {
		return corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: secs}
	}
	defaults := []corev1.Toleration{tol(corev1.TaintNodeNotReady, ptr.To[int64](300)), tol(corev1.TaintNodeUnreachable, ptr.To[int64](300))}
	for _, tc := range []struct {
		name   string
		tols   []corev1.Toleration
		taints []corev1.Taint
		evict  bool
		at     time.Time // zero: at once (when evict)
	}{
		{"no NoExecute taint", nil, []corev1.Taint{noSchedule}, false, time.Time{}},
		{"untolerated: at once", defaults, []corev1.Taint{custom}, true, time.Time{}},
		{"default 300 s", defaults, []corev1.Taint{unreachable}, true, added.Add(300 * time.Second)},
		{"shortest of two taints", []corev1.Toleration{tol(corev1.TaintNodeNotReady, ptr.To[int64](5)), tol(corev1.TaintNodeUnreachable, ptr.To[int64](300))},
			[]corev1.Taint{unreachable, notReady}, true, added.Add(15 * time.Second)},
		{"tolerated for ever", []corev1.Toleration{tol(corev1.TaintNodeUnreachable, nil)}, []corev1.Taint{unreachable}, false, time.Time{}},
		{"wildcard toleration", []corev1.Toleration{{Operator: corev1.TolerationOpExists}}, []corev1.Taint{custom, unreachable}, false, time.Time{}},
		{"equal value matches", []corev1.Toleration{{Key: "example.com/drain", Value: "yes", Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](2)}},
			[]corev1.Taint{custom}, true, added.Add(2 * time.Second)},
		{"other value does not", []corev1.Toleration{{Key: "example.com/drain", Value: "no", Effect: corev1.TaintEffectNoExecute}}, []corev1.Taint{custom}, true, time.Time{}},
		{"negative seconds: at once", []corev1.Toleration{tol(corev1.TaintNodeUnreachable, ptr.To[int64](-1))}, []corev1.Taint{unreachable}, true, added},
	} {
		pod := &corev1.Pod{Spec: corev1.PodSpec{Tolerations: tc.tols}}
		evict, after, since := EvictAfter(pod, tc.taints)
		at := time.Time{}
		if evict && (after > 0 || !since.IsZero()) {
			at = since.Add(after)
		}
		if evict != tc.evict || !at.Equal(tc.at) {
			t.Errorf("%s: evict %v at %v, want %v at %v", tc.name, evict, at, tc.evict, tc.at)
		}
	}
}

func TestEvictionFromTaintedNode(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts an API server")
	}
	c := kubernetes.NewForConfigOrDie(apiservertest.Start(t))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })

	now := metav1.NewTime(time.Now().Truncate(time.Second)) // what the API keeps of timeAdded
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}, Spec: corev1.NodeSpec{Taints: []corev1.Taint{
		{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute, TimeAdded: &now},
	}}}
	if _, err := c.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := func(name string, tols ...corev1.Toleration) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{NodeName: "n1", Tolerations: tols,
			Containers: []corev1.Container{{Name: "c", Image: "x"}}}}
	}
	for _, p := range []*corev1.Pod{
		pod("defaults"), // the API server's 300 s
		pod("short", corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](1)}),
		pod("forever", corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute}),
		pod("untolerated", corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpEqual, Value: "other", Effect: corev1.TaintEffectNoExecute}),
	} {
		if _, err := c.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Go(func() { New(Config{Client: c, Period: 50 * time.Millisecond}).Run(ctx) })

	gone := func(name string) bool {
		p, err := c.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
		return apierrors.IsNotFound(err) || (err == nil && p.DeletionTimestamp != nil)
	}
	begin := time.Now()
	deadline := begin.Add(10 * time.Second)
	for !(gone("untolerated") && gone("short")) {
		if time.Now().After(deadline) {
			t.Fatalf("untolerated gone %v, short gone %v", gone("untolerated"), gone("short"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if time.Since(now.Time) < time.Second {
		t.Errorf("pod with tolerationSeconds 1 went after %v", time.Since(now.Time))
	}
	time.Sleep(200 * time.Millisecond)
	for _, name := range []string{"defaults", "forever"} {
		if gone(name) {
			t.Errorf("%s evicted", name)
		}
	}
	p, err := c.CoreV1().Pods("default").Get(ctx, "short", metav1.GetOptions{})
	if err == nil {
		var reasons []string
		for _, cond := range p.Status.Conditions {
			reasons = append(reasons, fmt.Sprint(cond.Type, "/", cond.Reason))
		}
		if fmt.Sprint(reasons) != "[DisruptionTarget/DeletionByTaintManager]" {
			t.Errorf("conditions %v", reasons)
		}
	}
}
