package replicaset

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/apiserver/apiservertest"
	"github.com/minidev/mini/cluster/controller/controllerutil/fakekubelet"
	"github.com/minidev/mini/cluster/controller/garbagecollector"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
)

func startRS(t *testing.T, gc bool) (context.Context, kubernetes.Interface) {
	t.Helper()
	cfg := apiservertest.Start(t)
	c := kubernetes.NewForConfigOrDie(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Go(func() { New(Config{Client: c}).Run(ctx) })
	if gc {
		g, err := garbagecollector.New(garbagecollector.Config{Discovery: c.Discovery(), Metadata: metadata.NewForConfigOrDie(cfg), Recheck: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { g.Run(ctx) })
	}
	return ctx, c
}

func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
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

func rsSpec(name string, replicas int32) *appsv1.ReplicaSet {
	labels := map[string]string{"app": name}
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}},
			},
		},
	}
}

func podNames(t *testing.T, ctx context.Context, c kubernetes.Interface, app string) []string {
	t.Helper()
	l, err := c.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range l.Items {
		if p.DeletionTimestamp == nil {
			names = append(names, p.Name)
		}
	}
	sort.Strings(names)
	return names
}

func TestReplicaSetPodsAndGC(t *testing.T) {
	t.Parallel()
	ctx, c := startRS(t, true)
	// Count every pod creation: expectations must prevent double creates.
	w, err := c.CoreV1().Pods("default").Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	created := 0
	go func() {
		for ev := range w.ResultChan() {
			if ev.Type == "ADDED" {
				mu.Lock()
				created++
				mu.Unlock()
			}
		}
	}()
	defer w.Stop()

	rs, err := c.AppsV1().ReplicaSets("default").Create(ctx, rsSpec("rs", 5), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "5 pods and status", func() (bool, string) {
		got, _ := c.AppsV1().ReplicaSets("default").Get(ctx, "rs", metav1.GetOptions{})
		names := podNames(t, ctx, c, "rs")
		return len(names) == 5 && got.Status.Replicas == 5 && got.Status.FullyLabeledReplicas == 5 && got.Status.ObservedGeneration == got.Generation, fmt.Sprintf("pods %v status %+v", names, got.Status)
	})
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	if created != 5 {
		t.Errorf("created %d pods for 5 replicas", created)
	}
	mu.Unlock()

	// A deleted pod is replaced.
	before := podNames(t, ctx, c, "rs")
	if err := c.CoreV1().Pods("default").Delete(ctx, before[0], metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "replacement pod", func() (bool, string) {
		now := podNames(t, ctx, c, "rs")
		return len(now) == 5 && !contains(now, before[0]), fmt.Sprint(now)
	})

	// An orphan that matches is adopted (and an extra one deleted); a pod
	// whose labels stop matching is released.
	orphan := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "orphan", Labels: map[string]string{"app": "rs"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}
	if _, err := c.CoreV1().Pods("default").Create(ctx, orphan, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "adoption and scale back to 5", func() (bool, string) {
		names := podNames(t, ctx, c, "rs")
		p, err := c.CoreV1().Pods("default").Get(ctx, "orphan", metav1.GetOptions{})
		adopted := apierrors.IsNotFound(err) || (err == nil && metav1.GetControllerOf(p) != nil && metav1.GetControllerOf(p).UID == rs.UID)
		return adopted && len(names) == 5, fmt.Sprint(names)
	})
	names := podNames(t, ctx, c, "rs")
	p, err := c.CoreV1().Pods("default").Get(ctx, names[0], metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Labels = map[string]string{"app": "other"}
	if _, err := c.CoreV1().Pods("default").Update(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "release and replacement", func() (bool, string) {
		got, err := c.CoreV1().Pods("default").Get(ctx, p.Name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return len(got.OwnerReferences) == 0 && len(podNames(t, ctx, c, "rs")) == 5, fmt.Sprint(got.OwnerReferences)
	})

	// Deleting the ReplicaSet lets the garbage collector take its pods.
	if err := c.AppsV1().ReplicaSets("default").Delete(ctx, "rs", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "pods collected", func() (bool, string) {
		names := podNames(t, ctx, c, "rs")
		return len(names) == 0, fmt.Sprint(names)
	})
}

func TestScaleDownDeletesNotReadyFirst(t *testing.T) {
	t.Parallel()
	ctx, c := startRS(t, false)
	if _, err := c.AppsV1().ReplicaSets("default").Create(ctx, rsSpec("sd", 4), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "4 pods", func() (bool, string) {
		n := podNames(t, ctx, c, "sd")
		return len(n) == 4, fmt.Sprint(n)
	})
	names := podNames(t, ctx, c, "sd")
	ready := names[1:3]
	for _, n := range ready {
		if err := fakekubelet.MarkReady(ctx, c, "default", n, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "2 ready", func() (bool, string) {
		got, _ := c.AppsV1().ReplicaSets("default").Get(ctx, "sd", metav1.GetOptions{})
		return got.Status.ReadyReplicas == 2 && got.Status.AvailableReplicas == 2, fmt.Sprintf("%+v", got.Status)
	})
	for {
		rs, _ := c.AppsV1().ReplicaSets("default").Get(ctx, "sd", metav1.GetOptions{})
		rs.Spec.Replicas = new(int32(2))
		if _, err := c.AppsV1().ReplicaSets("default").Update(ctx, rs, metav1.UpdateOptions{}); err == nil {
			break
		} else if !apierrors.IsConflict(err) {
			t.Fatal(err)
		}
	}
	eventually(t, "the ready pods to stay", func() (bool, string) {
		n := podNames(t, ctx, c, "sd")
		return fmt.Sprint(n) == fmt.Sprint(ready), fmt.Sprintf("pods %v, ready were %v", n, ready)
	})
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}
