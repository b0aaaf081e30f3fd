package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/apiserver/apiservertest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// BenchmarkSchedule is issue 5's scale goal against the real API server:
// 10,000 pending pods (10m cpu, 16Mi each, as cluster/bench's scale step)
// on 1000 nodes, from the scheduler's start to the last pod bound. It
// reports pods/s. -short makes it 1000 pods on 100 nodes.
func BenchmarkSchedule(b *testing.B) {
	nodes, pods := 1000, 10000
	if testing.Short() {
		nodes, pods = 100, 1000
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cfg := apiservertest.Start(b)
		fast := rest.CopyConfig(cfg)
		fast.QPS, fast.Burst = -1, 0 // setup and counting only: no client-side limit
		c := kubernetes.NewForConfigOrDie(fast)
		ctx, cancel := context.WithCancel(context.Background())
		parallelDo(b, nodes, func(j int) error {
			n := node(fmt.Sprintf("n-%04d", j), withAlloc(corev1.ResourceCPU, "8"), withAlloc(corev1.ResourceMemory, "32Gi"))
			status := n.Status
			created, err := c.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
			if err != nil {
				return err
			}
			created.Status = status
			_, err = c.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{})
			return err
		})
		parallelDo(b, pods, func(j int) error {
			p := pod(fmt.Sprintf("p-%05d", j), requests("cpu", "10m", "memory", "16Mi"))
			p.UID = ""
			_, err := c.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{})
			return err
		})
		w, err := c.CoreV1().Pods("default").Watch(ctx, metav1.ListOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		begin := time.Now()
		s := New(Config{Client: c, Log: slog.New(slog.DiscardHandler)})
		go s.Run(ctx)
		bound := map[string]bool{}
		for ev := range w.ResultChan() {
			if p, ok := ev.Object.(*corev1.Pod); ok && ev.Type != watch.Deleted && p.Spec.NodeName != "" {
				bound[p.Name] = true
			}
			if len(bound) == pods {
				break
			}
		}
		elapsed := time.Since(begin)
		b.StopTimer()
		w.Stop()
		cancel()
		b.ReportMetric(float64(pods)/elapsed.Seconds(), "pods/s")
	}
}

// parallelDo runs fn for 0..n-1 on 32 goroutines.
func parallelDo(b *testing.B, n int, fn func(int) error) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := int(next.Add(1)) - 1; j < n; j = int(next.Add(1)) - 1 {
				if err := fn(j); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	if first != nil {
		b.Fatal(first)
	}
}
