package apiserver

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/minidev/mini/cluster/store"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BenchmarkCreateConfigMap measures the API's cost per create through a
// real client-go (protobuf request, JSON answer) over HTTP, store included.
func BenchmarkCreateConfigMap(b *testing.B) {
	c, _ := newTestServer(b, store.Options{})
	data := map[string]string{"v": strings.Repeat("x", 1024)}
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%d", n.Add(1))}, Data: data}
			if _, err := c.CoreV1().ConfigMaps("default").Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
