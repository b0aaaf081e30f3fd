package bench

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// The lifecycle runs up these node counts; the cluster of keepNodes nodes
// stays up for the rest, and must be Ready within readyGoal.
var nodeCounts = []int{1, 3}

const (
	keepNodes = 3
	readyGoal = 5 * time.Second
)

// target is the cluster the API measurements run against.
type target struct {
	name   string
	pid    int // of its control plane
	cfg    *rest.Config
	api    kubernetes.Interface // throughput, fill, and the shared watch connection
	writer kubernetes.Interface // creates while watching, on its own connection
}

// run is the ordered sequence of measurements; it stops at the first
// failure.
func (b *bench) run(ctx context.Context) error {
	o := b.cfg.Watch
	var t target
	steps := []struct {
		name string
		fn   func() error
	}{
		{"Warm-up: mini up --nodes 1 and down (untimed)", func() error {
			name := b.prefix + "-warm"
			if _, err := b.mini.up(ctx, name, 1); err != nil {
				return err
			}
			return b.mini.down(ctx, name)
		}},
		{"Docker floor: probe --privileged (untimed)", func() error {
			refusal, err := b.floor.probe(ctx)
			b.report.Environment["privileged"] = fmt.Sprint(refusal == 0)
			if refusal > 0 {
				b.progress("the engine refuses --privileged (after %s): the floor uses mini's fallback flags", refusal.Round(time.Millisecond))
				b.report.Environment["privilegedRefusal"] = refusal.Round(time.Millisecond).String()
			}
			return err
		}},
		{fmt.Sprintf("Lifecycle: up --nodes 1 and 3 against the docker floor, %d times each", b.cfg.Repeats), func() error {
			times, keep, err := b.timeLifecycle(ctx, nodeCounts, b.cfg.Repeats, keepNodes)
			t.name = keep
			lifecycleMetrics(b.report, times, nodeCounts, keepNodes, readyGoal)
			return err
		}},
		{fmt.Sprintf("Memory: %s idle on the %d-node cluster", b.cfg.Idle, keepNodes), func() error {
			return b.idleMemory(ctx, t.name, keepNodes, b.cfg.Idle)
		}},
		{"API clients", func() error {
			var err error
			if t.pid, err = b.mini.controlPlanePID(t.name); err != nil {
				return err
			}
			if t.cfg, err = b.mini.restConfig(ctx, t.name); err != nil {
				return err
			}
			clients, err := newClients(t.cfg, 2)
			if err != nil {
				return err
			}
			t.api, t.writer = clients[0], clients[1]
			return nil
		}},
		{fmt.Sprintf("Throughput: %d ConfigMaps, %d workers, API and raw store", b.cfg.Objects, b.cfg.Workers), func() error {
			return b.throughput(ctx, t.pid, t.api, "bench-api", b.cfg.Objects, b.cfg.Workers)
		}},
		{fmt.Sprintf("Watch: %d watchers on their own connections, %d creates", o.Watchers, o.Events), func() error {
			own, err := newClients(t.cfg, o.Watchers)
			if err != nil {
				return err
			}
			return b.watchLatency(ctx, t.pid, own, t.writer, "bench-watch", "own connections", o)
		}},
		// As the informers of one process: client-go multiplexes them over
		// one HTTP/2 connection.
		{fmt.Sprintf("Watch: %d watchers on one connection, %d creates", o.Watchers, o.Events), func() error {
			return b.watchLatency(ctx, t.pid, []kubernetes.Interface{t.api}, t.writer, "bench-watch-shared", "1 shared connection", o)
		}},
		{fmt.Sprintf("Pods: start latency of 1 and %d pods against docker run --rm; agent memory", podBatch), func() error {
			return b.podStarts(ctx, t.api, t.name)
		}},
		{fmt.Sprintf("Scheduling: %d pods and a %d-replica Deployment on %d simulated nodes", b.cfg.SimPods, b.cfg.SimReplicas, b.cfg.SimNodes), func() error {
			return b.scheduleAtScale(ctx, b.cfg.SimNodes, b.cfg.SimPods, b.cfg.SimReplicas)
		}},
		{fmt.Sprintf("Scale: %d ConfigMaps in the cluster", b.cfg.Scale), func() error {
			return b.fill(ctx, t.api, t.name, "bench-scale", b.cfg.Scale, b.cfg.Workers)
		}},
	}
	for _, s := range steps {
		if err := b.step(s.name, s.fn); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}
