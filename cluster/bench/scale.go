package bench

import (
	"context"
	"fmt"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// Issue 5's scale goals: 10,000 pods on 1000 simulated nodes scheduled
// and Running at 500 pods/s or more; the control plane under 500 MB.
const (
	scaleNodes      = 1000
	scalePods       = 10000
	scaleDeployment = 1000
	scaleRateGoal   = 500
	scaleMemoryGoal = 500
)

// scheduleAtScale starts a cluster with simulated nodes and measures how
// fast pods get scheduled and Running, a Deployment's scale-up, and the
// control plane's memory at that size.
func (b *bench) scheduleAtScale(ctx context.Context, nodes, pods, replicas int) error {
	name := b.prefix + "-scale"
	if _, err := b.mini.up(ctx, name, 1, "--simulated-nodes", strconv.Itoa(nodes)); err != nil {
		return err
	}
	defer func() { _ = b.mini.down(context.WithoutCancel(ctx), name) }()
	cfg, err := b.mini.restConfig(ctx, name)
	if err != nil {
		return err
	}
	clients, err := newClients(cfg, 2)
	if err != nil {
		return err
	}
	c, watcher := clients[0], clients[1]
	if err := waitNodeCount(ctx, c, nodes+1); err != nil {
		return err
	}
	ns := "bench-scale"
	if err := createNamespace(ctx, c, ns); err != nil {
		return err
	}

	// Bare pods, created as fast as 32 clients can, pinned by selector to
	// the simulated nodes: the clock runs until the last is Running.
	counter := newRunningCounter(ctx, watcher, ns, "bench=pods")
	begin := time.Now()
	if _, err := parallel(ctx, pods, 32, func(ctx context.Context, i int) error {
		_, err := c.CoreV1().Pods(ns).Create(ctx, scalePod(fmt.Sprintf("p-%d", i)), metav1.CreateOptions{})
		return err
	}); err != nil {
		return err
	}
	created := time.Since(begin)
	if err := counter.wait(ctx, pods, 5*time.Minute); err != nil {
		return err
	}
	all := time.Since(begin)
	b.report.add(Metric{
		Name: fmt.Sprintf("pods scheduled and Running, %d pods on %d simulated nodes", pods, nodes), Unit: unitRate,
		Value: rate(pods, all), Goal: &Goal{Min: scaleRateGoal},
		Note: fmt.Sprintf("%.1f s from the first create to the last Running (creates took %.1f s, 32 clients)", all.Seconds(), created.Seconds()),
	})

	// A Deployment scaled from 0 to replicas.
	d := scaleDeploymentObject(replicas)
	if _, err := c.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		return err
	}
	begin = time.Now()
	patch := fmt.Sprintf(`{"spec":{"replicas":%d}}`, replicas)
	if _, err := c.AppsV1().Deployments(ns).Patch(ctx, d.Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}, "scale"); err != nil {
		return err
	}
	for {
		got, err := c.AppsV1().Deployments(ns).Get(ctx, d.Name, metav1.GetOptions{})
		if err == nil && got.Status.AvailableReplicas == int32(replicas) {
			break
		}
		if time.Since(begin) > 5*time.Minute {
			return fmt.Errorf("deployment scaled to %d: not available after 5 min", replicas)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	scaleUp := time.Since(begin)
	b.report.add(Metric{
		Name: fmt.Sprintf("Deployment scale-up 0 → %d replicas, all available", replicas), Unit: unitSeconds,
		Value: scaleUp.Seconds(), Note: fmt.Sprintf("%.0f pods/s, with %d pods already in the cluster", float64(replicas)/scaleUp.Seconds(), pods),
	})
	pid, err := b.mini.controlPlanePID(name)
	if err != nil {
		return err
	}
	mem, err := readMemory(pid)
	if err != nil {
		return err
	}
	b.report.add(Metric{
		Name: fmt.Sprintf("control plane peak RSS, %d simulated nodes, %d pods", nodes, pods+replicas), Unit: unitMB,
		Value: megabytes(mem.Peak), Goal: &Goal{Max: scaleMemoryGoal},
		Note: fmt.Sprintf("VmHWM of pid %d; VmRSS now %.1f MB", pid, megabytes(mem.RSS)),
	})
	return nil
}

func scalePod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"bench": "pods"}},
		Spec: corev1.PodSpec{
			NodeSelector: map[string]string{"mini.dev/node": "simulated"},
			Containers: []corev1.Container{{Name: "c", Image: "bench:1", Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
			}}},
		},
	}
}

func scaleDeploymentObject(replicas int) *appsv1.Deployment {
	zero := int32(0)
	labels := map[string]string{"bench": "deploy"}
	pod := scalePod("")
	pod.Labels = labels
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "scale"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &zero,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: pod.Spec},
		},
	}
}

// waitNodeCount waits until the cluster lists n nodes.
func waitNodeCount(ctx context.Context, c kubernetes.Interface, n int) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		l, err := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{ResourceVersion: "0"})
		if err == nil && len(l.Items) >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d nodes wanted, not there after 2 min", n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// runningCounter counts pods that have been seen Running, from a watch.
type runningCounter struct {
	seen map[string]bool
	done chan struct{}
	n    chan int
	err  chan error
}

func newRunningCounter(ctx context.Context, c kubernetes.Interface, ns, selector string) *runningCounter {
	rc := &runningCounter{seen: map[string]bool{}, n: make(chan int, 1), err: make(chan error, 1)}
	w, err := c.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		rc.err <- err
		return rc
	}
	go func() {
		defer w.Stop()
		for ev := range w.ResultChan() {
			p, ok := ev.Object.(*corev1.Pod)
			if !ok || p.Status.Phase != corev1.PodRunning || rc.seen[p.Name] {
				continue
			}
			rc.seen[p.Name] = true
			select {
			case <-rc.n:
			default:
			}
			rc.n <- len(rc.seen)
		}
		rc.err <- fmt.Errorf("the watch of pods ended")
	}()
	return rc
}

// wait returns once want pods were seen Running.
func (rc *runningCounter) wait(ctx context.Context, want int, timeout time.Duration) error {
	deadline := time.After(timeout)
	got := 0
	for got < want {
		select {
		case got = <-rc.n:
		case err := <-rc.err:
			return fmt.Errorf("%d of %d pods Running: %w", got, want, err)
		case <-deadline:
			return fmt.Errorf("%d of %d pods Running after %s", got, want, timeout)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
