package deployment

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/apiserver/apiservertest"
	"github.com/minidev/mini/cluster/controller/controllerutil"
	"github.com/minidev/mini/cluster/controller/controllerutil/fakekubelet"
	"github.com/minidev/mini/cluster/controller/replicaset"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
)

// env runs the ReplicaSet and Deployment controllers and a fake kubelet
// (marking every pod ready but those of image "broken") against a real API server.
type env struct {
	t   *testing.T
	ctx context.Context
	c   kubernetes.Interface
}

func start(t *testing.T) *env {
	t.Helper()
	cfg := apiservertest.Start(t)
	c := kubernetes.NewForConfigOrDie(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Go(func() { replicaset.New(replicaset.Config{Client: c}).Run(ctx) })
	wg.Go(func() { New(Config{Client: c}).Run(ctx) })
	wg.Go(func() {
		fakekubelet.Run(ctx, c, func(p *corev1.Pod) bool { return p.Spec.Containers[0].Image != "broken" }, func(err error) { t.Errorf("fake kubelet: %v", err) })
	})
	return &env{t: t, ctx: ctx, c: c}
}

func (e *env) eventually(what string, cond func() (bool, string)) {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s; %s", what, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func deploymentSpec(name string, replicas int32, image string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: image}}},
			},
		},
	}
}

func (e *env) get(name string) *appsv1.Deployment {
	e.t.Helper()
	d, err := e.c.AppsV1().Deployments("default").Get(e.ctx, name, metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

func (e *env) update(name string, mutate func(*appsv1.Deployment)) {
	e.t.Helper()
	for {
		d := e.get(name)
		mutate(d)
		_, err := e.c.AppsV1().Deployments("default").Update(e.ctx, d, metav1.UpdateOptions{})
		if err == nil {
			return
		}
		if !strings.Contains(err.Error(), "modified") {
			e.t.Fatal(err)
		}
	}
}

func (e *env) replicaSets(name string) []appsv1.ReplicaSet {
	e.t.Helper()
	l, err := e.c.AppsV1().ReplicaSets("default").List(e.ctx, metav1.ListOptions{LabelSelector: "app=" + name})
	if err != nil {
		e.t.Fatal(err)
	}
	return l.Items
}

func (e *env) pods(name string) []corev1.Pod {
	e.t.Helper()
	l, err := e.c.CoreV1().Pods("default").List(e.ctx, metav1.ListOptions{LabelSelector: "app=" + name})
	if err != nil {
		e.t.Fatal(err)
	}
	return l.Items
}

func describe(d *appsv1.Deployment, rss []appsv1.ReplicaSet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "deployment gen=%d status=%+v;", d.Generation, d.Status)
	for _, rs := range rss {
		fmt.Fprintf(&b, " rs %s spec=%d status=%d/%d/%d rev=%s;", rs.Name, *rs.Spec.Replicas, rs.Status.Replicas, rs.Status.ReadyReplicas, rs.Status.AvailableReplicas, rs.Annotations[RevisionAnnotation])
	}
	return b.String()
}

// complete waits as kubectl rollout status does: observed generation,
// all updated, no old replicas, all available.
func (e *env) complete(name string) *appsv1.Deployment {
	e.t.Helper()
	var d *appsv1.Deployment
	e.eventually("rollout of "+name, func() (bool, string) {
		d = e.get(name)
		st := d.Status
		r := *d.Spec.Replicas
		ok := d.Generation <= st.ObservedGeneration && st.UpdatedReplicas == r && st.Replicas == r && st.AvailableReplicas == r
		return ok, describe(d, e.replicaSets(name))
	})
	return d
}

func condition(d *appsv1.Deployment, t appsv1.DeploymentConditionType) appsv1.DeploymentCondition {
	if c := getCondition(d.Status, t); c != nil {
		return *c
	}
	return appsv1.DeploymentCondition{}
}

// watchAvailable tracks the pods of app name that are ready and not being
// deleted, calling check with the count after every change.
func (e *env) watchPods(name string, check func(pods map[string]*corev1.Pod)) func() {
	e.t.Helper()
	w, err := e.c.CoreV1().Pods("default").Watch(e.ctx, metav1.ListOptions{LabelSelector: "app=" + name})
	if err != nil {
		e.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		pods := map[string]*corev1.Pod{}
		for ev := range w.ResultChan() {
			p, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			if ev.Type == watch.Deleted {
				delete(pods, p.Name)
			} else {
				pods[p.Name] = p
			}
			check(pods)
		}
	}()
	return func() { w.Stop(); <-done }
}

func available(pods map[string]*corev1.Pod) int {
	n := 0
	for _, p := range pods {
		if p.DeletionTimestamp == nil && controllerutil.IsPodReady(p) {
			n++
		}
	}
	return n
}

func TestRollingUpdateAndRollback(t *testing.T) {
	t.Parallel()
	e := start(t)
	d := deploymentSpec("web", 3, "nginx:1")
	d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxSurge: new(intstr.FromInt32(1)), MaxUnavailable: new(intstr.FromInt32(0))}
	created, err := e.c.AppsV1().Deployments("default").Create(e.ctx, d, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// One ReplicaSet named for the template hash, three pods, 3 available.
	d = e.complete("web")
	rss := e.replicaSets("web")
	if len(rss) != 1 {
		t.Fatalf("want 1 replica set, got %s", describe(d, rss))
	}
	first := rss[0]
	hash := ComputeHash(&created.Spec.Template, nil)
	if first.Name != "web-"+hash || first.Labels[HashLabel] != hash || first.Spec.Selector.MatchLabels[HashLabel] != hash || first.Spec.Template.Labels[HashLabel] != hash {
		t.Errorf("replica set %s labels %v selector %v, want hash %s", first.Name, first.Labels, first.Spec.Selector, hash)
	}
	if first.Annotations[RevisionAnnotation] != "1" || first.Annotations[DesiredReplicasAnnotation] != "3" || first.Annotations[MaxReplicasAnnotation] != "4" {
		t.Errorf("replica set annotations %v", first.Annotations)
	}
	if d.Annotations[RevisionAnnotation] != "1" {
		t.Errorf("deployment revision %q, want 1", d.Annotations[RevisionAnnotation])
	}
	if pods := e.pods("web"); len(pods) != 3 {
		t.Errorf("want 3 pods, got %d", len(pods))
	} else {
		for _, p := range pods {
			ref := metav1.GetControllerOf(&p)
			if ref == nil || ref.UID != first.UID || ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion || !strings.HasPrefix(p.Name, first.Name+"-") || len(p.Name) != len(first.Name)+6 {
				t.Errorf("pod %s owner %+v", p.Name, ref)
			}
		}
	}
	if c := condition(d, appsv1.DeploymentAvailable); c.Status != corev1.ConditionTrue || c.Reason != MinimumReplicasAvailable {
		t.Errorf("Available condition %+v", c)
	}
	e.eventually("Progressing NewReplicaSetAvailable", func() (bool, string) {
		d = e.get("web")
		c := condition(d, appsv1.DeploymentProgressing)
		return c.Status == corev1.ConditionTrue && c.Reason == NewRSAvailableReason && c.Message == fmt.Sprintf("ReplicaSet %q has successfully progressed.", first.Name), fmt.Sprintf("%+v", c)
	})

	// A new image rolls out without ever dropping below 3 available pods.
	var mu sync.Mutex
	minAvail, seen := 3, 0
	stop := e.watchPods("web", func(pods map[string]*corev1.Pod) {
		mu.Lock()
		defer mu.Unlock()
		seen++
		if seen > 3 { // past the initial ADDED events
			minAvail = min(minAvail, available(pods))
		}
	})
	e.update("web", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "nginx:2" })
	d = e.complete("web")
	e.eventually("old replica set at 0 and its pods gone", func() (bool, string) {
		rss = e.replicaSets("web")
		for _, rs := range rss {
			if rs.UID == first.UID && (*rs.Spec.Replicas != 0 || rs.Status.Replicas != 0) {
				return false, describe(d, rss)
			}
		}
		return len(e.pods("web")) == 3, describe(d, rss)
	})
	stop()
	mu.Lock()
	if minAvail < 3 {
		t.Errorf("available pods dropped to %d during the rollout (maxUnavailable 0)", minAvail)
	}
	mu.Unlock()
	if len(rss) != 2 {
		t.Fatalf("want 2 replica sets, got %s", describe(d, rss))
	}
	if d.Annotations[RevisionAnnotation] != "2" {
		t.Errorf("deployment revision %q, want 2", d.Annotations[RevisionAnnotation])
	}
	for _, p := range e.pods("web") {
		if p.Spec.Containers[0].Image != "nginx:2" {
			t.Errorf("pod %s runs %s", p.Name, p.Spec.Containers[0].Image)
		}
	}

	// Rolling back to the first template reuses the first ReplicaSet,
	// which becomes revision 3 and remembers revision 1.
	e.update("web", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "nginx:1" })
	d = e.complete("web")
	rss = e.replicaSets("web")
	if len(rss) != 2 {
		t.Fatalf("rollback made a new replica set: %s", describe(d, rss))
	}
	for _, rs := range rss {
		if rs.UID == first.UID {
			if *rs.Spec.Replicas != 3 || rs.Annotations[RevisionAnnotation] != "3" || rs.Annotations[RevisionHistoryAnnotation] != "1" {
				t.Errorf("first replica set after rollback: %s", describe(d, rss))
			}
		} else if *rs.Spec.Replicas != 0 {
			t.Errorf("second replica set not scaled down: %s", describe(d, rss))
		}
	}

	// Events say what was scaled.
	e.eventually("ScalingReplicaSet events", func() (bool, string) {
		l, _ := e.c.CoreV1().Events("default").List(e.ctx, metav1.ListOptions{})
		var msgs []string
		for _, ev := range l.Items {
			if ev.Reason == "ScalingReplicaSet" {
				msgs = append(msgs, ev.Message)
			}
			if ev.Message == fmt.Sprintf("Scaled up replica set %s from 0 to 3", first.Name) {
				return true, ""
			}
		}
		return false, strings.Join(msgs, "; ")
	})
}

func TestPausedScaling(t *testing.T) {
	t.Parallel()
	e := start(t)
	if _, err := e.c.AppsV1().Deployments("default").Create(e.ctx, deploymentSpec("paused", 2, "nginx:1"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.complete("paused")
	e.update("paused", func(d *appsv1.Deployment) {
		d.Spec.Paused = true
		d.Spec.Template.Spec.Containers[0].Image = "nginx:2"
	})
	e.eventually("paused condition", func() (bool, string) {
		c := condition(e.get("paused"), appsv1.DeploymentProgressing)
		return c.Reason == PausedDeployReason && c.Status == corev1.ConditionUnknown, fmt.Sprintf("%+v", c)
	})
	e.update("paused", func(d *appsv1.Deployment) { d.Spec.Replicas = new(int32(4)) })
	e.eventually("scaled while paused", func() (bool, string) {
		d := e.get("paused")
		rss := e.replicaSets("paused")
		return len(rss) == 1 && *rss[0].Spec.Replicas == 4 && d.Status.AvailableReplicas == 4 && d.Status.ObservedGeneration == d.Generation, describe(d, rss)
	})
	for _, p := range e.pods("paused") {
		if p.Spec.Containers[0].Image != "nginx:1" {
			t.Errorf("paused deployment rolled out pod %s with %s", p.Name, p.Spec.Containers[0].Image)
		}
	}
	// Resuming rolls the new template out.
	e.update("paused", func(d *appsv1.Deployment) { d.Spec.Paused = false })
	d := e.complete("paused")
	if rss := e.replicaSets("paused"); len(rss) != 2 {
		t.Errorf("after resume: %s", describe(d, rss))
	}
}

func TestRecreate(t *testing.T) {
	t.Parallel()
	e := start(t)
	d := deploymentSpec("re", 2, "nginx:1")
	d.Spec.Strategy.Type = appsv1.RecreateDeploymentStrategyType
	if _, err := e.c.AppsV1().Deployments("default").Create(e.ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.complete("re")
	var mu sync.Mutex
	var overlap []string
	stop := e.watchPods("re", func(pods map[string]*corev1.Pod) {
		images := map[string]bool{}
		for _, p := range pods {
			images[p.Spec.Containers[0].Image] = true
		}
		if len(images) > 1 {
			mu.Lock()
			overlap = append(overlap, fmt.Sprint(len(pods), " pods of both templates"))
			mu.Unlock()
		}
	})
	e.update("re", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "nginx:2" })
	d = e.complete("re")
	stop()
	if len(overlap) > 0 {
		t.Errorf("Recreate ran old and new pods together: %v", overlap)
	}
	if pods := e.pods("re"); len(pods) != 2 {
		t.Errorf("want 2 pods, got %d", len(pods))
	}
	if c := condition(d, appsv1.DeploymentAvailable); c.Status != corev1.ConditionTrue {
		t.Errorf("Available %+v", c)
	}
}

func TestProportionalScaling(t *testing.T) {
	t.Parallel()
	e := start(t)
	d := deploymentSpec("prop", 10, "nginx:1")
	d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxSurge: new(intstr.FromInt32(3)), MaxUnavailable: new(intstr.FromInt32(2))}
	if _, err := e.c.AppsV1().Deployments("default").Create(e.ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.complete("prop")
	// A template whose pods never get ready (the kubelet skips them)
	// leaves the rollout stuck half-way: 8 old + 5 new.
	e.update("prop", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "broken" })
	e.eventually("stuck rollout", func() (bool, string) {
		d := e.get("prop")
		rss := e.replicaSets("prop")
		return len(rss) == 2 && specReplicas(ptrs(rss)...) == 13 && d.Status.ObservedGeneration == d.Generation, describe(d, rss)
	})
	e.update("prop", func(d *appsv1.Deployment) { d.Spec.Replicas = new(int32(20)) })
	e.eventually("proportional scale-up", func() (bool, string) {
		d := e.get("prop")
		rss := e.replicaSets("prop")
		total := specReplicas(ptrs(rss)...)
		return total == 23, describe(d, rss)
	})
}

func ptrs(rss []appsv1.ReplicaSet) []*appsv1.ReplicaSet {
	out := make([]*appsv1.ReplicaSet, len(rss))
	for i := range rss {
		out[i] = &rss[i]
	}
	return out
}
