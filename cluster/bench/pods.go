package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	minidocker "github.com/minidev/mini/cluster/docker"
	"github.com/minidev/mini/cluster/testimages"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
)

// podGoal is issue 4's: pod start p50 under half of `docker run --rm`.
const podGoal = 0.5

// podBatch is how many pods start at once in the batch measurement.
const podBatch = 30

// podStarts measures create → Running of real pods against `docker run
// --rm` of the same image on the host, and the agent's memory with a
// batch of pods on its node.
func (b *bench) podStarts(ctx context.Context, c kubernetes.Interface, cluster string) error {
	d, err := minidocker.New(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := testimages.Ensure(ctx, d, "."); err != nil {
		return err
	}
	node := cluster + "-node-1"
	ns := "bench-pods"
	if err := createNamespace(ctx, c, ns); err != nil {
		return err
	}
	// Warm-up: the node fetches and unpacks the image once (untimed).
	if _, err := startPods(ctx, c, ns, "warm", node, 1); err != nil {
		return err
	}

	var dockerOne, dockerBatch, miniOne []time.Duration
	for i := range 5 {
		t, err := dockerRun(ctx, fmt.Sprintf("%s-run-%d", b.prefix, i))
		if err != nil {
			return err
		}
		dockerOne = append(dockerOne, t)
		ts, err := startPods(ctx, c, ns, fmt.Sprintf("one-%d", i), node, 1)
		if err != nil {
			return err
		}
		miniOne = append(miniOne, ts...)
	}
	var mu sync.Mutex
	_, err = parallel(ctx, podBatch, podBatch, func(ctx context.Context, i int) error {
		t, err := dockerRun(ctx, fmt.Sprintf("%s-batch-%d", b.prefix, i))
		mu.Lock()
		dockerBatch = append(dockerBatch, t)
		mu.Unlock()
		return err
	})
	if err != nil {
		return err
	}
	miniBatch, err := startPods(ctx, c, ns, "batch", node, podBatch)
	if err != nil {
		return err
	}
	add := func(what string, m, base []time.Duration, p float64, goal bool) {
		v, bv := ms(percentile(m, p)), ms(percentile(base, p))
		metric := Metric{
			Name: fmt.Sprintf("pod start p%.0f, %s", p, what), Unit: unitMillis, Value: v,
			Baseline: &bv, BaselineName: fmt.Sprintf("docker run --rm %s true on the host, p%.0f", testimages.Busybox, p), Ratio: ratio(v, bv),
			Note: "create → Running (container started) observed by a watch; pods pinned to one node",
		}
		if goal {
			metric.Goal = &Goal{OnRatio: true, Max: podGoal}
		}
		b.report.add(metric)
	}
	add("1 pod", miniOne, dockerOne, 50, true)
	add("1 pod", miniOne, dockerOne, 95, false)
	add(fmt.Sprintf("%d pods at once", podBatch), miniBatch, dockerBatch, 50, true)
	add(fmt.Sprintf("%d pods at once", podBatch), miniBatch, dockerBatch, 95, false)

	container := "mini-" + node
	pid, err := containerPID(ctx, container)
	if err != nil {
		return err
	}
	mem, err := readMemory(pid)
	if err != nil {
		return err
	}
	b.report.add(Metric{
		Name: fmt.Sprintf("node agent peak RSS, %d+ pods on the node", podBatch), Unit: unitMB,
		Value: megabytes(mem.Peak), Goal: &Goal{Max: 40},
		Note: fmt.Sprintf("VmHWM of %s's PID 1; VmRSS now %.1f MB (%.1f MB private, %.1f MB pages of the binary)",
			container, megabytes(mem.RSS), megabytes(mem.Anon), megabytes(mem.File)),
	})
	return c.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
}

// dockerRun times `docker run --rm` of the busybox image running true.
func dockerRun(ctx context.Context, name string) (time.Duration, error) {
	begin := time.Now()
	_, err := docker(ctx, "run", "--rm", "--name", name, testimages.Busybox, "true")
	return time.Since(begin), err
}

var noGrace int64

// startPods creates n pods at once on node and returns, for each, the
// time from its create call to the watch seeing it Running.
func startPods(ctx context.Context, c kubernetes.Interface, ns, prefix, node string, n int) ([]time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	w, err := c.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{LabelSelector: "bench=" + prefix})
	if err != nil {
		return nil, err
	}
	defer w.Stop()
	created := make([]time.Time, n)
	errc := make(chan error, 1)
	go func() {
		_, err := parallel(ctx, n, n, func(ctx context.Context, i int) error {
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", prefix, i), Labels: map[string]string{"bench": prefix}},
				Spec: corev1.PodSpec{
					NodeName: node, TerminationGracePeriodSeconds: &noGrace,
					Containers: []corev1.Container{{Name: "sleep", Image: testimages.Busybox, ImagePullPolicy: corev1.PullIfNotPresent, Command: []string{"sleep", "3600"}}},
				},
			}
			created[i] = time.Now()
			_, err := c.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
			return err
		})
		errc <- err
	}()
	seen := map[string]time.Time{}
	for len(seen) < n {
		select {
		case err := <-errc:
			if err != nil {
				return nil, err
			}
			errc = nil
		case ev, ok := <-w.ResultChan():
			if !ok {
				return nil, fmt.Errorf("watch of pods %s-* ended with %d of %d Running", prefix, len(seen), n)
			}
			pod, isPod := ev.Object.(*corev1.Pod)
			if !isPod || ev.Type == watch.Deleted {
				continue
			}
			if _, done := seen[pod.Name]; done || pod.Status.Phase != corev1.PodRunning {
				continue
			}
			for _, s := range pod.Status.ContainerStatuses {
				if s.State.Running != nil {
					seen[pod.Name] = time.Now()
				}
			}
		case <-ctx.Done():
			return nil, fmt.Errorf("pods %s-*: %d of %d Running after 3 min", prefix, len(seen), n)
		}
	}
	var out []time.Duration
	for i := range n {
		out = append(out, seen[fmt.Sprintf("%s-%d", prefix, i)].Sub(created[i]))
	}
	return out, nil
}
