// Package apiservertest starts a real mini API server over a fresh store in
// a test, for controllers and clients to be tested against the real thing.
package apiservertest

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/minidev/mini/cluster/apiserver"
	"github.com/minidev/mini/cluster/store"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Start serves the API (no authentication) until the test ends and creates
// the namespaces default and kube-system. It returns a client config.
func Start(t testing.TB) *rest.Config {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "store.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(apiserver.New(apiserver.Config{Store: st}).Handler())
	t.Cleanup(func() { ts.Close(); st.Close() })
	cfg := &rest.Config{Host: ts.URL, QPS: 1000, Burst: 1000}
	c := kubernetes.NewForConfigOrDie(cfg)
	for _, ns := range []string{"default", "kube-system"} {
		if _, err := c.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return cfg
}
