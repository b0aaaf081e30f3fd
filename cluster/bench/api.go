package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minidev/mini/cluster/store"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// payloadSize is the data of each benchmark ConfigMap: a small object.
const payloadSize = 1024

// newConfigMap is a ConfigMap of about payloadSize bytes of data; fill
// varies the content between versions.
func newConfigMap(ns, name string, fill byte) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Data:       map[string]string{"payload": strings.Repeat(string(fill), payloadSize)},
	}
}

// parallel calls fn(ctx, i) for every i in [0, n) from workers goroutines
// and returns the wall time. It stops at the first error and returns it.
func parallel(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) (time.Duration, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	begin := time.Now()
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		})
	}
	wg.Wait()
	return time.Since(begin), context.Cause(ctx)
}

func createNamespace(ctx context.Context, c kubernetes.Interface, name string) error {
	_, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", name, err)
	}
	return nil
}

// throughput measures creates and then updates of n ConfigMaps through the
// API, and the same writes straight into a store on the same disk, all with
// the same number of concurrent workers.
// The notes say how much CPU the control plane (cpPID) spent per write.
func (b *bench) throughput(ctx context.Context, cpPID int, c kubernetes.Interface, ns string, n, workers int) error {
	if err := createNamespace(ctx, c, ns); err != nil {
		return err
	}
	objs := make([]*corev1.ConfigMap, n)
	cpu := startCPU(cpPID)
	apiCreate, err := parallel(ctx, n, workers, func(ctx context.Context, i int) error {
		cm, err := c.CoreV1().ConfigMaps(ns).Create(ctx, newConfigMap(ns, fmt.Sprintf("cm-%05d", i), 'a'), metav1.CreateOptions{})
		objs[i] = cm
		return err
	})
	if err != nil {
		return fmt.Errorf("create through the API: %w", err)
	}
	createCPU, _ := cpu.used()
	// The raw store writes what the API stored: the objects as JSON.
	values := make([][]byte, n)
	for i, cm := range objs {
		cm.Data["payload"] = strings.Repeat("b", payloadSize)
		if values[i], err = json.Marshal(cm); err != nil {
			return err
		}
	}
	rawCreate, rawUpdate, err := rawStore(ctx, filepath.Join(b.tmp, "raw-store", "state.db"), values, workers)
	if err != nil {
		return err
	}
	cpu = startCPU(cpPID)
	apiUpdate, err := parallel(ctx, n, workers, func(ctx context.Context, i int) error {
		_, err := c.CoreV1().ConfigMaps(ns).Update(ctx, objs[i], metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("update through the API: %w", err)
	}
	updateCPU, _ := cpu.used()
	for _, m := range []struct {
		verb     string
		api, raw time.Duration
		cpu      time.Duration
	}{{"create", apiCreate, rawCreate, createCPU[0]}, {"update", apiUpdate, rawUpdate, updateCPU[0]}} {
		api, raw := rate(n, m.api), rate(n, m.raw)
		b.report.add(Metric{
			Name: fmt.Sprintf("API %s throughput, %d workers", m.verb, workers), Unit: unitRate,
			Value: api, Baseline: &raw, BaselineName: "raw store " + m.verb, Ratio: ratio(raw, api),
			Goal: &Goal{OnRatio: true, Max: 3, OrEqual: true},
			Note: fmt.Sprintf("%d ConfigMaps of %d B data; ratio = raw store rate / API rate; control plane CPU %.2f cores, %.0f µs per write",
				n, payloadSize, m.cpu.Seconds()/m.api.Seconds(), float64(m.cpu.Microseconds())/float64(n)),
		})
	}
	return nil
}

// rawStore opens a new store at path and times creating, then updating, a
// key per value, workers at a time, as the API's writes would.
func rawStore(ctx context.Context, path string, values [][]byte, workers int) (create, update time.Duration, err error) {
	s, err := store.Open(path, store.Options{})
	if err != nil {
		return 0, 0, err
	}
	defer func() {
		if cerr := s.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	key := func(i int) string { return fmt.Sprintf("/configmaps/bench/cm-%05d", i) }
	revs := make([]int64, len(values))
	create, err = parallel(ctx, len(values), workers, func(ctx context.Context, i int) error {
		var err error
		revs[i], err = s.Create(ctx, key(i), values[i])
		return err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("raw store create: %w", err)
	}
	update, err = parallel(ctx, len(values), workers, func(ctx context.Context, i int) error {
		_, err := s.Update(ctx, key(i), revs[i], values[i])
		return err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("raw store update: %w", err)
	}
	return create, update, nil
}

// fill creates ConfigMaps in ns until the cluster holds total of them, then
// reports the control plane's memory.
func (b *bench) fill(ctx context.Context, c kubernetes.Interface, cluster, ns string, total, workers int) error {
	if err := createNamespace(ctx, c, ns); err != nil {
		return err
	}
	list, err := c.CoreV1().ConfigMaps("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("count ConfigMaps: %w", err)
	}
	n := total - len(list.Items)
	d, err := parallel(ctx, n, workers, func(ctx context.Context, i int) error {
		_, err := c.CoreV1().ConfigMaps(ns).Create(ctx, newConfigMap(ns, fmt.Sprintf("fill-%05d", i), 'c'), metav1.CreateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("fill to %d ConfigMaps: %w", total, err)
	}
	b.progress("created %d ConfigMaps in %s (%.0f/s): %d in the cluster", n, d.Round(time.Millisecond), rate(n, d), total)
	pid, err := b.mini.controlPlanePID(cluster)
	if err != nil {
		return err
	}
	mem, err := readMemory(pid)
	if err != nil {
		return err
	}
	k := fmt.Sprintf("%dk", total/1000)
	b.report.add(Metric{Name: "control plane RSS, " + k + " ConfigMaps", Unit: unitMB, Value: megabytes(mem.RSS), Goal: &Goal{Max: 150}})
	b.report.add(Metric{Name: "control plane peak RSS, " + k + " ConfigMaps", Unit: unitMB, Value: megabytes(mem.Peak), Goal: &Goal{Max: 150},
		Note: fmt.Sprintf("VmHWM of pid %d, after every phase above", pid)})
	return nil
}
