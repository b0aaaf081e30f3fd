package bench

import (
	"context"
	"fmt"
	"time"
)

// lifecycleTimes are the timed runs of `mini up` and of the docker floor,
// per node count.
type lifecycleTimes struct {
	up, floor map[int][]time.Duration
}

// timeLifecycle times `mini up --nodes N` and the floor for N nodes, repeats
// times each, alternating so that drift in the engine hits both alike. Every
// cluster is taken down again except the last one of keepNodes nodes, which
// stays up as keep for the measurements that follow.
func (b *bench) timeLifecycle(ctx context.Context, counts []int, repeats, keepNodes int) (t lifecycleTimes, keep string, err error) {
	t = lifecycleTimes{up: map[int][]time.Duration{}, floor: map[int][]time.Duration{}}
	for r := range repeats {
		for _, n := range counts {
			fd, err := b.floor.time(ctx, n)
			if err != nil {
				return t, "", fmt.Errorf("floor for %d node(s): %w", n, err)
			}
			t.floor[n] = append(t.floor[n], fd)
			name := fmt.Sprintf("%s-n%d", b.prefix, n)
			ud, err := b.mini.up(ctx, name, n)
			if err != nil {
				return t, "", err
			}
			t.up[n] = append(t.up[n], ud)
			b.progress("up --nodes %d #%d: %s (docker floor %s)", n, r+1, ud.Round(time.Millisecond), fd.Round(time.Millisecond))
			if r == repeats-1 && n == keepNodes {
				keep = name
				continue
			}
			if err := b.mini.down(ctx, name); err != nil {
				return t, "", err
			}
		}
	}
	return t, keep, nil
}

// lifecycleMetrics reports median and fastest of each node count against
// the floor, and the time to a Ready cluster of readyNodes nodes.
func lifecycleMetrics(r *Report, t lifecycleTimes, counts []int, readyNodes int, readyGoal time.Duration) {
	for _, n := range counts {
		ups, floors := t.up[n], t.floor[n]
		if len(ups) == 0 || len(floors) == 0 {
			continue
		}
		floorName := fmt.Sprintf("docker network create + %d run -d", n)
		med, fmed := median(ups).Seconds(), median(floors).Seconds()
		r.add(Metric{
			Name: fmt.Sprintf("up --nodes %d, median of %d", n, len(ups)), Unit: unitSeconds,
			Value: med, Baseline: &fmed, BaselineName: floorName, Ratio: ratio(med, fmed),
			Goal: &Goal{OnRatio: true, Max: 2},
		})
		low, flow := fastest(ups).Seconds(), fastest(floors).Seconds()
		r.add(Metric{
			Name: fmt.Sprintf("up --nodes %d, fastest of %d", n, len(ups)), Unit: unitSeconds,
			Value: low, Baseline: &flow, BaselineName: floorName, Ratio: ratio(low, flow),
		})
		if n == readyNodes {
			r.add(Metric{
				Name:  fmt.Sprintf("up --nodes %d until all Ready, median", n),
				Unit:  unitSeconds,
				Value: med,
				Goal:  &Goal{Max: readyGoal.Seconds()},
			})
		}
	}
}

// idleMemory waits idle, then reports the peak RSS of the control plane of
// cluster name and of its first node's agent.
func (b *bench) idleMemory(ctx context.Context, name string, nodes int, idle time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(idle):
	}
	pid, err := b.mini.controlPlanePID(name)
	if err != nil {
		return err
	}
	cp, err := readMemory(pid)
	if err != nil {
		return err
	}
	b.report.add(Metric{
		Name: fmt.Sprintf("control plane peak RSS, %d nodes, %s idle", nodes, idle), Unit: unitMB,
		Value: megabytes(cp.Peak), Goal: &Goal{Max: 60},
		Note: fmt.Sprintf("VmHWM of pid %d; VmRSS now %.1f MB", pid, megabytes(cp.RSS)),
	})
	container := "mini-" + name + "-node-1"
	apid, err := containerPID(ctx, container)
	if err != nil {
		return err
	}
	agent, err := readMemory(apid)
	if err != nil {
		return err
	}
	b.report.add(Metric{
		Name: "node agent peak RSS, idle", Unit: unitMB,
		Value: megabytes(agent.Peak), Goal: &Goal{Max: 25},
		Note: fmt.Sprintf("VmHWM of %s's PID 1 (host pid %d); VmRSS now %.1f MB, of which %.1f MB private (RssAnon) and %.1f MB resident pages of the binary (RssFile), shared by every node of the image",
			container, apid, megabytes(agent.RSS), megabytes(agent.Anon), megabytes(agent.File)),
	})
	return nil
}
