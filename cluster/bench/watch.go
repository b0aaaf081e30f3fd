package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
)

// WatchOptions shape the watch latency test.
type WatchOptions struct {
	Watchers int           // concurrent watches on one namespace
	Events   int           // ConfigMaps created while they watch
	Interval time.Duration // between creates
	Goal     time.Duration // for the 99th percentile
}

// arrival is when one watcher saw one object.
type arrival struct {
	name string
	at   time.Time
}

// call is when a create call started and returned.
type call struct{ start, end time.Time }

const sentinelName = "sentinel"

// watchLatency opens o.Watchers watches spread over watchClients, creates
// o.Events ConfigMaps at a steady pace from writeClient, and reports how
// long after the start of each create call its event reached each watcher.
//
// It also reports the CPU the control plane (cpPID) and this process used
// meanwhile: both run on this host, and the watchers decode every event.
func (b *bench) watchLatency(ctx context.Context, cpPID int, watchClients []kubernetes.Interface, writeClient kubernetes.Interface, ns, variant string, o WatchOptions) error {
	if err := createNamespace(ctx, writeClient, ns); err != nil {
		return err
	}
	list, err := writeClient.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list before watching: %w", err)
	}
	wctx, stop := context.WithCancel(ctx)
	var watchers sync.WaitGroup
	defer func() { stop(); watchers.Wait() }()
	arrivals := make([][]arrival, o.Watchers)
	ready := make(chan struct{}, o.Watchers)
	for i := range o.Watchers {
		w, err := watchClients[i%len(watchClients)].CoreV1().ConfigMaps(ns).Watch(wctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
		if err != nil {
			return fmt.Errorf("watch %d: %w", i, err)
		}
		watchers.Go(func() {
			defer w.Stop()
			arrivals[i] = collect(wctx, w, o.Events, ready)
		})
	}
	// Every watch is live once each has seen the sentinel.
	if _, err := writeClient.CoreV1().ConfigMaps(ns).Create(ctx, newConfigMap(ns, sentinelName, 's'), metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create the sentinel: %w", err)
	}
	timeout := time.After(30 * time.Second)
	for range o.Watchers {
		select {
		case <-ready:
		case <-timeout:
			return errors.New("the watches did not all deliver the sentinel within 30 s")
		case <-ctx.Done():
			return ctx.Err()
		}
	}

	cpu := startCPU(cpPID, os.Getpid())
	calls, err := createPaced(ctx, writeClient, ns, o.Events, o.Interval)
	if err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { watchers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	case <-ctx.Done():
	}
	stop()
	<-done
	used, wall := cpu.used()

	fromStart, spread := latencies(arrivals, calls)
	var took []time.Duration
	for _, c := range calls {
		took = append(took, c.end.Sub(c.start))
	}
	want := o.Watchers * o.Events
	for _, p := range []float64{50, 99} {
		v, base := ms(percentile(fromStart, p)), ms(percentile(took, p))
		m := Metric{
			Name: fmt.Sprintf("watch delivery p%.0f, %d watchers, %s", p, o.Watchers, variant), Unit: unitMillis,
			Value: v, Baseline: &base, BaselineName: fmt.Sprintf("create call p%.0f", p),
		}
		if p == 99 {
			m.Goal = &Goal{Max: ms(o.Goal)}
			m.Note = fmt.Sprintf("%d creates, one every %s; from the start of the create call to the event at each watcher, %d of %d events; after the first watcher had it: p50 %.1f ms, p99 %.1f ms; CPU meanwhile: control plane %.2f cores (%.0f µs per event delivered), minibench %.2f cores",
				o.Events, o.Interval, len(fromStart), want, ms(percentile(spread, 50)), ms(percentile(spread, 99)),
				used[0].Seconds()/wall.Seconds(), float64(used[0].Microseconds())/float64(max(len(fromStart), 1)), used[1].Seconds()/wall.Seconds())
		}
		b.report.add(m)
	}
	if len(fromStart) != want {
		return fmt.Errorf("the watchers received %d of %d events within 10 s of the last create", len(fromStart), want)
	}
	return nil
}

// latencies measures every arrival of a created object from the start of
// its create call (the write, its commit and the delivery), and from the
// first arrival of the same object at any watcher (the fan-out alone).
func latencies(arrivals [][]arrival, calls map[string]call) (fromStart, spread []time.Duration) {
	first := map[string]time.Time{}
	for _, as := range arrivals {
		for _, a := range as {
			if f, ok := first[a.name]; !ok || a.at.Before(f) {
				first[a.name] = a.at
			}
		}
	}
	for _, as := range arrivals {
		for _, a := range as {
			c, ok := calls[a.name]
			if !ok {
				continue
			}
			fromStart = append(fromStart, a.at.Sub(c.start))
			spread = append(spread, a.at.Sub(first[a.name]))
		}
	}
	return fromStart, spread
}

// collect records the ADDED events of w until it has events of them (the
// sentinel aside, which it announces on ready) or ctx ends.
func collect(ctx context.Context, w watch.Interface, events int, ready chan<- struct{}) []arrival {
	got := make([]arrival, 0, events)
	for len(got) < events {
		select {
		case <-ctx.Done():
			return got
		case ev, ok := <-w.ResultChan():
			if !ok {
				return got
			}
			at := time.Now()
			cm, isCM := ev.Object.(*corev1.ConfigMap)
			if ev.Type != watch.Added || !isCM {
				continue
			}
			if cm.Name == sentinelName {
				ready <- struct{}{}
				continue
			}
			got = append(got, arrival{name: cm.Name, at: at})
		}
	}
	return got
}

// createPaced creates n ConfigMaps, one every interval whether or not the
// previous call returned, and returns when each call started and returned,
// by name.
func createPaced(ctx context.Context, c kubernetes.Interface, ns string, n int, interval time.Duration) (map[string]call, error) {
	names := make([]string, n)
	calls := make([]call, n)
	errs := make([]error, n)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var wg sync.WaitGroup
	for i := range n {
		select {
		case <-ctx.Done():
			wg.Wait()
			return nil, ctx.Err()
		case <-tick.C:
		}
		names[i] = fmt.Sprintf("w-%04d", i)
		wg.Go(func() {
			calls[i].start = time.Now()
			_, errs[i] = c.CoreV1().ConfigMaps(ns).Create(ctx, newConfigMap(ns, names[i], 'w'), metav1.CreateOptions{})
			calls[i].end = time.Now()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("create while watching: %w", err)
	}
	byName := make(map[string]call, n)
	for i, name := range names {
		byName[name] = calls[i]
	}
	return byName, nil
}
