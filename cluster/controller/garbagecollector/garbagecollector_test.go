package garbagecollector

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/apiserver/apiservertest"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
)

func TestGarbageCollector(t *testing.T) {
	t.Parallel()
	cfg := apiservertest.Start(t)
	c := kubernetes.NewForConfigOrDie(cfg)
	gc, err := New(Config{Discovery: c.Discovery(), Metadata: metadata.NewForConfigOrDie(cfg), Recheck: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go gc.Run(ctx)
	cms := c.CoreV1().ConfigMaps("default")

	// owned creates an owner and a dependent pointing at it.
	owned := func(owner, dep string) *corev1.ConfigMap {
		t.Helper()
		o, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: owner}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: dep, OwnerReferences: []metav1.OwnerReference{
			{APIVersion: "v1", Kind: "ConfigMap", Name: owner, UID: o.UID, BlockOwnerDeletion: new(bool)},
		}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	gone := func(name string) bool {
		_, err := cms.Get(ctx, name, metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	}
	eventually := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				l, _ := cms.List(ctx, metav1.ListOptions{})
				var state []string
				for _, cm := range l.Items {
					state = append(state, fmt.Sprintf("%s finalizers=%v deleting=%v owners=%d", cm.Name, cm.Finalizers, cm.DeletionTimestamp != nil, len(cm.OwnerReferences)))
				}
				t.Fatalf("timed out waiting for %s; configmaps: %v", what, state)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	delete := func(name string, p metav1.DeletionPropagation) {
		t.Helper()
		if err := cms.Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &p}); err != nil {
			t.Fatal(err)
		}
	}

	// Background: the dependent goes after its owner.
	owned("bg-owner", "bg-dep")
	delete("bg-owner", metav1.DeletePropagationBackground)
	eventually("bg-dep to be collected", func() bool { return gone("bg-dep") })

	// Foreground: the owner waits (with its finalizer) until the dependent is gone.
	owned("fg-owner", "fg-dep")
	delete("fg-owner", metav1.DeletePropagationForeground)
	eventually("fg-dep and then fg-owner to go", func() bool { return gone("fg-dep") && gone("fg-owner") })

	// Orphan: the owner goes, the dependent stays without its reference.
	owned("or-owner", "or-dep")
	delete("or-owner", metav1.DeletePropagationOrphan)
	eventually("or-owner to go", func() bool { return gone("or-owner") })
	dep, err := cms.Get(ctx, "or-dep", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("orphaned dependent: %v", err)
	}
	if len(dep.OwnerReferences) != 0 {
		t.Errorf("orphaned dependent still has owner references %v", dep.OwnerReferences)
	}

	// An owner recreated under the same name is another object: the
	// dependent of the old one goes.
	old := owned("re-owner", "re-dep")
	if err := cms.Delete(ctx, "re-owner", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "re-owner"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually("re-dep (owner "+string(old.UID)+") to be collected", func() bool { return gone("re-dep") })

	// A dependent with a live owner stays.
	owned("live-owner", "live-dep")
	time.Sleep(300 * time.Millisecond)
	if gone("live-dep") {
		t.Error("a dependent with a live owner was deleted")
	}
}
