package apiserver

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/store"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
)

func TestViewOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		accept string
		want   view
	}{
		{"", viewFull},
		{"application/json", viewFull},
		{"application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json", viewTable},
		{"application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json", viewPartial},
		{"application/vnd.kubernetes.protobuf,application/json", viewFull},
		{"application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json", viewFull},
		{"*/*", viewFull},
	}
	for _, tt := range tests {
		r, _ := http.NewRequest("GET", "/", nil)
		r.Header.Set("Accept", tt.accept)
		if got := viewOf(r); got != tt.want {
			t.Errorf("viewOf(%q) = %d, want %d", tt.accept, got, tt.want)
		}
	}
}

// TestMetadataClient: client-go's metadata client (used by garbage
// collectors and namespace controllers) gets PartialObjectMetadata with the
// whole ObjectMeta from get, list and watch.
func TestMetadataClient(t *testing.T) {
	t.Parallel()
	c, _ := newTestServer(t, store.Options{})
	ctx := context.Background()
	u := c.CoreV1().RESTClient().Get().URL()
	cfg := &rest.Config{Host: u.Scheme + "://" + u.Host}
	mc := metadata.NewForConfigOrDie(cfg).Resource(schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}).Namespace("default")
	w, err := mc.Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "m", Finalizers: []string{"example.com/f"},
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "o", UID: "u1"}}}}
	if _, err := c.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	check := func(how string, m *metav1.PartialObjectMetadata) {
		t.Helper()
		if m.Name != "m" || len(m.Finalizers) != 1 || len(m.OwnerReferences) != 1 || m.UID == "" || m.ResourceVersion == "" {
			t.Errorf("%s: got %+v, want the whole ObjectMeta", how, m.ObjectMeta)
		}
	}
	got, err := mc.Get(ctx, "m", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	check("get", got)
	list, err := mc.List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("list: %v, %d items", err, len(list.Items))
	}
	check("list", &list.Items[0])
	select {
	case ev := <-w.ResultChan():
		m, ok := ev.Object.(*metav1.PartialObjectMetadata)
		if !ok {
			t.Fatalf("watch event object is %T", ev.Object)
		}
		check("watch", m)
	case <-time.After(5 * time.Second):
		t.Fatal("no watch event")
	}
}
