package data

import (
	"context"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/apiserver/apiservertest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestSource watches a real API server: a created pod arrives as a Pod in
// a batch, a deleted one as a delete of its key.
func TestSource(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an API server")
	}
	cfg := apiservertest.Start(t)
	c := kubernetes.NewForConfigOrDie(cfg)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	s := NewSource(c, Options{MinGap: time.Millisecond})
	s.Start(ctx)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}}}
	if _, err := c.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	key := Key{Kind: KindPod, Namespace: "default", Name: "web"}
	var synced bool
	var got *Pod
	for got == nil || !synced {
		b, ok := s.Next(ctx)
		if !ok {
			t.Fatalf("no pod (synced %t)", synced)
		}
		synced = synced || b.Synced
		for _, o := range b.Upserts {
			if p, ok := o.(Pod); ok && o.ObjectKey() == key {
				got = &p
			}
		}
	}
	if got.Status != "Pending" || got.Total != 1 {
		t.Fatalf("pod %+v", *got)
	}
	if err := c.CoreV1().Pods("default").Delete(ctx, "web", metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
		t.Fatal(err)
	}
	for {
		b, ok := s.Next(ctx)
		if !ok {
			t.Fatal("no delete")
		}
		for _, k := range b.Deletes {
			if k == key {
				return
			}
		}
	}
}

// TestUnreachable: with nothing listening, the source reports the API down
// with a retry time.
func TestUnreachable(t *testing.T) {
	t.Parallel()
	c := kubernetes.NewForConfigOrDie(&restConfigUnreachable)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	s := NewSource(c, Options{MinGap: time.Millisecond})
	s.Start(ctx)
	for {
		b, ok := s.Next(ctx)
		if !ok {
			t.Fatal("no connection state")
		}
		if b.Conn != nil && !b.Conn.Up {
			if b.Conn.Err == "" || b.Conn.Retry <= 0 {
				t.Fatalf("conn %+v", *b.Conn)
			}
			return
		}
	}
}
