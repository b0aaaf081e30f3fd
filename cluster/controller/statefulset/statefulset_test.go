package statefulset

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/apiserver/apiservertest"
	"github.com/minidev/mini/cluster/controller/controllerutil"
	"github.com/minidev/mini/cluster/controller/controllerutil/fakekubelet"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
)

func start(t *testing.T) (context.Context, kubernetes.Interface) {
	t.Helper()
	c := kubernetes.NewForConfigOrDie(apiservertest.Start(t))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Go(func() { New(Config{Client: c}).Run(ctx) })
	wg.Go(func() { fakekubelet.Run(ctx, c, nil, func(err error) { t.Log(err) }) })
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

// podLog records pod events in order: "+web-0" created, "ready web-0",
// "-web-0" deleted.
type podLog struct {
	mu     sync.Mutex
	events []string
}

func (l *podLog) watch(t *testing.T, ctx context.Context, c kubernetes.Interface) {
	w, err := c.CoreV1().Pods("default").Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	ready := map[string]bool{}
	go func() {
		for ev := range w.ResultChan() {
			p, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			l.mu.Lock()
			switch ev.Type {
			case watch.Added:
				l.events = append(l.events, "+"+p.Name)
			case watch.Deleted:
				l.events = append(l.events, "-"+p.Name)
				ready[p.Name] = false
			case watch.Modified:
				if r := controllerutil.IsPodReady(p); r && !ready[p.Name] {
					l.events = append(l.events, "ready "+p.Name)
					ready[p.Name] = true
				}
			}
			l.mu.Unlock()
		}
	}()
}

func (l *podLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.events
	l.events = nil
	return out
}

func filter(events []string, prefix string) []string {
	var out []string
	for _, e := range events {
		if len(e) >= len(prefix) && e[:len(prefix)] == prefix {
			out = append(out, e)
		}
	}
	return out
}

func getSet(t *testing.T, ctx context.Context, c kubernetes.Interface) *appsv1.StatefulSet {
	t.Helper()
	s, err := c.AppsV1().StatefulSets("default").Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func updateSet(t *testing.T, ctx context.Context, c kubernetes.Interface, f func(*appsv1.StatefulSet)) {
	t.Helper()
	for {
		s := getSet(t, ctx, c)
		f(s)
		_, err := c.AppsV1().StatefulSets("default").Update(ctx, s, metav1.UpdateOptions{})
		if err == nil {
			return
		}
		if !apierrors.IsConflict(err) {
			t.Fatal(err)
		}
	}
}

func settled(t *testing.T, ctx context.Context, c kubernetes.Interface, replicas int32) func() (bool, string) {
	return func() (bool, string) {
		s := getSet(t, ctx, c)
		st := s.Status
		return st.ObservedGeneration == s.Generation && st.Replicas == replicas && st.ReadyReplicas == replicas &&
			st.AvailableReplicas == replicas && st.UpdatedReplicas == replicas && st.CurrentReplicas == replicas &&
			st.CurrentRevision == st.UpdateRevision && st.UpdateRevision != "", fmt.Sprintf("%+v", st)
	}
}

func podRevisions(t *testing.T, ctx context.Context, c kubernetes.Interface) map[string]string {
	l, err := c.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range l.Items {
		out[p.Name] = podRevision(&p)
	}
	return out
}

func TestOrderedReadyLifecycle(t *testing.T) {
	t.Parallel()
	ctx, c := start(t)
	var log podLog
	log.watch(t, ctx, c)
	set := testSet(3, appsv1.OrderedReadyPodManagement)
	set.UID, set.Generation = "", 0
	set.Spec.VolumeClaimTemplates = []corev1.PersistentVolumeClaim{{
		ObjectMeta: metav1.ObjectMeta{Name: "data"},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}},
	}}
	if _, err := c.AppsV1().StatefulSets("default").Create(ctx, set, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "3 ready replicas", settled(t, ctx, c, 3))

	// Each pod was created only after the one before it was ready.
	got := slices.DeleteFunc(log.take(), func(e string) bool { return e[0] == '-' })
	want := []string{"+web-0", "ready web-0", "+web-1", "ready web-1", "+web-2", "ready web-2"}
	if !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	for i := range 3 {
		p, err := c.CoreV1().Pods("default").Get(ctx, fmt.Sprintf("web-%d", i), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		claim := fmt.Sprintf("data-web-%d", i)
		if p.Spec.Hostname != p.Name || p.Spec.Subdomain != "svc" || p.Spec.Volumes[len(p.Spec.Volumes)-1].PersistentVolumeClaim.ClaimName != claim {
			t.Errorf("pod %s: hostname %s subdomain %s volumes %+v", p.Name, p.Spec.Hostname, p.Spec.Subdomain, p.Spec.Volumes)
		}
		pvc, err := c.CoreV1().PersistentVolumeClaims("default").Get(ctx, claim, metav1.GetOptions{})
		if err != nil || pvc.Labels["app"] != "web" {
			t.Errorf("claim %s: %v %+v", claim, err, pvc)
		}
	}

	// A rolling update with partition 1 replaces web-2 then web-1, not web-0.
	first := getSet(t, ctx, c).Status.CurrentRevision
	updateSet(t, ctx, c, func(s *appsv1.StatefulSet) {
		s.Spec.Template.Spec.Containers[0].Image = "img:v2"
		*s.Spec.UpdateStrategy.RollingUpdate.Partition = 1
	})
	eventually(t, "web-1 and web-2 updated", func() (bool, string) {
		s := getSet(t, ctx, c)
		revs := podRevisions(t, ctx, c)
		return s.Status.UpdatedReplicas == 2 && s.Status.ReadyReplicas == 3 && s.Status.CurrentReplicas == 1 &&
			revs["web-0"] == first && revs["web-1"] == s.Status.UpdateRevision && revs["web-2"] == s.Status.UpdateRevision, fmt.Sprintf("%+v %v", s.Status, revs)
	})
	if got := filter(log.take(), "-"); !slices.Equal(got, []string{"-web-2", "-web-1"}) {
		t.Errorf("deleted %v, want [-web-2 -web-1]", got)
	}
	if s := getSet(t, ctx, c); s.Status.CurrentRevision != first || s.Status.UpdateRevision == first {
		t.Errorf("partitioned rollout: current %s update %s, want current %s", s.Status.CurrentRevision, s.Status.UpdateRevision, first)
	}
	updateSet(t, ctx, c, func(s *appsv1.StatefulSet) { *s.Spec.UpdateStrategy.RollingUpdate.Partition = 0 })
	eventually(t, "rollout complete", settled(t, ctx, c, 3))
	if got := filter(log.take(), "-"); !slices.Equal(got, []string{"-web-0"}) {
		t.Errorf("deleted %v, want [-web-0]", got)
	}
	revs, err := c.AppsV1().ControllerRevisions("default").List(ctx, metav1.ListOptions{})
	if err != nil || len(revs.Items) != 2 {
		t.Errorf("controller revisions: %v %d, want 2", err, len(revs.Items))
	}

	// Scale down from the highest ordinal; the claims stay (Retain).
	updateSet(t, ctx, c, func(s *appsv1.StatefulSet) { *s.Spec.Replicas = 1 })
	eventually(t, "1 replica", settled(t, ctx, c, 1))
	if got := filter(log.take(), "-"); !slices.Equal(got, []string{"-web-2", "-web-1"}) {
		t.Errorf("deleted %v, want [-web-2 -web-1]", got)
	}
	pvcs, err := c.CoreV1().PersistentVolumeClaims("default").List(ctx, metav1.ListOptions{})
	if err != nil || len(pvcs.Items) != 3 {
		t.Errorf("claims after scale-down: %v, %d, want 3 kept", err, len(pvcs.Items))
	}
}

func TestParallelAndOnDelete(t *testing.T) {
	t.Parallel()
	ctx, c := start(t)
	set := testSet(4, appsv1.ParallelPodManagement)
	set.UID, set.Generation = "", 0
	set.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType}
	if _, err := c.AppsV1().StatefulSets("default").Create(ctx, set, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "4 ready", func() (bool, string) {
		s := getSet(t, ctx, c)
		return s.Status.ReadyReplicas == 4 && s.Status.UpdatedReplicas == 4, fmt.Sprintf("%+v", s.Status)
	})
	first := getSet(t, ctx, c).Status.UpdateRevision
	updateSet(t, ctx, c, func(s *appsv1.StatefulSet) { s.Spec.Template.Spec.Containers[0].Image = "img:v2" })
	eventually(t, "new update revision", func() (bool, string) {
		s := getSet(t, ctx, c)
		return s.Status.UpdateRevision != first && s.Status.ObservedGeneration == s.Generation, fmt.Sprintf("%+v", s.Status)
	})
	time.Sleep(300 * time.Millisecond)
	for name, rev := range podRevisions(t, ctx, c) {
		if rev != first {
			t.Errorf("OnDelete replaced %s (revision %s)", name, rev)
		}
	}
	if err := c.CoreV1().Pods("default").Delete(ctx, "web-3", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "web-3 recreated at the new revision", func() (bool, string) {
		s := getSet(t, ctx, c)
		revs := podRevisions(t, ctx, c)
		return revs["web-3"] == s.Status.UpdateRevision && s.Status.UpdatedReplicas == 1 && s.Status.CurrentReplicas == 3, fmt.Sprintf("%+v %v", s.Status, revs)
	})
}
