package apiserver

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/minidev/mini/cluster/store"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// benchWorkers is the concurrency of the API benchmarks, as minibench's.
const benchWorkers = 16

// BenchmarkCreateConfigMap measures the API's cost per create through a
// real client-go (protobuf request, JSON answer) over HTTP, store included,
// from benchWorkers concurrent clients.
func BenchmarkCreateConfigMap(b *testing.B) {
	c, st := newTestServer(b, store.Options{})
	data := map[string]string{"v": strings.Repeat("x", 1024)}
	benchWrites(b, st, func(ctx context.Context, i int64) error {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%d", i)}, Data: data}
		_, err := c.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{})
		return err
	})
}

// BenchmarkUpdateConfigMap measures updates of existing ConfigMaps, each
// with the resourceVersion it was read at.
func BenchmarkUpdateConfigMap(b *testing.B) {
	c, st := newTestServer(b, store.Options{})
	ctx := context.Background()
	data := map[string]string{"v": strings.Repeat("x", 1024)}
	cms := make([]*corev1.ConfigMap, b.N)
	for i := range cms {
		cm, err := c.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%d", i)}, Data: data}, metav1.CreateOptions{})
		if err != nil {
			b.Fatal(err)
		}
		cm.Data = map[string]string{"v": strings.Repeat("y", 1024)}
		cms[i] = cm
	}
	benchWrites(b, st, func(ctx context.Context, i int64) error {
		_, err := c.CoreV1().ConfigMaps("default").Update(ctx, cms[i], metav1.UpdateOptions{})
		return err
	})
}

// benchWrites calls write for i in [0, b.N) from benchWorkers goroutines and
// reports the rate and the store's mean batch.
func benchWrites(b *testing.B, st *store.Store, write func(ctx context.Context, i int64) error) {
	ctx := context.Background()
	before := st.Stats()
	var next atomic.Int64
	b.ResetTimer()
	var wg sync.WaitGroup
	for range benchWorkers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if err := write(ctx, i); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	after := st.Stats()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
	b.ReportMetric(float64(after.Writes-before.Writes)/float64(max(after.Commits-before.Commits, 1)), "writes/commit")
}
